/*
 * libos internals: the library OS linked into every app.  It starts before
 * musl, owns the app's address space (through libos/aspace.c), and answers
 * the Linux system calls musl makes (svc #0, reflected by the kernel).
 * Built without FP/SIMD, and never calling into musl (its string calls are
 * renamed to libos's own, libos/private.syms), so upcall handlers leave the
 * interrupted program's FP/SIMD registers alone without saving them.
 */
#ifndef LIBOS_LIBOS_H
#define LIBOS_LIBOS_H

#include "libos/aspace.h"
#include "libos/light_entry.h"

struct libos {
	u64 env, root;
	bool tree_mapped; /* the file tree's records are mapped here (tree.c); beside env, which a forked child writes anyway */
	bool ofds_mapped; /* and its open file descriptions */
	u64 archive, archive_size; /* the boot archive, read-only */
	const char *cmdline;
	struct aspace self;
};
extern struct libos libos;

/* Linux errno values libos returns (negated), as musl expects them. */
enum {
	L_EPERM = 1, L_ENOENT = 2, L_EBADF = 9, L_EAGAIN = 11, L_ENOMEM = 12, L_EFAULT = 14, L_EEXIST = 17,
	L_EACCES = 13, L_ENODEV = 19, L_ENOTDIR = 20, L_EISDIR = 21, L_EINVAL = 22, L_ENOTTY = 25, L_ENOSPC = 28,
	L_EROFS = 30, L_EPIPE = 32, L_ENAMETOOLONG = 36, L_ENOSYS = 38, L_ELOOP = 40, L_EINTR = 4, L_EFBIG = 27,
	L_EWOULDBLOCK = 11, L_ERANGE = 34, L_EDEADLK = 35, L_ENOLCK = 37, L_EIDRM = 43,
};
#define L_SIGKILL 9 /* as a wait status: killed by SIGKILL */

/*
 * Upcall entries (start.S) and their C halves.  System calls come the light
 * way (EXO_UPCALL_LIGHT): start.S saves x0-x30 into a record on the upcall
 * stack and libos_on_syscall returns the result for x0.  The record's sp,
 * pc, pstate and tp are not filled in; libos_syscall_origin fetches them
 * for the calls that need the caller's whole state (clone).
 */
void libos_fault_entry(void);
void libos_syscall_entry(void);
struct exo_upcall *libos_on_fault(struct exo_upcall *up);
i64 libos_on_syscall(struct exo_upcall *up);
void libos_syscall_origin(struct exo_regs *regs);
#define LIBOS_UPCALL_FLAGS (EXO_UPCALL_LIGHT | EXO_UPCALL_OPEN_ALERTS) /* any process may signal any other */
/*
 * Every upcall stack (the process's, a vfork child's, each thread's) is
 * UPCALL_PAGES long with its top aligned to UPCALL_TOP_ALIGN, so an address
 * on one names its top, and so the light system call's record at the top
 * and the thread's signal state at the bottom (its lowest page: signal.h).
 */
#define UPCALL_PAGES 5
#define LIBOS_UPCALL_STACK_TOP 0x00007fff00000000ull /* the process's own */
/*
 * Fault-safe memory: one page that fork never write-protects (it lies in
 * the slot of the process's upcall stack, which fork copies eagerly), for
 * what a fault handler writes before it may fault itself (a fault inside a
 * fault handler ends the environment): the libos lock, fault counters.
 */
