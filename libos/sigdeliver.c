/*
 * What happens to a signal between its arrival and its handler: pending
 * sets, which thread takes a process's signal, default actions, and the
 * three ways back to the program that run handlers (an alert upcall, a
 * fault, the end of a system call), including a blocked system call that
 * a signal interrupts (EINTR, or restarted under SA_RESTART, as Linux
 * decides per call).
 */
#include "libos/signal.h"
#include "libos/proctab.h"
#include <string.h>


static u32 lowest(u64 set) { return (u32)__builtin_ctzll(set) + 1; }

/* --- Stop and continue (the process table tells the parent; SIGCHLD wakes it) --- */

/* Who hears of our stops: the parent that will get our exit notice (init for an orphan). */
static void tell_parent(const struct sig_process *p)
{
	struct exo_env_info info;
	u64 parent = (u64)exo_self() == p->env ? (u64)exo_notice_to() : exo_env_info(p->env, &info) == 0 ? info.notice_to : 0;
	if (parent)
		exo_env_alert(parent, SIG_BIT(L_SIGCHLD));
}

/* A stop signal's default action: every thread stops (each parks in its own settle). */
static void stop(struct sig_thread *t, u32 sig)
{
	struct sig_process *p = t->process;
	p->stopped = true;
	struct proc_entry *entry = proctab_find(p->env);
	if (entry)
		proctab_job_change(entry, JOB_STOPPED | JOB_REPORT_STOP | sig, JOB_STOP_SIG | JOB_REPORT_CONT | JOB_CONTINUED);
	libos_threads_wake(t);
	tell_parent(p);
}

/*
 * As Linux, at the moment a signal is sent: SIGCONT continues a stopped
 * process (blocked, ignored or handled alike) and throws away pending stop
 * signals; a stop signal throws away a pending SIGCONT.
 */
static void stop_or_continue_sent(struct sig_process *p, u32 sig)
{
	u64 drop = sig == L_SIGCONT ? SIG_STOPS : (SIG_STOPS & SIG_BIT(sig)) ? SIG_BIT(L_SIGCONT) : 0;
	if (!drop)
		return;
	struct sig_thread *t = sig_here();
	p->pending &= ~drop;
	if (t->process == p) {
		t->pending &= ~drop;
		libos_threads_discard(p, drop);
	}
	if (sig != L_SIGCONT || !p->stopped)
		return;
	p->stopped = false;
	struct proc_entry *entry = proctab_find(p->env);
	if (entry)
		proctab_job_change(entry, JOB_REPORT_CONT | JOB_CONTINUED, JOB_STOPPED | JOB_REPORT_STOP);
	if (t->process == p)
		libos_threads_wake(t);
	tell_parent(p);
}

/* A signal nobody will ever act on is thrown away as it is sent, unless blocked (its action may change). */
static bool drop_at_send(const struct sig_process *p, u32 sig, u64 mask)
{
	return sig_discarded(p, sig) && !(mask & SIG_BIT(sig));
}

void sig_raise_thread(struct sig_thread *t, u32 sig, struct sig_origin from)
{
	HOLD_LIBOS_LOCK();
	stop_or_continue_sent(t->process, sig);
	if (drop_at_send(t->process, sig, t->mask))
		return;
	if (!(t->pending & SIG_BIT(sig)))
		t->from[sig - 1] = from; /* standard signals do not queue: the first one's origin */
	t->pending |= SIG_BIT(sig);
	if (t != sig_here())
		exo_env_alert(t->self, SIG_BIT(sig)); /* a wake-up: it finds the signal pending (sig_absorb) */
}

/*
 * A process-directed signal: the process's main thread takes it if it does
 * not block it (Linux prefers the thread-group leader), else whoever does
 * not (sig_route).  Raised by another thread of ours, it goes to the main
 * thread's own set and an alert wakes it, so the sender does not take it
 * on its own way out.
 */
