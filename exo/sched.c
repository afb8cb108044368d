/* Round-robin scheduling, blocking receives with deadlines, the idle loop (exo/sched.h). */
#include "exo/sched.h"
#include "exo/console.h"
#include "exo/errno.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include "exo/tlb.h"
#include "exo/uaccess.h"
#include "exo/upcall.h"

u64 sched_baseline_free;
static bool need_resched;
/* The environment whose registers the trap frame (and the FP registers) hold. */
static struct env *loaded;
static struct env *last_run; /* the round-robin position: the environment loaded last */
static u64 loaded_root = ~0ull;
static u16 loaded_asid;

void sched_tick(void)
{
	need_resched = true;
	u64 now = arch_counter();
	for (struct env *env = env_list; env; env = env->all_next) {
		if (env->status == EXO_ENV_BLOCKED && env->recv_deadline && now >= env->recv_deadline)
			env->status = EXO_ENV_RUNNABLE;
		if (env->alarm_at && now >= env->alarm_at) {
			env->alarm_at = 0; /* once: a periodic timer is the library's to set again */
			if (!env_ended(env))
				env_alert(env, env->alarm_bits, 0); /* from 0: the kernel's alarm */
		}
	}
}

void sched_yield(void) { need_resched = true; }

void sched_wake(struct env *env)
{
	if (env->status == EXO_ENV_BLOCKED)
		env->status = EXO_ENV_RUNNABLE;
}

void sched_remove(struct env *env)
{
	env->status = EXO_ENV_NOT_RUNNABLE;
	recv_forget(env); /* an ending environment waits for nothing: no wake may count it */
	if (env == loaded) {
		/* Its tables are about to be freed: stop translating through them now. */
		loaded = NULL;
		loaded_root = 0;
		arch_set_user_root(0, 0);
	}
}

void sched_block_recv(struct env *env, u64 event_uva, u64 deadline)
{
	recv_forget(env);
	env->status = EXO_ENV_BLOCKED;
	env->recv_pending = true;
	env->recv_uva = event_uva;
	env->recv_deadline = deadline;
}

void sched_forget(struct env *env)
{
	if (env == loaded) {
		loaded = NULL;
		loaded_root = ~0ull; /* reload TTBR0 whoever comes next */
	}
	if (env == last_run)
		last_run = NULL;
}

static bool alive(const struct env *env)
{
	return env && env->status != EXO_ENV_FREE && !env_ended(env);
}

/* Round robin: the first runnable environment after `after` in env_list, wrapping around. */
static struct env *pick_next(struct env *after)
{
	struct env *start = after && after->all_next ? after->all_next : env_list;
	for (struct env *env = start; env; env = env->all_next)
		if (env->status == EXO_ENV_RUNNABLE)
			return env;
	for (struct env *env = env_list; env && env != start; env = env->all_next)
		if (env->status == EXO_ENV_RUNNABLE)
			return env;
	return NULL;
}

static noreturn void all_ended(void)
{
	u64 free = frame_count(&kernel_frames, FRAME_FREE);
	bool frames_back = free == sched_baseline_free;
	kprintf("exo: all environments ended (first exited with status %ld)\n", first_env_status);
	kprintf("exo: frames: %lu free, %lu before the first environment: %s\n", free,
	        sched_baseline_free, frames_back ? "all returned" : "LEAKED");
	if (check_at_exit)
		kprintf("exo: isolation checks at %lu environment ends and root changes: %s\n", exit_checks,
		        exit_check_problems ? "PROBLEMS" : "all clean");
	bool clean = !check_at_exit || exit_check_problems == 0;
	machine_exit(frames_back && clean && first_env_status == 0 ? EXIT_OK : EXIT_TEST_FAILED);
}

