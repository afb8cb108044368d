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

/* The name of the variant a plain fork() uses now, or NULL (not on exo). */
static inline const char *exo_fork_variant(void)
{
	static char name[32];
	return syscall(EXO_SYS_FORK_VARIANT, name, sizeof(name)) < 0 ? NULL : name;
}

#endif
