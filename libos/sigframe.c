/*
 * Linux's arm64 signal frame (struct rt_sigframe: a siginfo_t, then a
 * ucontext_t whose mcontext holds x0-x30, sp, pc, pstate and, in its
 * reserved area, the FP/SIMD record), built on the program's stack (or its
 * alternate stack) exactly where Linux would, so that unmodified programs
 * read it: musl's pthread_cancel moves uc_mcontext.pc, debuggers walk the
 * frame record above it.  rt_sigreturn reads it back.
 */
#include "libos/signal.h"
#include "libos/fork/fork.h"
#include <string.h>

#define FPSIMD_MAGIC 0x46508001u
#define ESR_MAGIC 0x45535201u
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)

struct siginfo_l {
	i32 signo, errno_, code, pad;
	union {
		struct {
			u32 pid, uid;
			u64 value;
		} kill;
		struct {
			u32 pid, uid;
			i32 status, pad;
		} child;
		u64 addr;
		u8 bytes[112];
	};
};
_Static_assert(sizeof(struct siginfo_l) == 128, "siginfo_t");

struct fpsimd_context_l {
	u32 magic, size;
	u32 fpsr, fpcr;
	u64 vregs[64];
};
_Static_assert(sizeof(struct fpsimd_context_l) == 528, "struct fpsimd_context");

struct esr_context_l {
	u32 magic, size;
	u64 esr;
};

struct sigcontext_l {
	u64 fault_address;
	u64 regs[31];
	u64 sp, pc, pstate;
	u8 reserved[4096] __attribute__((aligned(16)));
};

struct ucontext_l {
	u64 flags, link;
	u64 stack_sp;
	i32 stack_flags, stack_pad;
	u64 stack_size;
	u64 sigmask;
	u8 unused[128 - 8];
	struct sigcontext_l mcontext;
};
_Static_assert(__builtin_offsetof(struct ucontext_l, mcontext) == 176, "uc_mcontext");
_Static_assert(__builtin_offsetof(struct ucontext_l, mcontext.reserved) == 464, "__reserved");

struct rt_sigframe_l {
	struct siginfo_l info;
	struct ucontext_l uc;
};

struct frame_record {
	u64 fp, lr;
};

/* Written in place, a word at a time (out is 8-byte aligned: a frame, or a caller's siginfo_t). */
void sig_fill_info(void *out, u32 sig, const struct sig_origin *from)
{
	struct siginfo_l *info = out;
	u64 *words = out;
	for (u32 i = 0; i < sizeof(*info) / 8; i++)
		words[i] = 0;
	info->signo = (i32)sig;
	info->code = from->code;
	bool fault = (sig == L_SIGSEGV || sig == L_SIGBUS || sig == L_SIGILL || sig == L_SIGFPE || sig == L_SIGTRAP) &&
	             from->code > 0;
	if (fault) {
		info->addr = from->value;
	} else if (sig == L_SIGCHLD && from->code > 0) {
		info->child.pid = from->pid;
		info->child.status = (i32)from->value;
	} else {
		info->kill.pid = from->pid;
		info->kill.value = from->value;
	}
}

/* The page made present and writable by what a fault would do: a demand-zero page mapped, a copy-on-write one made private. */
static bool make_writable(u64 page)
{
	HOLD_LIBOS_LOCK(); /* the memory map */
	for (u32 tries = 0; tries < 3; tries++) {
		if (mm_present_for(page, true))
			return true;
		u64 desc = as_lookup_self(page);
		if (!mm_writable_at(page))
			return false;
		int done = (desc & EXO_PTE_VALID) ? fork_cow_fault(page) : mm_fault(page, true);
		if ((desc & EXO_PTE_VALID) ? done <= 0 : done < 0)
			return false;
	}
	return false;
}

/*
 * Every page of [lo, hi) present and writable without a fault (a fault
 * inside a fault handler ends the environment).  False if the program may
 * not write there.
 */
static bool writable_now(u64 lo, u64 hi)
{
	for (u64 page = lo & ~4095ull; page < hi; page += 4096)
		if (!mm_present_for(page, true) && !make_writable(page))
			return false;
	return true;
}

