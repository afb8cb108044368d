/*
 * fork(): clone without CLONE_VM (musl's fork and vfork both issue
 * clone(SIGCHLD)).  The parent, inside the light system call:
 *
 *  1. makes the child environment (drawing on our quota as it goes, as for vfork);
 *  2. lets each subsystem put the child's state into our memory: its
 *     descriptor table, its signal mask and actions, the registers it
 *     resumes with (ours, x0 = 0) and our FP/SIMD registers;
 *  3. has the variant build the child's address space from ours, so the
 *     child's copy of libos's memory holds all of that;
 *  4. takes the child's state back out of its own memory, counts the
 *     child's pipe ends, and starts the child at libos_fork_child_entry.
 *
 * The child's first act (LIBOS_SYS_FORK_CHILD, a light system call, so no
 * alert interrupts it) drops from its copy what is its parent's (the
 * parent's descriptor table, masks, threads, children, kept events, the
 * locks its parent held for the copy) and resumes the saved registers with
 * EXO_UPCALL_RETURN: fork returns 0 there.
 */
#include "libos/tree.h"
#include "libos/filemap.h"
#include "libos/fork/fork.h"
#include "libos/proctab.h"
#include "libos/private_calls.h"
#include <exo/fork.h>
#include <string.h>

_Static_assert(EXO_SYS_FORK_NEXT == LIBOS_SYS_FORK_NEXT && EXO_SYS_FORK_VARIANT == LIBOS_SYS_FORK_VARIANT &&
                   EXO_SYS_FORK_QUOTA == LIBOS_SYS_FORK_QUOTA && EXO_SYS_FORK_STATS == LIBOS_SYS_FORK_STATS,
               "<exo/fork.h> and libos agree");

/* The variants, by name (EXO_FORK): the first is the default. */
static const struct fork_variant *const variants[] = { &fork_cow, &fork_eager, &fork_shared, &fork_async, &fork_vfork };

/* Written by the parent before the copy; what the child's copy holds is the child's. */
static struct {
	u64 parent;            /* who forked (a thread, or the process) */
	u64 process;           /* the process it belongs to */
	u64 child;             /* the child: only it may resume */
	u64 child_root;        /* the child's level-0 table */
	struct exo_regs regs;  /* where the child resumes: the caller of fork, x0 = 0 */
	const struct fork_variant *variant; /* its child_start, in the child's first act */
	struct fork_tids tids;  /* clone's CLONE_CHILD_SETTID / CLEARTID words (glibc's fork) */
	u8 fp[528] __attribute__((aligned(16))); /* its FP/SIMD registers (libos_fp_save) */
} resume;

#define SCRATCH_VA 0x0000010000000000ull /* exec.c's */
#define RECLAIM_VA 0x0000011000000000ull /* proc.c's */
#define SLOT_2M(va) ((va) & ~((2ull << 20) - 1))

bool fork_va_skipped(u64 va)
{
	u64 slot = SLOT_2M(va);
	/* Other upcall stacks than the process's own are its threads' or a vfork child's: not the child's. */
	bool other_upcall = va >= LIBOS_UPCALL_AREA_START && va < LIBOS_UPCALL_AREA_END && slot != FORK_UPCALL_SLOT &&
	                    slot != PIPE_AREA; /* libos's shared slot lies among them */
	bool file_pages = va >= TREE_OFDS_VA && va < TREE_END; /* the file tree: each process maps it as it uses it */
	return slot == FORK_SCRATCH_VA || slot == SCRATCH_VA || slot == RECLAIM_VA || other_upcall || file_pages ||
	       va >= EXO_USER_VA_END;
}

enum fork_page fork_page_class(u64 va)
{
	bool archive = va >= (libos.archive & ~4095ull) && va < libos.archive + libos.archive_size;
	if (archive || libos_shared_in(va, va + 1))
		return FORK_PAGE_SHARED;
	enum mm_fork_class class = mm_fork_class(va);
	return class == MM_FORK_SHARED ? FORK_PAGE_SHARED : class == MM_FORK_LEAVE ? FORK_PAGE_LEAVE : FORK_PAGE_PRIVATE;
}

