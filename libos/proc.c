/*
 * Processes: a process is an environment.  clone(CLONE_VM|CLONE_VFORK) (what
 * musl's posix_spawn issues) runs the child in our address space, with its
 * own descriptor table and upcall stack, until it execs or exits; wait4
 * takes exit notices; exec (exec.c) moves a process to a new address space.
 */
#include "libos/tree.h"
#include "libos/filemap.h"
#include "libos/signal.h"
#include "libos/proctab.h"
#include "libos/fork/fork.h"
#include <string.h>

#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_EXIT_SIGNAL 0xff /* the signal the parent gets at the end: any (exit notices)*/
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_FORK_TIDS (CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)

/*
 * fork as glibc makes it: clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
 * SIGCHLD, 0, parent_tid, tls, child_tid).  The child writes its tid into
 * its own copy of *child_tid as it starts (glibc's thread descriptor then
 * names the child, so raise() signals it and not its parent), and clears it
 * at exit; the parent gets it in *parent_tid.  (The vfork variant's child
 * borrows its parent's memory, where the word is the parent's: not written.)
 */
struct fork_tids libos_fork_tids(const struct exo_upcall *up)
{
	u64 flags = up->regs.x[0];
	return (struct fork_tids){ .set = flags & CLONE_CHILD_SETTID ? (int *)up->regs.x[4] : NULL,
		                   .clear = flags & CLONE_CHILD_CLEARTID ? (int *)up->regs.x[4] : NULL };
}

static i64 fork_with_tids(struct exo_upcall *up, u64 flags)
{
	i64 child = libos_fork(up);
	int *parent_tid = (int *)up->regs.x[2];
	if (child > 0 && (flags & CLONE_PARENT_SETTID) && mm_usable_at((u64)parent_tid, true))
		*parent_tid = (int)child; /* the child exists: a word we may not write is left alone, as Linux */
	return child;
}
#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define L_ECHILD 10
#define L_ESRCH 3
#define VFORK_DONE 0x7f0f /* the message a vfork child sends when it leaves our space */
#define CHILD_UPCALL_BASE 0x00007ffe00000000ull
_Static_assert(CHILD_UPCALL_BASE % UPCALL_TOP_ALIGN == 0, "libos_upcall_top");
_Static_assert(CHILD_UPCALL_BASE - UPCALL_TOP_ALIGN >= LIBOS_UPCALL_AREA_START, "fork leaves it alone");
#define PAGE 4096ull

/* A vfork child's upcall stack, in our space, while it runs here (one at a time). */
static u64 child_upcall_top(void) { return CHILD_UPCALL_BASE; }

/* Until the child has left our space: its exec notice, or its end (kept for wait4). */
static void wait_vfork(u64 child)
{
	for (;;) {
		struct exo_event event;
		if (exo_recv(&event, LIBOS_RECV, 0) < 0)
			break;
		if (event.env == child && event.kind == EXO_EVENT_MESSAGE && event.value == VFORK_DONE)
			break;
		if (event.kind == EXO_EVENT_ALERT) {
			sig_alerted(event.value, event.env, SIG_WAIT_KILLABLE); /* as Linux's vfork: only a fatal one acts now */
			continue;
		}
		libos_keep_event(&event); /* for its own wait: none is dropped */
		if (event.env == child && event.kind == EXO_EVENT_EXIT)
			break;
	}
}

/*
 * Children spawned and not yet waited for (wait4 takes exit notices only
 * from these: a thread's end notifies its creator too, and is no child's).
 */
#define MAX_CHILDREN 256
static u64 children[MAX_CHILDREN];
static u32 nchildren;

void libos_add_child(u64 child)
{
	HOLD_LIBOS_LOCK();
	if (nchildren < ARRAY_LEN(children))
		children[nchildren++] = child;
}

/* No room to remember another child: fork and spawn fail with EAGAIN rather than lose one. */
bool libos_children_full(void)
{
	HOLD_LIBOS_LOCK();
	return nchildren >= ARRAY_LEN(children);
}

/* Take child off the list: true if it was ours. */
static bool take_child(u64 child)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < nchildren; i++)
		if (children[i] == child) {
			children[i] = children[--nchildren];
			return true;
		}
	return false;
}

/*
 * What a wait asks for, in one number: a child (pid > 0), any child (-1),
 * or one of a group (GROUP_WAIT - pgid: group 0, init's, must be nameable).
 */
