/*
 * A minimal host test harness: each test prints "PASS host/SUITE/NAME" or
 * "FAIL host/SUITE/NAME" with the failed expectations; tests/run.py counts
 * those lines.  The binary exits non-zero if anything failed.
 */
#ifndef TESTS_HOST_CHECK_H
#define TESTS_HOST_CHECK_H

#include <stdint.h>
#include <stdio.h>

static int check_failed_now, check_failures;

#define EXPECT(cond)                                                                     \
	do {                                                                             \
		if (!(cond)) {                                                           \
			printf("    %s:%d: expected %s\n", __FILE__, __LINE__, #cond);      \
			check_failed_now = 1;                                            \
		}                                                                        \
	} while (0)

static inline void check_run(const char *suite, const char *name, void (*test)(void))
{
	check_failed_now = 0;
	test();
	printf("%s host/%s/%s\n", check_failed_now ? "FAIL" : "PASS", suite, name);
	check_failures += check_failed_now;
	fflush(stdout);
}

#define RUN(suite, test) check_run(suite, #test, test)

/* xorshift32 (Marsaglia): seeded mutations that replay without the C library's rand. */
static inline uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

#endif
