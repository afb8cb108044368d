/*
 * Why a call failed, finer than its error code (EXO_WHY): the rule that
 * refused it, the argument and the batch entry.  A refusal site says so as
 * it returns: `return why(-E_PERM, EXO_RULE_OWNER, 0, WHY_NONE);`.
 */
#ifndef EXO_WHY_H
#define EXO_WHY_H

#include "exo/abi.h"
#include "exo/types.h"

#define WHY_NONE EXO_WHY_NONE

struct env;

/* A call begins: nothing said yet. */
void why_begin(u64 call);
/* Say why (the last word before a failing return wins); returns err. */
int why(int err, u32 rule, u64 arg, u64 index);
/* The call ended: a failure is kept for env's EXO_WHY. */
void why_end(struct env *env, i64 result);

#endif