#define LIBOS_SAFE_VA (LIBOS_UPCALL_STACK_TOP - 2 * UPCALL_TOP_ALIGN)
struct libos_safe {
	u32 lock_word;  /* the libos lock (thread.c) */
	u32 lock_depth;
	u64 lock_owner;
	u64 cow_faults; /* copy-on-write faults resolved (EXO_FORKSTAT) */
	u64 forks_made; /* (EXO_FORKSTAT) */
	u64 unshares;   /* shared last-level tables made private (EXO_FORKSTAT) */
	u32 spawn_holder; /* the spawn lock (proc.c): fork takes it around the copy */
	u64 fork_unsettled; /* in a forked child's copy, its id until it has taken its state over (fork.c) */
	u64 last_fork[5];   /* what our last fork did: tables, tables_shared, entries_cow, pages_copied, pages_shared */
	u64 fork_class_start, fork_class_end; /* the region mm_fork_class found last (mm.c), written during a fork's copy */
	u32 fork_class;
};
#define LIBOS_SAFE ((volatile struct libos_safe *)LIBOS_SAFE_VA)
/* Maps the page (start-up; a vfork child and threads share it; a forked child gets a copy). */
int libos_safe_init(void);

/* Where every upcall stack lies (the process's, threads', a vfork child's): never write-protected. */
#define LIBOS_UPCALL_AREA_START 0x00007ffc00000000ull
#define LIBOS_UPCALL_AREA_END LIBOS_UPCALL_STACK_TOP
#define UPCALL_TOP_ALIGN (16 * 4096ull)
static inline u64 libos_upcall_top(u64 on_stack)
{
	return (on_stack + UPCALL_TOP_ALIGN) & ~(UPCALL_TOP_ALIGN - 1);
}
/* start.S: resume the light system call whose record is at sp, failing it with EFAULT. */
void libos_syscall_efault(void);
void libos_lock_drop(void);
void libos_lock_reclaim_from_vfork(void);

/* Memory (mm.c). */
void mm_init(u64 heap_start);
void mm_move_heap(u64 heap_start);
i64 mm_brk(u64 addr);
i64 mm_mmap(u64 addr, u64 len, u64 prot, u64 flags, i64 fd, u64 offset);
i64 mm_munmap(u64 addr, u64 len);
i64 mm_cow_copy(u64 table, u64 va, u64 desc); /* EXO_PT_COW, an archive page's mark dropped */
/* Frames of ours we no longer map, freed (those a child still maps: when it lets go). */
void mm_free_frames(const u64 *frames, u32 count);
i64 mm_map_node(u64 addr, u64 len, u64 prot, u64 flags, u32 node, u64 offset, u32 denied);
i64 mm_unmap_file_at(u64 addr);
i64 mm_mprotect(u64 addr, u64 len, u64 prot);
/* Map fresh pages below top (an upcall stack) where none are yet. */
int mm_map_stack(u64 top, u32 pages);
/*
 * A fault at addr: 0 if handled (a demand-zero page now there), -1 if the
 * program may not touch it (SIGSEGV), -2 if no frame was left for it,
 * MM_FAULT_BUS in a file mapping where the file has no page to give: past
 * its end, or a hole with the file pool full (SIGBUS, as Linux's tmpfs).
 */
int mm_fault(u64 addr, bool write);
#define MM_FAULT_BUS (-3)
/* Page descriptor bits for PROT_* rights (the same bits as EXO_R/W/X); PROT_NONE faults on any touch. */
u64 mm_page_attrs(u32 prot);
/* May the program write the page at va (its region allows it)? */
bool mm_writable_at(u64 va);
bool mm_readable_at(u64 va);
/* Is va in a region of the program's, whatever its rights (SEGV_ACCERR rather than SEGV_MAPERR)? */
bool mm_mapped_at(u64 va);
/* Is the page at va mapped now for a read (write) by the program, with no fault to take? */
static inline bool mm_present_for(u64 va, bool write)
{
	u64 desc = as_lookup_self(va);
	return (desc & EXO_PTE_VALID) && (desc & EXO_PTE_AF) && (!write || !(desc & EXO_PTE_RO));
}
/* ...or would a fault there be resolved (its region allows it)?  What libos reads of the program's, unfaulted. */
bool mm_usable_at(u64 va, bool write);
i64 mm_madvise(u64 addr, u64 len, u64 advice);
/* fork (libos/fork): what happens to the page at va; the ranges that are not plain private memory. */
enum mm_fork_class { MM_FORK_PRIVATE, MM_FORK_SHARED, MM_FORK_LEAVE };
enum mm_fork_class mm_fork_class(u64 va);
u32 mm_fork_special_ranges(u64 *starts, u64 *ends, u32 max);
/*
 * The ranges advised EXO_MADV_FORK_COPY, _COW or _SHARE (enum fork_advice
 * in region.h), sorted, alike neighbours joined: how many, max + 1 if more.
 */