#define GROUP_WAIT (-(1ll << 33))
static bool answers(i64 want, u64 env)
{
	return want == -1 || (want > 0 && env == (u64)want) ||
	       (want <= GROUP_WAIT && proctab_pgid(env) == (u32)(GROUP_WAIT - want));
}

static bool is_child(i64 pid)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < nchildren; i++)
		if (answers(pid, children[i]))
			return true;
	return false;
}

bool libos_is_child(i64 pid) { return pid > 0 && is_child(pid); }

/*
 * One vfork child at a time in this address space (its upcall stack, and
 * exec's scratch space, are single), and one exec building at a time: a
 * lock that waits outside the libos lock, named by environment (a vfork
 * child's exec runs while its parent holds it, and does not take it).
 */
#define spawn_holder (LIBOS_SAFE->spawn_holder) /* fault-safe memory: fork takes it around its copy */

/* A vfork child still in its parent's memory (not the process, not a thread): its parent holds the lock for it. */
bool libos_in_vfork_child(void)
{
	u64 me = (u64)exo_self();
	return me != libos.env && !libos_is_thread(me);
}

void libos_spawn_lock(void)
{
	if (libos_in_vfork_child())
		return; /* its parent waits, holding the lock: the child's exec or fork builds under it */
	u32 self = (u32)exo_self(), free_word = 0;
	while (!__atomic_compare_exchange_n(&spawn_holder, &free_word, self, false, __ATOMIC_ACQUIRE,
	                                    __ATOMIC_RELAXED)) {
		free_word = 0;
		exo_yield();
	}
}

void libos_spawn_unlock(void)
{
	if (!libos_in_vfork_child())
		__atomic_store_n(&spawn_holder, 0, __ATOMIC_RELEASE);
}

/* A forked child: no children yet, and the spawn lock its parent held for the fork is not held here. */
void proc_fork_child(void)
{
	if (nchildren)
		nchildren = 0;
	spawn_holder = 0;
}


static i64 vfork_child(struct exo_upcall *up, u64 stack);

i64 libos_clone(struct exo_upcall *up)
{
	u64 flags = up->regs.x[0], stack = up->regs.x[1];
	libos_syscall_origin(&up->regs); /* the children start from the caller's whole state */
	if ((flags & CLONE_VM) && (flags & CLONE_THREAD))
		return libos_thread_clone(up);
	if (!(flags & CLONE_VM))
		return (flags & ~(CLONE_EXIT_SIGNAL | CLONE_FORK_TIDS)) ? -L_EINVAL : fork_with_tids(up, flags);
	if (!(flags & CLONE_VFORK))
		return -L_EINVAL; /* a shared address space without a thread or a vfork: not supported */
	return libos_vfork(up, stack);
}

i64 libos_vfork(struct exo_upcall *up, u64 stack)
{
	if (libos_children_full() || libos_in_vfork_child())
		return -L_EAGAIN; /* a vfork child's own vfork child would need the one vfork upcall stack */
	libos_spawn_lock();
	i64 child = vfork_child(up, stack ? stack : up->regs.sp); /* no stack: the caller's (a fork) */
	libos_spawn_unlock();
	return child;
}

/*
 * A child process (fork, vfork, posix_spawn): it owns nothing to begin
 * with and draws what it needs from our spare quota as it goes, and so
 * on up while we draw from ours (EXO_ENV_DRAWS): the processes share the
 * memory as they need it, as on Linux, rather than each being handed a
 * fixed part of its parent's.  Unless `fixed_quota` is given
 * (exo_fork_quota): then the child owns that much and draws nothing, a
 * bound for all its descendants.  An errno for fork: ENOMEM when no frame
 * or quota is left, EAGAIN when the family tree is as deep as it may grow.
 */
i64 libos_child_create(u64 fixed_quota)
{
	if (proctab_count() >= libos_nproc())
		return -L_EAGAIN; /* RLIMIT_NPROC */
	i64 child = fixed_quota ? exo_env_create(fixed_quota) : exo_env_create_flags(0, EXO_ENV_DRAWS);
	if (child < 0)
		return child == -EXO_ERANGE ? -L_EAGAIN : -L_ENOMEM;
	/* In our group and session; EAGAIN when the process table is full (RLIMIT_NPROC's failure). */
	if (proctab_add((u64)child, libos_process_of((u64)exo_self())) < 0) {
		exo_env_destroy((u64)child);
		return -L_EAGAIN;
	}
	exo_env_set_exit_alert((u64)child, SIG_BIT(L_SIGCHLD)); /* its end alerts us once its notice is queued */
	return child;
}

