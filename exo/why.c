/*
 * Why calls fail (exo/why.h): what the call in progress said, and one
 * record kept per environment.  Nothing is done for a call that succeeds
 * but clear a flag: this sits on every call's path.
 */
#include "exo/why.h"
#include "exo/env.h"

struct why_now why_now;

int why(int err, u32 rule, u64 arg, u64 index)
{
	why_now.said = true;
	why_now.rule = rule;
	why_now.arg = arg;
	why_now.index = index;
	return err;
}

i64 why_failed(i64 result, u64 call)
{
	if (curenv) /* a failed call switched nothing: still the caller */
		curenv->why = why_now.said ? (struct exo_why){ call, result, why_now.rule, why_now.arg, why_now.index } :
		                             (struct exo_why){ call, result, EXO_RULE_NONE, WHY_NONE, WHY_NONE };
	return result;
}
