/*
 * System-call numbers libos makes to itself (past Linux's): an environment
 * another one sent to libos_exit_entry or libos_exec_entry (libos_redirect)
 * goes on at depth 1, inside a light system call, where no alert
 * interrupts it (doc/exo-abi.md, EXO_ENV_ALERT).  Usable from assembly.
 */
#ifndef LIBOS_PRIVATE_CALLS_H
#define LIBOS_PRIVATE_CALLS_H

#define LIBOS_SYS_EXIT_STATUS 1000 /* (wait status): the process ends */
#define LIBOS_SYS_EXEC_HANDED 1001 /* (): switch to the image a thread built */
#define LIBOS_SYS_FORK_CHILD 1002  /* (): a forked child's first act (libos/fork/fork.c) */
#define LIBOS_SYS_FORK_NEXT 1003   /* (name): the caller's next fork's variant (<exo/fork.h>) */
#define LIBOS_SYS_FORK_VARIANT 1004 /* (buffer, size): the default variant's name (<exo/fork.h>) */
#define LIBOS_SYS_FORK_QUOTA 1005  /* (frames): the caller's next fork's child gets a fixed quota (<exo/fork.h>) */
#define LIBOS_SYS_FORK_STATS 1006  /* (struct exo_fork_stats *): what the last fork did (<exo/fork.h>) */

#endif
