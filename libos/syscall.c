/*
 * Linux system calls, as musl makes them (svc #0, number in x8, arguments
 * in x0..x5, result in x0), answered in user space.  Anything not here
 * returns -ENOSYS.
 */
#include "libos/sys_files.h"
#include "libos/signal.h"
#include "libos/proctab.h"
#include "libos/tty.h"
#include "libos/fork/fork.h"
#include "libos/private_calls.h"
#include "libos/dev.h"
#include <string.h>

/* Linux arm64 system-call numbers. */
enum {
	SYS_getcwd = 17, SYS_ioctl = 29, SYS_chdir = 49, SYS_openat = 56, SYS_close = 57,
	SYS_getdents64 = 61, SYS_lseek = 62, SYS_read = 63, SYS_readv = 65, SYS_newfstatat = 79,
	SYS_fstat = 80, SYS_write = 64, SYS_dup = 23, SYS_dup3 = 24, SYS_fcntl = 25, SYS_pipe2 = 59,
	SYS_kill = 129, SYS_clone = 220, SYS_execve = 221, SYS_wait4 = 260, SYS_writev = 66, SYS_exit = 93, SYS_exit_group = 94,
	SYS_set_tid_address = 96, SYS_clock_gettime = 113, SYS_sched_yield = 124,
	SYS_rt_sigaction = 134, SYS_rt_sigprocmask = 135, SYS_uname = 160, SYS_getpid = 172,
	SYS_setpgid = 154, SYS_timer_create = 107, SYS_timer_gettime = 108, SYS_timer_getoverrun = 109,
	SYS_timer_settime = 110, SYS_timer_delete = 111, SYS_getpgid = 155, SYS_getsid = 156, SYS_setsid = 157,
	SYS_getppid = 173, SYS_gettid = 178, SYS_brk = 214, SYS_munmap = 215, SYS_mmap = 222,
	SYS_mprotect = 226, SYS_madvise = 233, SYS_getrandom = 278, SYS_futex = 98,
	SYS_nanosleep = 101, SYS_getitimer = 102, SYS_setitimer = 103, SYS_tkill = 130, SYS_tgkill = 131, SYS_sigaltstack = 132, SYS_rt_sigsuspend = 133,
	SYS_rt_sigpending = 136, SYS_rt_sigtimedwait = 137, SYS_rt_sigqueueinfo = 138, SYS_rt_sigreturn = 139,
	SYS_rt_tgsigqueueinfo = 240, SYS_getresuid = 148, SYS_getresgid = 150, SYS_times = 153,
	SYS_getgroups = 158, SYS_getrlimit = 163, SYS_setrlimit = 164, SYS_getrusage = 165, SYS_umask = 166,
	SYS_getuid = 174, SYS_geteuid = 175, SYS_getgid = 176, SYS_getegid = 177, SYS_sysinfo = 179,
	SYS_prlimit64 = 261, SYS_ppoll = 73, SYS_set_robust_list = 99, SYS_get_robust_list = 100,
	SYS_pselect6 = 72, SYS_clock_nanosleep = 115, SYS_prctl = 167, SYS_gettimeofday = 169, SYS_faccessat = 48, SYS_fchdir = 50, SYS_readlinkat = 78, SYS_faccessat2 = 439,
};


typedef i64 (*syscall_fn)(const u64 *args);

/*
 * An `int` argument (a descriptor, a pid, a signal, a flag word): its low 32
 * bits, sign-extended, as Linux's C prototypes take it.  glibc leaves the
 * upper half of the register as it happens to be (kill(-3) arrives as
 * 0x00000000fffffffd); musl extends.
 */
#define INT_ARG(reg) ((i64)(i32)(reg))

static i64 sys_write(const u64 *a) { return fs_write(INT_ARG(a[0]), (const void *)a[1], a[2]); }
static i64 sys_read(const u64 *a) { return fs_read(INT_ARG(a[0]), (void *)a[1], a[2]); }
static i64 sys_openat(const u64 *a) { return fs_open(INT_ARG(a[0]), (const char *)a[1], a[2], a[3]); }
static i64 sys_close(const u64 *a) { return fs_close(INT_ARG(a[0])); }
static i64 sys_lseek(const u64 *a) { return fs_lseek(INT_ARG(a[0]), (i64)a[1], a[2]); }
static i64 sys_fstat(const u64 *a) { return fs_fstat(INT_ARG(a[0]), (void *)a[1]); }
static i64 sys_getdents64(const u64 *a) { return fs_getdents(INT_ARG(a[0]), (void *)a[1], a[2]); }

#define AT_EMPTY_PATH 0x1000
#define AT_SYMLINK_NOFOLLOW 0x100
static i64 sys_newfstatat(const u64 *a)
{
	const char *path = (const char *)a[1];
	if ((a[3] & AT_EMPTY_PATH) && path[0] == 0)
		return fs_fstat(INT_ARG(a[0]), (void *)a[2]);
	return fs_stat(INT_ARG(a[0]), path, (void *)a[2], a[3] & AT_SYMLINK_NOFOLLOW);
}

