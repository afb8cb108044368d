/* An environment's saved user state on arm64: the trap frame and FP/SIMD. */
#ifndef ARCH_ARM64_CONTEXT_H
#define ARCH_ARM64_CONTEXT_H

#include "arch/arm64/trap_frame.h"

struct fpsimd_state {
	u64 q[64]; /* q0..q31, low then high half */
	u64 fpsr, fpcr;
};

struct arch_context {
	struct trap_frame frame; /* x0..x30, sp, pc (elr), pstate (spsr) */
	struct fpsimd_state fp;
	u64 tpidr; /* TPIDR_EL0: user state the trap frame does not hold */
};

/* fpsimd.S */
void fpsimd_save(struct fpsimd_state *state);
void fpsimd_load(const struct fpsimd_state *state);

#endif
