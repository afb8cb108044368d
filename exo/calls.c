/*
 * The exokernel calls.  Each function decodes its arguments, checks all of
 * them, and only then changes anything (doc/exo-abi.md lists the rules).
 * User addresses stay integers; only exo/uaccess.h touches them.
 */
#include "exo/calls.h"
#include "exo/calls_fast.h"
#include "exo/console.h"
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt.h"
#include "exo/sched.h"
#include "exo/tlb.h"
#include "exo/uaccess.h"
#include "exo/why.h"

#define BATCH_MAX EXO_PT_ENTRIES
#define CONSOLE_CHUNK 256
#define CONSOLE_MAX 4096

/* One call at a time (single CPU, no preemption in the kernel): one batch buffer. */
static u64 batch[BATCH_MAX];

static i64 call_null(const u64 *a) { (void)a; return 0; }
/* a[0]: EXO_SELF_ID, _PARENT, _NOTICE_TO, or _ORPHANS with a[1] 0 or an id (exo/abi.h). */
static i64 call_self(const u64 *a)
{
	switch (a[0]) {
	case EXO_SELF_ID:
		return curenv->id;
	case EXO_SELF_PARENT:
		return curenv->parent;
	case EXO_SELF_NOTICE_TO:
		return env_notice_to_id(curenv);
	case EXO_SELF_ORPHANS:
		return curenv->parent ? 0 : a[1] ? orphan_is_adopted(a[1]) : (i64)orphan_count();
	}
	return -E_INVAL;
}

static i64 call_cons_write(const u64 *a)
{
	u64 len = MIN(a[1], (u64)CONSOLE_MAX);
	char chunk[CONSOLE_CHUNK];
	for (u64 done = 0; done < len; done += CONSOLE_CHUNK) {
		u64 n = MIN(len - done, (u64)CONSOLE_CHUNK);
		if (copy_from_user(chunk, a[0] + done, n) < 0)
			return done ? (i64)done : -E_FAULT;
		console_write(chunk, n);
	}
	return (i64)len;
}

static i64 call_cons_read(const u64 *a)
{
	char chunk[CONSOLE_CHUNK];
	u64 want = MIN(a[1], (u64)CONSOLE_CHUNK);
	if (user_check_write(a[0], want) < 0)
		return -E_FAULT;
	u64 got = console_read(chunk, want);
	copy_to_user(a[0], chunk, got);
	return (i64)got;
}

static i64 call_clock(const u64 *a)
{
	(void)a;
	return (i64)counter_to_ns(arch_counter_since_reset());
}

static i64 call_yield(const u64 *a)
{
	(void)a;
	sched_yield();
	return 0;
}

static i64 call_env_create(const u64 *a)
{
	struct env *child;
	if (a[1] & ~(u64)EXO_ENV_DRAWS)
		return why(-E_INVAL, EXO_RULE_FLAGS, 1, WHY_NONE);
	int err = env_create_flags(curenv, a[0], (u32)a[1], &child);
	return err ? (i64)err : (i64)child->id;
}

/*
 * The root, and with a[2] also the registers, in one step: an environment
 * replacing its own image (exec) switches address space and program
 * counter at once, and starts afresh (no upcall in progress).
 */
static i64 call_env_set_root(const u64 *a)
{
	struct env *env;
	struct exo_regs regs;
	int err = env_target(curenv, a[0], &env);
	if (!err)
		err = pt_check_root(curenv, a[1]);
	if (!err && a[2])
		err = copy_from_user(&regs, a[2], sizeof(regs));
	if (err)
		return err;
	pt_set_root(env, a[1]);
	husk_collect(); /* the old root may have been a husk's last reference */
	env_check_event(env->id, "changed its root");
	if (!a[2])
		return 0;
	arch_regs_write(env, &regs);
	/*
	 * A new image: its upcalls are its own to set, and alerts wait until it
	 * has (pending ones stay pending), rather than reach the old handlers.
	 */
	upcall_forget(env);
	env->upcall.fault_entry = env->upcall.syscall_entry = env->upcall.stack = 0;
	env->upcall.light = env->upcall.light_faults = 0;
	env->upcall.alerts_held = 1;
	if (env->recv_pending) {
		recv_forget(env);
		sched_wake(env);
	}
	return env == curenv ? CALL_NO_RESULT : 0;
}