static i64 sys_getcwd(const u64 *a) { return fs_getcwd((char *)a[0], a[1]); }
static i64 sys_chdir(const u64 *a) { return fs_chdir((const char *)a[0]); }
static i64 sys_fchdir(const u64 *a) { return fs_fchdir(INT_ARG(a[0])); }
static i64 sys_faccessat(const u64 *a) { return a[2] & ~7ull ? -L_EINVAL : fs_access(INT_ARG(a[0]), (const char *)a[1], a[2], false); }
static i64 sys_faccessat2(const u64 *a)
{
	if ((a[2] & ~7ull) || (a[3] & ~(0x200ull | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))) /* AT_EACCESS: root either way */
		return -L_EINVAL;
	return fs_access(INT_ARG(a[0]), (const char *)a[1], a[2], a[3] & AT_SYMLINK_NOFOLLOW);
}

/* A descriptor's number in a path ("12"), or -1 if it is not all digits. */
static i64 strtofd(const char *digits)
{
	i64 fd = 0;
	for (; *digits && fd >= 0; digits++)
		fd = *digits >= '0' && *digits <= '9' && fd < FS_MAX_FDS ? fd * 10 + (*digits - '0') : -1;
	return fd;
}

/* /proc/self/exe is the program this process runs (what the loader loaded, or the app). */
static i64 sys_readlinkat(const u64 *a)
{
	const char *path = (const char *)a[1];
	if (INT_ARG(a[3]) <= 0)
		return -L_EINVAL;
	if (strcmp(path, "/proc/self/exe") == 0) {
		const char *exe = libos_exe_path();
		u64 len = MIN(strlen(exe), a[3]);
		memcpy((char *)a[2], exe, len);
		return (i64)len;
	}
	if (strncmp(path, "/proc/self/fd/", 14) == 0 && path[14] >= '0' && path[14] <= '9')
		return fs_fd_path(INT_ARG(strtofd(path + 14)), (char *)a[2], a[3]);
	return fs_readlink(INT_ARG(a[0]), path, (char *)a[2], a[3]);
}

struct iovec_l {
	u64 base, len;
};

static i64 sys_readv(const u64 *a)
{
	const struct iovec_l *iov = (const struct iovec_l *)a[1];
	i64 total = 0;
	for (u64 i = 0; i < a[2]; i++) {
		i64 n = fs_read(INT_ARG(a[0]), (void *)iov[i].base, iov[i].len);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((u64)n < iov[i].len)
			break;
	}
	return total;
}

/*
 * stdio's lines come as two vectors (its buffer, then the rest): to the
 * console they go as one write, so another process's output never lands
 * between the two halves of a line.
 */
static i64 console_writev(const u64 *a, const struct iovec_l *iov)
{
	char line[1024];
	u64 len = 0;
	for (u64 i = 0; i < a[2]; i++) {
		if (iov[i].len > sizeof(line) - len)
			return -1; /* too long to gather: vector by vector */
		memcpy(line + len, (const void *)iov[i].base, iov[i].len);
		len += iov[i].len;
	}
	return fs_write(INT_ARG(a[0]), line, len);
}

static i64 sys_writev(const u64 *a)
{
	const struct iovec_l *iov = (const struct iovec_l *)a[1];
	if (a[2] > 1 && a[2] <= 8 && fs_is_console(INT_ARG(a[0])) == 1) {
		i64 written = console_writev(a, iov);
		if (written != -1)
			return written;
	}
	i64 total = 0;
	for (u64 i = 0; i < a[2]; i++) {
		u64 args[3] = { a[0], iov[i].base, iov[i].len };
		sig_progress_base((u64)total); /* an interruption returns what the earlier vectors wrote too */
		i64 n = sys_write(args);
		if (n < 0) {
			sig_progress_base(0);
			return total ? total : n;
		}
		total += n;
	}
	sig_progress_base(0);
	return total;
}

/* The console is the one terminal (tty.c). */
static i64 sys_ioctl(const u64 *a)
{
	for (;;) {
		i64 console = fs_is_console(INT_ARG(a[0]));
		if (console <= 0)
			return console < 0 ? console : -L_ENOTTY; /* only the console is a terminal */
		i64 result = tty_ioctl(a[1], a[2]);
		if (result != TTY_SIGNALS_FIRST)
			return result;
		sig_alerted(0, 0, SIG_WAIT_INTERRUPTIBLE); /* a background tcsetpgrp: SIGTTOU first */
	}
}

static i64 sys_exit_group(const u64 *a) { libos_exit((i64)(a[0] & 0xff) << 8); }

/* exit: one thread ends; the process's main thread ending is the process ending. */
static i64 sys_exit(const u64 *a)
{
	u64 self = (u64)exo_self();
	i64 status = (i64)(a[0] & 0xff) << 8;
	if (libos_is_thread(self))
		libos_thread_exit(self);
	if (libos_nthreads)
		libos_park_main(status); /* other threads live on, as on Linux */
	libos_exit(status);
}

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE 128
#define FUTEX_CLOCK_REALTIME 256
struct timespec_l {
	i64 sec, nsec;
};
static u64 timeout_ns(const struct timespec_l *timeout);
static u64 abs_timeout_ns(const struct timespec_l *deadline);

