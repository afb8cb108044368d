/*
 * POSIX signals in libos: what signal.c (state and the calls that change
 * it), sigdeliver.c (what arrives, and when a handler runs) and sigframe.c
 * (Linux's arm64 signal frame) share.
 *
 * Other processes' signals arrive as alerts (EXO_ENV_ALERT, bit sig - 1),
 * which the kernel delivers outside libos's handlers or hands to a receive
 * that is waiting (EXO_RECV_TAKE_ALERTS: the bits go with the event, so
 * each comes once).  A signal libos raises itself (kill of its own
 * process, tgkill of a thread of it, SIGPIPE) goes straight into a pending
 * set.  Either way a handler runs on the way back to the program: from an
 * alert upcall, a fault, or the end of a system call that left a signal
 * ready.
 */
#ifndef LIBOS_SIGNAL_H
#define LIBOS_SIGNAL_H

#include "libos/libos.h"

#define SIG_COUNT 64
#define SIG_BIT(sig) (1ull << ((sig) - 1))
enum {
	L_SIGHUP = 1, L_SIGINT = 2, L_SIGQUIT = 3, L_SIGILL = 4, L_SIGTRAP = 5, L_SIGABRT = 6, L_SIGBUS = 7,
	L_SIGFPE = 8, L_SIGUSR1 = 10, L_SIGSEGV = 11, L_SIGUSR2 = 12, L_SIGPIPE = 13,
	L_SIGALRM = 14, L_SIGTERM = 15, L_SIGCHLD = 17, L_SIGCONT = 18, L_SIGSTOP = 19, L_SIGTSTP = 20,
	L_SIGTTIN = 21, L_SIGTTOU = 22, L_SIGURG = 23, L_SIGXCPU = 24, L_SIGXFSZ = 25, L_SIGWINCH = 28,
	L_SIGSYS = 31,
};
#define SIG_UNBLOCKABLE (SIG_BIT(L_SIGKILL) | SIG_BIT(L_SIGSTOP))
#define SIG_STOPS (SIG_BIT(L_SIGSTOP) | SIG_BIT(L_SIGTSTP) | SIG_BIT(L_SIGTTIN) | SIG_BIT(L_SIGTTOU))

/* si_code values (Linux's). */
enum {
	L_SI_USER = 0, L_SI_QUEUE = -1, L_SI_TIMER = -2, L_SI_TKILL = -6, L_SI_KERNEL = 0x80,
	L_CLD_EXITED = 1, L_CLD_KILLED = 2, L_CLD_DUMPED = 3, L_CLD_STOPPED = 5, L_CLD_CONTINUED = 6,
	L_SEGV_MAPERR = 1, L_SEGV_ACCERR = 2, L_BUS_ADRALN = 1, L_BUS_ADRERR = 2, L_ILL_ILLOPC = 1, L_TRAP_BRKPT = 1,
};

/* The kernel's struct sigaction on arm64 (what rt_sigaction reads and writes). */
struct k_sigaction {
	u64 handler, flags, restorer, mask;
};
#define L_SIG_DFL 0
#define L_SIG_IGN 1
#define L_SA_NOCLDSTOP 0x1
#define L_SA_NOCLDWAIT 0x2
#define L_SA_SIGINFO 0x4
#define L_SA_ONSTACK 0x08000000
#define L_SA_RESTART 0x10000000
#define L_SA_NODEFER 0x40000000
#define L_SA_RESETHAND 0x80000000
#define L_SA_RESTORER 0x04000000

/* Who sent a pending signal, and what it carries (a siginfo_t's fields). */
struct sig_origin {
	i32 code;
	u32 pid;
	u64 value; /* si_value (sigqueue), si_addr (faults), si_status (SIGCHLD) */
};

/* A POSIX timer (timer_create): when it goes off, and what it sends. */
#define SIG_TIMERS 16
struct sig_timer {
	bool used;
	u8 notify;    /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
	u8 signo;
	u32 tid;      /* SIGEV_THREAD_ID: the thread it signals */
	u64 value;    /* sigev_value, for si_value */
	i64 at;       /* exo_clock when it goes off, 0 if disarmed */
	u64 interval; /* its period, 0 for once */
	u32 overrun;  /* periods missed before the last one was taken */
};

/* Real-time signals (SIGRTMIN, 32, and up) queue: one delivery per send, each with its siginfo. */
#define SIG_RT_FIRST 32
#define SIG_QUEUE 32
struct sig_queued {
	u32 sig;
	struct sig_origin from;
};

/* A process's signal state, shared by its threads (a vfork child has its own copy). */
struct sig_process {
	u64 env; /* the process, 0 if free */
	u64 pending;
	bool unkillable;    /* the first environment (init): default actions do nothing, as Linux's init */
	bool stopped;       /* by a stop signal's default action, until SIGCONT (or SIGKILL) */
	i64 alarm_at;       /* ITIMER_REAL: when it goes off (exo_clock), 0 if not set (sigtimer.c) */
	u64 alarm_interval; /* its period, 0 for once */
	struct sig_timer timers[SIG_TIMERS]; /* POSIX timers, on the same kernel alarm (sigtimer.c) */
	struct k_sigaction actions[SIG_COUNT];
	struct sig_origin from[SIG_COUNT]; /* each pending signal's first origin */
	struct sig_queued queue[SIG_QUEUE]; /* real-time signals' further instances, oldest first */
	u32 queued;
};

