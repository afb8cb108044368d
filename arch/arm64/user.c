/*
 * EL0 on arm64: user contexts, routing of exceptions from EL0 (exokernel
 * calls, reflected svc #0, faults), and upcall delivery and return.
 */
#include "arch/arm64/esr.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/layout.h"
#include "arch/arm64/sysreg.h"
#include "exo/calls.h"
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/sched.h"
#include "exo/string.h"
#include "exo/uaccess.h"

#define SPSR_EL0T 0
#define SPSR_NZCV EXO_PSTATE_NZCV
#define CPACR_FPEN_ALL (3u << 20)
#define CNTKCTL_EL0VCTEN (1u << 1)

extern char empty_ttbr0_table[];

void copy_256(void *dst, const void *src);
_Static_assert(__builtin_offsetof(struct exo_regs, sp) == 31 * 8 && FRAME_SP == 31 * 8,
               "exo_regs and trap_frame both start with x0-x30, sp");

_Static_assert(EXO_EINVAL == 1, "vectors.S returns -1 for a misplaced svc #EXO_SVC_SYSRET");

/* The frame of the trap from EL0 being handled (the running environment's registers). */
static struct trap_frame *running_frame;

void arch_user_init(void)
{
	/* FP/SIMD for EL0 (the kernel itself is built without it); EL0 reads CNTVCT. */
	write_sysreg(cpacr_el1, CPACR_FPEN_ALL);
	write_sysreg(cntkctl_el1, CNTKCTL_EL0VCTEN);
	isb();
}

void arch_context_init(struct arch_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->frame.spsr = SPSR_EL0T;
}

void arch_context_save(struct arch_context *ctx, const struct trap_frame *frame)
{
	ctx->frame = *frame;
	fpsimd_save(&ctx->fp);
	ctx->tpidr = read_sysreg(tpidr_el0);
}

void arch_context_load(const struct arch_context *ctx, struct trap_frame *frame)
{
	*frame = ctx->frame;
	fpsimd_load(&ctx->fp);
	write_sysreg(tpidr_el0, ctx->tpidr);
}

static struct trap_frame *frame_of(const struct env *env)
{
	return env == curenv && running_frame ? running_frame : (struct trap_frame *)&env->ctx.frame;
}

void arch_regs_read(const struct env *env, struct exo_regs *regs)
{
	const struct trap_frame *frame = frame_of(env);
	memcpy(regs->x, frame->x, sizeof(regs->x));
	regs->sp = frame->sp;
	regs->pc = frame->elr;
	regs->pstate = frame->spsr & SPSR_NZCV;
	regs->tp = env == curenv && running_frame ? read_sysreg(tpidr_el0) : env->ctx.tpidr;
}

/* Only the condition flags come from user space: always EL0, interrupts on. */
void arch_regs_write(struct env *env, const struct exo_regs *regs)
{
	struct trap_frame *frame = frame_of(env);
	memcpy(frame->x, regs->x, sizeof(frame->x));
	frame->sp = regs->sp;
	frame->elr = regs->pc;
	frame->spsr = SPSR_EL0T | (regs->pstate & SPSR_NZCV);
	if (env == curenv && running_frame)
		write_sysreg(tpidr_el0, regs->tp);
	else
		env->ctx.tpidr = regs->tp;
}

void arch_set_call_result(struct trap_frame *frame, i64 value) { frame->x[0] = (u64)value; }

void arch_set_user_root(u64 root, u16 asid)
{
	u64 table = root ? root : virt_to_phys(empty_ttbr0_table).val;
	write_sysreg(ttbr0_el1, table | (u64)asid << TTBR_ASID_SHIFT);
	isb();
}

void arch_idle(void)
{
	irq_enable();
	wfi();
	irq_disable();
}

static const char *upcall_name(u64 kind)
{
	return kind == EXO_UPCALL_SYSCALL ? "svc #0" : kind == EXO_UPCALL_FAULT ? "page fault" :
	       kind == EXO_UPCALL_ALERT   ? "alert" : "exception";
}

/*
 * Hand an event to the environment's handler: the interrupted state goes on
 * its upcall stack (or below the handler's own stack when upcalls nest), and
 * it resumes at the handler with x0 pointing at that record.
 */