bool fork_in_archive(u64 va)
{
	u64 start = libos.archive & ~((2ull << 20) - 1); /* the kernel maps it from a 2 MiB boundary */
	return libos.archive_size && va >= start && va < libos.archive + libos.archive_size;
}

/* The process's default (EXO_FORK), and a variant chosen for one environment's next fork. */
static const struct fork_variant *default_variant = NULL;
static struct {
	u64 env;
	const struct fork_variant *variant;
	u64 quota_env, quota; /* a fixed quota for quota_env's next child (exo_fork_quota), 0: it draws */
} next_fork;

static const struct fork_variant *variant_named(const char *name)
{
	for (u32 i = 0; i < ARRAY_LEN(variants); i++)
		if (strcmp(variants[i]->name, name) == 0)
			return variants[i];
	return NULL;
}

int fork_choose_default(const char *name)
{
	const struct fork_variant *chosen = variant_named(name);
	if (!chosen)
		return -L_EINVAL;
	default_variant = chosen;
	return 0;
}

i64 fork_choose_next(const char *name)
{
	char copy[32];
	u32 i = 0;
	for (; i < sizeof(copy) - 1 && name[i]; i++) /* a bad pointer faults here: EFAULT */
		copy[i] = name[i];
	copy[i] = 0;
	const struct fork_variant *chosen = variant_named(copy);
	if (!chosen)
		return -L_EINVAL;
	HOLD_LIBOS_LOCK();
	next_fork.env = (u64)exo_self();
	next_fork.variant = chosen;
	return 0;
}

i64 fork_choose_quota(u64 frames)
{
	HOLD_LIBOS_LOCK();
	next_fork.quota_env = (u64)exo_self();
	next_fork.quota = frames;
	return 0;
}

/* The fixed quota chosen for the caller's next child, once (0: none, it draws). */
static u64 take_quota(void)
{
	HOLD_LIBOS_LOCK();
	u64 quota = next_fork.quota_env == (u64)exo_self() ? next_fork.quota : 0;
	if (quota)
		next_fork.quota = 0;
	return quota;
}

static const struct fork_variant *current_default(void) { return default_variant ? default_variant : variants[0]; }

i64 fork_default_name(char *buffer, u64 size)
{
	const char *name = current_default()->name;
	u64 length = strlen(name);
	if (size <= length)
		return -L_EINVAL;
	memcpy(buffer, name, length + 1); /* a bad buffer faults here: EFAULT */
	return 0;
}

void fork_list_variants(char *buffer, u64 size)
{
	u64 at = 0;
	buffer[0] = 0;
	for (u32 i = 0; i < ARRAY_LEN(variants); i++) {
		u64 length = strlen(variants[i]->name);
		if (at + length + 3 >= size)
			break;
		if (i)
			buffer[at++] = ',', buffer[at++] = ' ';
		memcpy(buffer + at, variants[i]->name, length + 1);
		at += length;
	}
}

/* This fork's variant: the one chosen for the caller's next fork, once, else the default. */
static const struct fork_variant *variant(void)
{
	const struct fork_variant *chosen = current_default();
	if (next_fork.variant && next_fork.env == (u64)exo_self()) {
		chosen = next_fork.variant;
		next_fork.variant = NULL;
	}
	return chosen;
}

/* Starts the child made so far: its upcalls as ours, its root, its first registers. */
static int start_child(const struct fork_job *job)
{
	struct exo_regs first = resume.regs;
	first.pc = (u64)libos_fork_child_entry;
	/*
	 * The process's upcall stack (copied), alerts held: a signal sent to
	 * the child before it has taken its state over (a shell's Ctrl-Z for
	 * the job just forked) would find libos's state still its parent's.
	 * The child opens them as it resumes the program.
	 */
	i64 err = exo_env_set_upcalls(job->child, (u64)libos_fault_entry, (u64)libos_syscall_entry,
	                              LIBOS_UPCALL_STACK_TOP, LIBOS_UPCALL_FLAGS | EXO_UPCALL_HOLD_ALERTS);
	if (!err)
		err = exo_env_set_root(job->child, job->child_root);
	if (!err)
		err = exo_env_set_regs(job->child, &first);
	if (err)
		return -L_ENOMEM;
	fs_fork_count_ends(resume.process, +1); /* before it runs: a parent's close must not look like the last */
	filemap_fork_count(+1);                  /* and its file mappings hold their files */
	if (exo_env_run(job->child) < 0) {
		fs_fork_count_ends(resume.process, -1);
		filemap_fork_count(-1);
		return -L_ENOMEM;
	}
	return 0;
}

