/*
 * EL0 on arm64: user contexts, routing of exceptions from EL0 (exokernel
 * calls, reflected svc #0, faults), and the registers and records of
 * upcalls (their policy is exo/upcall.c's).
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
#include "exo/upcall.h"
#include "exo/why.h"

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

void arch_context_init(struct arch_context *ctx) { ctx->frame.spsr = SPSR_EL0T; }

/*
 * A register frame copied in pairs, unrolled: every context switch copies
 * one or two, and the general memcpy's loops and tails cost twice as much.
 */
static inline void copy_frame(struct trap_frame *to, const struct trap_frame *from)
{
	_Static_assert(sizeof(struct trap_frame) % 16 == 0, "pairs");
	u64 *out = (u64 *)to;
	const u64 *in = (const u64 *)from;
#pragma clang loop unroll(full)
	for (u32 i = 0; i < sizeof(struct trap_frame) / 8; i += 2) {
		u64 a = in[i], b = in[i + 1];
		out[i] = a;
		out[i + 1] = b;
	}
}

void arch_context_save(struct arch_context *ctx, const struct trap_frame *frame)
{
	copy_frame(&ctx->frame, frame);
	fpsimd_save(&ctx->fp);
	ctx->tpidr = read_sysreg(tpidr_el0);
}

void arch_context_load(const struct arch_context *ctx, struct trap_frame *frame)
{
	copy_frame(frame, &ctx->frame);
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

void arch_irq_window(void)
{
	irq_enable();
	isb();
	irq_disable();
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


u64 arch_event_address(u64 kind, const struct trap_frame *frame)
{
	return kind == EXO_UPCALL_FAULT ? frame->far : frame->elr;
}

void arch_describe_event(u64 kind, const struct trap_frame *frame, char *buf, u64 size)
{
	if (kind == EXO_UPCALL_ALERT)
		ksnprintf(buf, size, "alert 0x%lx", frame->far);
	else
		ksnprintf(buf, size, "%s (%s)", upcall_name(kind), esr_class_name(esr_class(frame->esr)));
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

static void fill_record(struct exo_upcall *record, u64 kind, const struct trap_frame *frame, u32 depth)
{
	copy_256(&record->regs, frame); /* x0-x30 and sp, laid out alike */
	record->regs.pc = frame->elr;
	record->regs.pstate = frame->spsr & SPSR_NZCV;
	record->regs.tp = read_sysreg(tpidr_el0);
	record->kind = kind;
	record->esr = frame->esr;
	record->far = record_far(kind, frame);
	record->depth = depth;
}

bool arch_upcall_push(const struct env *env, u64 kind, const struct trap_frame *frame, u64 top, u32 depth,
                      u64 *sp)
{
	(void)env;
	*sp = ALIGN_DOWN(top - sizeof(struct exo_upcall), 16);
	if (top < sizeof(struct exo_upcall))
		return false;
	/* Written in place when the record sits in one page (nearly always), else copied. */
	struct exo_upcall staged, *record = user_page_ptr(*sp, sizeof(staged), true);
	fill_record(record ? record : &staged, kind, frame, depth);
	return record || copy_to_user(*sp, &staged, sizeof(staged)) == 0;
}

int arch_upcall_load(struct trap_frame *frame, u64 record_uva)
{
	struct exo_upcall staged;
	const struct exo_upcall *record = user_page_ptr(record_uva, sizeof(staged), false);
	if (!record) {
		if (copy_from_user(&staged, record_uva, sizeof(staged)) < 0)
			return -E_FAULT;
		record = &staged;
	}
	copy_256(frame, &record->regs);
	arch_frame_resume(frame, record->regs.pc, record->regs.sp, record->regs.pstate);
	write_sysreg(tpidr_el0, record->regs.tp);
	return 0;
}

/* From vectors.S: the running environment's frame is whole; let the scheduler decide (an alert). */
void user_reschedule(struct trap_frame *frame);
void user_reschedule(struct trap_frame *frame)
{
	running_frame = frame;
	sched_return(frame);
	running_frame = NULL;
}

static void exo_call_entry(struct trap_frame *frame)
{
	u64 number = frame->x[8];
	i64 result = exo_call(number, frame->x);
	if (result < 0)
		why_failed(result, number);
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
			upcall_light_return(frame);
			return false; /* the scheduler delivers the alert */
		}
		return upcall_deliver(curenv, imm == 0 ? EXO_UPCALL_SYSCALL : EXO_UPCALL_EXCEPTION, frame);
	}
	bool abort = class == EC_IABT_LOWER || class == EC_DABT_LOWER;
	return upcall_deliver(curenv, abort ? EXO_UPCALL_FAULT : EXO_UPCALL_EXCEPTION, frame);
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