/* A child made but never started: gone from the kernel and the process table. */
void libos_child_destroy(u64 child)
{
	exo_env_destroy(child);
	proctab_remove(child);
}

static i64 vfork_child(struct exo_upcall *up, u64 stack)
{
	struct exo_env_info info;
	exo_env_info((u64)exo_self(), &info);
	i64 child = libos_child_create(0);
	if (child < 0)
		return child;
	struct exo_regs regs = up->regs;
	regs.x[0] = 0; /* the child's clone() returns 0 */
	regs.sp = stack;
	i64 err = mm_map_stack(child_upcall_top(), UPCALL_PAGES);
	if (!err)
		err = fs_fork_table((u64)child);
	if (!err)
		err = sig_fork((u64)child, child_upcall_top(), true);
	if (!err)
		err = exo_env_set_upcalls((u64)child, (u64)libos_fault_entry, (u64)libos_syscall_entry,
		                          child_upcall_top(), LIBOS_UPCALL_FLAGS);
	if (!err)
		err = exo_env_set_root((u64)child, info.root);
	if (!err)
		err = exo_env_set_regs((u64)child, &regs);
	if (!err)
		err = exo_env_run((u64)child);
	if (err) {
		libos_child_destroy((u64)child);
		fs_drop_table((u64)child, false);
		sig_drop((u64)child);
		return -L_ENOMEM;
	}
	libos_add_child((u64)child);
	wait_vfork((u64)child);
	libos_lock_reclaim_from_vfork();
	return child;
}

/*
 * A vfork child's parent waits until the child's new image is ready: its
 * handlers set and its descriptors taken over, so that from then on a kill
 * ends it cleanly (its pipe ends close).  exec passes the parent on in the
 * exec block; the new image's libos_init sends VFORK_DONE.
 */
u64 libos_vfork_parent(void)
{
	struct exo_env_info info;
	u64 me = (u64)exo_self();
	return !libos_is_thread(me) && me != libos.env && exo_env_info(me, &info) == 0 ? info.parent : 0;
}

void libos_vfork_ready(u64 parent)
{
	if (parent)
		exo_send(parent, VFORK_DONE);
}

/* Kernel statuses are libos's wait statuses; a kill (-1) reads as SIGKILL. */
static int wait_status(u64 value) { return (i64)value < 0 ? L_SIGKILL : (int)value; }

/*
 * Orphans (their parent ended) are adopted by the first environment, our
 * init: their exit notices come to it as EXO_EVENT_ORPHAN_EXIT, and its
 * wait4 reaps them as it does its own children (not by group).
 */
static bool is_orphan_of_ours(i64 want)
{
	return want == -1 ? exo_orphans() > 0 : want > 0 && exo_is_orphan((u64)want) > 0;
}

/* An exit notice wait4 takes for pid: a child's (off the list now), or an adopted orphan's. */
static bool take_exit(i64 pid, const struct exo_event *event)
{
	if (event->kind == EXO_EVENT_ORPHAN_EXIT)
		return pid == -1 || event->env == (u64)pid;
	return event->kind == EXO_EVENT_EXIT && answers(pid, event->env) && take_child(event->env);
}

/*
 * A stop or continue of a child not yet reported, if the options ask for
 * it (WUNTRACED, WCONTINUED): the child marks it in its entry and alerts
 * us (SIGCHLD); the report is taken off as it is given, once.
 */
static u64 job_report(i64 pid, u64 options, int *status)
{
	u32 wanted = (options & WUNTRACED ? JOB_REPORT_STOP : 0) | (options & WCONTINUED ? JOB_REPORT_CONT : 0);
	if (!wanted)
		return 0;
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < nchildren; i++) {
		struct proc_entry *entry = answers(pid, children[i]) ? proctab_find(children[i]) : NULL;
		u32 job = entry ? proctab_job_change(entry, 0, wanted) & wanted : 0;
		if (!job)
			continue;
		int report = job & JOB_REPORT_STOP ? (int)((entry->job & JOB_STOP_SIG) << 8) | 0x7f : 0xffff;
		if (status)
			*status = report;
		return children[i];
	}
	return 0;
}

