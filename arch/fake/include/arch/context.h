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

#endif