u32 mm_fork_advised_ranges(u64 *starts, u64 *ends, u8 *advice, u32 max);
/*
 * The advice that decides the slot [slot_va, +slot_size): the lowest
 * advised region's in it, or ADVICE_NONE when none is advised or the slot
 * holds MAP_SHARED or left-out memory (done page by page).
 */
u8 mm_fork_slot_advice(u64 slot_va, u64 slot_size);
/* Has some region this advice? */
bool mm_fork_advised(u8 advice);
void mm_fork_child(void);
/* Every page of [p, p + len) written once (a copy-on-write page made private): the kernel may write there. */
void mm_make_writable(void *p, u64 len);
/* The program image's segments as regions (so copy-on-write knows which pages may be written). */
void mm_add_image(u64 start, u64 end, u32 prot);
/*
 * Copy-on-write pages of the image's data made private without a fault
 * (EXO_PT_COW): so an exit from a fault handler, where a fault is fatal,
 * can write libos's state.  Only once fork has write-protected anything.
 */
void mm_unprotect_image(void);
extern bool mm_cow_pages;
int mm_fork_prepare(void);

/* EXO_STRACE=1 in the environment: print every system call (strace.c). */
extern bool libos_strace;
void libos_strace_call(const struct exo_upcall *up, i64 result);

/* Console and output (console.c). */
i64 console_write_all(const void *buf, u64 len);
#define FS_WOULD_BLOCK (-1000000) /* inside libos only: nothing yet, wait and try again */
/*
 * What a call that would block waits for: a word to move (a pipe's
 * counter: its peer wakes it with EXO_WAKE), another process letting go
 * (yield), or anything else (a nap: the console).
 */
struct fs_wait {
	enum { FS_WAIT_NAP, FS_WAIT_WORD, FS_WAIT_YIELD, FS_WAIT_INPUT } kind; /* INPUT: the word, no backstop */
	const volatile u32 *word;
	u32 expected;
};

/* Identity, the file-creation mask and resource limits (identity.c). */
/* poll's bits, as Linux's (POLL_IN and POLL_OUT with their RDNORM / WRNORM twins). */
#define POLL_IN 0x041
#define POLL_PRI 0x002
#define POLL_OUT 0x104
#define POLL_ERR 0x008
#define POLL_HUP 0x010
#define POLL_NVAL 0x020
/* One descriptor's readiness now (POLL_*), or 0 and what to wait for in *wait (poll.c). */
u32 fs_poll(i64 fd, struct fs_wait *wait);
#define POLL_FOREVER (~0ull) /* a timeout beyond any clock's reach (INT64_MAX ns and up) is forever too */
i64 libos_ppoll(void *fds, u64 nfds, u64 timeout_ns, const u64 *mask, u64 setsize);
i64 libos_pselect(u64 nfds, u64 *sets[3], u64 timeout_ns, const u64 *mask, u64 setsize);
/* Sleep for what *wait names (fs.c), no longer than limit_ns if that is sooner (0: no limit of the caller's). */
void fs_sleep(const struct fs_wait *wait, u64 limit_ns);
/*
 * Sleep until any of count words moves (pipes' counters, the console's
 * input word), no longer than limit_ns (0: no limit of the caller's):
 * false, without sleeping, if one of them names no word or there are more
 * than the kernel waits on at once (EXO_RECV_WORDS_MAX).
 */
