/* The environment table: ids, the family tree, creation, destruction, messages. */
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include "exo/sched.h"
#include "exo/string.h"
#include "exo/upcall_offsets.h"

#define OFFSET_IS(field, offset) _Static_assert(__builtin_offsetof(struct env, field) == (offset), #field)
OFFSET_IS(upcall.syscall_entry, UPCALL_SYSCALL_ENTRY);
OFFSET_IS(upcall.stack, UPCALL_STACK);
OFFSET_IS(upcall.ret_pc, UPCALL_RET_PC);
OFFSET_IS(upcall.ret_sp, UPCALL_RET_SP);
OFFSET_IS(upcall.ret_pstate, UPCALL_RET_PSTATE);
OFFSET_IS(upcall.depth, UPCALL_DEPTH);
OFFSET_IS(upcall.light_active, UPCALL_LIGHT_ACTIVE);
OFFSET_IS(upcall.light, UPCALL_LIGHT);
OFFSET_IS(upcall.alert, UPCALL_ALERT);

struct env envs[NENV];
struct env *curenv;
i64 first_env_status = -1;
bool check_at_exit;
u64 exit_checks, exit_check_problems;
static u32 generation[NENV];

struct env *env_lookup(u64 id)
{
	if (id == 0 || id > UINT32_MAX)
		return NULL;
	struct env *env = &envs[id % NENV];
	return env->id == id && env->status != EXO_ENV_FREE ? env : NULL;
}

bool env_is_ancestor(const struct env *ancestor, const struct env *env)
{
	/* Parents are always live environments, so the chain is at most NENV long. */
	for (u32 hops = 0; env->parent && hops < NENV; hops++) {
		env = env_lookup(env->parent);
		if (!env)
			return false;
		if (env == ancestor)
			return true;
	}
	return false;
}

bool env_holds(const struct env *holder, const struct env *target)
{
	return holder == target || env_is_ancestor(holder, target);
}

bool env_can_act(const struct env *actor, const struct env *target)
{
	if (actor == target || env_is_ancestor(actor, target))
		return true;
	/* A thread (a descendant running in its ancestor's address space) acts for it. */
	return actor->root && actor->root == target->root && env_is_ancestor(target, actor);
}

int env_target(struct env *caller, u64 id, struct env **out)
{
	struct env *target = env_lookup(id);
	if (!target || env_ended(target))
		return -E_NOENT;
	if (!env_can_act(caller, target))
		return -E_PERM;
	*out = target;
	return 0;
}

u32 env_count(void)
{
	u32 count = 0;
	for (u32 slot = 1; slot < NENV; slot++)
		count += envs[slot].status != EXO_ENV_FREE;
	return count;
}

int env_create(struct env *parent, u64 quota, struct env **out)
{
	if (parent && quota > env_spare(parent))
		return -E_QUOTA;
	u32 slot = 1;
	while (slot < NENV && envs[slot].status != EXO_ENV_FREE)
		slot++;
	if (slot == NENV)
		return -E_NOMEM;
	struct env *env = &envs[slot];
	/* Generations make a stale id miss rather than reach the slot's next tenant. */
	u32 gen = generation[slot]++;
	memset(env, 0, sizeof(*env));
	env->id = gen * NENV + slot;
	env->parent = parent ? parent->id : 0;
	env->status = EXO_ENV_NOT_RUNNABLE;
	env->quota = quota;
	env->frames_head = FRAME_NONE;
	arch_context_init(&env->ctx);
	if (parent)
		parent->quota -= quota;
	*out = env;
	return 0;
}

void env_reparent_children(struct env *env, u32 heir)
{
	for (u32 slot = 1; slot < NENV; slot++)
		if (envs[slot].status != EXO_ENV_FREE && envs[slot].parent == env->id && envs[slot].id != heir)
			envs[slot].parent = heir;
}

void env_free_slot(struct env *env)
{
	env->status = EXO_ENV_FREE;
	env->id = 0;
}

/* Its exit has been received (or never will be): the slot goes, unless it is a husk. */
static void settle(struct env *env)
{
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
	for (u32 slot = 1; slot < NENV; slot++) {
		struct env *child = &envs[slot];
		if (child->parent == env->id && child != env && env->root && child->root == env->root &&
		    child->status != EXO_ENV_FREE && !env_ended(child))
			return child;
	}
	return NULL;
}

/* A husk's children whose exit nobody will receive: their notices are dropped. */
static void settle_zombie_children(struct env *husk)
{
	for (u32 slot = 1; slot < NENV; slot++)
		if (envs[slot].status == EXO_ENV_ZOMBIE && envs[slot].parent == husk->id)
			settle(&envs[slot]);
}

/*
 * The first environment ends: nothing may outlive it.  The others end as
 * usual (they may leave husks); then what is left of them, husks and
 * zombies, goes: every table emptied first, so no count still refers to a
 * frame that is freed.
 */
