/* Decoding the Exception Syndrome Register. */
#ifndef ARCH_ARM64_ESR_H
#define ARCH_ARM64_ESR_H

#define EC_UNKNOWN 0x00
#define EC_SVC64 0x15
#define EC_IABT_LOWER 0x20
#define EC_PC_ALIGN 0x22
#define EC_IABT_SAME 0x21
#define EC_DABT_LOWER 0x24
#define EC_DABT_SAME 0x25
#define EC_BRK 0x3c

/* The brk immediate the self-tests use to take a synchronous exception. */
#define BRK_SELFTEST 0x5e1

#ifndef __ASSEMBLER__
#include "exo/types.h"

static inline unsigned esr_class(u64 esr) { return (unsigned)(esr >> 26) & 0x3f; }

const char *esr_class_name(unsigned class);
/* A line about the fault (kind, level, read/write) for aborts; false if none. */
bool esr_describe(u64 esr, char *buf, size_t size);
#endif

#endif
