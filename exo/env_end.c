/*
 * How an environment ends (doc/exo-abi.md, "What happens when an
 * environment ends"): it stops, its frames go back or live on (with a
 * thread heir, or in its husk), its children move or stay, its quota goes
 * on, and its exit waits for its parent.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include "exo/sched.h"

void env_settle(struct env *env)
{
	orphan_settled(env);
	if (env->husk)
		env->status = ENV_HUSK;
	else
		env_free_slot(env);
}

/*
 * A thread that carries an ending environment's address space on: a live
 * child running on the same root.  Every mapping in that address space then
 * stays one its owner holds.  NULL if there is none.
 */
static struct env *thread_heir(struct env *env)
{
	for (struct env *child = env->child_head; child; child = child->sibling_next)
		if (env->root && child->root == env->root && !env_ended(child) && child->status != EXO_ENV_FREE)
			return child;
	return NULL;
}

/*
 * The first environment ends: nothing may outlive it.  The others end as
 * usual (they may leave husks); then every table, the first environment's
 * too, is emptied, so that no count still refers to a frame about to be
 * freed; then what is left of the others, husks and zombies, goes.
 * Records are freed after the walks.
 */
static void release_every_table(void)
{
	for (struct env *env = env_list; env; env = env->all_next)
		for (u32 index = env->frames_head; index != FRAME_NONE; index = kernel_frames.frames[index].next)
			if (kernel_frames.frames[index].type == FRAME_PAGETABLE)
				pt_release_table(&kernel_frames.frames[index]);
}

static void end_all_others(struct env *first)
{
	env_release_drain();
	env_defer_frees(true);
	for (struct env *env = env_list; env; env = env->all_next)
		if (env != first && env->parent && env->status != EXO_ENV_FREE && !env_ended(env)) {
			env_destroy(env, -1, true);
			env_release_drain();
		}
	for (struct env *env = env_list; env; env = env->all_next)
		if (env != first)
			env->husk_refs = ~0ull; /* kept from collection while the rest goes */
	release_every_table();
	for (struct env *env = env_list; env; env = env->all_next) {
		if (env == first)
			continue;
		while (env->frames_head != FRAME_NONE)
			env_free_frame(env, &kernel_frames.frames[env->frames_head]);
		env->husk = false;
		env->status = EXO_ENV_FREE;
	}
	env_defer_frees(false); /* each adopted record freed leaves the queue and the count */
}

void env_check_event(u32 id, const char *what)
{
	if (!check_at_exit)
		return;
	struct exo_check check;
	u64 problems = pt_check_all(&check);
	exit_checks++;
	exit_check_problems += problems;
	if (problems)
		kprintf("exo: isolation check after env %u %s: %lu problems\n", id, what, problems);
}

/* Its quota goes on, but for what it still owns: its record, and a husk's frames. */
static void pass_quota(struct env *env, struct env *to)
{
	u64 give = env->quota > env->used ? env->quota - env->used : 0;
	if (to)
		to->quota += give;
	env->quota -= give;
}

void env_destroy(struct env *env, i64 status, bool reap)
{
	struct env *parent = env_lookup(env->parent);
	if (!parent) {
		/* Its root may be another's table, about to be freed: let go of it first. */
		sched_remove(env);
		pt_set_root(env, 0);
		end_all_others(env);
	}
	if (env_ended(env)) {
		if (reap && env->status == EXO_ENV_ZOMBIE)
			env_settle(env);
		else if (reap && env->status == ENV_ENDING)
			env->release.reap = true;
		return;
	}
	struct env *heir = parent ? thread_heir(env) : NULL;
	/* A thread (or a vfork child) ran in its parent's space: its children are the parent's process's. */
	u32 space_parent = parent && env->root && env->root == parent->root ? parent->id : 0;
	sched_remove(env);
	pt_set_root(env, 0);
	if (heir) {
		/* The thread steps into its place and takes everything, going on in the address space. */
		env_set_parent(heir, env->parent);
		orphan_inherit(heir, env); /* in its place: an orphan's exit notice goes where its did */
		heir->draws = env->draws; /* in its place: drawing on what it drew on, no more */
		heir->exit_alert = env->exit_alert, heir->exit_alert_by = env->exit_alert_by;
		env->exit_alert = 0; /* its end is the heir's to announce */
		env_give_frames(env, heir);
		env->status = ENV_ENDING;
		env->release = (struct env_release){ .reap = reap, .heir = heir->id, .status = status };
		env_end_finish(env);
		return;
	}
	release_start(env, reap, status);
	env->release.space_parent = space_parent;
	/* Most ends finish here; a large one goes on in later steps (exo/release.c). */
	u64 budget = parent ? RELEASE_BUDGET : ~0ull;
	release_run(env, &budget);
	doomed_collect(); /* what the step let go of, even if the rest of the release comes later */
}

/*
 * It ran in its parent's address space (a thread), and that parent still
 * lives (it may have ended while this release ran in steps, and this one
 * moved up the tree): its children are then the parent's process's.
 */
static bool ran_in_live_parent_space(const struct env *env, const struct env *parent)
{
	return parent && env->release.space_parent == parent->id && !env_ended(parent);
}

void env_end_finish(struct env *env)
{
	u32 id = env->id;
	struct env *parent = env_lookup(env->parent), *heir = env_lookup(env->release.heir);
	if (env->husk && !parent)
		kprintf("exo: BUG: the first environment's frames are still referenced\n");
	if (env->husk) {
		orphan_adopt_children(env); /* they stay its own (its shares reach them alone): orphans */
	} else {
		if (!heir && !ran_in_live_parent_space(env, parent))
			orphan_adopt_children(env);
		env_reparent_children(env, heir ? heir->id : parent ? parent->id : 0, heir != NULL);
	}
	pass_quota(env, heir ? heir : parent);
	env->exit_status = env->release.status;
	if (!parent)
		first_env_status = env->release.status;
	/*
	 * Whoever would receive its notice destroyed it, or there is none (the
	 * first environment): no notice.  A parent that ended, husk or not,
	 * made it an orphan, whose notice goes to the first environment.
	 */
	if (env->release.reap || !env_notice_to(env)) {
		env_settle(env);
	} else {
		env->status = EXO_ENV_ZOMBIE;
		orphan_zombie(env);
		/* Its exit alert (SIGCHLD) comes once the notice can be received, never before. */
		struct env *receiver = env_notice_to(env);
		bool may = receiver->id == env->exit_alert_by || receiver->upcall.alerts_open;
		if (env->exit_alert && may && !env_ended(receiver))
			env_alert(receiver, env->exit_alert, id);
	}
	/* The parent may now have exit notices to take: its child's, or reparented ones. */
	if (parent && parent->recv_pending)
		sched_wake(parent);
	husk_collect();
	env_check_event(id, "ended");
}

void env_kill(struct env *env, const char *event, u64 addr, u64 pc)
{
	kprintf("exo: env %u killed: %s at 0x%lx (pc 0x%lx)\n", env->id, event, addr, pc);
	env_destroy(env, -1, false);
}