bool fork_stat;

u64 fork_now_ns(void)
{
	u64 ticks, frequency;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(ticks));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
	return (u64)((unsigned __int128)ticks * 1000000000u / frequency);
}

/* EXO_FORKSTAT=1: what one fork did (ns are guest instructions under -icount shift=0). */
static void stat_fork(const struct fork_job *job, const char *name, u64 ns)
{
	libos_report("libos: fork: pid %lu -> %lu variant=%s tables=%lu tables_shared=%lu entries_cow=%lu "
	             "pages_copied=%lu pages_shared=%lu ns=%lu\n",
	             libos.env, job->child, name, job->tables, job->tables_shared, job->entries_cow, job->pages_copied,
	             job->pages_shared, ns);
}

i64 fork_stats(u64 user_stats)
{
	volatile struct libos_safe *safe = LIBOS_SAFE;
	struct exo_env_info info = { 0 };
	exo_env_info(libos.env, &info);
	struct exo_fork_stats stats = {
		safe->last_fork[0], safe->last_fork[1], safe->last_fork[2], safe->last_fork[3], safe->last_fork[4],
		safe->forks_made, safe->cow_faults, safe->unshares, info.used,
	};
	memcpy((void *)user_stats, &stats, sizeof(stats)); /* a bad pointer faults here: EFAULT */
	return 0;
}

void fork_stat_exit(void)
{
	u64 cow_faults = LIBOS_SAFE->cow_faults, forks_made = LIBOS_SAFE->forks_made, unshares = LIBOS_SAFE->unshares;
	if (fork_stat && (forks_made || cow_faults || unshares))
		libos_report("libos: forkstat: pid %lu: %lu forks, %lu copy-on-write faults, %lu tables unshared\n",
		             libos.env, forks_made, cow_faults, unshares);
}

/* Steps 1-4 with the libos lock held: no thread of ours changes what is being copied. */
static i64 fork_locked(struct exo_upcall *up, const struct fork_variant *chosen, u64 fixed_quota)
{
	HOLD_LIBOS_LOCK();
	u64 started = fork_stat ? fork_now_ns() : 0;
	i64 child = libos_child_create(fixed_quota);
	if (child < 0)
		return child;
	struct fork_job job = { .child = (u64)child };
	int err = as_new(&job.space, job.child) < 0 ? -L_ENOMEM : 0;
	job.child_root = job.space.root;
	if (!err)
		err = mm_fork_prepare();
	if (!err) {
		/* Written before the copy, so never again after it: no copy-on-write fault here. */
		u64 self = (u64)exo_self();
		resume.parent = self;
		resume.process = libos_process_of(self);
		resume.child = job.child;
		resume.child_root = job.child_root;
		resume.regs = up->regs;
		resume.tids = libos_fork_tids(up); /* from the clone flags, before x0 becomes the child's 0 */
		resume.regs.x[0] = 0;
		resume.variant = chosen;
		libos_fp_save(resume.fp);
		sig_fork_prepare();
		LIBOS_SAFE->fork_unsettled = job.child; /* in the child's copy of the page only: cleared here after */
		err = chosen->copy_space(&job);
		LIBOS_SAFE->fork_unsettled = 0;
	}
	if (!err)
		err = start_child(&job);
	if (err) {
		libos_child_destroy(job.child);
		return err;
	}
	libos_add_child(job.child);
	LIBOS_SAFE->forks_made++;
	/* Fault-safe memory: written after the copy without a copy-on-write fault. */
	const u64 did[] = { job.tables, job.tables_shared, job.entries_cow, job.pages_copied, job.pages_shared };
	for (u32 i = 0; i < ARRAY_LEN(did); i++)
		LIBOS_SAFE->last_fork[i] = did[i];
	if (fork_stat)
		stat_fork(&job, chosen->name, fork_now_ns() - started);
	return child;
}