/* The address an event is about: the fault address for an abort, else the pc. */
static u64 event_address(u64 kind, const struct trap_frame *frame)
{
	return kind == EXO_UPCALL_FAULT ? frame->far : frame->elr;
}

static bool no_handler(struct env *env, u64 kind, const struct trap_frame *frame)
{
	char event[96];
	if (kind == EXO_UPCALL_ALERT)
		ksnprintf(event, sizeof(event), "no handler for alert 0x%lx", frame->far);
	else
		ksnprintf(event, sizeof(event), "no handler for %s (%s)", upcall_name(kind),
		          esr_class_name(esr_class(frame->esr)));
	env_kill(env, event, event_address(kind, frame), frame->elr);
	return false;
}

static bool kill_for(struct env *env, const char *why, u64 addr, u64 pc)
{
	env_kill(env, why, addr, pc);
	return false;
}

/*
 * FAR_EL1 is only set by aborts (and a misaligned pc); for anything else it
 * still holds an earlier fault's address, maybe another environment's.  An
 * alert carries its bits there.
 */
static u64 record_far(u64 kind, const struct trap_frame *frame)
{
	if (kind == EXO_UPCALL_FAULT || kind == EXO_UPCALL_ALERT)
		return frame->far;
	return kind == EXO_UPCALL_EXCEPTION && esr_class(frame->esr) == EC_PC_ALIGN ? frame->far : 0;
}

static void fill_record(struct exo_upcall *record, const struct env *env, u64 kind,
                        const struct trap_frame *frame)
{
	copy_256(&record->regs, frame); /* x0-x30 and sp, laid out alike */
	record->regs.pc = frame->elr;
	record->regs.pstate = frame->spsr & SPSR_NZCV;
	record->regs.tp = read_sysreg(tpidr_el0);
	record->kind = kind;
	record->esr = frame->esr;
	record->far = record_far(kind, frame);
	record->depth = env->upcall.depth + 1u;
}

/* true if delivered: the same environment goes on, nothing for the scheduler to decide. */
static bool upcall(struct env *env, u64 kind, struct trap_frame *frame)
{
	struct upcall_state *up = &env->upcall;
	u64 entry = kind == EXO_UPCALL_SYSCALL ? up->syscall_entry : up->fault_entry;
	if (!entry)
		return no_handler(env, kind, frame);
	/* vectors.S takes svc #0 the light way when no upcall is in progress; here one is. */
	if (kind == EXO_UPCALL_SYSCALL && up->light)
		return kill_for(env, "svc #0 inside an upcall handler (light system calls do not nest)",
		                frame->elr, frame->elr);
	if (kind != EXO_UPCALL_SYSCALL && up->faults)
		return kill_for(env, "fault inside its fault handler", event_address(kind, frame), frame->elr);
	if (up->depth >= UPCALL_MAX_DEPTH)
		return kill_for(env, "upcalls nested too deep", event_address(kind, frame), frame->elr);
	u64 top = up->depth ? frame->sp : up->stack;
	u64 sp = ALIGN_DOWN(top - sizeof(struct exo_upcall), 16);
	/* Written in place when the record sits in one page (nearly always), else copied. */
	struct exo_upcall staged, *record = user_page_ptr(sp, sizeof(staged), true);
	if (top < sizeof(struct exo_upcall))
		return kill_for(env, "upcall stack not writable", sp, frame->elr);
	fill_record(record ? record : &staged, env, kind, frame);
	if (!record && copy_to_user(sp, &staged, sizeof(staged)) < 0)
		return kill_for(env, "upcall stack not writable", sp, frame->elr);
	if (kind == EXO_UPCALL_FAULT || kind == EXO_UPCALL_EXCEPTION)
		up->faults |= (u8)(1u << up->depth);
	up->depth++;
	frame->x[0] = sp;
	frame->x[30] = 0;
	frame->sp = sp;
	frame->elr = entry;
	frame->spsr = SPSR_EL0T;
	return true;
}

/*
 * From the scheduler, about to resume env in frame: a pending alert becomes
 * an upcall once env is outside every handler (depth 0), so a handler is
 * never interrupted by one.  false if env was killed instead (no handler).
 */