static i64 call_env_set_regs(const u64 *a)
{
	struct env *env;
	struct exo_regs regs;
	int err = env_target(curenv, a[0], &env);
	if (!err && env == curenv)
		err = -E_INVAL; /* its own registers change with EXO_UPCALL_RETURN */
	if (!err)
		err = copy_from_user(&regs, a[1], sizeof(regs));
	if (err)
		return err;
	arch_regs_write(env, &regs);
	/* New registers, new story: upcalls in progress and a receive it was blocked in are abandoned. */
	upcall_forget(env);
	if (env->recv_pending) {
		recv_forget(env);
		sched_wake(env);
	}
	return 0;
}

static i64 call_env_get_regs(const u64 *a)
{
	struct env *env;
	struct exo_regs regs;
	int err = env_target(curenv, a[0], &env);
	if (!err)
		err = user_check_write(a[1], sizeof(regs));
	if (err)
		return err;
	arch_regs_read(env, &regs);
	return copy_to_user(a[1], &regs, sizeof(regs));
}

static i64 call_env_set_upcalls(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (err)
		return err;
	if (a[1] >= EXO_USER_VA_END || a[2] >= EXO_USER_VA_END || a[3] > EXO_USER_VA_END)
		return -E_RANGE;
	if ((a[4] & ~(u64)(EXO_UPCALL_LIGHT | EXO_UPCALL_HOLD_ALERTS | EXO_UPCALL_LIGHT_FAULTS | EXO_UPCALL_OPEN_ALERTS)) ||
	    ((a[4] & EXO_UPCALL_LIGHT) && !a[2]) || ((a[4] & EXO_UPCALL_LIGHT_FAULTS) && !a[1]))
		return -E_INVAL; /* an unknown flag, or the light way into no handler */
	env->upcall.fault_entry = a[1];
	env->upcall.syscall_entry = a[2];
	env->upcall.stack = a[3];
	env->upcall.light = (u8)(a[4] & EXO_UPCALL_LIGHT);
	env->upcall.light_faults = (a[4] & EXO_UPCALL_LIGHT_FAULTS) != 0;
	env->upcall.alerts_held = (a[4] & EXO_UPCALL_HOLD_ALERTS) != 0;
	env->upcall.alerts_open = (a[4] & EXO_UPCALL_OPEN_ALERTS) != 0;
	return 0;
}

/*
 * Where the light system call or light fault being handled came from: sp,
 * pc and pstate are written, and for a light fault x0 and x1 too.
 */
static i64 call_syscall_origin(const u64 *a)
{
	const struct upcall_state *up = &curenv->upcall;
	u64 origin[3] = { up->ret_sp, up->ret_pc, up->ret_pstate & EXO_PSTATE_NZCV };
	u64 x01[2] = { up->fault_x0, up->fault_x1 };
	if (!up->light_active)
		return -E_INVAL;
	if (a[0] >= EXO_USER_VA_END)
		return -E_FAULT;
	bool fault = up->light_active == UPCALL_LIGHT_FAULT;
	u64 at_sp = a[0] + __builtin_offsetof(struct exo_regs, sp);
	/* Mostly each part lies in one page: one translation each, written in place (a signal's path). */
	u64 *out = user_page_ptr(at_sp, sizeof(origin), true), *out01 = fault ? user_page_ptr(a[0], sizeof(x01), true) : NULL;
	if (out && (!fault || out01)) {
		out[0] = origin[0], out[1] = origin[1], out[2] = origin[2];
		if (fault)
			out01[0] = x01[0], out01[1] = x01[1];
		return 0;
	}
	if (user_check_write(at_sp, sizeof(origin)) < 0 || (fault && user_check_write(a[0], sizeof(x01)) < 0))
		return -E_FAULT; /* nothing written */
	if (fault)
		copy_to_user(a[0], x01, sizeof(x01));
	return copy_to_user(at_sp, origin, sizeof(origin));
}