/* A child reaped by nobody (SIGCHLD ignored): off our list and out of the process table. */
static bool forget_child(u64 child)
{
	if (!take_child(child))
		return false;
	proctab_remove(child);
	return true;
}

bool libos_reap_if_ignored(void)
{
	const struct k_sigaction *action = &sig_here()->process->actions[L_SIGCHLD - 1];
	if (action->handler != L_SIG_IGN && !(action->flags & L_SA_NOCLDWAIT))
		return false;
	libos_drop_exits(forget_child);
	return true;
}

static i64 reaped(const struct exo_event *event, int *status)
{
	if (status)
		*status = wait_status(event->value);
	proctab_remove(event->env);
	return (i64)event->env;
}

/*
 * A child's exit notice: one kept earlier first (another wait, or a
 * thread, took it from the kernel), else the kernel's next event; every
 * event that is not the one wanted goes to the store, where it waits for
 * its own wait (a thread's end, which no one waits for, is dropped).
 * Stops and continues are asked of the process table before each wait.
 */
i64 libos_wait4(i64 pid, int *status, u64 options)
{
	if (pid == -0x80000000ll || pid < -0xffffffffll)
		return -L_ESRCH; /* as Linux: INT_MIN names no group */
	if (pid == 0)
		pid = GROUP_WAIT - proctab_pgid(libos_process_of((u64)exo_self())); /* our own group */
	else if (pid < -1)
		pid = GROUP_WAIT + pid;
	for (bool first = true;; first = false) {
		struct exo_event event;
		/* SIGCHLD ignored: ended children are gone as they end; the wait lasts until none is left. */
		bool no_zombies = libos_reap_if_ignored();
		if (libos_take_kept_exit(pid, take_exit, &event))
			return reaped(&event, status);
		u64 job = job_report(pid, options, status);
		if (job)
			return (i64)job;
		/* Looked at after the store: an orphan's notice there is no longer the kernel's to tell of. */
		if ((first || no_zombies) && !is_child(pid) && !is_orphan_of_ours(pid))
			return -L_ECHILD;
		/* Orphans' notices only when one may be the answer: else they stay with the kernel. */
		u64 orphans = pid == -1 || (pid > 0 && !is_child(pid)) ? 0 : EXO_RECV_SKIP_ORPHANS;
		/*
		 * A handled signal ready: only a look (the SIGCHLD of the very child
		 * waited for comes just before its notice); then it interrupts.
		 * WNOHANG never waits, so never gives EINTR.
		 */
		bool signalled = sig_settle(sig_here()) != 0;
		u64 nowait = (options & WNOHANG) || signalled ? EXO_RECV_NOWAIT : 0;
		if (!nowait)
			tty_listen(); /* a shell waiting for its job hears Ctrl-C for it */
		i64 err = libos_recv_event(&event, nowait | orphans);
		if (err == LIBOS_ALERTED)
			continue;
		if (err == -EXO_EAGAIN && !(options & WNOHANG)) {
			if (signalled)
				sig_alerted(0, 0, SIG_WAIT_INTERRUPTIBLE); /* EINTR, or a restart */
			continue; /* a wait with threads about: the store is looked at again */
		}
		if (err < 0)
			return err == -EXO_EAGAIN ? 0 : -L_ECHILD;
		if (no_zombies && event.kind == EXO_EVENT_EXIT && forget_child(event.env))
			continue;
		if (take_exit(pid, &event))
			return reaped(&event, status);
		if (event.kind == EXO_EVENT_EXIT && !libos_is_child((i64)event.env))
			continue; /* a thread's end, not a child's: nobody waits for it */
		libos_keep_event(&event);
	}
}

i64 libos_redirect(u64 env, u64 pc, u64 arg)
{
	struct exo_regs regs;
	i64 err = exo_env_get_regs(env, &regs);
	if (err < 0)
		return err;
	regs.pc = pc;
	regs.x[0] = arg;
	regs.sp = (regs.sp - 512) & ~15ull; /* below whatever it was using */
	return exo_env_set_regs(env, &regs);
}

/*
 * A thread ends the process: the process's own environment must be the one
 * to exit, so that its parent hears the right status.
 */