void sig_raise_process(struct sig_process *p, u32 sig, struct sig_origin from)
{
	HOLD_LIBOS_LOCK();
	struct sig_thread *t = sig_here();
	stop_or_continue_sent(p, sig);
	if (drop_at_send(p, sig, t->process == p ? t->mask : 0))
		return;
	struct sig_thread *main = t->process == p && t->self != p->env ? libos_thread_state(p->env, p) : NULL;
	if (main && !main->parked && !(main->mask & SIG_BIT(sig))) {
		sig_raise_thread(main, sig, from);
		return;
	}
	if (!(p->pending & SIG_BIT(sig)))
		p->from[sig - 1] = from;
	else if (sig >= SIG_RT_FIRST && p->queued < SIG_QUEUE)
		p->queue[p->queued++] = (struct sig_queued){ sig, from }; /* real-time signals queue, each with its own */
	p->pending |= SIG_BIT(sig);
	if (t->process == p)
		sig_route(t);
}

/* A signal another process posted for ours, with its siginfo. */
static void take_posted(u32 sig, const struct sig_origin *from)
{
	sig_raise_process(sig_here()->process, sig, *from);
}

/* The process a sender belongs to: one of our threads is our process. */
static u32 pid_of(u64 sender)
{
	return (u32)libos_process_of(sender);
}

/*
 * A child's SIGCHLD: its exit (the status from its exit notice, kept for
 * wait4, not taken: the notice is queued before the alert), or a stop or
 * continue its entry in the process table shows.  False when the handler's
 * SA_NOCLDSTOP says stops and continues are not wanted.  The exit status
 * is looked up only for a handler that reads siginfo.
 */
static bool child_status(const struct sig_process *p, struct sig_origin *from)
{
	const struct k_sigaction *action = &p->actions[L_SIGCHLD - 1];
	bool nocldstop = action->handler > L_SIG_IGN && (action->flags & L_SA_NOCLDSTOP);
	if (action->handler <= L_SIG_IGN || (!(action->flags & L_SA_SIGINFO) && !nocldstop))
		return true;
	i64 status;
	if (libos_peek_exit(from->pid, &status)) {
		if ((status & 0x7f) == 0)
			from->code = L_CLD_EXITED, from->value = (u64)((status >> 8) & 0xff);
		else
			from->code = L_CLD_KILLED, from->value = (u64)(status & 0x7f);
		return true;
	}
	/* Its state now, not wait4's reports (a wait may have taken those before this alert came in). */
	const struct proc_entry *entry = proctab_find(from->pid);
	u32 job = entry && entry->ppid == (u32)p->env ? entry->job : 0;
	if (job & (JOB_STOPPED | JOB_CONTINUED)) {
		from->code = job & JOB_STOPPED ? L_CLD_STOPPED : L_CLD_CONTINUED;
		from->value = job & JOB_STOPPED ? (job & JOB_STOP_SIG) : L_SIGCONT;
		return !nocldstop;
	}
	from->code = L_SI_USER; /* someone's kill(SIGCHLD), not a child's */
	return true;
}

/*
 * Alert bits: signals from another process (or a thread of ours that
 * raised one for us, already pending).  Those sent to the process's own
 * environment are the process's; those sent to a thread are the thread's.
 * SIGCHLD is always the process's: it is the kernel's exit alert of a
 * child (its status is looked up when a handler wants it).
 */
