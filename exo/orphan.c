/*
 * Orphans: environments whose parent has ended.  The family tree stays what
 * rights rest on (a husk keeps its children, so that what it shared reaches
 * them alone; other orphans move to the ended parent's parent), but an
 * orphan's exit notice goes to the first environment, which adopts it, as
 * POSIX's init does, and stays adopted wherever the tree moves it later.
 * Adopted zombies wait for it in a queue of their own, so that receiving
 * one is a look at the queue's head.
 */
#include "exo/env.h"
#include "exo/sched.h"

static struct env *zombies_head, *zombies_tail; /* adopted zombies, in the order they ended */
static u64 adopted_count;                       /* records with `adopted` set */

void orphan_reset(void)
{
	zombies_head = zombies_tail = NULL;
	adopted_count = 0;
}

u64 orphan_count(void) { return adopted_count; }

bool orphan_is_adopted(u64 id)
{
	const struct env *env = env_lookup(id);
	return env && env->adopted;
}

static struct env *first_env(void) { return env_list && !env_list->parent ? env_list : NULL; }

struct env *env_notice_to(const struct env *env)
{
	return env->adopted ? first_env() : env->parent_env;
}

u32 env_notice_to_id(const struct env *env)
{
	const struct env *to = env_notice_to(env);
	return to ? to->id : 0;
}

static void unqueue(struct env *env)
{
	if (!env->orphan_queued)
		return;
	if (env->orphan_prev)
		env->orphan_prev->orphan_next = env->orphan_next;
	else
		zombies_head = env->orphan_next;
	if (env->orphan_next)
		env->orphan_next->orphan_prev = env->orphan_prev;
	else
		zombies_tail = env->orphan_prev;
	env->orphan_next = env->orphan_prev = NULL;
	env->orphan_queued = false;
}

static void set_adopted(struct env *env, bool adopted)
{
	if (env->adopted == adopted)
		return;
	env->adopted = adopted;
	adopted_count += adopted ? 1 : (u64)-1;
	if (!adopted)
		unqueue(env);
}

void orphan_zombie(struct env *env)
{
	if (!env->adopted || env->orphan_queued)
		return;
	env->orphan_prev = zombies_tail;
	env->orphan_next = NULL;
	if (zombies_tail)
		zombies_tail->orphan_next = env;
	else
		zombies_head = env;
	zombies_tail = env;
	env->orphan_queued = true;
	struct env *first = first_env();
	if (first && first->recv_pending && !first->recv_skip_orphans)
		sched_wake(first);
}

void orphan_adopt_children(struct env *ended)
{
	for (struct env *child = ended->child_head; child; child = child->sibling_next) {
		set_adopted(child, true);
		if (child->status == EXO_ENV_ZOMBIE)
			orphan_zombie(child);
	}
}

void orphan_inherit(struct env *heir, const struct env *ended)
{
	set_adopted(heir, ended->adopted);
}

void orphan_settled(struct env *env)
{
	set_adopted(env, false);
}

struct env *orphan_take_zombie(struct env *receiver)
{
	return zombies_head && receiver == first_env() ? zombies_head : NULL; /* mostly none: one load */
}