/* Bits for env's alert upcall, delivered when it runs outside every handler; a receive learns at once. */
static i64 call_env_alert(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (err == -E_PERM && (env = env_lookup(a[0])) && env->upcall.alerts_open)
		err = 0; /* it accepts alerts from anyone (EXO_UPCALL_OPEN_ALERTS) */
	if (err)
		return err;
	if (a[1] == 0)
		return -E_INVAL;
	env_alert(env, a[1], curenv->id);
	return 0;
}

/*
 * An alarm: the caller is alerted (by env 0) with bits once ns have passed,
 * at the first tick at or after the deadline.  One per environment; a new
 * one replaces it, ns 0 cancels it.  The result is what was left of the
 * one before (0 if none), as alarm() and setitimer() report it.
 */
static i64 call_alarm(const u64 *a)
{
	if (a[0] && a[1] == 0)
		return why(-E_INVAL, EXO_RULE_FLAGS, 1, WHY_NONE); /* an alarm that would alert with nothing */
	u64 now = arch_counter(), left = 0;
	if (curenv->alarm_at > now)
		left = counter_to_ns(curenv->alarm_at - now);
	curenv->alarm_at = a[0] ? now + ns_to_counter(a[0]) : 0;
	curenv->alarm_bits = a[0] ? a[1] : 0;
	return (i64)left;
}

/*
 * Console input as an event: the caller becomes the one environment told
 * (EXO_EVENT_INPUT) when bytes are typed; 0 stops it listening.  Any
 * environment may take the console's input, as any may read it.
 */
static i64 call_cons_listen(const u64 *a)
{
	if (a[0] > 1)
		return why(-E_INVAL, EXO_RULE_FLAGS, 0, WHY_NONE);
	int err = console_listen(curenv, a[0] == 1);
	return err ? why(err, EXO_RULE_NONE, 0, WHY_NONE) : 0;
}

/* Alert bits env's notice receiver gets as env ends (a Linux exit signal). */
static i64 call_env_set_exit_alert(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (err)
		return err;
	/*
	 * Only for a descendant: the alert goes to its notice receiver, which
	 * an environment must not be able to alert on its own (or through a
	 * thread) past EXO_ENV_ALERT's rules.
	 */
	if (env_relation(curenv, env) != REL_DESCENDANT)
		return why(-E_PERM, EXO_RULE_ENV, 0, WHY_NONE);
	env->exit_alert = a[1];
	env->exit_alert_by = curenv->id;
	return 0;
}

static i64 call_env_run(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (err)
		return err;
	if (!env->root)
		return -E_INVAL; /* nothing to run in */
	if (env->status == EXO_ENV_NOT_RUNNABLE)
		env->status = EXO_ENV_RUNNABLE;
	return 0;
}

static i64 call_env_destroy(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (err)
		return err;
	bool self = env == curenv;
	/* Who would receive the exit notice has its answer by destroying; anyone else's gets a notice. */
	env_destroy(env, -1, env_notice_to(env) == curenv);
	return self ? CALL_NO_RESULT : 0;
}

static i64 call_env_exit(const u64 *a)
{
	env_destroy(curenv, (i64)a[0], false);
	return CALL_NO_RESULT;
}

static i64 call_env_info(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (!err)
		err = user_check_write(a[1], sizeof(struct exo_env_info));
	if (err)
		return err;
	struct exo_env_info info = {
		.id = env->id, .parent = env->parent, .status = env->status, .root = env->root,
		.quota = env->quota, .used = env->used,
		.asid = env->root ? tlb_current_asid(pt_frame(env->root)) : 0,
		.notice_to = env_notice_to_id(env),
	};
	return copy_to_user(a[1], &info, sizeof(info));
}

