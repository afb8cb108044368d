/*
 * Husks: ended environments keeping the frames others still refer to, so
 * that what they shared reaches their descendants and no one else
 * (doc/exo-abi.md, "What happens when an environment ends").  References
 * from outside are counted; when the last goes, the husk's frames are
 * released (exo/release.c) and the husk goes.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/sched.h"

static struct env *collect_queue; /* husks nothing refers to any more, through husk_next */

static void queue_collection(struct env *husk)
{
	if (husk->husk_queued)
		return;
	husk->husk_queued = true;
	husk->husk_next = collect_queue;
	collect_queue = husk;
}

void husk_begin(struct env *env, u64 refs)
{
	env->husk = true;
	env->husk_refs = refs;
	if (refs == 0)
		queue_collection(env); /* what kept it went away while it was released */
}

void ref_change(const struct frame *target, u32 from, int change)
{
	if (target->owner == from || target->owner == FRAME_NO_OWNER)
		return;
	struct env *env = env_lookup(target->owner);
	if (!env)
		return;
	if (env->husk) {
		env->husk_refs += (u64)(i64)change;
		if (env->husk_refs == 0)
			queue_collection(env);
	} else if (env->status == ENV_ENDING && (target->flags & FRAME_MARK)) {
		/* Counted as from outside when its release kept it: no longer there. */
		env->release.drops += (u64)(i64)-change;
	}
}

u32 ref_change_unless_quiet(const struct frame *target, u32 from, int change, u32 quiet)
{
	const struct env *env = env_lookup(target->owner);
	if (!(env && (env->husk || env->status == ENV_ENDING)))
		return target->owner;
	ref_change(target, from, change);
	return quiet;
}

/*
 * Its frames are all gone (release_dissolve): its children move to its
 * parent, and so does the quota its frames took.  A husk whose exit notice
 * is still waiting stays a zombie without frames.
 */
void husk_dissolved(struct env *husk)
{
	if (husk->frames_head != FRAME_NONE) {
		kprintf("exo: BUG: husk %u still referenced from outside as it went\n", husk->id);
		husk_begin(husk, husk->release.external);
		return;
	}
	husk->husk = false;
	env_reparent_children(husk, husk->parent, false);
	struct env *parent = env_lookup(husk->parent);
	u64 give = husk->quota > husk->used ? husk->quota - husk->used : 0;
	if (parent)
		parent->quota += give;
	husk->quota -= give;
	if (husk->status == ENV_HUSK)
		env_free_slot(husk);
	else if (parent && parent->recv_pending)
		sched_wake(parent); /* zombies may have come to it */
}

/*
 * Start releasing every husk nothing refers to any more; together they get
 * one step's budget here (small ones go at once), the rest comes in the
 * scheduler's steps.
 */
void husk_collect(void)
{
	u64 budget = RELEASE_BUDGET, doomed_budget = RELEASE_BUDGET; /* each shared by the whole collection */
	doomed_collect_for(&doomed_budget);
	while (collect_queue) {
		struct env *husk = collect_queue;
		collect_queue = husk->husk_next;
		husk->husk_queued = false;
		if (husk->husk && husk->husk_refs == 0 && !husk->releasing) {
			release_dissolve(husk);
			release_run(husk, &budget);
		}
		doomed_collect_for(&doomed_budget); /* what that release let go of (the rest in the release steps) */
	}
}