__attribute__((noreturn)) void libos_end_process_from(u64 self, u64 process, i64 status)
{
	libos_redirect(process, (u64)libos_exit_entry, (u64)status);
	libos_thread_end(self);
}

/* exit_group: the whole process (its other threads first). */
__attribute__((noreturn)) void libos_exit(i64 status)
{
	u64 self = (u64)exo_self();
	fork_exit_if_unsettled(self, status); /* a forked child in its first act: only what was counted for it */
	tree_unlock_if_mine(); /* a fatal fault inside a call: its exit takes the lock again */
	u64 process = libos_process_of(self);
	libos_end_threads(process, self);
	if (process != self)
		libos_end_process_from(self, process, status);
	/*
	 * Its ends of pipes close (a reader then sees the end).  When the
	 * address space ends with it, only what others see (the pipes' shared
	 * counts) needs changing; a vfork child's table is its parent's memory.
	 */
	if (process == libos.env)
		filemap_forget_all(); /* the address space ends: its file mappings let their files go */
	fs_record_locks_drop(0, process); /* and its record locks (a lock of an ended process is also passed over) */
	sysv_process_ends(process);       /* SEM_UNDO's adjustments are given back */
	if (process != libos.env || !fs_exit_owner(process)) {
		fs_drop_table(process, false);
		sig_drop(process);
	}
	fork_stat_exit();
	u64 sp;
	__asm__("mov %0, sp" : "=r"(sp));
	if (sp >= LIBOS_UPCALL_AREA_START && sp < LIBOS_UPCALL_AREA_END)
		futex_robust_release(sig_here()); /* robust locks in shared memory: others get EOWNERDEAD */
	proctab_exiting(process); /* its children go to init; a group it leaves orphaned may be woken */
	exo_env_exit(status);
}

/* exec's other half, in the new image: free the address space left behind. */
#define RECLAIM_VA 0x0000011000000000ull

/*
 * The file tree's records and pool pages stay: they are the first
 * process's, and other processes' files live in them (only the mappings
 * go).  So do the process table's pages, which every process maps.
 */
static bool keeps_frames(u64 va)
{
	return (va >= TREE_OFDS_VA && va < TREE_END) || (va >= PROC_TABLE_VA && va < PROC_TABLE_END);
}

/*
 * Top down: a table is read, then freed, which makes the kernel drop
 * every reference it held (no entry is written: zeroing 512 entries a
 * table through EXO_PT_WRITE was a tenth of an exec).  What it linked or
 * mapped is then unreferenced and goes next.  A table of ours that a
 * child still links (shared), and pages a child still maps, are given up
 * all the same: the kernel frees them when the child lets go
 * (EXO_FREE_WHEN_UNUSED).  A table not ours (a parent's, shared) keeps
 * what it holds.
 */
static void reclaim_table(u64 table, u32 level, u64 va)
{
	u64 entries[EXO_PT_ENTRIES];
	u64 window = RECLAIM_VA + level * PAGE;
	if (as_map(&libos.self, window, table, PAGE_RO) < 0)
		return;
	memcpy(entries, (const void *)window, sizeof(entries));
	as_unmap(&libos.self, window);
	if (exo_frame_free(&table, 1 | EXO_FREE_WHEN_UNUSED) < 0)
		return;
	u32 count = level == 0 ? EXO_PT_WINDOW_SLOT : EXO_PT_ENTRIES, frees = 0;
	for (u32 i = 0; i < count; i++) {
		if (!(entries[i] & EXO_PTE_VALID))
			continue;
		u64 target = entries[i] & EXO_PTE_ADDR_MASK, at = va + ((u64)i << (39 - 9 * level));
		if (level < EXO_PT_LEVELS - 1) {
			if (level != EXO_PT_LEVELS - 2 || !fork_in_archive(at)) /* not the kernel's public table */
				reclaim_table(target, level + 1, at);
		} else if (!keeps_frames(at) && !(entries[i] & NOT_OURS_PTE)) { /* the tree's, the archive's */
			entries[frees++] = target; /* (entries[i] is read: the array holds the batch) */
		}
	}
	mm_free_frames(entries, frees); /* (those a child still maps go when it lets go) */
}

void libos_reclaim_space(u64 root)
{
	reclaim_table(root, 0, 0);
}
