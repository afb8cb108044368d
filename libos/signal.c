/*
 * Signal state, as Linux keeps it, and the calls that read and change it.
 * Actions and the process-wide pending set belong to a process: its
 * threads share them, a vfork child gets a copy (it runs in our memory
 * but, as on Linux without CLONE_SIGHAND, not with our table).  Masks,
 * thread-directed pending signals and the alternate stack belong to each
 * thread (struct sig_thread, at the bottom of its upcall stack).  Across
 * exec the mask and the ignored signals stay; handled signals go back to
 * their defaults.  Delivery is sigdeliver.c's.
 */
#include "libos/signal.h"
#include "libos/proctab.h"
#include <string.h>

#define MAX_PROCESSES 8 /* ours, and vfork children running in our memory */
enum { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK };
#define L_ESRCH 3
#define L_ENOMEM_ 12
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 5120 /* Linux arm64's */

static struct sig_process processes[MAX_PROCESSES];

static struct sig_process *process_of(u64 env)
{
	for (u32 i = 0; i < MAX_PROCESSES; i++)
		if (processes[i].env == env)
			return &processes[i];
	return NULL;
}

struct sig_process *sig_process_new(u64 env)
{
	struct sig_process *p = process_of(0);
	if (p) {
		memset(p, 0, sizeof(*p));
		p->env = env;
	}
	return p;
}

enum sig_default sig_default_of(u32 sig)
{
	switch (sig) {
	case L_SIGCHLD: case L_SIGURG: case L_SIGWINCH:
		return SIG_IGNORE;
	case L_SIGCONT:
		return SIG_CONTINUE;
	case L_SIGSTOP: case L_SIGTSTP: case L_SIGTTIN: case L_SIGTTOU:
		return SIG_STOP;
	}
	return SIG_TERMINATE;
}

static u64 sig_ignored_set(const struct sig_process *p)
{
	u64 set = 0;
	for (u32 sig = 1; sig <= SIG_COUNT; sig++)
		if (p->actions[sig - 1].handler == L_SIG_IGN)
			set |= SIG_BIT(sig);
	return set;
}

bool sig_discarded(const struct sig_process *p, u32 sig)
{
	u64 handler = p->actions[sig - 1].handler;
	return handler == L_SIG_IGN || (handler == L_SIG_DFL && sig_default_of(sig) == SIG_IGNORE);
}

static void thread_init(struct sig_thread *t, u64 self, struct sig_process *p, u64 mask)
{
	memset(t, 0, sizeof(*t));
	t->self = self;
	t->process = p;
	t->mask = mask & ~SIG_UNBLOCKABLE;
	t->alt_flags = SS_DISABLE;
}

void sig_init(u64 mask, u64 ignored)
{
	memset(processes, 0, sizeof(processes));
	struct sig_process *p = sig_process_new(libos.env);
	for (u32 sig = 1; sig <= SIG_COUNT; sig++)
		if (ignored & SIG_BIT(sig))
			p->actions[sig - 1].handler = L_SIG_IGN;
	p->unkillable = exo_notice_to() == 0; /* nobody hears the first environment's end: it is init */
	thread_init(sig_thread_at(LIBOS_UPCALL_STACK_TOP), libos.env, p, mask);
}

/*
 * A new thread (upcall stack at top): its mask is ours, its actions the
 * process's; a vfork child (own_actions) gets a copy of the actions and
 * keeps our alternate stack, as on Linux.
 */
int sig_fork(u64 child, u64 top, bool own_actions)
{
	HOLD_LIBOS_LOCK();
	struct sig_thread *own = sig_here(), *t = sig_thread_at(top);
	struct sig_process *p = own->process;
	if (own_actions) {
		p = sig_process_new(child);
		if (!p)
			return -L_ENOMEM;
		memcpy(p->actions, own->process->actions, sizeof(p->actions));
	}
	thread_init(t, child, p, own->mask);
	if (own_actions)
		t->alt_sp = own->alt_sp, t->alt_size = own->alt_size, t->alt_flags = own->alt_flags;
	return 0;
}

void sig_drop(u64 env)
{
	HOLD_LIBOS_LOCK();
	struct sig_process *p = process_of(env);
	if (p)
		p->env = 0;
}

/* What fork's child takes from the thread that forked: written before the copy (fork.c). */
static struct sig_thread forker;

void sig_fork_prepare(void)
{
	forker = *sig_here();
}

/*
 * A forked child's copy of this memory holds everyone's tables: its
 * process's becomes its own, the rest go.  Its one thread has the forking
 * thread's mask and alternate stack, and nothing pending (POSIX).
 */
