/* arm64's saved user state, for struct env (exo/env.h). */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include "arch/arm64/context.h"

#endif
