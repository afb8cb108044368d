/*
 * Threads: clone(CLONE_VM|CLONE_THREAD) as musl's pthread_create issues it
 * makes an environment in this address space (a child of the creating
 * one, so it may act for the process), with its own upcall stack and
 * thread pointer, sharing the descriptor table.  futex waits and wakes
 * with messages; a lock keeps libos's shared state whole under preemption.
 */
#include "libos/tree.h"
#include "libos/signal.h"

#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define MAX_THREADS 16
#define THREAD_UPCALL_BASE 0x00007ffd00000000ull
_Static_assert(THREAD_UPCALL_BASE % UPCALL_TOP_ALIGN == 0, "libos_upcall_top");
_Static_assert(THREAD_UPCALL_BASE - MAX_THREADS * UPCALL_TOP_ALIGN >= LIBOS_UPCALL_AREA_START, "fork leaves these alone");
#define L_ETIMEDOUT 110
#define PAGE 4096ull

struct thread {
	u64 env;      /* 0: a free slot */
	u64 process;  /* the environment whose address space and descriptors it shares */
	int *clear_tid;
};

static struct thread threads[MAX_THREADS];
/*
 * Threads of ours that have ended: ids are never reused, so an alert from
 * one (a wake-up for a signal it raised for us, still in flight) is still
 * known for ours after it left the table.
 */
static u64 former[32];
static u32 former_next;
u32 libos_nthreads; /* threads alive: 0 lets the common paths skip the thread table */
/* The lock lives in fault-safe memory (libos.h): a fault handler takes it. */
#define lock_word (LIBOS_SAFE->lock_word)
#define lock_owner (LIBOS_SAFE->lock_owner) /* the thread holding it: a fault inside libos may take it again */
#define lock_depth (LIBOS_SAFE->lock_depth)

/*
 * Who is asking: the thread pointer, which musl gives every thread its own
 * (a vfork child shares its parent's, but the two never run at once).
 * One instruction, where asking the kernel would cost a call.
 */
static u64 lock_self(void)
{
	u64 tp;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	return tp + 1; /* never 0, which means "nobody" */
}

/* Preemption can stop a holder: yield to it rather than spin out a time slice. */
void libos_lock(void)
{
	u64 self = lock_self();
	if (lock_owner == self) {
		lock_depth++;
		return;
	}
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
		exo_yield();
	lock_owner = self;
	lock_depth = 1;
}