void sig_fork_child(u64 self, u64 process)
{
	HOLD_LIBOS_LOCK();
	struct sig_process *own = NULL;
	for (u32 i = 0; i < MAX_PROCESSES; i++)
		if (processes[i].env == process)
			own = &processes[i], own->env = self, own->pending = 0, own->unkillable = false;
		else if (processes[i].env)
			processes[i].env = 0;
	if (own && own->queued)
		own->queued = 0;
	bool timers = own && own->alarm_at;
	for (u32 i = 0; own && i < SIG_TIMERS; i++)
		timers |= own->timers[i].used;
	if (timers) { /* timers are not inherited (the kernel's alarm is the parent's) */
		own->alarm_at = 0, own->alarm_interval = 0;
		memset(own->timers, 0, sizeof(own->timers)); /* only then: a write here may be a copy-on-write fault */
	}
	struct sig_thread *t = sig_thread_at(LIBOS_UPCALL_STACK_TOP);
	thread_init(t, self, own, forker.mask);
	t->alt_sp = forker.alt_sp, t->alt_size = forker.alt_size, t->alt_flags = forker.alt_flags;
}

/*
 * For exec: what the new image keeps (the caller's mask, the ignored
 * signals, and what is pending for it or the process, as Linux keeps them;
 * their origins are not kept: they arrive as from the kernel).
 */
void sig_export(u64 *mask, u64 *ignored, u64 *pending)
{
	HOLD_LIBOS_LOCK();
	struct sig_thread *t = sig_here();
	*mask = t->mask;
	*pending = t->pending | t->process->pending;
	*ignored = 0;
	for (u32 sig = 1; sig <= SIG_COUNT; sig++)
		if (t->process->actions[sig - 1].handler == L_SIG_IGN)
			*ignored |= SIG_BIT(sig);
}

void sig_keep_pending(u64 pending)
{
	struct sig_process *p = sig_thread_at(LIBOS_UPCALL_STACK_TOP)->process;
	for (u64 rest = pending & ~sig_ignored_set(p); rest; rest &= rest - 1) {
		u32 sig = (u32)__builtin_ctzll(rest) + 1;
		p->pending |= SIG_BIT(sig);
		p->from[sig - 1] = (struct sig_origin){ L_SI_KERNEL, 0, 0 };
	}
}

/* A signal made ignored is thrown away if pending (POSIX), in the process and every thread we can see. */
static void discard_pending(struct sig_process *p, u32 sig)
{
	p->pending &= ~SIG_BIT(sig);
	u32 kept = 0;
	for (u32 i = 0; i < p->queued; i++)
		if (p->queue[i].sig != sig)
			p->queue[kept++] = p->queue[i];
	p->queued = kept;
	sig_here()->pending &= ~SIG_BIT(sig);
	libos_threads_discard(p, SIG_BIT(sig));
}

i64 sig_action(u64 sig, const void *act, void *old, u64 setsize)
{
	if (sig < 1 || sig > SIG_COUNT || setsize != 8 || (act && (sig == L_SIGKILL || sig == L_SIGSTOP)))
		return -L_EINVAL;
	struct k_sigaction wanted;
	if (act)
		memcpy(&wanted, act, sizeof(wanted)); /* a bad act faults here, before anything changed */
	HOLD_LIBOS_LOCK();
	struct sig_process *p = sig_here()->process;
	if (old)
		memcpy(old, &p->actions[sig - 1], sizeof(wanted));
	if (act) {
		wanted.mask &= ~SIG_UNBLOCKABLE;
		if (sig == L_SIGCHLD && (wanted.handler == L_SIG_IGN || (wanted.flags & L_SA_NOCLDWAIT)))
			libos_keep_queued_exits(); /* children that ended before: zombies still, as on Linux */
		p->actions[sig - 1] = wanted;
		if (sig_discarded(p, (u32)sig))
			discard_pending(p, (u32)sig);
	}
	return 0;
}

/* A signal this call unblocks is delivered as the call returns (syscall.c's test). */
i64 sig_procmask(u64 how, const u64 *set, u64 *old, u64 setsize)
{
	if (setsize != 8 || (set && how > SIG_SETMASK))
		return -L_EINVAL;
	u64 change = set ? *set : 0; /* a bad set faults here, before anything changed */
	struct sig_thread *t = sig_here();
	u64 before = t->mask;
	if (old)
		*old = before;
	if (set)
		t->mask = (how == SIG_BLOCK ? before | change : how == SIG_UNBLOCK ? before & ~change : change) &
		          ~SIG_UNBLOCKABLE;
	if (t->process->pending & t->mask)
		sig_route(t); /* what we now block goes to a thread that does not */
	return 0;
}

