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

/* What the call in progress said (why.c). */
extern struct why_now {
	bool said; /* why() was called */
	u32 rule;
	u64 arg, index;
} why_now;

/* A call begins: nothing said yet.  Inline: it is on every call's path. */
static inline void why_begin(void) { why_now.said = false; }
/* Say why (the last word before a failing return wins); returns err. */
int why(int err, u32 rule, u64 arg, u64 index);
/*
 * Call number `call` failed with result: kept for the caller's EXO_WHY;
 * returns result.  The call paths call it only on failure (vectors.S's fast
 * path, arch/arm64/user.c's full one), so that a call that succeeds pays
 * nothing but why_begin.
 */
i64 why_failed(i64 result, u64 call);

#endif