static i64 sys_futex(const u64 *a)
{
	switch (a[1] & ~(u64)(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME)) {
	case FUTEX_WAIT:
		return libos_futex_wait((const int *)a[0], (int)a[2], timeout_ns((const struct timespec_l *)a[3]));
	case FUTEX_WAKE:
		return libos_futex_wake((const int *)a[0], a[2]);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2: {
		const struct timespec_l *deadline = (const struct timespec_l *)a[3];
		if (deadline && (deadline->nsec < 0 || deadline->nsec >= 1000000000))
			return -L_EINVAL;
		return futex_lock_pi((volatile u32 *)a[0], abs_timeout_ns(deadline), false);
	}
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi((volatile u32 *)a[0], 0, true);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi((volatile u32 *)a[0]);
	case FUTEX_CMP_REQUEUE:
		if (*(const volatile int *)a[0] != (int)a[5])
			return -L_EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		/*
		 * Moving waiters to another word is waking them instead: each looks
		 * again and waits where it must (futex waiters allow spurious wakes).
		 */
		return libos_futex_wake((const int *)a[0], (u64)(u32)a[2] + (u64)(u32)a[3]);
	}
	return -L_ENOSYS;
}
static i64 sys_getpid(const u64 *a) { (void)a; return (i64)libos_process_of((u64)exo_self()); }
static i64 sys_gettid(const u64 *a) { (void)a; return exo_self(); }
static i64 sys_set_tid_address(const u64 *a) { return libos_set_tid_address((int *)a[0]); }
static i64 sys_rt_sigaction(const u64 *a) { return sig_action(a[0], (const void *)a[1], (void *)a[2], a[3]); }
static i64 sys_rt_sigprocmask(const u64 *a) { return sig_procmask(a[0], (const u64 *)a[1], (u64 *)a[2], a[3]); }
static i64 sys_kill(const u64 *a) { return sig_kill(INT_ARG(a[0]), a[1], NULL); }
static i64 sys_setpgid(const u64 *a) { return proctab_setpgid(INT_ARG(a[0]), INT_ARG(a[1])); }
static i64 sys_getpgid(const u64 *a) { return proctab_getpgid(INT_ARG(a[0])); }
static i64 sys_getsid(const u64 *a) { return proctab_getsid(INT_ARG(a[0])); }
static i64 sys_setsid(const u64 *a) { (void)a; return proctab_setsid(); }
static i64 sys_timer_create(const u64 *a) { return sig_timer_create(a[0], (const void *)a[1], (i32 *)a[2]); }
static i64 sys_timer_settime(const u64 *a) { return sig_timer_settime(INT_ARG(a[0]), a[1], (const void *)a[2], (void *)a[3]); }
static i64 sys_timer_gettime(const u64 *a) { return sig_timer_gettime(INT_ARG(a[0]), (void *)a[1]); }
static i64 sys_timer_getoverrun(const u64 *a) { return sig_timer_getoverrun(INT_ARG(a[0])); }
static i64 sys_timer_delete(const u64 *a) { return sig_timer_delete(INT_ARG(a[0])); }
static i64 sys_tkill(const u64 *a) { return sig_tkill(-1, INT_ARG(a[0]), a[1], NULL); }
static i64 sys_tgkill(const u64 *a) { return sig_tkill(INT_ARG(a[0]), INT_ARG(a[1]), a[2], NULL); }
static i64 sys_rt_sigqueueinfo(const u64 *a) { return sig_queueinfo(INT_ARG(a[0]), a[1], (const i32 *)a[2]); }
static i64 sys_rt_tgsigqueueinfo(const u64 *a)
{
	const i32 *info = (const i32 *)a[3];
	struct sig_origin from = { info[2], (u32)info[4], *(const u64 *)&info[6] };
	return sig_tkill(INT_ARG(a[0]), INT_ARG(a[1]), a[2], &from);
}
static i64 sys_sigaltstack(const u64 *a) { return sig_altstack((const struct stack_l *)a[0], (struct stack_l *)a[1]); }
static i64 sys_rt_sigsuspend(const u64 *a) { return sig_suspend((const u64 *)a[0], a[1]); }
static i64 sys_rt_sigpending(const u64 *a) { return sig_pending((u64 *)a[0], a[1]); }
/* Every process is root (uid and gid 0, no supplementary groups), as a Linux /init. */
static i64 sys_id_zero(const u64 *a) { (void)a; return 0; }
static i64 sys_getres(const u64 *a)
{
	*(u32 *)a[0] = *(u32 *)a[1] = *(u32 *)a[2] = 0;
	return 0;
}
static i64 sys_umask(const u64 *a) { return id_umask(a[0]); }
static i64 sys_prlimit64(const u64 *a)
{
	return id_prlimit(INT_ARG(a[0]), a[1], (const struct rlimit_l *)a[2], (struct rlimit_l *)a[3]);
}
static i64 sys_getrlimit(const u64 *a) { return id_prlimit(0, a[0], NULL, (struct rlimit_l *)a[1]); }
static i64 sys_setrlimit(const u64 *a) { return id_prlimit(0, a[0], (const struct rlimit_l *)a[1], NULL); }
static i64 sys_getrusage(const u64 *a) { return id_getrusage(INT_ARG(a[0]), (void *)a[1]); }
static i64 sys_times(const u64 *a) { return id_times((void *)a[0]); }
static i64 sys_sysinfo(const u64 *a) { return id_sysinfo((void *)a[0]); }