/* Nothing runnable: release what ending environments left, else wait for an interrupt. */
static void idle(void)
{
	if (release_step(RELEASE_BUDGET)) {
		arch_irq_window(); /* a tick may have made someone runnable: look again */
		return;
	}
	if (env_count() == 0)
		all_ended();
	bool sleeper = false;
	for (struct env *env = env_list; env; env = env->all_next)
		sleeper |= (env->status == EXO_ENV_BLOCKED && (env->recv_deadline || console_may_wake(env))) ||
		           (env->alarm_at && !env_ended(env));
	if (!sleeper) {
		kprintf("exo: deadlock: %u environments, none runnable and none with a deadline\n",
		        env_count());
		static const char *const names[] = { "free", "not runnable", "runnable", "blocked", "zombie",
			                                     "husk", "ending" };
		for (struct env *env = env_list; env; env = env->all_next)
			kprintf("exo:   env %u (parent %u): %s%s\n", env->id, env->parent, names[env->status],
			        env->recv_pending ? ", in recv" : "");
		machine_exit(EXIT_TEST_FAILED);
	}
	arch_idle();
}

/* Finish a blocked EXO_RECV now that its environment runs (its tables are loaded). */
static bool complete_recv(struct env *env, struct trap_frame *frame)
{
	struct exo_event event;
	i64 result = 0;
	if (user_check_write(env->recv_uva, sizeof(event)) < 0)
		result = -E_FAULT;
	else if (env_take_event(env, &event, !env->recv_skip_orphans, env->recv_take_alerts) == 0)
		copy_to_user(env->recv_uva, &event, sizeof(event));
	else if (env->word_woken_by || env->word_gone) {
		/* Woken by someone (named), or the word's frame was freed (env 0). */
		event = (struct exo_event){ EXO_EVENT_WORD, env->word_woken_by, 0 };
		copy_to_user(env->recv_uva, &event, sizeof(event));
	} else if (env->recv_deadline && arch_counter() >= env->recv_deadline)
		result = -E_AGAIN;
	else {
		env->status = EXO_ENV_BLOCKED; /* woken for someone else's event */
		return false;
	}
	recv_forget(env);
	arch_set_call_result(frame, result);
	return true;
}

static void switch_to(struct env *next, struct trap_frame *frame)
{
	if (next != loaded) {
		if (alive(loaded))
			arch_context_save(&loaded->ctx, frame);
		arch_context_load(&next->ctx, frame);
		loaded = next;
		last_run = next;
	}
	u16 asid = next->root ? tlb_asid_for(pt_frame(next->root)) : 0;
	if (next->root != loaded_root || asid != loaded_asid) {
		arch_set_user_root(next->root, asid);
		loaded_root = next->root;
		loaded_asid = asid;
	}
}

void sched_return(struct trap_frame *frame)
{
	/* The common case: the same environment goes on, nothing changed. */
	if (loaded && loaded == curenv && loaded->status == EXO_ENV_RUNNABLE &&
	    !need_resched && !loaded->recv_pending && loaded->root == loaded_root && !loaded->upcall.alert)
		return;
	for (;;) {
		struct env *current = alive(loaded) ? loaded : NULL;
		if (!(current && current->status == EXO_ENV_RUNNABLE && !need_resched)) {
			/*
			 * Each turn of the scheduler gives ending environments' releases
			 * half a tick (in steps, interrupts taken between them).
			 */
			if (need_resched)
				release_for(ns_to_counter(RELEASE_SLICE_NS));
			need_resched = false;
			struct env *next = pick_next(current ? current : last_run);
			if (!next) {
				idle();
				continue;
			}
			switch_to(next, frame);
		} else if (current->root != loaded_root) {
			switch_to(current, frame); /* it changed its own root */
		}
		curenv = loaded;
		if (curenv->recv_pending && !complete_recv(curenv, frame))
			continue;
		if (upcall_deliver_alert(curenv, frame))
			return; /* else it was killed (no handler): someone else runs */
	}
}

noreturn void sched_start(void)
{
	static struct trap_frame first;
	sched_return(&first);
	user_enter(&first);
}