static i64 call_quota_give(const u64 *a)
{
	struct env *env;
	int err = env_target(curenv, a[0], &env);
	if (!err && env == curenv)
		err = -E_INVAL;
	if (!err && a[1] > env_spare(curenv))
		err = why(-E_QUOTA, EXO_RULE_QUOTA, 1, WHY_NONE);
	if (err)
		return err;
	curenv->quota -= a[1];
	env->quota += a[1];
	return 0;
}

/* Spare quota back from a held descendant (never from oneself, an ancestor or by the thread rule). */
static i64 call_quota_take(const u64 *a)
{
	struct env *env = env_lookup(a[0]);
	if (!env || env_ended(env))
		return why(-E_NOENT, EXO_RULE_ENV, 0, WHY_NONE);
	if (env == curenv || !env_holds(curenv, env))
		return why(env == curenv ? -E_INVAL : -E_PERM, EXO_RULE_ENV, 0, WHY_NONE);
	if (a[1] > env_spare(env))
		return why(-E_QUOTA, EXO_RULE_QUOTA, 1, WHY_NONE);
	env->quota -= a[1];
	curenv->quota += a[1];
	return 0;
}

/* Messages go up to the parent, down to descendants, or within an address space. */
static i64 call_send(const u64 *a)
{
	struct env *to = env_lookup(a[0]);
	if (!to || env_ended(to))
		return -E_NOENT;
	bool allowed = to->id == curenv->parent || env_can_act(curenv, to) ||
	               (to->root && to->root == curenv->root);
	return allowed ? env_send(curenv, to, a[1]) : -E_PERM;
}

/* The 32-bit word at uva, readable by the caller, through the kernel's map (its identity for EXO_WAKE). */
static int word_at(u64 uva, const volatile u32 **out)
{
	if (uva & 3)
		return -E_INVAL;
	*out = user_page_ptr(uva, sizeof(u32), false);
	return *out ? 0 : -E_FAULT;
}

static i64 call_recv(const u64 *a)
{
	struct exo_event event;
	const volatile u32 *word = NULL;
	if (a[1] & ~(u64)(EXO_RECV_NOWAIT | EXO_RECV_WORD | EXO_RECV_SKIP_ORPHANS | EXO_RECV_TAKE_ALERTS))
		return -E_INVAL;
	bool orphans = !(a[1] & EXO_RECV_SKIP_ORPHANS);
	if (user_check_write(a[0], sizeof(event)) < 0)
		return -E_FAULT;
	int err = (a[1] & EXO_RECV_WORD) ? word_at(a[3], &word) : 0;
	if (err)
		return err;
	bool take_alerts = (a[1] & EXO_RECV_TAKE_ALERTS) != 0;
	if (env_take_event(curenv, &event, orphans, take_alerts) == 0)
		return copy_to_user(a[0], &event, sizeof(event));
	if (word && *word != (u32)a[4]) {
		event = (struct exo_event){ EXO_EVENT_WORD, 0, *word }; /* it changed already: no wait */
		return copy_to_user(a[0], &event, sizeof(event));
	}
	if (a[1] & EXO_RECV_NOWAIT)
		return -E_AGAIN;
	u64 deadline = a[2] ? arch_counter() + ns_to_counter(a[2]) : 0;
	sched_block_recv(curenv, a[0], deadline);
	curenv->recv_skip_orphans = !orphans;
	curenv->recv_take_alerts = take_alerts; /* for when it is woken (exo/sched.c) */
	if (word)
		wait_word_begin(curenv, (u64)word);
	return CALL_NO_RESULT;
}

/* Wake up to count receivers waiting on the word (any environment that can read it may). */
static i64 call_wake(const u64 *a)
{
	const volatile u32 *word;
	int err = word_at(a[0], &word);
	if (err)
		return err;
	return (i64)wait_word_wake((u64)word, a[1], curenv->id);
}