bool fs_sleep_any(const struct fs_wait *waits, u32 count, u64 limit_ns);
#define FS_MAX_FDS 64 /* the descriptor table's size: RLIMIT_NOFILE's hard limit */
extern u32 libos_umask;
u64 libos_nofile(void);
/* RLIMIT_NPROC: processes at most (all of them: every process is root), enforced by fork. */
u64 libos_nproc(void);
/* A resource's soft limit (mm.c enforces RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK). */
u64 libos_rlimit(u32 resource);
struct rlimit_l;
i64 id_umask(u64 mask);
i64 id_prlimit(i64 pid, u64 resource, const struct rlimit_l *wanted, struct rlimit_l *old);
void id_export(u64 *words);
void id_import(const u64 *words);
i64 id_getrusage(i64 who, void *usage);
i64 id_times(void *tms);
i64 id_sysinfo(void *info);

/* The boot archive as a read-only file system, and the fd table (fs.c). */
void fs_init(u64 pool_pages);
i64 fs_open(i64 dirfd, const char *path, u64 flags, u64 mode);
i64 fs_close(i64 fd);
i64 fs_read(i64 fd, void *buf, u64 len);
i64 fs_write(i64 fd, const void *buf, u64 len);
i64 fs_lseek(i64 fd, i64 offset, u64 whence);
i64 fs_fstat(i64 fd, void *statbuf);
i64 fs_stat(i64 dirfd, const char *path, void *statbuf, bool nofollow);
i64 fs_readlink(i64 dirfd, const char *path, char *buf, u64 size);
i64 fs_access(i64 dirfd, const char *path, u64 mode, bool nofollow);
i64 fs_chdir(const char *path);
i64 fs_fchdir(i64 fd);
i64 fs_getcwd(char *buf, u64 size);
i64 fs_real_path(const char *path, char *buf, u64 size);
u64 fs_cwd_export(void); /* the working directory across exec */
void fs_cwd_import(u64 cwd);
i64 fs_getdents(i64 fd, void *buf, u64 len);
i64 fs_dup(i64 fd, i64 to, u64 flags);
i64 fs_dup_from(i64 fd, i64 from, bool cloexec);
i64 fs_cloexec(i64 fd, int set);
i64 fs_status_flags(i64 fd, i64 set); /* F_GETFL (set < 0), F_SETFL */
/* 1 if fd is the console (a terminal), 0 if another file, -EBADF if not open. */
i64 fs_is_console(i64 fd);
/* 1 if path names the directory, 0 a file, or -errno. */
i64 fs_pipe(int *out, u64 flags);
int fs_find(const char *path, const u8 **data, u64 *size);
/* The file tree's calls that change it, and reads and writes at an offset (fs_paths.c, fs.c). */
i64 fs_mkdir(i64 dirfd, const char *path, u64 mode);
i64 fs_symlink(const char *target, i64 dirfd, const char *path);
i64 fs_link(i64 old_dirfd, const char *old_path, i64 new_dirfd, const char *new_path, bool follow);
i64 fs_unlink(i64 dirfd, const char *path, u64 flags);
i64 fs_rename(i64 old_dirfd, const char *old_path, i64 new_dirfd, const char *new_path, u64 flags);
i64 fs_chmod(i64 dirfd, const char *path, u64 mode, u64 flags);
i64 fs_chown(i64 dirfd, const char *path, u64 flags);
i64 fs_utimensat(i64 dirfd, const char *path, const i64 *times, u64 flags);
i64 fs_truncate(const char *path, i64 size);
i64 fs_ftruncate(i64 fd, i64 size);
i64 fs_fsync(i64 fd);
i64 fs_pio(i64 fd, void *buf, u64 len, i64 at, bool writing);
i64 fs_statfs(void *out);
i64 fs_flock(i64 fd, u64 op);
i64 fs_fd_path(i64 fd, char *buf, u64 size); /* readlink of /proc/self/fd/N */
i64 fs_record_lock(i64 fd, u64 cmd, void *arg); /* fcntl F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ twins */
void fs_record_locks_drop(u32 node, u64 process); /* node 0: all of the process's */
void fs_record_locks_drop_description(u32 ofd); /* its last reference gone; under the tree lock */
void sysv_process_ends(u64 process); /* its SEM_UNDO adjustments applied (sysv.c) */
void sysv_segment_mapped(u32 node, bool made); /* a file mapping made or gone: a segment's times; tree lock */
int fs_fork_table(u64 child);
void fs_fork_child(u64 self, u64 process);
void fs_fork_count_ends(u64 process, int change);
/* Inherited descriptors for exec: 4 words each into out (16 at most); their count. */
#define FS_PASS_WORDS 2 /* the exec block's words per inherited descriptor */
u32 fs_export(u64 *out); /* FS_MAX_FDS * FS_PASS_WORDS words at most */
void fs_import(const u64 *records, u64 count);
void fs_pin_exports(void);
void fs_drop_table(u64 env, bool cloexec_only);
bool fs_exit_owner(u64 process);