void sig_absorb(u64 bits, u64 sender)
{
	struct sig_thread *t = sig_here();
	struct sig_process *p = t->process;
	bool to_process = t->self == p->env;
	/*
	 * Other processes' signals: the records posted in the process table
	 * say what came, whichever alert woke us (merged alerts name only the
	 * last sender); their bits say nothing more.
	 */
	if (to_process)
		proctab_take_posted(p->env, take_posted);
	/*
	 * The kernel's alarm (EXO_ALARM, from 0) serves every timer: whatever
	 * is due now goes off, whoever the merged alert names.
	 */
	if ((bits & SIG_BIT(L_SIGALRM)) && sig_timers_armed(p))
		sig_alarm_fired(p);
	bool ours = sender && libos_thread_of(sender, p->env);
	if (sender == 0 || ours)
		bits &= ~SIG_BIT(L_SIGALRM);
	/* From a thread of ours: a wake-up, the signal already pending where it belongs. */
	if (ours)
		bits = 0;
	if (to_process)
		bits &= SIG_BIT(L_SIGCHLD); /* a child's exit alert: the kernel's own, no record */
	for (u64 rest = bits; rest; rest &= rest - 1) {
		u32 sig = lowest(rest);
		struct sig_origin from = { sig == L_SIGCHLD ? L_CLD_EXITED : L_SI_USER, pid_of(sender), 0 };
		if (sig == L_SIGCHLD && !child_status(p, &from))
			continue;
		if (sig == L_SIGCHLD)
			libos_reap_if_ignored(); /* after its status was read for a SA_NOCLDWAIT handler */
		if (to_process || sig == L_SIGCHLD)
			sig_raise_process(p, sig, from);
		else if (!(p->pending & SIG_BIT(sig)))
			sig_raise_thread(t, sig, from);
	}
	sig_route(t);
}

void sig_route(struct sig_thread *t)
{
	HOLD_LIBOS_LOCK();
	u64 stuck = t->process->pending & (t->parked ? ~0ull : t->mask);
	if (stuck)
		libos_threads_route(t, stuck);
}

/* sig's origin, taken off the pending set that held it (the thread's first, as Linux). */
static struct sig_origin take(struct sig_thread *t, u32 sig)
{
	HOLD_LIBOS_LOCK();
	if (t->pending & SIG_BIT(sig)) {
		t->pending &= ~SIG_BIT(sig);
		return t->from[sig - 1];
	}
	struct sig_process *p = t->process;
	struct sig_origin first = p->from[sig - 1];
	for (u32 i = 0; i < p->queued; i++)
		if (p->queue[i].sig == sig) { /* the next one queued becomes pending */
			p->from[sig - 1] = p->queue[i].from;
			memmove(&p->queue[i], &p->queue[i + 1], (p->queued - i - 1) * sizeof(p->queue[0]));
			p->queued--;
			return first;
		}
	p->pending &= ~SIG_BIT(sig);
	return first;
}

u32 sig_take(struct sig_thread *t, u64 set, i32 *info)
{
	u64 have = (t->pending | t->process->pending) & set;
	if (!have)
		return 0;
	u32 sig = lowest(have);
	struct sig_origin from = take(t, sig);
	if (info)
		sig_fill_info(info, sig, &from);
	return sig;
}

__attribute__((noreturn)) static void terminate(u32 sig)
{
	libos_exit_from_handler();
	libos_exit((i64)sig); /* the wait status of a process killed by sig */
}

/*
 * Stopped: nothing of the process runs until SIGCONT continues it (taken
 * in here, or by another thread) or SIGKILL ends it; other signals wait,
 * pending, and other events are kept.
 */
static void park(struct sig_thread *t)
{
	while (t->process->stopped) {
		if (sig_ready(t) & SIG_BIT(L_SIGKILL))
			terminate(L_SIGKILL);
		struct exo_event event;
		if (exo_recv(&event, LIBOS_RECV, 0) != 0)
			continue;
		if (event.kind == EXO_EVENT_ALERT)
			sig_absorb(event.value, event.env);
		else
			libos_keep_event(&event);
	}
}

/*
 * Ready signals whose action is to do nothing go; a fatal one ends the
 * process here, unless it is init, which Linux's default actions leave
 * alone; a stop stops it (TSTP, TTIN and TTOU only if its group is not
 * orphaned, as Linux), and this thread waits here until it continues.
 */
