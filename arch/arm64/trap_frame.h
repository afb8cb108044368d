/* The register frame the exception vectors save (offsets used by vectors.S). */
#ifndef ARCH_ARM64_TRAP_FRAME_H
#define ARCH_ARM64_TRAP_FRAME_H

#define FRAME_X(n) ((n) * 8)
#define FRAME_SP (31 * 8)
#define FRAME_ELR (32 * 8)
#define FRAME_SPSR (33 * 8)
#define FRAME_ESR (34 * 8)
#define FRAME_FAR (35 * 8)
#define FRAME_SIZE (36 * 8)

/* Which of the 16 vectors was taken: (source << 2) | type. */
#define VEC_SYNC 0
#define VEC_IRQ 1
#define VEC_FIQ 2
#define VEC_SERROR 3
#define VEC_EL1_SP0 (0 << 2)
#define VEC_EL1_SPX (1 << 2)
#define VEC_EL0_64 (2 << 2)
#define VEC_EL0_32 (3 << 2)
#define VEC_FROM_EL0 (2 << 2) /* the bit both EL0 sources have */

#ifndef __ASSEMBLER__
#include "exo/types.h"

struct trap_frame {
	u64 x[31];
	u64 sp;  /* the interrupted SP (SP_EL0 from EL0, SP_EL1 from EL1) */
	u64 elr;
	u64 spsr;
	u64 esr;
	u64 far;
};

_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "vectors.S frame layout");
_Static_assert(FRAME_SIZE % 16 == 0, "the stack stays 16-byte aligned");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "ELR offset");
_Static_assert(__builtin_offsetof(struct trap_frame, far) == FRAME_FAR, "FAR offset");

void trap_dispatch(struct trap_frame *frame, u64 vector);
#endif

#endif
