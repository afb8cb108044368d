/*
 * The process table (libos/proctab.c): what every process must be able to
 * see of every other, which libos's private memory cannot give: process
 * groups and sessions, each process's parent, whether it is stopped, and
 * the console's terminal state (its foreground group, its termios).
 *
 * It is a few frames the first process (init) allocates, mapped at the
 * same place in every process: fork keeps it shared (it lies in libos's
 * shared slot, beside the pipes), exec maps it into the new space.  Any
 * process may write it, as any process may write a pipe it holds: it is
 * policy shared by cooperating processes, not something the kernel
 * guards: readers bound what they read, so a process that scribbles on it
 * can misdirect signals and job control, or stall the terminal, but makes
 * no other process reach outside the table, and gets past no kernel check.
 */
#ifndef LIBOS_PROCTAB_H
#define LIBOS_PROCTAB_H

#include "libos/libos.h"
#include "libos/pipe.h"

#define PROC_TABLE_VA (PIPE_AREA + MAX_PIPES * 4096ull)
#define PROC_TABLE_PAGES 7 /* a page of terminal state, two of signals in flight, then the entries */
/* Then one page naming the frames of the file tree's records and open file descriptions (libos/tree.c). */
#define TREE_FRAMES_VA (PIPE_AREA + MAX_PIPES * 4096ull + PROC_TABLE_PAGES * 4096ull)
#define PROC_TABLE_END (TREE_FRAMES_VA + 4096ull) /* the end of libos's shared pages */

/* libos's shared slot (pipes, this table, the tree's frames): every fork variant leaves it shared as it is. */
_Static_assert(PIPE_AREA % (2ull << 20) == 0 && PROC_TABLE_END - PIPE_AREA <= (2ull << 20), "one 2 MiB slot");
_Static_assert(PIPE_AREA > 0x00007ffe00000000ull && PIPE_AREA + (2ull << 20) <= LIBOS_SAFE_VA - (2ull << 20) + 1,
               "between a vfork child's upcall stack and the process's own slot");
static inline bool libos_shared_in(u64 start, u64 end) { return start < PROC_TABLE_END && PIPE_AREA < end; }

/* A process's job state (struct proc_entry.job): what its parent's wait4 may report. */
#define JOB_STOP_SIG 0xffu       /* the signal that stopped it */
#define JOB_STOPPED (1u << 8)    /* stopped now */
#define JOB_REPORT_STOP (1u << 9) /* a stop not yet reported (WUNTRACED) */
#define JOB_REPORT_CONT (1u << 10) /* a continue not yet reported (WCONTINUED) */
#define JOB_EXITED (1u << 11)    /* ended, not yet reaped: still in its group, no longer anyone's parent */
#define JOB_EXECED (1u << 12)    /* has exec'd since it was created (setpgid by its parent: EACCES) */
#define JOB_CONTINUED (1u << 13) /* its last change was a continue (SIGCHLD's si_code: not taken by wait4) */
#define JOB_POSTED (1u << 14)    /* a signal was posted to it (struct sig_record): look in the ring */
#define JOB_SEM_UNDO (1u << 15)  /* has had SEM_UNDO adjustments (sem_undo.c): its exit looks for them */

#define PROC_CLAIMED 0xffffffffu /* an entry being filled: no process yet */
struct proc_entry {
	u32 pid;  /* 0: free */
	u32 ppid; /* its parent, or init once orphaned */
	u32 pgid, sid;
	u32 job;
	u32 pad[3];
};

#include "libos/tty.h"

/*
 * A signal in flight to another process, with what its siginfo says: the
 * kernel's alert only wakes the receiver, which takes its records (so
 * every kill carries its sender and a sigqueue its value, and real-time
 * signals queue one per send).
 */
#define SIG_RING 256
enum { RECORD_FREE, RECORD_FILLING, RECORD_POSTED };
#define RECORD_STATE(word) ((word) & 3u)
#define RECORD_GEN(word) ((word) >> 2) /* moves on at each free: a stale look never frees a new record */
struct sig_record {
	u32 word; /* state and generation, changed by compare-and-swap only */
	u32 to, from, sig;
	i32 code;
	u32 seq;  /* the order posts were made in: a receiver takes its records in it */
	u64 value;
};

struct proc_table {
	u32 init;  /* the first process: orphans' new parent */
	u32 count; /* entries in use (RLIMIT_NPROC) */
	u32 top;   /* entries [0, top) may be in use: how far scans go */
	u32 post_seq; /* the next record's seq */
	struct tty_state tty;
	u8 pad[4096 - 16 - sizeof(struct tty_state)];
	struct sig_record ring[SIG_RING];
	struct proc_entry at[(PROC_TABLE_PAGES - 3) * 4096 / sizeof(struct proc_entry)];
};
_Static_assert(sizeof(struct proc_table) == PROC_TABLE_PAGES * 4096, "the table's pages");

#define PROC_TABLE ((struct proc_table *)PROC_TABLE_VA)

/* Start-up: the table mapped already (fork, vfork, exec), or made now (the first process). */
int proctab_init(void);
/* exec: the table mapped into the new space; then, past the point of no return, the caller marked. */
int proctab_map_into(struct aspace *to);
void proctab_execed(u64 self);
/* A new child of `parent`, in its group and session; -EAGAIN when the table is full. */
i64 proctab_add(u64 child, u64 parent);
/* Its entry gone (reaped, or never started). */
void proctab_remove(u64 pid);
struct proc_entry *proctab_find(u64 pid);
/* Processes in the table (RLIMIT_NPROC counts them all: every process is root). */
static inline u32 proctab_count(void) { return __atomic_load_n(&PROC_TABLE->count, __ATOMIC_RELAXED); }
/* The process `me` ends: its children go to init, and groups left orphaned with a stopped member are woken. */
void proctab_exiting(u64 me);
/* The group of pid (0: none known). */
u32 proctab_pgid(u64 pid);
/* Is the group orphaned (no member has a parent in another group of its session)? */
bool proctab_orphaned(u32 pgid);
/* The job word changed under compare-and-swap: set `set`, clear `clear`; the word before. */
u32 proctab_job_change(struct proc_entry *entry, u32 set, u32 clear);

/*
 * Post sig with its origin to process `to` (then alert it): a token for
 * proctab_retract, PROCTAB_MERGED (a standard signal already posted to it:
 * this one adds nothing), -ENOENT (no such entry) or -EAGAIN (no room).
 */
struct sig_origin;
#define PROCTAB_MERGED (1ll << 62)
i64 proctab_post(u64 to, u32 sig, const struct sig_origin *from);
/* Take back a posted record (its alert could not be sent), unless taken already. */
void proctab_retract(i64 token);
/* The records posted to `me`, each taken and handed to take(sig, origin). */
void proctab_take_posted(u64 me, void (*take)(u32 sig, const struct sig_origin *from));

i64 proctab_setpgid(i64 pid, i64 pgid);
i64 proctab_getpgid(i64 pid);
i64 proctab_setsid(void);
i64 proctab_getsid(i64 pid);
/* kill(pid <= 0): every process of the group (-1: every process but init and the caller). */
i64 proctab_kill_group(i64 pid, u64 sig, i64 (*send)(u64 pid, u64 sig));
i64 proctab_signal_group(u32 pgid, u64 sig, i64 (*send)(u64 pid, u64 sig));
/* The session of group pgid's members, or -ESRCH if it has none. */
i64 proctab_group_sid(u32 pgid);
/* Is some process (a zombie too, as Linux's) in group pgid of session sid? */
bool proctab_group_in_session(u32 pgid, u32 sid);

#endif