static i64 sys_set_robust_list(const u64 *a) { return futex_set_robust_list(a[0], a[1]); }
static i64 sys_get_robust_list(const u64 *a) { return futex_get_robust_list(INT_ARG(a[0]), (u64 *)a[1], (u64 *)a[2]); }
static i64 sys_getitimer(const u64 *a) { return sig_getitimer(a[0], (struct itimerval_l *)a[1]); }
static i64 sys_setitimer(const u64 *a)
{
	return sig_setitimer(a[0], (const struct itimerval_l *)a[1], (struct itimerval_l *)a[2]);
}

static i64 sys_dup(const u64 *a) { return fs_dup(INT_ARG(a[0]), -1, 0); }
static i64 sys_dup3(const u64 *a)
{
	if (a[2] & ~(u64)02000000) /* only O_CLOEXEC */
		return -L_EINVAL;
	return fs_dup(INT_ARG(a[0]), INT_ARG(a[1]), a[2]);
}
static i64 sys_pipe2(const u64 *a) { return fs_pipe((int *)a[0], a[1]); }
static i64 sys_wait4(const u64 *a) { return libos_wait4(INT_ARG(a[0]), (int *)a[1], a[2]); }
static i64 sys_execve(const u64 *a)
{
	return libos_execve((const char *)a[0], (char *const *)a[1], (char *const *)a[2]);
}

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
static i64 sys_fcntl(const u64 *a)
{
	if (fs_is_console(INT_ARG(a[0])) < 0)
		return -L_EBADF;
	switch (a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fs_dup_from(INT_ARG(a[0]), INT_ARG(a[2]), a[1] == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fs_cloexec(INT_ARG(a[0]), -1);
	case F_SETFD:
		return fs_cloexec(INT_ARG(a[0]), (int)(a[2] & 1));
	case F_SETFL:
		return fs_status_flags(INT_ARG(a[0]), (i64)(a[2] & 0xffffffffu));
	case F_GETFL:
		return fs_status_flags(INT_ARG(a[0]), -1);
	case 5: /* F_GETLK */
	case 6: /* F_SETLK */
	case 7: /* F_SETLKW */
	case 36: /* F_OFD_GETLK */
	case 37: /* F_OFD_SETLK */
	case 38: /* F_OFD_SETLKW */
		return fs_record_lock(INT_ARG(a[0]), a[1], (void *)a[2]);
	}
	return -L_EINVAL;
}
static i64 sys_getppid(const u64 *a)
{
	(void)a;
	/* Who will receive our exit notice: the parent, or init once we are an orphan. */
	if (libos_nthreads == 0)
		return exo_notice_to(); /* no threads: the caller is its process */
	u64 self = (u64)exo_self(), process = libos_process_of(self);
	if (process == self)
		return exo_notice_to();
	struct exo_env_info info;
	return exo_env_info(process, &info) < 0 ? 0 : (i64)info.notice_to;
}


/* At most len - 1 bytes of from, NUL-terminated. */
static void strncpy_l(char *to, const char *from, u64 len)
{
	u64 n = 0;
	while (n + 1 < len && from[n])
		to[n] = from[n], n++;
	to[n] = 0;
}

static bool bad_timespec(const struct timespec_l *ts)
{
	return ts && (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000);
}

/* A timespec in ns; past 9e9 s is as good as forever (and the product would overflow). */
static u64 timespec_ns(const struct timespec_l *ts)
{
	return ts->sec >= 9000000000ll ? (u64)INT64_MAX : (u64)ts->sec * 1000000000ull + (u64)ts->nsec;
}

/* A relative timeout for the waits that take 0 as none: at least 1 ns. */
static u64 timeout_ns(const struct timespec_l *timeout)
{
	if (!timeout)
		return 0;
	u64 ns = timespec_ns(timeout);
	return ns ? ns : 1;
}

/* An absolute deadline (every clock is the one clock) as the time left: 0 for none, at least 1 ns. */
static u64 abs_timeout_ns(const struct timespec_l *deadline)
{
	if (!deadline || deadline->sec >= 9000000000ll)
		return 0; /* none, or as good as none */
	i64 left = (i64)timespec_ns(deadline) - exo_clock();
	return left > 0 ? (u64)left : 1;
}

/* Sleep (events that arrive are kept for their waiters). */
/* Sleep until `until` (events that arrive are kept for their waiters); rem: what is left at EINTR. */
static i64 sleep_until(i64 until, struct timespec_l *rem)
{
	for (i64 now = exo_clock(); now < until; now = exo_clock()) {
		if (rem) /* what a signal that interrupts the nap leaves (EINTR) */
			rem->sec = (until - now) / 1000000000, rem->nsec = (until - now) % 1000000000;
		libos_nap((u64)(until - now));
	}
	return 0;
}

static i64 sys_nanosleep(const u64 *a)
{
	const struct timespec_l *req = (const struct timespec_l *)a[0];
	if (bad_timespec(req))
		return -L_EINVAL;
	return sleep_until(exo_clock() + (i64)timeout_ns(req), (struct timespec_l *)a[1]);
}

/* prctl: a process's name (PR_SET_NAME / PR_GET_NAME, kept per process); anything else EINVAL. */
#define PR_SET_NAME 15
#define PR_GET_NAME 16
static char process_name[16];
static i64 sys_prctl(const u64 *a)
{
	if (a[0] == PR_SET_NAME) {
		strncpy_l(process_name, (const char *)a[1], sizeof(process_name));
		return 0;
	}
	if (a[0] == PR_GET_NAME) {
		memcpy((char *)a[1], process_name, sizeof(process_name));
		return 0;
	}
	return -L_EINVAL;
}

/* clock_nanosleep (glibc's and busybox's sleep): every clock is the one clock; TIMER_ABSTIME a deadline. */
#define TIMER_ABSTIME 1
static i64 sys_clock_nanosleep(const u64 *a)
{
	const struct timespec_l *req = (const struct timespec_l *)a[2];
	if (a[0] > 11 || (a[1] & ~(u64)TIMER_ABSTIME) || bad_timespec(req))
		return -L_EINVAL;
	if (a[1] & TIMER_ABSTIME)
		return sleep_until((i64)timespec_ns(req), NULL);
	return sleep_until(exo_clock() + (i64)timeout_ns(req), (struct timespec_l *)a[3]);
}

static i64 sys_rt_sigtimedwait(const u64 *a)
{
	const struct timespec_l *ts = (const struct timespec_l *)a[2];
	if (ts && (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000))
		return -L_EINVAL;
	return sig_timedwait((const u64 *)a[0], (i32 *)a[1], timeout_ns(ts), a[3]);
}

/* poll's timeout: 0 returns at once; no timespec is forever. */
static u64 poll_timeout(const struct timespec_l *ts)
{
	return ts ? timespec_ns(ts) : POLL_FOREVER;
}

static i64 sys_ppoll(const u64 *a)
{
	const struct timespec_l *ts = (const struct timespec_l *)a[2];
	if (bad_timespec(ts))
		return -L_EINVAL;
	if (a[1] == 0) /* musl's pause and sleeps with a mask */
		return sig_pause(0, (const u64 *)a[3], timeout_ns(ts), a[4]);
	return libos_ppoll((void *)a[0], a[1], poll_timeout(ts), (const u64 *)a[3], a[4]);
}

static i64 sys_pselect6(const u64 *a)
{
	const struct timespec_l *ts = (const struct timespec_l *)a[4];
	const u64 *sig = (const u64 *)a[5]; /* { const sigset_t *mask; size_t size } */
	if (bad_timespec(ts) || INT_ARG(a[0]) < 0)
		return -L_EINVAL;
	u64 *sets[3] = { (u64 *)a[1], (u64 *)a[2], (u64 *)a[3] };
	return libos_pselect((u64)INT_ARG(a[0]), sets, poll_timeout(ts), sig ? (const u64 *)sig[0] : NULL,
	                     sig ? sig[1] : 0);
}

static i64 sys_clock_gettime(const u64 *a)
{
	if (a[0] > 7) /* REALTIME, MONOTONIC, the CPU-time and BOOTTIME clocks: all the one clock */
		return -L_EINVAL;
	i64 ns = exo_clock();
	struct timespec_l *ts = (struct timespec_l *)a[1];
	ts->sec = ns / 1000000000;
	ts->nsec = ns % 1000000000;
	return 0;
}

/* gettimeofday (glibc's EPOCHREALTIME in bash, with no vDSO to ask): the one clock, in microseconds. */
static i64 sys_gettimeofday(const u64 *a)
{
	if (a[0]) {
		i64 ns = exo_clock();
		i64 *tv = (i64 *)a[0];
		tv[0] = ns / 1000000000;
		tv[1] = ns % 1000000000 / 1000;
	}
	if (a[1])
		memset((void *)a[1], 0, 8); /* struct timezone: UTC, no daylight saving */
	return 0;
}

static i64 sys_yield(const u64 *a)
{
	(void)a;
	exo_yield();
	return 0;
}

static void set_field(char *field, const char *text)
{
	for (u32 i = 0; i < 64 && text[i]; i++)
		field[i] = text[i];
}

static i64 sys_uname(const u64 *a)
{
	char *fields = (char *)a[0];
	memset(fields, 0, 6 * 65);
	set_field(fields + 0 * 65, "exo");
	set_field(fields + 1 * 65, "exo");
	set_field(fields + 2 * 65, "0.1");
	set_field(fields + 3 * 65, "libos");
	set_field(fields + 4 * 65, "aarch64");
	return 0;
}

/* The memory map is the process's: one thread at a time changes it. */
static i64 locked(i64 (*change)(const u64 *), const u64 *a)
{
	libos_lock();
	i64 result = change(a);
	libos_unlock();
	return result;
}

static i64 do_brk(const u64 *a) { return mm_brk(a[0]); }
static i64 do_mmap(const u64 *a) { return mm_mmap(a[0], a[1], a[2], a[3], INT_ARG(a[4]), a[5]); }
static i64 do_munmap(const u64 *a) { return mm_munmap(a[0], a[1]); }
static i64 do_mprotect(const u64 *a) { return mm_mprotect(a[0], a[1], a[2]); }
static i64 sys_brk(const u64 *a) { return locked(do_brk, a); }
static i64 sys_mmap(const u64 *a) { return locked(do_mmap, a); }
static i64 sys_munmap(const u64 *a) { return locked(do_munmap, a); }
static i64 sys_mprotect(const u64 *a) { return locked(do_mprotect, a); }
static i64 do_madvise(const u64 *a) { return mm_madvise(a[0], a[1], a[2]); }
static i64 sys_madvise(const u64 *a) { return locked(do_madvise, a); }

/* Not cryptographic: the counter mixed; enough for musl's malloc and hash seeds. */
static i64 sys_getrandom(const u64 *a)
{
	dev_random_fill((u8 *)a[0], a[1]);
	return (i64)a[1];
}

static const syscall_fn syscalls[] = {
	SYS_FILES_TABLE
	[SYS_dup] = sys_dup,
	[SYS_dup3] = sys_dup3,
	[SYS_fcntl] = sys_fcntl,
	[SYS_pipe2] = sys_pipe2,
	[SYS_kill] = sys_kill,
	[SYS_setpgid] = sys_setpgid,
	[SYS_getpgid] = sys_getpgid,
	[SYS_getsid] = sys_getsid,
	[SYS_setsid] = sys_setsid,
	[SYS_timer_create] = sys_timer_create,
	[SYS_timer_settime] = sys_timer_settime,
	[SYS_timer_gettime] = sys_timer_gettime,
	[SYS_timer_getoverrun] = sys_timer_getoverrun,
	[SYS_timer_delete] = sys_timer_delete,
	[SYS_execve] = sys_execve,
	[SYS_wait4] = sys_wait4,
	[SYS_getcwd] = sys_getcwd,
	[SYS_chdir] = sys_chdir,
	[SYS_fchdir] = sys_fchdir,
	[SYS_faccessat] = sys_faccessat,
	[SYS_faccessat2] = sys_faccessat2,
	[SYS_readlinkat] = sys_readlinkat,
	[SYS_openat] = sys_openat,
	[SYS_close] = sys_close,
	[SYS_getdents64] = sys_getdents64,
	[SYS_lseek] = sys_lseek,
	[SYS_read] = sys_read,
	[SYS_readv] = sys_readv,
	[SYS_newfstatat] = sys_newfstatat,
	[SYS_fstat] = sys_fstat,
	[SYS_ioctl] = sys_ioctl,
	[SYS_write] = sys_write,
	[SYS_writev] = sys_writev,
	[SYS_exit] = sys_exit,
	[SYS_exit_group] = sys_exit_group,
	[SYS_futex] = sys_futex,
	[SYS_nanosleep] = sys_nanosleep,
	[SYS_set_tid_address] = sys_set_tid_address,
	[SYS_clock_gettime] = sys_clock_gettime,
	[SYS_sched_yield] = sys_yield,
	[SYS_rt_sigaction] = sys_rt_sigaction,
	[SYS_rt_sigprocmask] = sys_rt_sigprocmask,
	[SYS_tkill] = sys_tkill,
	[SYS_set_robust_list] = sys_set_robust_list,
	[SYS_get_robust_list] = sys_get_robust_list,
	[SYS_ppoll] = sys_ppoll,
	[SYS_pselect6] = sys_pselect6,
	[SYS_clock_nanosleep] = sys_clock_nanosleep,
	[SYS_prctl] = sys_prctl,
	[SYS_gettimeofday] = sys_gettimeofday,
	[SYS_getuid] = sys_id_zero,
	[SYS_geteuid] = sys_id_zero,
	[SYS_getgid] = sys_id_zero,
	[SYS_getegid] = sys_id_zero,
	[SYS_getgroups] = sys_id_zero,
	[SYS_getresuid] = sys_getres,
	[SYS_getresgid] = sys_getres,
	[SYS_umask] = sys_umask,
	[SYS_prlimit64] = sys_prlimit64,
	[SYS_getrlimit] = sys_getrlimit,
	[SYS_setrlimit] = sys_setrlimit,
	[SYS_getrusage] = sys_getrusage,
	[SYS_times] = sys_times,
	[SYS_sysinfo] = sys_sysinfo,
	[SYS_getitimer] = sys_getitimer,
	[SYS_setitimer] = sys_setitimer,
	[SYS_tgkill] = sys_tgkill,
	[SYS_sigaltstack] = sys_sigaltstack,
	[SYS_rt_sigsuspend] = sys_rt_sigsuspend,
	[SYS_rt_sigpending] = sys_rt_sigpending,
	[SYS_rt_sigtimedwait] = sys_rt_sigtimedwait,
	[SYS_rt_sigqueueinfo] = sys_rt_sigqueueinfo,
	[SYS_rt_tgsigqueueinfo] = sys_rt_tgsigqueueinfo,
	[SYS_uname] = sys_uname,
	[SYS_getpid] = sys_getpid,
	[SYS_getppid] = sys_getppid,
	[SYS_gettid] = sys_gettid,
	[SYS_brk] = sys_brk,
	[SYS_munmap] = sys_munmap,
	[SYS_mmap] = sys_mmap,
	[SYS_mprotect] = sys_mprotect,
	[SYS_madvise] = sys_madvise,
	[SYS_getrandom] = sys_getrandom,
};

/* What the table does not hold: clone (it needs the record), libos's own calls, ENOSYS. */
static i64 other_call(struct exo_upcall *up, u64 number)
{
	if (number == SYS_clone)
		return libos_clone(up);
	if (number == SYS_rt_sigreturn)
		sig_return(up);
	if (number == LIBOS_SYS_EXIT_STATUS)
		libos_exit((i64)up->regs.x[0]);
	if (number == LIBOS_SYS_EXEC_HANDED)
		libos_exec_handed(); /* returns only when nothing was handed over */
	if (number == LIBOS_SYS_FORK_CHILD)
		libos_fork_child_resume(); /* refused unless this is a forked child's first act */
	if (number == LIBOS_SYS_FORK_NEXT)
		return fork_choose_next((const char *)up->regs.x[0]);
	if (number == LIBOS_SYS_FORK_VARIANT)
		return fork_default_name((char *)up->regs.x[0], up->regs.x[1]);
	if (number == LIBOS_SYS_FORK_QUOTA)
		return fork_choose_quota(up->regs.x[0]);
	if (number == LIBOS_SYS_FORK_STATS)
		return fork_stats(up->regs.x[0]);
	return -L_ENOSYS;
}

/* The same with EXO_STRACE=1: every call printed with its result. */
static i64 traced(struct exo_upcall *up, u64 number)
{
	if (number == SYS_exit || number == SYS_exit_group)
		libos_strace_call(up, 0); /* it does not come back */
	syscall_fn fn = number < ARRAY_LEN(syscalls) ? syscalls[number] : NULL;
	i64 result = fn ? fn(up->regs.x) : other_call(up, number);
	libos_strace_call(up, result);
	return result;
}

_Static_assert(sizeof(struct exo_upcall) <= LIGHT_RECORD_SPACE && sizeof(struct exo_upcall) > LIGHT_RECORD_SPACE - 16,
               "light_entry.h reserves LIGHT_RECORD_SPACE bytes for the record");

/* A signal the call left ready (raised, unblocked, or sent to ourselves) runs its handler on the way out. */
i64 libos_on_syscall(struct exo_upcall *up)
{
	u64 number = up->regs.x[8];
	i64 result;
	if (libos_strace) {
		result = traced(up, number);
	} else {
		syscall_fn fn = number < ARRAY_LEN(syscalls) ? syscalls[number] : NULL;
		result = fn ? fn(up->regs.x) : other_call(up, number);
	}
	if (__builtin_expect(sig_ready(sig_here()) != 0, 0))
		sig_return_to_program(up, result);
	return result;
}

void libos_syscall_origin(struct exo_regs *regs)
{
	/* Inside a light system call this cannot fail: regs is on the upcall stack. */
	exo_syscall_origin(regs);
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(regs->tp));
}

