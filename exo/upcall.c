/*
 * Upcall policy: which handler an event goes to, how deep upcalls nest,
 * what kills an environment instead, when alerts are delivered, and how an
 * upcall or a light system call ends (doc/exo-abi.md section 5).  The
 * architecture writes and reads the records and moves the registers
 * (exo/upcall.h's arch_upcall_* contract).
 */
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/printk.h"
#include "exo/upcall.h"

static bool kill_for(struct env *env, const char *why, const struct trap_frame *frame, u64 kind)
{
	env_kill(env, why, arch_event_address(kind, frame), arch_frame_pc(frame));
	return false;
}

static bool no_handler(struct env *env, u64 kind, const struct trap_frame *frame)
{
	char event[96];
	arch_describe_event(kind, frame, event, sizeof(event));
	char why[112];
	ksnprintf(why, sizeof(why), "no handler for %s", event);
	return kill_for(env, why, frame, kind);
}

bool upcall_deliver(struct env *env, u64 kind, struct trap_frame *frame)
{
	struct upcall_state *up = &env->upcall;
	u64 entry = kind == EXO_UPCALL_SYSCALL ? up->syscall_entry : up->fault_entry;
	if (!entry)
		return no_handler(env, kind, frame);
	/* The fast path takes svc #0 the light way when no upcall is in progress; here one is. */
	if (kind == EXO_UPCALL_SYSCALL && up->light)
		return kill_for(env, "svc #0 inside an upcall handler (light system calls do not nest)", frame,
		                EXO_UPCALL_EXCEPTION);
	if (kind != EXO_UPCALL_SYSCALL && up->faults)
		return kill_for(env, "fault inside its fault handler", frame, kind);
	if (up->depth >= UPCALL_MAX_DEPTH)
		return kill_for(env, "upcalls nested too deep", frame, kind);
	/* The first upcall starts at the upcall stack's top; nested ones below the handler's sp. */
	u64 top = up->depth ? arch_frame_sp(frame) : up->stack;
	u64 sp;
	if (!arch_upcall_push(env, kind, frame, top, up->depth + 1u, &sp)) {
		env_kill(env, "upcall stack not writable", sp, arch_frame_pc(frame));
		return false;
	}
	if (kind == EXO_UPCALL_FAULT || kind == EXO_UPCALL_EXCEPTION)
		up->faults |= (u8)(1u << up->depth);
	up->depth++;
	arch_upcall_enter(frame, entry, sp);
	return true;
}

bool upcall_deliver_alert(struct env *env, struct trap_frame *frame)
{
	struct upcall_state *up = &env->upcall;
	if (!up->alert || up->depth || up->alerts_held)
		return true;
	arch_frame_set_alert(frame, up->alert_from, up->alert);
	up->alert = 0;
	up->alert_told = 0;
	return upcall_deliver(env, EXO_UPCALL_ALERT, frame);
}

i64 upcall_return(u64 record_uva, struct trap_frame *frame)
{
	struct upcall_state *up = &curenv->upcall;
	if (up->depth == 0)
		return -E_INVAL;
	int err = arch_upcall_load(frame, record_uva);
	if (err)
		return err;
	up->depth--;
	up->faults &= (u8)~(1u << up->depth);
	if (up->depth == 0)
		up->light_active = 0;
	return up->depth == 0 && up->alert ? 1 : 0;
}

void upcall_light_return(struct trap_frame *frame)
{
	struct upcall_state *up = &curenv->upcall;
	if (up->depth != 1 || !up->light_active) {
		arch_set_call_result(frame, -E_INVAL);
		return;
	}
	if (up->light_active == UPCALL_LIGHT_FAULT) {
		/* A light fault: the interrupted code gets its x0 and x1 back, and is no longer in a fault. */
		arch_frame_set_x01(frame, up->fault_x0, up->fault_x1);
		up->faults = 0;
	}
	up->depth = up->light_active = 0;
	arch_frame_resume(frame, up->ret_pc, up->ret_sp, up->ret_pstate);
}