static void settle_once(struct sig_thread *t)
{
	for (u64 ready = sig_ready(t); ready; ready &= ready - 1) {
		u32 sig = lowest(ready);
		u64 handler = t->process->actions[sig - 1].handler;
		enum sig_default action = sig_default_of(sig);
		bool nothing = handler == L_SIG_IGN || (handler == L_SIG_DFL && (action == SIG_IGNORE || action == SIG_CONTINUE));
		if (nothing || (handler == L_SIG_DFL && t->process->unkillable)) {
			take(t, sig);
			continue;
		}
		if (handler != L_SIG_DFL)
			continue;
		if (action == SIG_TERMINATE)
			terminate(sig);
		take(t, sig);
		if (sig == L_SIGSTOP || !proctab_orphaned(proctab_pgid(t->process->env)))
			stop(t, sig);
	}
}

u64 sig_settle(struct sig_thread *t)
{
	for (;;) {
		settle_once(t);
		if (!t->process->stopped)
			return sig_ready(t);
		park(t);
	}
}

static bool push(struct exo_upcall *rec, struct sig_thread *t, u32 sig, u64 esr, const struct sig_origin *given)
{
	struct sig_origin from = given ? *given : take(t, sig);
	struct k_sigaction *action = &t->process->actions[sig - 1];
	u64 saved = t->suspended ? t->suspend_mask : t->mask;
	t->delivering = true;
	bool pushed = sig_frame_push(rec, sig, &from, action, saved, esr);
	t->delivering = false;
	if (!pushed) {
		libos_report("libos: no room for signal %u's frame on the stack (sp 0x%lx), process %u killed\n", sig,
		             rec->regs.sp, pid_of(t->self));
		terminate(L_SIGSEGV); /* as Linux: a frame that cannot be written is a SIGSEGV */
	}
	t->suspended = false;
	t->mask |= action->mask | ((action->flags & L_SA_NODEFER) ? 0 : SIG_BIT(sig));
	t->mask &= ~SIG_UNBLOCKABLE;
	if (action->flags & L_SA_RESETHAND)
		action->handler = L_SIG_DFL; /* the flags stay, as Linux reads them back */
	return true;
}

/*
 * Every ready signal gets a frame, lowest first, each on top of the last
 * (as Linux does: the last one's handler runs first, and returns into the
 * one before); `first` (a fault's signal) goes before them all.
 */
static bool deliver(struct exo_upcall *rec, u32 first, u64 esr, const struct sig_origin *first_from)
{
	struct sig_thread *t = sig_here();
	bool any = false;
	if (first)
		any = push(rec, t, first, esr, first_from);
	for (u64 ready; (ready = sig_settle(t));)
		any = push(rec, t, lowest(ready), 0, NULL);
	if (!any && t->suspended)
		t->mask = t->suspend_mask, t->suspended = false;
	return any;
}

bool sig_deliver(struct exo_upcall *rec) { return deliver(rec, 0, 0, NULL); }

bool sig_fault(struct exo_upcall *rec, u32 sig, i32 code, u64 addr)
{
	u32 class = (u32)(rec->esr >> 26) & 0x3f;
	u64 esr = class == 0x20 || class == 0x24 ? rec->esr : 0; /* Linux's ESR record and fault address: aborts */
	struct sig_thread *t = sig_here();
	struct k_sigaction *action = &t->process->actions[sig - 1];
	/* Forced, as Linux's fault signals: blocked or ignored, it is unblocked and its default restored. */
	if (action->handler == L_SIG_IGN || (t->mask & SIG_BIT(sig)))
		action->handler = L_SIG_DFL, t->mask &= ~SIG_BIT(sig);
	if (action->handler == L_SIG_DFL)
		return false;
	struct sig_origin from = { code, 0, addr };
	return deliver(rec, sig, esr, &from);
}

/* The light system call's record: at the top of this upcall stack. */
static struct exo_upcall *light_record(void)
{
	u64 sp;
	__asm__("mov %0, sp" : "=r"(sp));
	return (struct exo_upcall *)(libos_upcall_top(sp) - LIGHT_RECORD_SPACE);
}