static const char *fault_kind(u64 esr, bool write)
{
	unsigned class = (unsigned)(esr >> 26) & 0x3f;
	if (class == 0x20)
		return "an instruction fetch";
	if (class != 0x24)
		return "an exception";
	return write ? "a write" : "a read";
}

/*
 * A fault libos cannot resolve, inside a system call (the light call is
 * depth 1, so this fault is depth 2): a bad pointer the program passed.  As
 * on Linux the call fails with EFAULT instead of the program dying: resume
 * at libos_syscall_efault on the light call's record, at the top of this
 * upcall stack, which returns -EFAULT with the program's registers.
 */
static struct exo_upcall *fail_syscall(struct exo_upcall *up)
{
	libos_lock_drop();
	sig_progress_base(0); /* nothing half-written to report later */
	up->regs.sp = libos_upcall_top(up->regs.sp) - LIGHT_RECORD_SPACE;
	up->regs.pc = (u64)libos_syscall_efault;
	return up;
}

/*
 * On the way to an exit from a fault handler, where a fault is fatal: the
 * image's write-protected pages are made private first (mm.c), since the
 * exit writes libos's state.
 */
void libos_exit_from_handler(void)
{
	if (mm_cow_pages)
		mm_unprotect_image();
}

/*
 * The signal an exception the program cannot go on from means (as Linux),
 * its si_code and si_addr; handled is mm_fault's answer.
 */