/* Waiting: a nap that keeps any event that arrives for whoever waits for it. */
void libos_nap(u64 timeout_ns);
/* Until *word is not expected, it is woken (EXO_WAKE), or timeout_ns: events that arrive are kept. */
void libos_wait_word(const volatile u32 *word, u32 expected, u64 timeout_ns);
/* The same for several words (up to EXO_RECV_WORDS_MAX): woken when any of them moves. */
void libos_wait_words(const struct exo_word_wait *words, u32 count, u64 timeout_ns);
/*
 * The next event (an exit notice or a message): a kept one first; flags as
 * EXO_RECV.  -EXO_EAGAIN without EXO_RECV_NOWAIT: look again (threads).
 */
i64 libos_next_event(struct exo_event *event, u64 flags);
void libos_keep_event(const struct exo_event *event);
/*
 * How libos receives: init's orphans' exit notices (the first environment
 * adopts them) stay with the kernel until a wait4 that may take them asks,
 * so that they never fill the store of kept events.
 */
#define LIBOS_RECV (EXO_RECV_SKIP_ORPHANS | EXO_RECV_TAKE_ALERTS) /* alerts become signals where they are received */
bool libos_take_kept_exit(i64 pid, bool (*take)(i64 pid, const struct exo_event *event), struct exo_event *event);
i64 libos_recv_event(struct exo_event *event, u64 flags);
#define LIBOS_ALERTED (-1000001) /* libos_recv_event: an alert's signals were taken in, no event */
/* Is pid a child of ours not yet waited for (a zombie's pid still names it)? */
bool libos_is_child(i64 pid);
void events_fork_child(void);
/* Ended children's exit notices taken and dropped (SIGCHLD ignored); mine(child) forgets a child of ours. */
void libos_drop_exits(bool (*mine)(u64 child));
void libos_keep_queued_exits(void);
/* Reap ended children now if SIGCHLD says so (SIG_IGN, SA_NOCLDWAIT): true if it does. */
bool libos_reap_if_ignored(void);
/* The status in child pid's exit notice, which stays for wait4; false if it has none yet. */
bool libos_peek_exit(u64 pid, i64 *status);
void libos_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Signals (signal.c, sigdeliver.c, sigframe.c; the rest in signal.h). */
struct sig_thread;
struct sig_process;
struct sig_origin;
struct stack_l;
void sig_init(u64 mask, u64 ignored);
/* A new thread or vfork child with its upcall stack at top: its signal state (own_actions: a vfork child's copy). */
int sig_fork(u64 child, u64 top, bool own_actions);
void sig_drop(u64 env);
void sig_fork_prepare(void);
void sig_fork_child(u64 self, u64 process);
void sig_export(u64 *mask, u64 *ignored, u64 *pending);
/* After exec: the signals pending before it, still pending. */
void sig_keep_pending(u64 pending);
i64 sig_action(u64 sig, const void *act, void *old, u64 setsize);
i64 sig_procmask(u64 how, const u64 *set, u64 *old, u64 setsize);
i64 sig_pending(u64 *set, u64 setsize);
i64 sig_altstack(const struct stack_l *ss, struct stack_l *old);
i64 sig_kill(i64 pid, u64 sig, const struct sig_origin *given);
i64 sig_tkill(i64 tgid, i64 tid, u64 sig, const struct sig_origin *given);
i64 sig_queueinfo(i64 pid, u64 sig, const i32 *info);
i64 sig_suspend(const u64 *set, u64 setsize);
i64 sig_pause(u64 nfds, const u64 *mask, u64 timeout_ns, u64 setsize);
struct itimerval_l;
i64 sig_getitimer(u64 which, struct itimerval_l *out);
i64 sig_setitimer(u64 which, const struct itimerval_l *in, struct itimerval_l *old);
struct sigevent_l;
struct itimerspec_l;
i64 sig_timer_create(u64 clock, const struct sigevent_l *given, i32 *id_out);
i64 sig_timer_settime(i64 id, u64 flags, const struct itimerspec_l *in, struct itimerspec_l *old);
i64 sig_timer_gettime(i64 id, struct itimerspec_l *out);
i64 sig_timer_getoverrun(i64 id);
i64 sig_timer_delete(i64 id);
i64 sig_timedwait(const u64 *set, i32 *info, u64 timeout_ns, u64 setsize);
/* A write that waits has written done bytes (after base, writev's earlier ones): what an interruption returns. */
void sig_progress(u64 done);
void sig_progress_base(u64 base);
/* A write to a pipe without a reader: SIGPIPE for the writer. */
void sig_pipe(void);
/* rt_sigreturn (never returns). */
__attribute__((noreturn)) void sig_return(struct exo_upcall *up);
/* The first of set pending for t, taken, its siginfo into info (if given): 0 if none. */
u32 sig_take(struct sig_thread *t, u64 set, i32 *info);
void sig_fill_info(void *info, u32 sig, const struct sig_origin *from);
/* An alert upcall: the signals it brings delivered on up. */
struct exo_upcall *sig_on_alert(struct exo_upcall *up);
/* A fault the program did not survive without a handler: true if up now runs sig's handler. */
bool sig_fault(struct exo_upcall *up, u32 sig, i32 code, u64 addr);
/* Before leaving from a fault handler (where a fault is fatal): what an exit writes made writable. */
void libos_exit_from_handler(void);
/* Threads (thread.c): a thread's signal state; process-directed signals offered to the others. */
struct sig_thread *libos_thread_state(u64 env, const struct sig_process *p);
void libos_threads_route(struct sig_thread *t, u64 stuck);
void libos_threads_discard(struct sig_process *p, u64 bits);
/* Every other thread of t's process looks at its signals again (a stop, a continue). */
void libos_threads_wake(struct sig_thread *t);

