/* A fake architecture's saved user state: registers only, no hardware. */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include "exo/types.h"

struct trap_frame {
	u64 x[31];
	u64 sp, pc, flags;
	u64 cause, addr; /* what the event was, and the address it was about */
};

struct arch_context {
	struct trap_frame frame;
	u64 tp;
};

/* Moving registers for upcalls (exo/upcall.h's contract). */
static inline u64 arch_frame_pc(const struct trap_frame *frame) { return frame->pc; }
static inline u64 arch_frame_sp(const struct trap_frame *frame) { return frame->sp; }
static inline void arch_upcall_enter(struct trap_frame *frame, u64 entry, u64 sp)
{
	frame->x[0] = sp, frame->sp = sp, frame->pc = entry;
}
static inline void arch_frame_set_alert(struct trap_frame *frame, u32 from, u64 bits)
{
	frame->cause = from, frame->addr = bits;
}
static inline void arch_frame_set_x01(struct trap_frame *frame, u64 x0, u64 x1)
{
	frame->x[0] = x0, frame->x[1] = x1;
}
static inline void arch_frame_resume(struct trap_frame *frame, u64 pc, u64 sp, u64 pstate)
{
	frame->pc = pc, frame->sp = sp, frame->flags = pstate;
}

#endif