bool sig_frame_push(struct exo_upcall *rec, u32 sig, const struct sig_origin *from,
                    const struct k_sigaction *action, u64 saved_mask, u64 esr)
{
	struct sig_thread *t = sig_here();
	u64 sp = rec->regs.sp;
	bool on_alt = sig_on_altstack(t, sp);
	if ((action->flags & L_SA_ONSTACK) && !(t->alt_flags & SS_DISABLE) && !on_alt)
		sp = t->alt_sp + t->alt_size;
	u64 record_at = (sp - sizeof(struct frame_record)) & ~15ull;
	u64 frame_at = (record_at - sizeof(struct rt_sigframe_l)) & ~15ull;
	if (sp < 8192 || !writable_now(frame_at, sp))
		return false;
	struct rt_sigframe_l *frame = (struct rt_sigframe_l *)frame_at;
	struct frame_record *record = (struct frame_record *)record_at;
	sig_fill_info(&frame->info, sig, from);
	struct ucontext_l *uc = &frame->uc;
	uc->flags = uc->link = 0;
	uc->stack_sp = t->alt_sp;
	uc->stack_flags = (i32)((t->alt_flags & SS_DISABLE) ? SS_DISABLE : on_alt ? SS_ONSTACK : t->alt_flags);
	uc->stack_size = t->alt_size;
	uc->sigmask = saved_mask;
	struct sigcontext_l *mc = &uc->mcontext;
	mc->fault_address = esr ? from->value : 0;
	memcpy(mc->regs, rec->regs.x, sizeof(mc->regs));
	mc->sp = rec->regs.sp, mc->pc = rec->regs.pc, mc->pstate = rec->regs.pstate;
	struct fpsimd_context_l *fp = (struct fpsimd_context_l *)mc->reserved;
	fp->magic = FPSIMD_MAGIC, fp->size = sizeof(*fp);
	libos_fp_to_sigframe(fp);
	u8 *next = mc->reserved + sizeof(*fp);
	if (esr) {
		struct esr_context_l *e = (struct esr_context_l *)next;
		e->magic = ESR_MAGIC, e->size = sizeof(*e), e->esr = esr;
		next += sizeof(*e);
	}
	memset(next, 0, 8); /* the terminator */
	record->fp = rec->regs.x[29], record->lr = rec->regs.x[30];
	/* SA_AUTODISARM: the handler may switch stacks itself; the frame's uc_stack brings the old one back. */
	if ((t->alt_flags & SS_AUTODISARM) && (action->flags & L_SA_ONSTACK) && !on_alt)
		t->alt_sp = t->alt_size = 0, t->alt_flags = SS_DISABLE;
	rec->regs.x[0] = sig;
	rec->regs.x[1] = (u64)&frame->info;
	rec->regs.x[2] = (u64)uc;
	rec->regs.x[29] = record_at;
	rec->regs.x[30] = (action->flags & L_SA_RESTORER) ? action->restorer : (u64)libos_sigreturn_trampoline;
	rec->regs.sp = frame_at;
	rec->regs.pc = action->handler;
	return true;
}

/* Readable as a whole for the program (present and accessed, or its regions say so): else no frame. */
static bool readable(u64 lo, u64 hi)
{
	for (u64 page = lo & ~4095ull; page < hi; page += 4096)
		if (!mm_present_for(page, false) && !mm_readable_at(page))
			return false;
	return true;
}

bool sig_frame_pop(struct exo_upcall *rec, u64 sp, u64 *mask)
{
	if ((sp & 15) || sp > EXO_USER_VA_END - sizeof(struct rt_sigframe_l) ||
	    !readable(sp, sp + sizeof(struct rt_sigframe_l)))
		return false;
	const struct rt_sigframe_l *frame = (const struct rt_sigframe_l *)sp;
	const struct sigcontext_l *mc = &frame->uc.mcontext;
	const struct fpsimd_context_l *fp = (const struct fpsimd_context_l *)mc->reserved;
	if (fp->magic != FPSIMD_MAGIC || fp->size != sizeof(*fp) || (mc->sp & 15) || (mc->pc & 3) ||
	    (mc->pstate & ~EXO_PSTATE_NZCV))
		return false; /* Linux refuses a frame that would resume anywhere but EL0 AArch64 */
	memcpy(rec->regs.x, mc->regs, sizeof(mc->regs));
	rec->regs.sp = mc->sp, rec->regs.pc = mc->pc, rec->regs.pstate = mc->pstate;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(rec->regs.tp));
	*mask = frame->uc.sigmask;
	/* uc_stack: what SA_AUTODISARM took away comes back (Linux's restore_altstack). */
	struct sig_thread *t = sig_here();
	if (!sig_on_altstack(t, sp)) { /* as sigaltstack would: refused while running on it */
		bool off = (frame->uc.stack_flags & SS_DISABLE) || frame->uc.stack_size == 0;
		t->alt_sp = off ? 0 : frame->uc.stack_sp, t->alt_size = off ? 0 : frame->uc.stack_size;
		t->alt_flags = off ? SS_DISABLE : (u32)frame->uc.stack_flags & SS_AUTODISARM;
	}
	libos_fp_from_sigframe(fp);
	return true;
}
