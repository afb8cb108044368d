/*
 * In-kernel self-tests, chosen with test=NAME on the command line.  Each
 * prints what it checks and ends the run: "exo: selftest NAME: ok" and a
 * clean power-off, or a failure line and status 1.  Some are meant to end in
 * a decoded exception report; the QEMU tests check that report.
 */
#ifndef EXO_SELFTEST_H
#define EXO_SELFTEST_H

#include "exo/kernel.h"

/* Self-test breakpoints taken (and stepped over) by the exception handler. */
extern volatile u64 selftest_brk_hits;

noreturn void selftest_run(const char *name);

/* Check helper: print the failure and return -1 from the test. */
#define CHECK(cond, ...)                                        \
	do {                                                    \
		if (!(cond)) {                                  \
			kprintf("exo: check failed: " __VA_ARGS__); \
			kprintf("\n");                          \
			return -1;                              \
		}                                               \
	} while (0)

/* arch self-tests (arch/arm64/selftest.c) */
int arch_selftest_ttbr0(bool through_ttbr0);
int arch_selftest_fault(const char *kind);

#endif
