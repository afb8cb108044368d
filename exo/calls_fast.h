/*
 * Exokernel calls that take the short way in and out of the kernel
 * (arch/arm64/vectors.S): those that never switch environments and never
 * read or write the caller's saved registers, so only the registers C code
 * may change (x0-x18, x29, x30) need saving.  Usable from assembly.
 */
#ifndef EXO_CALLS_FAST_H
#define EXO_CALLS_FAST_H

#include "exo/abi.h"

#ifdef __ASSEMBLER__
#define FAST(call) (1 << (call)) /* the assembler's arithmetic is 64-bit */
#else
#define FAST(call) (1ull << (call))
#endif
#define EXO_FAST_CALLS                                                                         \
	(FAST(EXO_NULL) | FAST(EXO_SELF) | FAST(EXO_CONS_WRITE) | FAST(EXO_CONS_READ) |        \
	 FAST(EXO_CLOCK) | FAST(EXO_ENV_CREATE) | FAST(EXO_ENV_SET_UPCALLS) | FAST(EXO_ENV_RUN) | \
	 FAST(EXO_ENV_INFO) | FAST(EXO_QUOTA_GIVE) | FAST(EXO_SEND) | FAST(EXO_FRAME_ALLOC) |   \
	 FAST(EXO_FRAME_FREE) | FAST(EXO_FRAME_SHARE) | FAST(EXO_PT_ALLOC) | FAST(EXO_PT_WRITE) | \
	 FAST(EXO_PT_COPY) | FAST(EXO_DEBUG_CHECK) | FAST(EXO_WAKE) | FAST(EXO_ENV_CHILD) | \
	 FAST(EXO_WHY) | FAST(EXO_PT_COW) | FAST(EXO_FRAME_MAPS) | FAST(EXO_PT_MAP_NEW) |        \
	 FAST(EXO_QUOTA_TAKE) | FAST(EXO_PT_COPY_TABLES) | FAST(EXO_ENV_SET_EXIT_ALERT) | FAST(EXO_ALARM) | \
	 FAST(EXO_CONS_LISTEN))

#endif