i64 sig_pending(u64 *set, u64 setsize)
{
	if (setsize > 8)
		return -L_EINVAL;
	struct sig_thread *t = sig_here();
	u64 pending = (t->pending | t->process->pending) & t->mask;
	memcpy(set, &pending, setsize);
	return 0;
}

struct stack_l {
	u64 sp;
	i32 flags, pad;
	u64 size;
};

bool sig_on_altstack(const struct sig_thread *t, u64 sp)
{
	return !(t->alt_flags & SS_DISABLE) && sp > t->alt_sp && sp - t->alt_sp <= t->alt_size;
}

i64 sig_altstack(const struct stack_l *ss, struct stack_l *old)
{
	struct sig_thread *t = sig_here();
	struct exo_regs origin;
	libos_syscall_origin(&origin);
	bool on = sig_on_altstack(t, origin.sp);
	struct stack_l wanted = { 0 };
	if (ss)
		wanted = *ss; /* a bad pointer faults (EFAULT) before anything changed */
	if (old) {
		struct stack_l now = { t->alt_sp, (i32)(on ? SS_ONSTACK : t->alt_flags), 0, t->alt_size };
		if (t->alt_flags & SS_DISABLE)
			now.sp = 0, now.size = 0;
		*old = now;
	}
	if (!ss)
		return 0;
	if (on)
		return -L_EPERM;
	u32 mode = (u32)wanted.flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
		return -L_EINVAL;
	if (mode == SS_DISABLE) {
		t->alt_sp = t->alt_size = 0, t->alt_flags = SS_DISABLE;
		return 0;
	}
	if (wanted.size < MINSIGSTKSZ)
		return -L_ENOMEM_;
	t->alt_sp = wanted.sp, t->alt_size = wanted.size, t->alt_flags = (u32)wanted.flags & SS_AUTODISARM;
	return 0;
}

/* --- Sending --- */

static struct sig_origin from_us(i32 code)
{
	return (struct sig_origin){ code, (u32)libos_process_of(sig_here()->self), 0 };
}

/* A write to a pipe without a reader (fs.c). */
void sig_pipe(void) { sig_raise_thread(sig_here(), L_SIGPIPE, from_us(L_SI_USER)); }

/*
 * To another process: its siginfo posted in the process table, then an
 * alert, which only wakes it (it takes the record: sig_absorb).  To a
 * thread of another process (it has no entry): the alert's bit alone, the
 * sender's id its only origin.  A real-time signal, which must queue, is
 * EAGAIN when the table has no room for its record, as Linux's queue.
 */
static i64 alert(u64 env, u64 sig, const struct sig_origin *from)
{
	if (sig == 0) {
		struct exo_env_info info;
		i64 err = exo_env_info(env, &info);
		return err == 0 || err == -EXO_EPERM || libos_is_child((i64)env) ? 0 : -L_ESRCH; /* it exists */
	}
	i64 token = proctab_post(env, (u32)sig, from);
	if (token == -L_EAGAIN)
		return -L_EAGAIN;
	i64 err = exo_env_alert(env, SIG_BIT(sig));
	if (err)
		proctab_retract(token);
	if (err == -EXO_ENOENT && libos_is_child((i64)env))
		return 0; /* a zombie not yet waited for: it exists, as on Linux, and the signal does nothing */
	return err == 0 ? 0 : err == -EXO_EPERM ? -L_EPERM : -L_ESRCH;
}

/* sig to process pid, ourselves or another, with `from` as its origin. */
static i64 send_from(u64 pid, u64 sig, const struct sig_origin *from)
{
	struct sig_thread *t = sig_here();
	if (pid != t->process->env)
		return alert(pid, sig, from);
	if (sig)
		sig_raise_process(t->process, (u32)sig, *from);
	return 0;
}

/* One process of a group kill(-pgid) reaches. */
static i64 send_one(u64 pid, u64 sig)
{
	struct sig_origin from = from_us(L_SI_USER);
	return send_from(pid, sig, &from);
}

/* From the kernel's side of things (the terminal, an orphaned group): SI_KERNEL, no sender, as Linux's. */
static i64 send_kernel(u64 pid, u64 sig)
{
	struct sig_origin from = { L_SI_KERNEL, 0, 0 };
	return send_from(pid, sig, &from);
}

i64 sig_group(u32 pgid, u64 sig) { return proctab_signal_group(pgid, sig, send_kernel); }
i64 sig_send(u64 pid, u64 sig) { return send_kernel(pid, sig); }