/*
 * The children of env, one at a time, whatever state they are in: how a
 * parent finds what an ended child left it (reparented grandchildren) and
 * what a husk still holds.  env may have ended; the caller must hold it.
 */
static i64 call_env_child(const u64 *a)
{
	struct env *parent = env_lookup(a[0]);
	if (!parent)
		return why(-E_NOENT, EXO_RULE_ENV, 0, WHY_NONE);
	if (!env_holds(curenv, parent))
		return why(-E_PERM, EXO_RULE_ENV, 0, WHY_NONE);
	struct env *child = parent->child_head;
	if (a[1]) {
		struct env *after = env_lookup(a[1]);
		if (!after || after->parent != parent->id)
			return why(-E_INVAL, EXO_RULE_ENV, 1, WHY_NONE); /* not one of its children (any more) */
		child = after->sibling_next;
	}
	return child ? child->id : 0;
}

/* Why the caller's last failed call failed (a failed EXO_WHY is remembered like any other). */
static i64 call_why(const u64 *a)
{
	struct exo_why kept = curenv->why;
	return copy_to_user(a[0], &kept, sizeof(kept)) < 0 ? -E_FAULT : 0;
}

static i64 call_frame_alloc(const u64 *a)
{
	struct env *owner;
	int err = env_target(curenv, a[0], &owner);
	if (!err && (a[1] == 0 || a[1] > BATCH_MAX))
		err = why(-E_RANGE, EXO_RULE_RANGE, 1, WHY_NONE);
	if (!err && user_check_write(a[2], a[1] * sizeof(u64)) < 0)
		err = why(-E_FAULT, EXO_RULE_BUFFER, 2, WHY_NONE);
	if (!err)
		err = frames_alloc(owner, a[1], (paddr_t *)batch);
	if (err)
		return err;
	copy_to_user(a[2], batch, a[1] * sizeof(u64)); /* checked writable above */
	return (i64)a[1];
}

static i64 call_frame_free(const u64 *a)
{
	u64 count = a[1] & ~EXO_FREE_WHEN_UNUSED; /* the flag: a frame in use goes when its last reference does */
	if (count == 0 || count > BATCH_MAX)
		return why(-E_RANGE, EXO_RULE_RANGE, 1, WHY_NONE);
	if (copy_from_user(batch, a[0], count * sizeof(u64)) < 0)
		return why(-E_FAULT, EXO_RULE_BUFFER, 0, WHY_NONE);
	return frames_free(curenv, batch, a[1]);
}

static i64 call_frame_share(const u64 *a) { return frame_share(curenv, a[0], a[1]); }

static i64 call_pt_alloc(const u64 *a)
{
	struct env *owner;
	paddr_t table;
	int err = env_target(curenv, a[0], &owner);
	if (!err)
		err = pt_alloc(owner, a[1], &table);
	return err ? err : (i64)table.val;
}

static i64 call_pt_write(const u64 *a)
{
	if (a[2] > BATCH_MAX)
		return why(-E_RANGE, EXO_RULE_RANGE, 2, WHY_NONE);
	if (copy_from_user(batch, a[3], a[2] * sizeof(u64)) < 0)
		return why(-E_FAULT, EXO_RULE_BUFFER, 3, WHY_NONE);
	return pt_write(curenv, a[0], a[1], a[2], batch);
}