/* Nobody holds the lock, whoever did. */
static void lock_reset(void)
{
	lock_owner = 0;
	lock_depth = 0;
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

/*
 * A vfork child runs on our thread pointer: if it ended holding the lock
 * (killed inside libos), the lock looks like ours; we hold none while we
 * wait for it, so let it go.
 */
void libos_lock_reclaim_from_vfork(void)
{
	if (lock_owner == lock_self())
		lock_reset();
}

/* A system call abandoned halfway (EFAULT) lets go of the lock, however deep it held it. */
void libos_lock_drop(void)
{
	tree_unlock_if_mine(); /* taken only under this lock */
	if (lock_owner != lock_self())
		return;
	lock_depth = 1;
	libos_unlock();
}

void libos_unlock(void)
{
	if (--lock_depth)
		return;
	lock_owner = 0;
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

u64 libos_process_of(u64 env)
{
	if (libos_nthreads == 0)
		return env;
	for (u32 i = 0; i < MAX_THREADS; i++)
		if (threads[i].env == env)
			return threads[i].process;
	return env;
}

/* A stride of UPCALL_TOP_ALIGN: the stacks with a gap as long between them. */
static u64 upcall_top(u32 slot) { return THREAD_UPCALL_BASE - (u64)slot * UPCALL_TOP_ALIGN; }
_Static_assert(UPCALL_PAGES * 4096 * 2 <= UPCALL_TOP_ALIGN, "a gap below each thread's upcall stack");

static int free_slot(void)
{
	for (u32 i = 0; i < MAX_THREADS; i++)
		if (!threads[i].env)
			return (int)i;
	return -1;
}

i64 libos_thread_clone(struct exo_upcall *up)
{
	u64 flags = up->regs.x[0];
	if (flags & CLONE_PARENT_SETTID)
		*(volatile int *)up->regs.x[2] = 0; /* a bad pointer faults (EFAULT) before anything exists */
	libos_lock();
	int slot = free_slot();
	/* It owns nothing, but may draw on the process's quota: a thread may fork, spawn and grow the heap. */
	i64 child = slot < 0 ? -L_EAGAIN : exo_env_create_flags(0, EXO_ENV_DRAWS);
	if (child < 0) {
		libos_unlock();
		return slot < 0 ? -L_EAGAIN : -L_ENOMEM;
	}
	struct exo_regs regs = up->regs;
	regs.x[0] = 0;
	regs.sp = up->regs.x[1];
	if (flags & CLONE_SETTLS)
		regs.tp = up->regs.x[3];
	i64 err = mm_map_stack(upcall_top((u32)slot), UPCALL_PAGES);
	if (!err)
		err = exo_env_set_upcalls((u64)child, (u64)libos_fault_entry, (u64)libos_syscall_entry,
		                          upcall_top((u32)slot), LIBOS_UPCALL_FLAGS);
	if (!err)
		err = exo_env_set_root((u64)child, libos.root);
	if (!err)
		err = exo_env_set_regs((u64)child, &regs);
	if (!err)
		err = sig_fork((u64)child, upcall_top((u32)slot), false); /* its mask is ours, its actions the process's */
	if (err) {
		sig_drop((u64)child);
		exo_env_destroy((u64)child);
		libos_unlock();
		return -L_ENOMEM;
	}
	libos_nthreads++;
	threads[slot] = (struct thread){ (u64)child, libos_process_of((u64)exo_self()),
		                         (flags & CLONE_CHILD_CLEARTID) ? (int *)up->regs.x[4] : NULL };
	if (flags & CLONE_PARENT_SETTID)
		*(int *)up->regs.x[2] = (int)child;
	libos_unlock();
	exo_env_run((u64)child);
	return child;
}

bool libos_is_thread(u64 env) { return libos_process_of(env) != env; }

/* Is env a thread of process, alive or ended? */
bool libos_thread_of(u64 env, u64 process)
{
	HOLD_LIBOS_LOCK();
	if (env == process || libos_process_of(env) == process)
		return true;
	for (u32 i = 0; i < ARRAY_LEN(former); i++)
		if (former[i] == env && process == libos.env)
			return true;
	return false;
}

/*
 * A forked child: only the thread that forked was copied (POSIX), and the
 * lock it held for the copy is free (nobody else here could hold it).
 */
void thread_fork_child(void)
{
	lock_reset(); /* first, in fault-safe memory: a copy-on-write fault below that fails ends us through it */
	for (u32 i = 0; libos_nthreads && i < MAX_THREADS; i++)
		threads[i] = (struct thread){ 0 };
	for (u32 i = 0; former_next && i < ARRAY_LEN(former); i++)
		former[i] = 0;
	if (libos_nthreads)
		libos_nthreads = 0;
}

/* A thread's exit: clear its tid for pthread_join, wake the joiner, and go. */
/*
 * The main thread's exit (SYS_exit, as musl's pthread_exit makes it) while
 * other threads live: as on Linux the process goes on.  Its environment is
 * the process (its parent hears its end), so it waits here, keeping events
 * for the threads, until a thread ends the process (libos_exit points it at
 * libos_exit_entry) or the last thread leaves (libos_thread_exit).
 */
static bool main_parked;
static i64 parked_status;
static int *main_clear_tid; /* set_tid_address of the process's own environment */

/* The word the kernel would clear (and wake) when the calling thread exits. */
i64 libos_set_tid_address(int *address)
{
	HOLD_LIBOS_LOCK();
	u64 self = (u64)exo_self();
	for (u32 i = 0; i < MAX_THREADS; i++)
		if (threads[i].env == self) {
			threads[i].clear_tid = address;
			return (i64)self;
		}
	main_clear_tid = address;
	return (i64)self;
}

static void clear_and_wake(int *clear_tid)
{
	if (!clear_tid)
		return;
	__atomic_store_n(clear_tid, 0, __ATOMIC_RELEASE);
	libos_futex_wake(clear_tid, 1);
}

static u32 threads_of(u64 process)
{
	u32 count = 0;
	for (u32 i = 0; i < MAX_THREADS; i++)
		count += threads[i].env && threads[i].process == process;
	return count;
}

__attribute__((noreturn)) void libos_park_main(i64 status)
{
	libos_lock();
	if (threads_of((u64)exo_self()) == 0) {
		libos_unlock(); /* no thread of its own (left meanwhile, or a vfork child): it ends now */
		libos_exit(status);
	}
	parked_status = status;
	main_parked = true;
	futex_robust_release(sig_here());
	sig_here()->parked = true; /* the process's signals go to its threads */
	sig_route(sig_here());
	int *clear_tid = main_clear_tid;
	libos_unlock();
	/* As the kernel does at a thread's exit: musl's thread-list lock is released this way. */
	clear_and_wake(clear_tid);
	for (;;) {
		struct exo_event event;
		if (exo_recv(&event, LIBOS_RECV, 0) != 0)
			continue;
		if (event.kind == EXO_EVENT_ALERT)
			sig_absorb(event.value, event.env); /* routed to the other threads: we are parked */
		else
			libos_keep_event(&event);
	}
}


/* env leaves the thread table and its joiner wakes: true if it was the last, after the main thread. */
static bool thread_leave(u64 env, u64 process)
{
	struct sig_thread *t = sig_here();
	futex_robust_release(t); /* its robust locks: their next lockers get EOWNERDEAD */
	t->mask = ~0ull; /* the process's signals it was offered go to the others */
	sig_route(t);
	libos_lock();
	int *clear_tid = NULL;
	for (u32 i = 0; i < MAX_THREADS; i++)
		if (threads[i].env == env) {
			clear_tid = threads[i].clear_tid;
			threads[i].env = 0;
			libos_nthreads--;
			former[former_next++ % ARRAY_LEN(former)] = env;
		}
	bool last = main_parked && threads_of(process) == 0;
	sig_drop(env);
	libos_unlock();
	clear_and_wake(clear_tid);
	return last;
}

__attribute__((noreturn)) void libos_thread_end(u64 env)
{
	thread_leave(env, libos_process_of(env));
	exo_env_exit(0);
}

__attribute__((noreturn)) void libos_thread_exit(u64 env)
{
	u64 process = libos_process_of(env);
	if (thread_leave(env, process))
		libos_end_process_from(env, process, parked_status); /* the main thread left first */
	exo_env_exit(0);
}

/* exit_group: the other threads of the process end first. */
void libos_end_threads(u64 process, u64 except)
{
	libos_lock();
	for (u32 i = 0; i < MAX_THREADS; i++)
		if (threads[i].env && threads[i].process == process && threads[i].env != except) {
			exo_env_destroy(threads[i].env);
			futex_robust_release(sig_thread_at(upcall_top(i))); /* shared robust locks outlive us */
			sig_drop(threads[i].env);
			threads[i].env = 0;
			libos_nthreads--;
		}
	libos_unlock();
}

/*
 * Futexes are the kernel's word waits (EXO_RECV_WORD, EXO_WAKE): the kernel
 * checks the word as the sleep begins, so no wake is lost and libos keeps
 * no table of waiters; they work between processes sharing memory too.
 */
i64 libos_futex_wake(const int *address, u64 count)
{
	i64 woken = exo_wake((const volatile u32 *)address, count);
	return woken < 0 ? (woken == -EXO_EINVAL ? -L_EINVAL : -L_EFAULT) : woken;
}

i64 libos_futex_wait(const int *address, int expected, u64 timeout_ns)
{
	struct exo_event event;
	i64 err = exo_recv_word(&event, LIBOS_RECV, timeout_ns, (const volatile u32 *)address, (u32)expected);
	if (err == -EXO_EAGAIN)
		return -L_ETIMEDOUT;
	if (err < 0)
		return err == -EXO_EINVAL ? -L_EINVAL : -L_EFAULT;
	if (event.kind == EXO_EVENT_WORD)
		return event.env ? 0 : -L_EAGAIN; /* woken, or it was not `expected` */
	libos_keep_event(&event); /* someone else's event: kept for its waiter */
	return 0;                 /* a spurious wake: the caller looks again (futex callers do) */
}


/* The signal state of env if it is one of our threads in process p (the process's own included). */
struct sig_thread *libos_thread_state(u64 env, const struct sig_process *p)
{
	HOLD_LIBOS_LOCK();
	if (env == p->env && p->env == libos.env)
		return sig_thread_at(LIBOS_UPCALL_STACK_TOP);
	for (u32 i = 0; libos_nthreads && i < MAX_THREADS; i++)
		if (threads[i].env == env && threads[i].process == p->env)
			return sig_thread_at(upcall_top(i));
	return NULL;
}

/* Each thread of t's process but t, the main one first (unless it has left): f(state, arg). */
static void each_other_thread(const struct sig_thread *t, void (*f)(struct sig_thread *, u64 *), u64 *arg)
{
	u64 process = t->process->env;
	struct sig_thread *main = sig_thread_at(LIBOS_UPCALL_STACK_TOP);
	if (process == libos.env && main != t && !main->parked)
		f(main, arg);
	for (u32 i = 0; libos_nthreads && i < MAX_THREADS; i++) {
		struct sig_thread *other = sig_thread_at(upcall_top(i));
		if (threads[i].env && threads[i].process == process && other != t)
			f(other, arg);
	}
}

/* Process-directed signals t cannot take: each goes to the first thread that does not block it. */
static void offer(struct sig_thread *other, u64 *stuck)
{
	u64 takes = *stuck & (~other->mask | other->waiting_for); /* sigtimedwait takes what it waits for */
	if (takes && exo_env_alert(other->self, takes) == 0)
		*stuck &= ~takes;
}

void libos_threads_route(struct sig_thread *t, u64 stuck)
{
	HOLD_LIBOS_LOCK();
	each_other_thread(t, offer, &stuck);
}

static void discard(struct sig_thread *other, u64 *bits) { other->pending &= ~*bits; }

void libos_threads_discard(struct sig_process *p, u64 bits)
{
	HOLD_LIBOS_LOCK();
	struct sig_thread *t = sig_here();
	if (t->process == p)
		each_other_thread(t, discard, &bits);
}

static void wake(struct sig_thread *other, u64 *unused)
{
	(void)unused;
	exo_env_alert(other->self, SIG_BIT(L_SIGCONT)); /* from a thread of its own: only a wake-up */
}

void libos_threads_wake(struct sig_thread *t)
{
	HOLD_LIBOS_LOCK();
	each_other_thread(t, wake, NULL);
}
