/* arm64's saved user state, for struct env (exo/env.h). */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include "arch/arm64/context.h"
#include "exo/abi.h"

/*
 * Moving registers for upcalls (exo/upcall.h's contract): inline, since
 * they sit on the fault and system-call paths.
 */
#define ARCH_SPSR_EL0T 0ull /* EL0, AArch64, interrupts unmasked, flags clear */

static inline u64 arch_frame_pc(const struct trap_frame *frame) { return frame->elr; }
static inline u64 arch_frame_sp(const struct trap_frame *frame) { return frame->sp; }

/* Continue at entry with the record's address in x0 and sp; x30 = 0 so a plain return faults. */
static inline void arch_upcall_enter(struct trap_frame *frame, u64 entry, u64 sp)
{
	frame->x[0] = sp;
	frame->x[30] = 0;
	frame->sp = sp;
	frame->elr = entry;
	frame->spsr = ARCH_SPSR_EL0T;
}

/* An alert's sender and bits go where the record's esr and far are taken from. */
static inline void arch_frame_set_alert(struct trap_frame *frame, u32 from, u64 bits)
{
	frame->esr = from;
	frame->far = bits;
}

/* x0 and x1 as they were (a light fault's end). */
static inline void arch_frame_set_x01(struct trap_frame *frame, u64 x0, u64 x1)
{
	frame->x[0] = x0;
	frame->x[1] = x1;
}

/* Resume at pc with sp and the flags of pstate (nothing else of it: always EL0). */
static inline void arch_frame_resume(struct trap_frame *frame, u64 pc, u64 sp, u64 pstate)
{
	frame->elr = pc;
	frame->sp = sp;
	frame->spsr = ARCH_SPSR_EL0T | (pstate & EXO_PSTATE_NZCV);
}

#endif