static void end_all_others(struct env *first)
{
	for (bool found = true; found;) {
		found = false;
		for (u32 slot = 1; slot < NENV; slot++)
			if (&envs[slot] != first && envs[slot].status != EXO_ENV_FREE && !env_ended(&envs[slot]) &&
			    envs[slot].parent) {
				env_destroy(&envs[slot], -1, true);
				found = true;
			}
	}
	for (u32 slot = 1; slot < NENV; slot++) {
		struct env *env = &envs[slot];
		if (env != first && env->status != EXO_ENV_FREE)
			env->husk_refs = ~0ull; /* kept from collection while the rest goes */
	}
	for (u32 slot = 1; slot < NENV; slot++) {
		struct env *env = &envs[slot];
		if (env == first || env->status == EXO_ENV_FREE)
			continue;
		for (u32 index = env->frames_head; index != FRAME_NONE; index = kernel_frames.frames[index].next)
			if (kernel_frames.frames[index].type == FRAME_PAGETABLE)
				pt_release_table(&kernel_frames.frames[index]);
	}
	for (u32 slot = 1; slot < NENV; slot++) {
		struct env *env = &envs[slot];
		if (env == first || env->status == EXO_ENV_FREE)
			continue;
		while (env->frames_head != FRAME_NONE)
			env_free_frame(env, &kernel_frames.frames[env->frames_head]);
		env->husk = false;
		env_free_slot(env);
	}
}

/* check=exit on the command line: the isolation checker after every environment's end. */
static void check_after_end(const struct env *env)
{
	if (!check_at_exit)
		return;
	struct exo_check check;
	u64 problems = pt_check_all(&check);
	exit_checks++;
	exit_check_problems += problems;
	if (problems)
		kprintf("exo: isolation check after env %u ended: %lu problems\n", env->id, problems);
}

/* Its quota: a thread heir or a parent takes it all; a husk keeps what its frames need. */
static void pass_quota(struct env *env, struct env *to)
{
	u64 keep = env->husk ? env->used : 0;
	u64 give = env->quota > keep ? env->quota - keep : 0;
	if (to)
		to->quota += give;
	env->quota -= give;
}

void env_destroy(struct env *env, i64 status, bool reap)
{
	struct env *parent = env_lookup(env->parent);
	if (!parent)
		end_all_others(env);
	if (env_ended(env)) {
		if (reap && env->status == EXO_ENV_ZOMBIE)
			settle(env);
		return;
	}
	if (parent && parent->husk)
		reap = true; /* an ended parent receives nothing */
	struct env *heir = parent ? thread_heir(env) : NULL;
	sched_remove(env);
	pt_set_root(env, 0);
	if (heir)
		heir->parent = env->parent; /* the thread steps into its place */
	bool husk = env_release_frames(env, heir);
	if (husk && !parent)
		kprintf("exo: BUG: the first environment's frames are still referenced\n");
	if (husk)
		settle_zombie_children(env); /* its children stay its own: its shares reach them alone */
	else
		env_reparent_children(env, heir ? heir->id : parent ? parent->id : 0);
	pass_quota(env, heir ? heir : parent);
	env->exit_status = status;
	if (!parent)
		first_env_status = status;
	if (reap || !parent) {
		settle(env);
	} else {
		env->status = EXO_ENV_ZOMBIE;
		if (parent->recv_pending)
			sched_wake(parent);
	}
	husk_collect();
	check_after_end(env);
}

void env_kill(struct env *env, const char *event, u64 addr, u64 pc)
{
	kprintf("exo: env %u killed: %s at 0x%lx (pc 0x%lx)\n", env->id, event, addr, pc);
	env_destroy(env, -1, false);
}

int env_send(struct env *from, struct env *to, u64 value)
{
	if (to->msg_count == ENV_MSGS)
		return -E_AGAIN;
	to->msgs[(to->msg_head + to->msg_count) % ENV_MSGS] = (struct env_msg){ from->id, value };
	to->msg_count++;
	if (to->recv_pending)
		sched_wake(to);
	return 0;
}

int env_take_event(struct env *env, struct exo_event *event)
{
	/* A pending alert first, once: the waiter is told, the alert stays for its upcall. */
	if (env->upcall.alert && !env->upcall.alert_told) {
		*event = (struct exo_event){ EXO_EVENT_ALERT, env->upcall.alert_from, env->upcall.alert };
		env->upcall.alert_told = 1;
		return 0;
	}
	for (u32 slot = 1; slot < NENV; slot++) {
		struct env *child = &envs[slot];
		if (child->status == EXO_ENV_ZOMBIE && child->parent == env->id) {
			*event = (struct exo_event){ EXO_EVENT_EXIT, child->id, (u64)child->exit_status };
			settle(child);
			return 0;
		}
	}
	if (env->msg_count == 0)
		return -E_AGAIN;
	struct env_msg *msg = &env->msgs[env->msg_head];
	*event = (struct exo_event){ EXO_EVENT_MESSAGE, msg->from, msg->value };
	env->msg_head = (env->msg_head + 1) % ENV_MSGS;
	env->msg_count--;
	return 0;
}