/* The program resumes at up, through the handlers of whatever is ready (the end of every way back). */
__attribute__((noreturn)) static void resume(struct exo_upcall *up)
{
	deliver(up, 0, 0, NULL);
	exo_upcall_return(up);
	libos_exit(L_SIGKILL); /* the kernel refused our own record: nothing sane is left */
}

__attribute__((noreturn)) void sig_return_to_program(struct exo_upcall *up, i64 result)
{
	libos_syscall_origin(&up->regs);
	up->regs.x[0] = (u64)result;
	resume(up);
}

/*
 * Whether an interrupted call starts again, as Linux decides by the call:
 * never (EINTR), under SA_RESTART (-ERESTARTSYS: read, write, readv,
 * writev, openat, wait4, a futex wait without a timeout), or always
 * (-ERESTARTNOINTR: FUTEX_LOCK_PI).
 */
enum restart { RESTART_NEVER, RESTART_SA, RESTART_ALWAYS };
static enum restart restart_of(const struct exo_upcall *up)
{
	u64 futex_op = up->regs.x[1] & 127;
	switch (up->regs.x[8]) {
	case 63: case 64: case 65: case 66: case 56: case 260:
		return RESTART_SA;
	case 98:
		if (futex_op == 6 || futex_op == 13)
			return RESTART_ALWAYS;
		return (futex_op == 0 || futex_op == 9) && up->regs.x[3] == 0 ? RESTART_SA : RESTART_NEVER;
	}
	return RESTART_NEVER;
}

/*
 * A handled signal came while the call waited: the call ends (its waits
 * hold no lock and nothing half-done) and returns EINTR, or starts again
 * after the handler (pc back on the svc, x0 as it was) when the call is
 * restartable and the first handler has SA_RESTART.
 */
__attribute__((noreturn)) static void interrupt_call(struct sig_thread *t)
{
	struct exo_upcall *up = light_record();
	libos_lock_drop();
	u32 sig = lowest(sig_ready(t));
	u64 written = t->progress;
	t->progress = t->progress_base = 0;
	t->waiting_for = 0;
	enum restart rule = restart_of(up);
	bool restart = !written && (rule == RESTART_ALWAYS ||
	                            (rule == RESTART_SA && (t->process->actions[sig - 1].flags & L_SA_RESTART)));
	libos_syscall_origin(&up->regs);
	if (restart)
		up->regs.pc -= 4;
	else
		up->regs.x[0] = written ? written : (u64)-L_EINTR;
	resume(up);
}

void sig_alerted(u64 bits, u64 sender, enum sig_wait how)
{
	struct sig_thread *t = sig_here();
	if (bits)
		sig_absorb(bits, sender);
	if (sig_settle(t) && how == SIG_WAIT_INTERRUPTIBLE)
		interrupt_call(t);
}

struct exo_upcall *sig_on_alert(struct exo_upcall *up)
{
	sig_absorb(up->far, up->esr);
	deliver(up, 0, 0, NULL);
	return up;
}

__attribute__((noreturn)) void sig_return(struct exo_upcall *up)
{
	struct exo_regs origin;
	libos_syscall_origin(&origin);
	u64 mask;
	if (!sig_frame_pop(up, origin.sp, &mask)) {
		libos_report("libos: rt_sigreturn without a signal frame at sp 0x%lx (pc 0x%lx), process %u killed\n",
		             origin.sp, origin.pc, pid_of(sig_here()->self));
		terminate(L_SIGSEGV);
	}
	sig_here()->mask = mask & ~SIG_UNBLOCKABLE;
	resume(up); /* through what the restored mask lets through */
}

void sig_progress(u64 done)
{
	struct sig_thread *t = sig_here();
	t->progress = done ? t->progress_base + done : t->progress_base;
}

void sig_progress_base(u64 base)
{
	struct sig_thread *t = sig_here();
	t->progress_base = base;
	t->progress = base;
}