/*
 * A thread's own signal state, at the bottom of its upcall stack (its own
 * page, libos.h: UPCALL_PAGES), so a handler finds it from sp alone.
 */
struct sig_thread {
	u64 self;    /* its environment */
	struct sig_process *process;
	u64 mask;    /* blocked */
	u64 pending; /* sent to this thread */
	u64 suspend_mask; /* sigsuspend: the mask its handler's return restores */
	bool suspended;   /* suspend_mask is set */
	bool parked;      /* the main thread left (pthread_exit): its process's signals go to the others */
	u64 alt_sp, alt_size;
	u32 alt_flags;
	u64 progress, progress_base; /* what a write that waits has written: sig_progress */
	u64 waiting_for;  /* sigtimedwait's set: taken though blocked (Linux's real_blocked) */
	bool delivering;  /* writing a frame: a fault now is the program's stack, not a system call's pointer */
	u64 robust_head;  /* set_robust_list (futex_owner.c) */
	struct sig_origin from[SIG_COUNT];
};
_Static_assert(sizeof(struct sig_thread) <= 4096, "one page");

static inline struct sig_thread *sig_thread_at(u64 upcall_top)
{
	return (struct sig_thread *)(upcall_top - UPCALL_PAGES * 4096ull);
}

/* The calling thread's, from the upcall stack it runs on. */
static inline struct sig_thread *sig_here(void)
{
	u64 sp;
	__asm__("mov %0, sp" : "=r"(sp));
	return sig_thread_at(libos_upcall_top(sp));
}

/* Signals ready for the calling thread (pending and not blocked): the syscall exit's test. */
static inline u64 sig_ready(const struct sig_thread *t)
{
	return (t->pending | t->process->pending) & ~t->mask;
}

/* signal.c */
struct sig_process *sig_process_new(u64 env);
/* The default action: terminate (core dumps are not made, as with Linux's RLIMIT_CORE 0), ignore, stop, continue. */
enum sig_default { SIG_TERMINATE, SIG_IGNORE, SIG_STOP, SIG_CONTINUE };
enum sig_default sig_default_of(u32 sig);
/* Would sig be thrown away now (ignored, or its default ignores it)? */
bool sig_discarded(const struct sig_process *process, u32 sig);

/* sigdeliver.c */
/* Make sig pending for thread t (woken by an alert if it is another) or for process p. */
void sig_raise_thread(struct sig_thread *t, u32 sig, struct sig_origin from);
void sig_raise_process(struct sig_process *p, u32 sig, struct sig_origin from);
/* Alert bits from `sender` arrived (an upcall or a receive): into the pending sets. */
void sig_absorb(u64 bits, u64 sender);
/* Process-directed signals this thread cannot take now: an alert to a thread that can. */
void sig_route(struct sig_thread *t);
/* Throw away ready signals whose action is to do nothing (a fatal one ends the process): the handled ones left. */
u64 sig_settle(struct sig_thread *t);
/*
 * Run the handlers of the signals ready for this thread, on rec (a full
 * record of the program's state), which then starts the last one set up;
 * default actions happen here (terminate, ignore).  False if no handler
 * was set up.
 */
bool sig_deliver(struct exo_upcall *rec);
/* In a system call: let the caller see `result`, then deliver (sigreturn, sigsuspend); never returns. */
__attribute__((noreturn)) void sig_return_to_program(struct exo_upcall *up, i64 result);
/* A wait inside a system call was ended by alert bits. */
enum sig_wait { SIG_WAIT_INTERRUPTIBLE, SIG_WAIT_KILLABLE };
void sig_alerted(u64 bits, u64 sender, enum sig_wait how);

/* signal.c: sig to every process of group pgid, or to one process, from the kernel's side (SI_KERNEL). */
i64 sig_group(u32 pgid, u64 sig);
i64 sig_send(u64 pid, u64 sig);

/* sigtimer.c */
void sig_alarm_fired(struct sig_process *p);
/* Is a timer of p's (the interval timer or a POSIX one) armed: is the kernel's alarm ours? */
bool sig_timers_armed(const struct sig_process *p);

/* futex_owner.c */
void futex_robust_release(struct sig_thread *t);

/* sigframe.c */
/* Build the frame for sig on the program's stack and point rec at the handler; false if it cannot be written. */
bool sig_frame_push(struct exo_upcall *rec, u32 sig, const struct sig_origin *from,
                    const struct k_sigaction *action, u64 saved_mask, u64 esr);
/* rt_sigreturn: the record the frame at sp saved, and its mask; false if it is no frame of ours. */
bool sig_frame_pop(struct exo_upcall *rec, u64 sp, u64 *mask);
/* Is sp on the thread's alternate stack? */
bool sig_on_altstack(const struct sig_thread *t, u64 sp);
/* start.S */
void libos_fp_to_sigframe(void *fpsimd_context);
void libos_fp_from_sigframe(const void *fpsimd_context);
void libos_sigreturn_trampoline(void);

#endif