/* Processes (proc.c, exec.c).  Statuses are Linux wait statuses. */
__attribute__((noreturn)) void libos_exit(i64 status);
i64 libos_clone(struct exo_upcall *up);
i64 libos_wait4(i64 pid, int *status, u64 options);
i64 libos_execve(const char *path, char *const argv[], char *const envp[]);
/*
 * The loader (loader.c): libos linked alone, at LOADER_BASE, starts an
 * unmodified static Linux program (one without exo's ELF note, exo/elf.h):
 * the kernel boots it for such an `init=`, execve runs it for such a file.
 */
#define LOADER_BASE 0x00000f0000000000ull
#define LOADER_PROGRAM_LIMIT 0x0000010000000000ull /* programs it loads end below libos's scratch windows (1 TiB) */
#define LOADER_PATH "/lib/exo/loader"
struct loaded_program {
	u64 entry, phdr, phnum, end; /* end: the page after its last segment (brk starts there) */
};
int loader_load(const char *path, struct loaded_program *program);
/* The program this process runs, from the root (readlink of /proc/self/exe). */
const char *libos_exe_path(void);
struct elf_segment;
int exec_load_segment(struct aspace *to, const u8 *file, const struct elf_segment *seg);
u64 libos_vfork_parent(void);
void libos_vfork_ready(u64 parent);
void libos_reclaim_space(u64 root);
void libos_exit_entry(void);
/* execve from a thread: the process's environment is sent here to make the switch (exec.c). */
void libos_exec_entry(void);
void libos_exec_handed(void); /* returns only if no exec was handed over */
/*
 * Send env (our process's own environment, or a child) to pc with x0 = arg,
 * sp a little below where it was: whatever it was doing or waiting for
 * (an upcall, a receive) is abandoned.
 */