bool arch_deliver_alert(struct env *env, struct trap_frame *frame)
{
	struct upcall_state *up = &env->upcall;
	if (!up->alert || up->depth || up->alerts_held)
		return true;
	frame->esr = up->alert_from; /* the record's esr and far carry them */
	frame->far = up->alert;
	up->alert = 0;
	up->alert_told = 0;
	return upcall(env, EXO_UPCALL_ALERT, frame);
}

/*
 * EXO_UPCALL_RETURN, from vectors.S: resume the state in the record
 * (registers the handler may have changed): 0, 1 if an alert is now due
 * (vectors.S then goes through user_reschedule), or an error for x0.  From a
 * light system-call handler it ends the light call, resuming the record
 * instead of the call's return point.
 */
i64 upcall_return(u64 record_uva, struct trap_frame *frame);
i64 upcall_return(u64 record_uva, struct trap_frame *frame)
{
	struct upcall_state *up = &curenv->upcall;
	struct exo_upcall staged;
	const struct exo_upcall *record = user_page_ptr(record_uva, sizeof(staged), false);
	if (up->depth == 0)
		return -E_INVAL;
	if (!record) {
		if (copy_from_user(&staged, record_uva, sizeof(staged)) < 0)
			return -E_FAULT;
		record = &staged;
	}
	up->depth--;
	up->faults &= (u8)~(1u << up->depth);
	if (up->depth == 0)
		up->light_active = 0;
	copy_256(frame, &record->regs);
	frame->elr = record->regs.pc;
	frame->spsr = SPSR_EL0T | (record->regs.pstate & SPSR_NZCV);
	write_sysreg(tpidr_el0, record->regs.tp);
	return up->depth == 0 && up->alert ? 1 : 0;
}

/* From vectors.S: the running environment's frame is whole; let the scheduler decide (an alert). */
void user_reschedule(struct trap_frame *frame);
void user_reschedule(struct trap_frame *frame)
{
	running_frame = frame;
	sched_return(frame);
	running_frame = NULL;
}

/* svc #EXO_SVC_SYSRET by the general path (an alert is pending): the same as vectors.S's. */
static void light_sysret(struct trap_frame *frame)
{
	struct upcall_state *up = &curenv->upcall;
	if (up->depth != 1 || !up->light_active) {
		frame->x[0] = (u64)-E_INVAL;
		return;
	}
	up->depth = up->light_active = 0;
	frame->elr = up->ret_pc;
	frame->sp = up->ret_sp;
	frame->spsr = up->ret_pstate;
}

static void exo_call_entry(struct trap_frame *frame)
{
	u64 number = frame->x[8];
	i64 result = exo_call(number, frame->x);
	if (result != CALL_NO_RESULT)
		frame->x[0] = (u64)result;
}

/* Returns true if the scheduler has nothing to decide (an upcall was delivered). */
static bool user_sync(struct trap_frame *frame)
{
	unsigned class = esr_class(frame->esr);
	if (class == EC_SVC64) {
		u64 imm = frame->esr & 0xffff;
		if (imm == EXO_SVC_CALL) {
			exo_call_entry(frame);
			return false;
		}
		if (imm == EXO_SVC_SYSRET) {
			light_sysret(frame);
			return false; /* the scheduler delivers the alert */
		}
		return upcall(curenv, imm == 0 ? EXO_UPCALL_SYSCALL : EXO_UPCALL_EXCEPTION, frame);
	}
	bool abort = class == EC_IABT_LOWER || class == EC_DABT_LOWER;
	return upcall(curenv, abort ? EXO_UPCALL_FAULT : EXO_UPCALL_EXCEPTION, frame);
}

/* From trap_dispatch: an exception taken from EL0. */
void user_trap(struct trap_frame *frame, u64 vector)
{
	running_frame = frame;
	/*
	 * A delivered upcall changes nothing the scheduler looks at (interrupts
	 * are masked here, so no tick came in): skip it on that hot path.
	 */
	bool same_env = false;
	if (vector == (VEC_EL0_64 | VEC_IRQ))
		gic_handle_irq();
	else if (vector == (VEC_EL0_64 | VEC_SYNC))
		same_env = user_sync(frame);
	else
		env_kill(curenv, "unexpected exception (FIQ, SError or AArch32)", frame->far, frame->elr);
	if (!same_env)
		sched_return(frame);
	running_frame = NULL;
}