static u32 fault_signal(const struct exo_upcall *up, bool permission, int handled, i32 *code, u64 *addr)
{
	unsigned class = (unsigned)(up->esr >> 26) & 0x3f;
	*addr = up->regs.pc;
	if (handled == MM_FAULT_BUS) { /* a file mapping's page the file cannot give (past its end) */
		*addr = up->far;
		*code = L_BUS_ADRERR;
		return L_SIGBUS;
	}
	switch (class) {
	case 0x20: /* instruction abort */
	case 0x24: /* data abort */
		*addr = up->far;
		if ((up->esr & 0x3f) == 0x21) {
			*code = L_BUS_ADRALN;
			return L_SIGBUS;
		}
		*code = permission || mm_mapped_at(up->far) ? L_SEGV_ACCERR : L_SEGV_MAPERR;
		return L_SIGSEGV;
	case 0x22: /* pc alignment */
	case 0x26: /* sp alignment */
		*code = L_BUS_ADRALN;
		return L_SIGBUS;
	case 0x3c: /* brk */
		*code = L_TRAP_BRKPT;
		return L_SIGTRAP;
	case 0x2c: /* a trapped floating-point exception */
		*code = 0;
		return L_SIGFPE;
	}
	*code = L_ILL_ILLOPC;
	return L_SIGILL;
}