i64 libos_redirect(u64 env, u64 pc, u64 arg);
/* From a thread: the process's own environment exits with status (the thread ends). */
__attribute__((noreturn)) void libos_end_process_from(u64 self, u64 process, i64 status);
void libos_spawn_lock(void);
bool libos_in_vfork_child(void);
i64 libos_child_create(u64 fixed_quota);
void libos_child_destroy(u64 child);
void libos_add_child(u64 child);
bool libos_children_full(void);
void proc_fork_child(void);
/* fork (libos/fork/fork.c): clone without CLONE_VM, inside the light system call. */
i64 libos_fork(struct exo_upcall *up);
/* A child that runs in our address space until it execs or ends, while we wait; stack 0: ours. */
i64 libos_vfork(struct exo_upcall *up, u64 stack);
/* LIBOS_SYS_FORK_CHILD: a forked child's first act, which resumes where its parent called fork. */
__attribute__((noreturn)) void libos_fork_child_resume(void);
void libos_fork_child_entry(void);
/* The FP/SIMD registers (q0-q31, fpsr, fpcr: 528 bytes), which libos itself never uses (start.S). */
void libos_fp_save(void *area);
void libos_fp_load(const void *area);
void libos_spawn_unlock(void);

/* Threads and futexes (thread.c). */
extern u32 libos_nthreads;
/*
 * The libos lock: one per process, recursive, held while a thread changes
 * what the process's threads share (memory map, descriptors, kept events,
 * thread table), never while waiting.
 */
void libos_lock(void);
void libos_unlock(void);
static inline void libos_unlock_at_scope_end(int *unused)
{
	(void)unused;
	libos_unlock();
}
/* Holds the lock from here to the end of the enclosing block, every return included. */
#define HOLD_LIBOS_LOCK()                                                                     \
	libos_lock();                                                                        \
	int libos_lock_scope __attribute__((cleanup(libos_unlock_at_scope_end), unused)) = 0
u64 libos_process_of(u64 env);
bool libos_is_thread(u64 env);
bool libos_thread_of(u64 env, u64 process);
void thread_fork_child(void);
i64 libos_thread_clone(struct exo_upcall *up);
__attribute__((noreturn)) void libos_thread_exit(u64 env);
__attribute__((noreturn)) void libos_park_main(i64 status);
i64 libos_set_tid_address(int *address);
/* A fork's CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID words, for the child to take up as it starts (proc.c). */
struct fork_tids {
	int *set, *clear;
};
struct fork_tids libos_fork_tids(const struct exo_upcall *up);
/* A thread ends, and that is all (libos_thread_exit also ends a process whose main thread left). */
__attribute__((noreturn)) void libos_thread_end(u64 env);
void libos_end_threads(u64 process, u64 except);
i64 libos_futex_wake(const int *address, u64 count);
i64 libos_futex_wait(const int *address, int expected, u64 timeout_ns);
/* Owner-tracked futexes (futex_owner.c): robust lists, priority-inheritance locks. */
i64 futex_set_robust_list(u64 head, u64 len);
i64 futex_get_robust_list(i64 tid, u64 *head, u64 *len);
i64 futex_lock_pi(volatile u32 *lock, u64 timeout_ns, bool try_only);
i64 futex_unlock_pi(volatile u32 *lock);

#endif