i64 libos_fork(struct exo_upcall *up)
{
	const struct fork_variant *chosen = variant();
	u64 fixed_quota = take_quota();
	if (libos_children_full())
		return -L_EAGAIN;
	if (chosen != &fork_eager && libos_in_vfork_child())
		chosen = &fork_cow; /* a vfork child's fork: its own vfork would need the one vfork upcall stack, and
		                       shared tables' unshares assume the address space is the caller's */
	if (chosen->fork)
		return chosen->fork(up);
	libos_spawn_lock(); /* one fork or exec building at a time: their scratch mappings are single */
	i64 result = fork_locked(up, chosen, fixed_quota);
	libos_spawn_unlock();
	return result;
}

/*
 * A forked child that ends before it has taken its state over (a
 * copy-on-write fault with no frame for the copy, in its first act): the
 * pipe ends its parent counted for it are given back, under its parent's
 * id or its own (fs_fork_child renames the table), and nothing else here
 * is its own to let go.  The libos lock is already its own
 * (thread_fork_child clears it before anything can fault).
 */
void fork_exit_if_unsettled(u64 self, i64 status)
{
	if (LIBOS_SAFE->fork_unsettled != self)
		return;
	tree_forked(); /* fork skipped the tree's slot: this child maps it afresh if it needs it */
	fs_fork_count_ends(resume.process, -1);
	fs_fork_count_ends(self, -1);
	filemap_fork_count(-1);
	exo_env_exit(status);
}

__attribute__((noreturn)) void libos_fork_child_resume(void)
{
	u64 self = (u64)exo_self();
	if (self != resume.child || resume.child == resume.parent)
		libos_exit(4); /* a stray call ends as by SIGILL: only the fresh child comes here */
	/*
	 * The lock first: the other steps take it, and the parent held it for
	 * the copy.  Each step writes only what differs, since every page it
	 * writes is copied (copy-on-write) for us.
	 */
	thread_fork_child();
	tree_forked(); /* fork skipped the tree's slot: mapped again at the first tree_lock */
	libos.env = self;
	libos.root = resume.child_root;
	as_self_of(&libos.self, self, resume.child_root);
	proc_fork_child();
	events_fork_child();
	mm_fork_child();
	LIBOS_SAFE->forks_made = 0;
	LIBOS_SAFE->cow_faults = 0;
	LIBOS_SAFE->unshares = 0;
	for (u32 i = 0; i < ARRAY_LEN(LIBOS_SAFE->last_fork); i++)
		LIBOS_SAFE->last_fork[i] = 0; /* it has made no fork yet */
	if (next_fork.variant)
		next_fork.variant = NULL;
	if (next_fork.quota)
		next_fork.quota = 0;
	fs_fork_child(self, resume.process);
	LIBOS_SAFE->fork_unsettled = 0; /* its pipe ends are its own now: libos_exit lets them go */
	sig_fork_child(self, resume.process);
	/* Our own copy of the word; one we may not write is left alone, as Linux ignores a failed put_user. */
	if (resume.tids.set && mm_usable_at((u64)resume.tids.set, true))
		*resume.tids.set = (int)self;
	if (resume.tids.clear)
		libos_set_tid_address(resume.tids.clear);
	if (resume.variant->child_start)
		resume.variant->child_start();
	resume.child = 0; /* no second resume */
	/* Settled: signals may come now (held ones come as the program resumes). */
	exo_env_set_upcalls(self, (u64)libos_fault_entry, (u64)libos_syscall_entry, LIBOS_UPCALL_STACK_TOP,
	                    LIBOS_UPCALL_FLAGS);
	struct exo_upcall record = { .regs = resume.regs };
	libos_fp_load(resume.fp);
	exo_upcall_return(&record);
	libos_exit(L_SIGKILL);
}