/* A fault no handler takes: the report, and the end (as by the signal, or SIGKILL without memory). */
__attribute__((noreturn)) static void die_of_fault(const struct exo_upcall *up, int cow, int handled, bool write,
                                                    u32 sig)
{
	libos_exit_from_handler();
	u64 self = libos_process_of((u64)exo_self()); /* in a child's first act, libos.env is still its parent's */
	bool no_memory = (cow < 0 && cow != -L_EPERM) || handled == -2; /* either way, killed as by SIGKILL */
	if (cow == -L_EPERM)
		libos_report("libos: no private copy of the shared page table for 0x%lx (pc 0x%lx): the process that "
		             "shared it has ended (on-demand fork's limit), process %lu killed\n",
		             up->far, up->regs.pc, self);
	else if (no_memory)
		libos_report("libos: out of memory for a %s page at 0x%lx (pc 0x%lx), process %lu killed\n",
		             cow < 0 ? "copy-on-write" : "new", up->far, up->regs.pc, self);
	else if (sig == L_SIGSEGV)
		libos_report("libos: segmentation fault: %s at 0x%lx (pc 0x%lx), process %lu killed\n",
		             fault_kind(up->esr, write), up->far, up->regs.pc, self);
	else if (handled == MM_FAULT_BUS)
		libos_report("libos: bus error: %s at 0x%lx, where the mapped file has no page (pc 0x%lx), process %lu "
		             "killed\n", fault_kind(up->esr, write), up->far, up->regs.pc, self);
	else
		libos_report("libos: signal %u from %s (esr 0x%lx) at pc 0x%lx, process %lu killed\n", sig,
		             fault_kind(up->esr, write), up->esr, up->regs.pc, self);
	libos_exit(no_memory || cow == -L_EPERM ? L_SIGKILL : (i64)sig); /* wait statuses: SIGKILL (as Linux for memory), the signal */
}

