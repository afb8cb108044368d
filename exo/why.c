/* Why calls fail (exo/why.h): one record for the call in progress, one kept per environment. */
#include "exo/why.h"
#include "exo/env.h"

static struct exo_why said;

void why_begin(u64 call) { said = (struct exo_why){ .call = call, .arg = WHY_NONE, .index = WHY_NONE }; }

int why(int err, u32 rule, u64 arg, u64 index)
{
	said.rule = rule;
	said.arg = arg;
	said.index = index;
	return err;
}

void why_end(struct env *env, i64 result)
{
	if (result >= 0 || !env)
		return;
	said.error = result;
	env->why = said;
}
