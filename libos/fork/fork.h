/*
 * fork() in libos: the common part (fork.c) makes the child environment,
 * hands each subsystem its say (descriptors, signals, threads, events),
 * and starts the child; a *variant* decides how the child's address space
 * is made from ours.  A variant is one file and one entry in fork.c's table.
 */
#ifndef LIBOS_FORK_H
#define LIBOS_FORK_H

#include "libos/libos.h"

/* One fork in progress, as the variant sees it. */
struct fork_job {
	u64 child;          /* the child's environment */
	u64 child_root;     /* its level-0 table, which the variant fills */
	struct aspace space; /* the child's tables made so far by libos (as_table) */
	/* What the variant did, for EXO_FORKSTAT and the tests. */
	u64 tables;        /* last-level tables made for the child (copies) */
	u64 tables_shared; /* last-level tables of ours it links (shared, the boot archive's) */
	u64 entries_cow;   /* entries copied write-protected, copy-on-write */
	u64 pages_copied;  /* pages copied at fork time */
	u64 pages_shared;  /* entries mapping the same frame on purpose (pipes, MAP_SHARED) */
};

struct fork_variant {
	const char *name;
	/*
	 * Make job->child_root map what our address space maps: private pages
	 * as the variant's semantics say, shared ones (fork_page_shared) as the
	 * same frames.  0, or a negative Linux errno; on failure whatever it
	 * made belongs to the child, which the caller destroys.
	 */
	int (*copy_space)(struct fork_job *job);
	/* Or the whole fork its own way (vfork: no address space is made); the child's pid or -errno. */
	i64 (*fork)(struct exo_upcall *up);
	/*
	 * In the child's first act, once libos's state is its own and before
	 * its code runs (NULL: nothing): async copies its shared tables here.
	 */
	void (*child_start)(void);
};

extern const struct fork_variant fork_eager, fork_cow, fork_vfork, fork_shared, fork_async;

/*
 * shared.c: before any table is linked shared (by shared, async, or
 * EXO_MADV_FORK_SHARE under any variant): libos then makes a shared table
 * private before it changes it, and write faults look for shared tables.
 */
void fork_share_hooks(void);

/* shared.c: every last-level table we still share, made our own (a copy, or in place). */
void fork_unshare_all(void);

/*
 * The eager copy of one of our last-level tables, the one for the 2 MiB at
 * va_base, into the child's new last-level table `table` (eager.c): every
 * private page copied, shared ones mapped as they are.
 */
int fork_eager_leaf(struct fork_job *job, u64 va_base, u64 table);

/*
 * cow.c's walk, for the variants built on it: the special slots (our
 * upcall stack's, pipes, MAP_SHARED memory, the boot archive) done as cow
 * does them, every other slot by EXO_PT_COPY_TABLES with these bits and
 * flags (cow: copies write-protected; shared: links read-only).
 */
int fork_copy_space(struct fork_job *job, u64 run_bits, u64 run_flags);

/*
 * shared.c: a write fault through a last-level table shared with another
 * address space (read-only through its link): 1 if the table was made
 * ours (copied, its pages copy-on-write) and the write should come again,
 * 0 if the fault is not that, -L_ENOMEM or -L_EPERM (the table's owner
 * has ended and is no ancestor any more) if it is but the copy failed.
 */
int fork_unshare_fault(u64 page);

/* How cow and shared copy a run of slots (EXO_PT_COPY_TABLES's bits and flags), and advised regions too. */
#define FORK_COW_BITS (EXO_PTE_RO | EXO_PTE_SW0)
#define FORK_COW_FLAGS (EXO_COPY_BOTH | EXO_COPY_SHARE)
#define FORK_SHARE_BITS EXO_PTE_APT_RO
#define FORK_SHARE_FLAGS (EXO_COPY_LINK | EXO_COPY_SHARE | EXO_COPY_BOTH)

/* Our upcall stack's 2 MiB: never write-protected (its handler runs there), so copied eagerly. */
#define FORK_UPCALL_SLOT ((LIBOS_UPCALL_STACK_TOP - 1) & ~((2ull << 20) - 1))

/*
 * A write fault that fork's copy-on-write made (the fault handler calls it
 * first, with no lock taken: the lock's own page may be one).  1 if it
 * was, and the page (or its table) is now private: the write may come
 * again; 0 if it was not; a negative errno if it was but the copy failed
 * (-L_ENOMEM: no frame left; -L_EPERM: fork_unshare_fault's).
 */
int fork_cow_fault(u64 addr);

/*
 * Choosing (fork.c): the process's default from EXO_FORK (0, or -EINVAL
 * for a name no variant has: the caller says so and stops); the caller's
 * next fork only (<exo/fork.h>); the default's name into a buffer.
 * EXO_FORKSTAT=1 prints a line per fork and the faults it caused at exit.
 */
int fork_choose_default(const char *name);
i64 fork_choose_next(const char *name);
/* exo_fork_quota: the caller's next fork gives its child a fixed quota of `frames`, drawing nothing. */
i64 fork_choose_quota(u64 frames);
i64 fork_default_name(char *buffer, u64 size);
void fork_list_variants(char *buffer, u64 size);
extern bool fork_stat;
/* The generic timer in ns (guest instructions under -icount shift=0). */
u64 fork_now_ns(void);
void fork_stat_exit(void);
/* <exo/fork.h>'s exo_fork_stats: the last fork's counts and the process's, copied to user_stats. */
i64 fork_stats(u64 user_stats);
/* libos_exit's first step: a forked child that dies in its first act gives back its pipe ends and ends. */
void fork_exit_if_unsettled(u64 self, i64 status);


/*
 * What happens to the page at va: it stays the same frame in both
 * processes (pipe buffers, the boot archive, MAP_SHARED memory), it is
 * left out of the child (MADV_DONTFORK, MADV_WIPEONFORK: the child has no
 * page there, or a fresh one on first touch), or it is private, copied as
 * the variant copies.
 */
enum fork_page { FORK_PAGE_PRIVATE, FORK_PAGE_SHARED, FORK_PAGE_LEAVE };
enum fork_page fork_page_class(u64 va);
/* Is va in the boot archive's 2 MiB slots (which hold nothing else)? */
bool fork_in_archive(u64 va);

/*
 * The part of our address space fork never copies: the level-0 window slot
 * (the kernel's) and libos's scratch mappings, which hold nothing between
 * calls.  FORK_SCRATCH_VA is a 2 MiB slot of its own for a variant's use.
 */
/* The slot right after the file tree's (tree.h's TREE_END, which fork skips too: one range, no extra copy call). */
#define FORK_SCRATCH_VA 0x000001200c000000ull
bool fork_va_skipped(u64 va);

#endif