struct exo_upcall *libos_on_fault(struct exo_upcall *up)
{
	bool write = (up->esr >> 26 & 0x3f) == 0x24 && (up->esr & (1u << 6));
	bool permission = (up->esr & 0x3c) == 0x0c; /* DFSC 0b0011xx: a permission fault, not a missing page */
	int cow = up->kind == EXO_UPCALL_FAULT && write && permission ? fork_cow_fault(up->far) : 0;
	if (cow > 0)
		return up; /* before anything that writes memory: this page may be the lock's */
	if (up->kind == EXO_UPCALL_ALERT)
		return sig_on_alert(up); /* signals from others (EXO_ENV_ALERT) */
	int handled = -1;
	if (up->kind == EXO_UPCALL_FAULT && cow == 0) {
		libos_lock();
		handled = mm_fault(up->far, write);
		libos_unlock();
		if (handled == 0)
			return up;
		bool in_libos = up->depth == 2 && libos_upcall_top(up->regs.sp) - up->regs.sp <= UPCALL_PAGES * 4096;
		if (in_libos && !sig_here()->delivering)
			return fail_syscall(up); /* a bad pointer given to a system call */
	}
	i32 code;
	u64 addr;
	u32 sig = fault_signal(up, permission, handled, &code, &addr);
	bool survivable = cow == 0 && handled != -2 && up->depth == 1;
	if (survivable && sig_fault(up, sig, code, addr))
		return up; /* its handler runs (and may longjmp out, or fix things and return) */
	die_of_fault(up, cow, handled, write, sig);
}