static i64 call_pt_copy(const u64 *a)
{
	return pt_copy(curenv, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}

static i64 call_pt_cow(const u64 *a) { return pt_cow(curenv, a[0], a[1], a[2]); }
static i64 call_frame_maps(const u64 *a) { return frame_maps(curenv, a[0]); }
static i64 call_pt_map_new(const u64 *a) { return pt_map_new(curenv, a[0], a[1], a[2], a[3], a[4]); }
static i64 call_pt_copy_tables(const u64 *a) { return pt_copy_tables(curenv, a[0], a[1], a[2], a[3], a[4], a[5]); }

static i64 call_debug_check(const u64 *a)
{
	struct exo_check check;
	if (!debug_check_open)
		return why(-E_PERM, EXO_RULE_DEBUG, WHY_NONE, WHY_NONE); /* it walks all of RAM: not for everyone */
	if (user_check_write(a[0], sizeof(check)) < 0)
		return -E_FAULT;
	u64 problems = pt_check_all(&check);
	copy_to_user(a[0], &check, sizeof(check));
	return problems ? -E_CORRUPT : 0;
}

static i64 (*const calls[EXO_NCALLS])(const u64 *) = {
	[EXO_NULL] = call_null,
	[EXO_SELF] = call_self,
	[EXO_CONS_WRITE] = call_cons_write,
	[EXO_CONS_READ] = call_cons_read,
	[EXO_CLOCK] = call_clock,
	[EXO_YIELD] = call_yield,
	[EXO_ENV_CREATE] = call_env_create,
	[EXO_ENV_SET_ROOT] = call_env_set_root,
	[EXO_ENV_SET_REGS] = call_env_set_regs,
	[EXO_ENV_GET_REGS] = call_env_get_regs,
	[EXO_ENV_SET_UPCALLS] = call_env_set_upcalls,
	[EXO_ENV_RUN] = call_env_run,
	[EXO_ENV_DESTROY] = call_env_destroy,
	[EXO_ENV_EXIT] = call_env_exit,
	[EXO_ENV_INFO] = call_env_info,
	[EXO_QUOTA_GIVE] = call_quota_give,
	[EXO_SEND] = call_send,
	[EXO_RECV] = call_recv,
	[EXO_FRAME_ALLOC] = call_frame_alloc,
	[EXO_FRAME_FREE] = call_frame_free,
	[EXO_FRAME_SHARE] = call_frame_share,
	[EXO_PT_ALLOC] = call_pt_alloc,
	[EXO_PT_WRITE] = call_pt_write,
	[EXO_PT_COPY] = call_pt_copy,
	[EXO_DEBUG_CHECK] = call_debug_check,
	[EXO_SYSCALL_ORIGIN] = call_syscall_origin,
	[EXO_ENV_ALERT] = call_env_alert,
	[EXO_WAKE] = call_wake,
	[EXO_ENV_CHILD] = call_env_child,
	[EXO_WHY] = call_why,
	[EXO_PT_COW] = call_pt_cow,
	[EXO_FRAME_MAPS] = call_frame_maps,
	[EXO_PT_MAP_NEW] = call_pt_map_new,
	[EXO_QUOTA_TAKE] = call_quota_take,
	[EXO_PT_COPY_TABLES] = call_pt_copy_tables,
	[EXO_ENV_SET_EXIT_ALERT] = call_env_set_exit_alert,
	[EXO_ALARM] = call_alarm,
	[EXO_CONS_LISTEN] = call_cons_listen,
};

_Static_assert(EXO_NCALLS <= 64, "vectors.S tests fast calls in a 64-bit mask");
_Static_assert(!(EXO_FAST_CALLS & (FAST(EXO_YIELD) | FAST(EXO_ENV_SET_ROOT) | FAST(EXO_ENV_SET_REGS) |
                                   FAST(EXO_ENV_GET_REGS) | FAST(EXO_ENV_DESTROY) |
                                   FAST(EXO_ENV_EXIT) | FAST(EXO_RECV) | FAST(EXO_UPCALL_RETURN))),
               "calls that switch or touch the caller's registers take the full path");

i64 exo_call(u64 number, const u64 *args)
{
	why_begin(); /* first: even an unknown number fails with nothing said (no earlier call's why) */
	if (number >= EXO_NCALLS || !calls[number])
		return -E_NOSYS;
	return calls[number](args); /* the caller keeps why it failed (why_failed) */
}
