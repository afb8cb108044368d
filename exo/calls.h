/* The exokernel calls (doc/exo-abi.md): decode the arguments, check, perform. */
#ifndef EXO_CALLS_H
#define EXO_CALLS_H

#include "exo/types.h"

/* A call that has no result yet (it blocked, or its caller is gone). */
#define CALL_NO_RESULT ((i64)1 << 62)

/* Call `number` for the current environment with args[0..6]; the value for x0. */
i64 exo_call(u64 number, const u64 *args);

#endif
