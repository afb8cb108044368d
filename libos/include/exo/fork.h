/*
 * exo's fork variants, chosen per call.  Apps linked with libos include
 * <exo/fork.h>; the same source builds for Linux, where exo_fork fails
 * with ENOSYS (no variant can be chosen there) and exo_fork_variant
 * returns NULL.
 *
 *   pid_t pid = exo_fork("eager");   // this fork only; then as before
 *
 * The default for the process comes from EXO_FORK in the environment
 * (cow when unset), and is inherited by children.  doc/fork.md lists the
 * variants and what each costs.
 */
#ifndef EXO_FORK_H
#define EXO_FORK_H

#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#define EXO_SYS_FORK_NEXT 1003     /* (name): the caller's next fork uses this variant */
#define EXO_SYS_FORK_VARIANT 1004  /* (buffer, size): the default variant's name */
#define EXO_SYS_FORK_QUOTA 1005    /* (frames): the caller's next fork's child gets a fixed quota */
#define EXO_SYS_FORK_STATS 1006    /* (struct exo_fork_stats *): what the process's last fork did */

/* fork() as the named variant, this call only: -1 with EINVAL for a name libos does not know. */
static inline pid_t exo_fork(const char *variant)
{
	if (syscall(EXO_SYS_FORK_NEXT, variant) < 0)
		return -1;
	return fork();
}

/*
 * The caller's next fork (or exo_fork) gives its child a fixed quota of
 * `frames` (4 KiB each, its page tables and its record included), from
 * which it and all its descendants must live: they draw nothing from the
 * caller.  By default a child draws what it needs from its parent as it
 * goes.  0 on exo, -1 with ENOSYS elsewhere.
 */
static inline int exo_fork_quota(unsigned long frames)
{
	return syscall(EXO_SYS_FORK_QUOTA, frames) < 0 ? -1 : 0;
}

/*
 * exo's own madvise advice: how fork copies one region's private memory,
 * whatever the variant.  The child's view is the same either way (a
 * private copy); only the cost differs, and when it is paid.  It works on
 * whole last-level tables (2 MiB): a slot the region shares with others is
 * done as the region says, unless it also holds MAP_SHARED memory or memory
 * advised MADV_DONTFORK / MADV_WIPEONFORK (then as the variant does).
 * Advice on MAP_SHARED memory is EINVAL; Linux answers EINVAL to all four.
 */
#define EXO_MADV_FORK_DEFAULT 0x4500 /* as the variant does: undoes the three below */
#define EXO_MADV_FORK_COPY 0x4501    /* copied at fork time (eager) */
#define EXO_MADV_FORK_COW 0x4502     /* copy-on-write, page by page */
#define EXO_MADV_FORK_SHARE 0x4503   /* last-level tables shared until either side writes (on-demand) */

/*
 * What the process's last fork did (EXO_FORKSTAT=1 prints the same per
 * fork), and what forks have cost it since it started: 0 on exo, -1 with
 * ENOSYS elsewhere.
 */
struct exo_fork_stats {
	unsigned long tables;        /* last-level tables made for the child */
	unsigned long tables_shared; /* last-level tables of ours the child links (read-only) */
	unsigned long entries_cow;   /* entries copied write-protected, copy-on-write */
	unsigned long pages_copied;  /* pages copied at fork time */
	unsigned long pages_shared;  /* entries mapping the same frame on purpose (MAP_SHARED, pipes) */
	unsigned long forks;         /* forks this process made */
	unsigned long cow_faults;    /* copy-on-write faults it took */
	unsigned long unshares;      /* shared last-level tables it made its own */
	unsigned long frames;        /* frames the process owns now (its pages and tables) */
};

static inline int exo_fork_stats(struct exo_fork_stats *stats)
{
	return syscall(EXO_SYS_FORK_STATS, stats) < 0 ? -1 : 0;
}

/* The name of the variant a plain fork() uses now, or NULL (not on exo). */
static inline const char *exo_fork_variant(void)
{
	static char name[32];
	return syscall(EXO_SYS_FORK_VARIANT, name, sizeof(name)) < 0 ? NULL : name;
}

#endif