i64 sig_kill(i64 pid, u64 sig, const struct sig_origin *given)
{
	if (sig > SIG_COUNT)
		return -L_EINVAL;
	if (pid <= 0)
		return pid == -0x80000000ll ? -L_ESRCH : proctab_kill_group(pid, sig, send_one);
	struct sig_origin from = given ? *given : from_us(L_SI_USER);
	return send_from((u64)pid, sig, &from);
}

/* tkill, tgkill (tgid -1: any): a thread of ours, ourselves, or another process's. */
i64 sig_tkill(i64 tgid, i64 tid, u64 sig, const struct sig_origin *given)
{
	if (sig > SIG_COUNT || tid <= 0 || tgid == 0 || tgid < -1)
		return -L_EINVAL;
	struct sig_thread *t = sig_here();
	struct sig_thread *target = (u64)tid == t->self ? t : libos_thread_state((u64)tid, t->process);
	struct sig_origin from = given ? *given : from_us(L_SI_TKILL);
	if (!target)
		return alert((u64)tid, sig, &from);
	if (tgid != -1 && (u64)tgid != libos_process_of((u64)tid))
		return -L_ESRCH;
	if (sig)
		sig_raise_thread(target, (u32)sig, given ? *given : from_us(L_SI_TKILL));
	return 0;
}

/* rt_sigqueueinfo: as kill, with the caller's siginfo (posted for another process with the signal). */
i64 sig_queueinfo(i64 pid, u64 sig, const i32 *info)
{
	struct sig_origin from = { info[2], (u32)info[4], *(const u64 *)&info[6] };
	if (from.code >= 0 && (u64)pid != sig_here()->process->env)
		return -L_EPERM; /* only the kernel's codes are >= 0 (Linux refuses them from others) */
	return sig_kill(pid, sig, &from);
}

/* rt_sigsuspend: ppoll without descriptors or a deadline (the handler's return restores the mask). */
i64 sig_suspend(const u64 *set, u64 setsize) { return sig_pause(0, set, 0, setsize); }

/*
 * ppoll with no descriptors (musl's pause, and sleeps with a signal mask):
 * until a handler runs (EINTR) or the time is up; a mask given holds while
 * waiting, as sigsuspend's.  Polling descriptors is not done yet (ENOSYS).
 */
i64 sig_pause(u64 nfds, const u64 *mask, u64 timeout_ns, u64 setsize)
{
	if (nfds)
		return -L_ENOSYS;
	if (mask && setsize != 8)
		return -L_EINVAL;
	struct sig_thread *t = sig_here();
	if (mask) {
		u64 wanted = *mask;
		t->suspend_mask = t->mask, t->suspended = true, t->mask = wanted & ~SIG_UNBLOCKABLE;
		sig_route(t); /* what the mask now blocks goes to a thread that does not */
	}
	i64 deadline = timeout_ns ? exo_clock() + (i64)timeout_ns : 0;
	for (;;) {
		if (sig_settle(t))
			return -L_EINTR;
		i64 left = deadline ? deadline - exo_clock() : 0;
		if (deadline && left <= 0) {
			if (t->suspended)
				t->mask = t->suspend_mask, t->suspended = false;
			return 0;
		}
		struct exo_event event;
		if (exo_recv(&event, LIBOS_RECV, deadline ? (u64)left : 0) == 0)
			libos_keep_event(&event); /* an alert here is absorbed, and interrupts us if handled */
	}
}

/* rt_sigtimedwait: the first of set pending, taken without running its handler. */
i64 sig_timedwait(const u64 *set, i32 *info, u64 timeout_ns, u64 setsize)
{
	if (setsize != 8)
		return -L_EINVAL;
	u64 wanted = *set & ~SIG_UNBLOCKABLE;
	struct sig_thread *t = sig_here();
	i64 deadline = timeout_ns ? exo_clock() + (i64)timeout_ns : 0;
	t->waiting_for = wanted; /* the process's signals in set may be routed to us, blocked or not (thread.c) */
	for (;;) {
		u32 sig = sig_take(t, wanted, info);
		i64 left = deadline ? deadline - exo_clock() : 0;
		if (sig || (deadline && left <= 0)) {
			t->waiting_for = 0;
			return sig ? (i64)sig : -L_EAGAIN;
		}
		struct exo_event event;
		i64 err = exo_recv(&event, LIBOS_RECV, deadline ? (u64)left : 0);
		if (err == 0 && event.kind == EXO_EVENT_ALERT) {
			sig_absorb(event.value, event.env);
			if (!(sig_ready(t) & ~wanted))
				continue; /* one we wait for: taken above */
			sig_alerted(0, 0, SIG_WAIT_INTERRUPTIBLE); /* another, handled: EINTR */
		} else if (err == 0) {
			libos_keep_event(&event);
		}
	}
}
