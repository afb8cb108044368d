/*
 * signals: POSIX signals, checked from an ordinary musl program.  The same
 * source runs on Linux (as /init, `-- poweroff` ends the machine), and
 * the suite compares the two runs' lines: handlers and their masks,
 * siginfo fields, nested and queued signals, the alternate stack, faults
 * handled and survived, EINTR and restarts, SIGCHLD, SIGPIPE, default
 * actions, threads and pthread_cancel.  One line per check (with the
 * values it saw), then a count.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#define FUTEX_CMP_REQUEUE 4 /* linux/futex.h: not in musl-dev */
#define FUTEX_PRIVATE_FLAG 128
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int passed, failed;

static void check(const char *name, int ok)
{
	printf("signals: %s: %s\n", name, ok ? "ok" : "FAILED");
	fflush(stdout);
	ok ? passed++ : failed++;
}

/* A set of one signal (none for 0). */
static sigset_t set_of(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	if (sig)
		sigaddset(&set, sig);
	return set;
}

static void on(int sig, void (*handler)(int), int flags, const int *also_block)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	for (; also_block && *also_block; also_block++)
		sigaddset(&sa.sa_mask, *also_block);
	sigaction(sig, &sa, NULL);
}

static void on_info(int sig, void (*action)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = action;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void unblock_all(void)
{
	sigset_t none = set_of(0);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void defaults(void)
{
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	unblock_all();
}

static bool blocked_now(int sig)
{
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, sig);
}

/* --- handlers and what they saw --- */

static volatile sig_atomic_t got, got_count;
static char order[64];
static volatile int order_len;
static volatile bool self_blocked, other_blocked;

static void note(char c)
{
	if (order_len < (int)sizeof(order) - 1)
		order[order_len++] = c, order[order_len] = 0;
}

static void record(int sig)
{
	got = sig;
	got_count++;
	self_blocked = blocked_now(sig);
	other_blocked = blocked_now(SIGUSR2);
}

static void basics(void)
{
	on(SIGUSR1, record, 0, NULL);
	got = got_count = 0;
	int r = raise(SIGUSR1);
	check("raise runs the handler before it returns", r == 0 && got == SIGUSR1 && got_count == 1);
	check("the signal is blocked in its handler, unblocked after", self_blocked && !blocked_now(SIGUSR1));
	int usr2[] = { SIGUSR2, 0 };
	on(SIGUSR1, record, 0, usr2);
	raise(SIGUSR1);
	check("sa_mask is blocked in the handler, and unblocked after", other_blocked && !blocked_now(SIGUSR2));
	on(SIGUSR1, record, SA_NODEFER, NULL);
	raise(SIGUSR1);
	check("SA_NODEFER: the signal is not blocked in its handler", !self_blocked);
	on(SIGUSR1, record, SA_RESETHAND, NULL);
	got_count = 0;
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	check("SA_RESETHAND: the action is back to SIG_DFL after one delivery",
	      got_count == 1 && now.sa_handler == SIG_DFL);
	struct sigaction sa = { .sa_handler = record };
	check("SIGKILL and SIGSTOP cannot be caught (EINVAL)",
	      sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL && sigaction(SIGSTOP, &sa, NULL) == -1);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	check("SIGKILL and SIGSTOP cannot be blocked", !blocked_now(SIGKILL) && !blocked_now(SIGSTOP));
	defaults();
}

static void masks_and_pending(void)
{
	on(SIGUSR1, record, 0, NULL);
	sigset_t usr1 = set_of(SIGUSR1), pending;
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	got_count = 0;
	raise(SIGUSR1);
	raise(SIGUSR1);
	sigpending(&pending);
	check("a blocked signal stays pending, its handler not run",
	      got_count == 0 && sigismember(&pending, SIGUSR1) && !sigismember(&pending, SIGUSR2));
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	check("unblocking runs it once (standard signals do not queue)", got_count == 1);
	sigpending(&pending);
	check("nothing pending after", !sigismember(&pending, SIGUSR1));
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&pending);
	check("setting SIG_IGN throws a pending signal away", !sigismember(&pending, SIGUSR1));
	defaults();
}

static void order_usr1(int sig)
{
	(void)sig;
	note('a');
	raise(SIGUSR2);
	note('b');
}
static void order_usr2(int sig)
{
	(void)sig;
	note('c');
}
static void note_number(int sig) { note(sig == SIGUSR1 ? '1' : '2'); }

static void nested_and_order(void)
{
	on(SIGUSR1, order_usr1, 0, NULL);
	on(SIGUSR2, order_usr2, 0, NULL);
	order_len = 0, order[0] = 0;
	raise(SIGUSR1);
	printf("signals: a signal raised in a handler runs nested: order %s\n", order);
	check("nested signal", strcmp(order, "acb") == 0);
	sigset_t both = set_of(SIGUSR1);
	sigaddset(&both, SIGUSR2);
	on(SIGUSR1, note_number, 0, NULL);
	on(SIGUSR2, note_number, 0, NULL);
	sigprocmask(SIG_BLOCK, &both, NULL);
	order_len = 0, order[0] = 0;
	raise(SIGUSR1);
	raise(SIGUSR2);
	sigprocmask(SIG_UNBLOCK, &both, NULL);
	printf("signals: two pending signals unblocked at once: order %s\n", order);
	defaults();
}

/* --- siginfo --- */

static siginfo_t seen_info;
static void keep_info(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	seen_info = *info;
	got = sig;
}

static void siginfo_fields(void)
{
	on_info(SIGUSR2, keep_info, 0);
	memset(&seen_info, 0, sizeof(seen_info));
	kill(getpid(), SIGUSR2);
	printf("signals: kill: si_signo %d si_code %d si_pid is ours %d si_uid %d\n", seen_info.si_signo,
	       seen_info.si_code, seen_info.si_pid == getpid(), (int)seen_info.si_uid);
	memset(&seen_info, 0, sizeof(seen_info));
	raise(SIGUSR2);
	printf("signals: raise: si_signo %d si_code %d si_pid is ours %d\n", seen_info.si_signo, seen_info.si_code,
	       seen_info.si_pid == getpid());
	memset(&seen_info, 0, sizeof(seen_info));
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 42 });
	printf("signals: sigqueue: si_code %d si_value %d si_pid is ours %d\n", seen_info.si_code,
	       seen_info.si_value.sival_int, seen_info.si_pid == getpid());
	check("siginfo of kill, raise and sigqueue", seen_info.si_code == SI_QUEUE && seen_info.si_value.sival_int == 42);
	defaults();
}

/* --- the frame: registers and FP/SIMD restored, the handler's context --- */

static void clobber_fp(int sig)
{
	(void)sig;
	__asm__ volatile("fmov d8, xzr\n\tfmov d15, xzr\n\tmsr fpsr, xzr" ::: "memory"); /* unseen by the compiler */
}

static void fp_restored(void)
{
	on(SIGUSR1, clobber_fp, 0, NULL);
	double d8, d15;
	__asm__ volatile("fmov d8, #1.5\n\tfmov d15, #-2.0" ::: "d8", "d15");
	raise(SIGUSR1);
	__asm__ volatile("fmov %0, d8\n\tfmov %1, d15" : "=r"(*(long *)&d8), "=r"(*(long *)&d15));
	check("FP/SIMD registers come back from the frame", d8 == 1.5 && d15 == -2.0);
	defaults();
}

static volatile uintptr_t handler_sp;
static void note_sp(int sig)
{
	volatile char here;
	(void)sig;
	handler_sp = (uintptr_t)&here;
	stack_t now;
	sigaltstack(NULL, &now);
	got = now.ss_flags;
}

static void alternate_stack(void)
{
	static char area[64 * 1024];
	stack_t ss = { .ss_sp = area, .ss_size = sizeof(area), .ss_flags = 0 }, old;
	check("sigaltstack with a stack too small: ENOMEM",
	      sigaltstack(&(stack_t){ .ss_sp = area, .ss_size = 1024 }, NULL) == -1 && errno == ENOMEM);
	check("sigaltstack with unknown flags: EINVAL",
	      sigaltstack(&(stack_t){ .ss_sp = area, .ss_size = sizeof(area), .ss_flags = 77 }, NULL) == -1 &&
	          errno == EINVAL);
	sigaltstack(NULL, &old);
	check("no alternate stack at first (SS_DISABLE)", old.ss_flags == SS_DISABLE);
	check("sigaltstack", sigaltstack(&ss, NULL) == 0);
	on(SIGUSR1, note_sp, SA_ONSTACK, NULL);
	raise(SIGUSR1);
	bool on_alt = handler_sp >= (uintptr_t)area && handler_sp < (uintptr_t)area + sizeof(area);
	check("SA_ONSTACK runs the handler on the alternate stack, which says SS_ONSTACK", on_alt && got == SS_ONSTACK);
	on(SIGUSR1, note_sp, 0, NULL);
	raise(SIGUSR1);
	on_alt = handler_sp >= (uintptr_t)area && handler_sp < (uintptr_t)area + sizeof(area);
	check("without SA_ONSTACK it runs on the usual stack", !on_alt && got == 0);
	sigaltstack(&(stack_t){ .ss_flags = SS_DISABLE }, NULL);
	defaults();
}

/* --- faults handled --- */

static sigjmp_buf escape;
static void segv_escape(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	seen_info = *info;
	got = sig;
	siglongjmp(escape, 1);
}

static char *fix_page;
static void segv_fix(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	got_count++;
	mprotect((void *)((uintptr_t)info->si_addr & ~4095ul), 4096, PROT_READ | PROT_WRITE);
}

static void skip_instruction(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	seen_info = *info;
	got = sig;
	uc->uc_mcontext.pc += 4; /* go on after it */
}

static void faults(void)
{
	char *page = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	on_info(SIGSEGV, segv_escape, 0);
	int survived = 0;
	for (int i = 0; i < 3; i++) {
		got = 0;
		if (sigsetjmp(escape, 1) == 0)
			*(volatile char *)page = 1;
		survived += got == SIGSEGV && seen_info.si_addr == page;
	}
	check("a write to PROT_NONE memory: SIGSEGV handled, siglongjmp out, three times", survived == 3);
	printf("signals: SIGSEGV on PROT_NONE: si_code %d (SEGV_ACCERR %d), blocked after siglongjmp %d\n",
	       seen_info.si_code, SEGV_ACCERR, blocked_now(SIGSEGV));
	if (sigsetjmp(escape, 1) == 0)
		(void)*(volatile char *)(page + 4096);
	printf("signals: SIGSEGV on an unmapped page: si_code %d (SEGV_MAPERR %d), address right %d\n",
	       seen_info.si_code, SEGV_MAPERR, seen_info.si_addr == page + 4096);
	on_info(SIGSEGV, segv_fix, 0);
	got_count = 0;
	fix_page = page;
	*(volatile char *)page = 42;
	check("a handler that mprotects the page and returns: the write runs again and sticks",
	      got_count == 1 && *(volatile char *)page == 42);
	on_info(SIGILL, skip_instruction, 0);
	got = 0;
	uintptr_t at;
	__asm__ volatile("adr %0, 1f\n1:\t.inst 0x00000000" : "=r"(at));
	check("an undefined instruction: SIGILL at its pc (ILL_ILLOPC), and the handler skips it",
	      got == SIGILL && seen_info.si_code == ILL_ILLOPC && (uintptr_t)seen_info.si_addr == at);
	on_info(SIGTRAP, skip_instruction, 0);
	got = 0;
	__asm__ volatile("brk #0");
	printf("signals: brk: signal %d si_code %d\n", got, seen_info.si_code);
	munmap(page, 4096);
	defaults();
}

/* --- waits interrupted, restarted --- */

static void nothing(int sig) { (void)sig; got_count++; }

/* A child that sends its parent sig after ms, then writes a byte to fd (if not -1), and exits. */
static pid_t signal_me_later(int sig, int ms, int fd)
{
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, ms * 1000000L };
		nanosleep(&ts, NULL);
		kill(parent, sig);
		nanosleep(&ts, NULL);
		if (fd >= 0)
			write(fd, "x", 1);
		_exit(0);
	}
	return pid;
}

static void interrupted_waits(void)
{
	int p[2];
	char c;
	pipe(p);
	on(SIGUSR1, nothing, 0, NULL);
	got_count = 0;
	pid_t child = signal_me_later(SIGUSR1, 30, p[1]);
	errno = 0;
	ssize_t n = read(p[0], &c, 1);
	check("a read on an empty pipe, interrupted by a handled signal: EINTR", n == -1 && errno == EINTR && got_count == 1);
	waitpid(child, NULL, 0);
	read(p[0], &c, 1);
	on(SIGUSR1, nothing, SA_RESTART, NULL);
	got_count = 0;
	child = signal_me_later(SIGUSR1, 30, p[1]);
	n = read(p[0], &c, 1);
	check("with SA_RESTART the read starts again and gets the byte", n == 1 && c == 'x' && got_count == 1);
	waitpid(child, NULL, 0);
	on(SIGUSR1, nothing, 0, NULL);
	child = signal_me_later(SIGUSR1, 30, -1);
	struct timespec ask = { 5, 0 }, rem = { 0, 0 };
	int r = nanosleep(&ask, &rem);
	check("nanosleep interrupted: EINTR with the time left", r == -1 && errno == EINTR && rem.tv_sec < 5 &&
	                                                          (rem.tv_sec > 0 || rem.tv_nsec > 0));
	waitpid(child, NULL, 0);
	on(SIGUSR1, nothing, SA_RESTART, NULL);
	child = signal_me_later(SIGUSR1, 30, -1);
	int status;
	pid_t waited = waitpid(child, &status, 0);
	check("waitpid with SA_RESTART: the signal's handler runs, the wait goes on to the child's end",
	      waited == child && WIFEXITED(status));
	on(SIGUSR1, nothing, 0, NULL);
	got_count = 0;
	child = signal_me_later(SIGUSR1, 30, -1);
	waited = waitpid(child, &status, 0);
	bool eintr = waited == -1 && errno == EINTR;
	waitpid(child, &status, 0);
	check("waitpid without SA_RESTART: EINTR", eintr && got_count == 1);
	signal(SIGUSR1, SIG_IGN);
	child = signal_me_later(SIGUSR1, 30, p[1]);
	n = read(p[0], &c, 1);
	check("an ignored signal does not interrupt the read", n == 1);
	waitpid(child, NULL, 0);
	close(p[0]);
	close(p[1]);
	defaults();
}

static void suspend_and_wait(void)
{
	sigset_t usr1 = set_of(SIGUSR1), empty = set_of(0);
	on(SIGUSR1, nothing, 0, NULL);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	got_count = 0;
	pid_t child = signal_me_later(SIGUSR1, 20, -1);
	int r = sigsuspend(&empty);
	check("sigsuspend returns EINTR once the handler has run, the mask restored",
	      r == -1 && errno == EINTR && got_count == 1 && blocked_now(SIGUSR1));
	waitpid(child, NULL, 0);
	sigset_t usr2 = set_of(SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	child = signal_me_later(SIGUSR2, 20, -1);
	siginfo_t info;
	int sig = sigwaitinfo(&usr2, &info);
	check("sigwaitinfo takes the blocked signal with its sender", sig == SIGUSR2 && info.si_pid == child &&
	                                                              info.si_code == SI_USER);
	waitpid(child, NULL, 0);
	struct timespec short_wait = { 0, 20000000 };
	r = sigtimedwait(&usr2, &info, &short_wait);
	check("sigtimedwait with nothing sent: EAGAIN after its timeout", r == -1 && errno == EAGAIN);
	raise(SIGUSR2);
	sig = sigwait(&usr2, &r) == 0 ? r : -1;
	check("sigwait takes a pending one at once", sig == SIGUSR2);
	defaults();
}

/* --- children: SIGCHLD, default actions, SIGPIPE --- */

static volatile int chld_pid, chld_code, chld_status;
static void on_chld(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	chld_pid = info->si_pid, chld_code = info->si_code, chld_status = info->si_status;
	got_count++;
}

static int status_of_child_doing(void (*act)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		act();
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static void act_term(void) { raise(SIGTERM); }
static void act_urg(void) { raise(SIGURG); }
static void act_ignored_usr1(void) { signal(SIGUSR1, SIG_IGN); raise(SIGUSR1); }
static void act_segv(void) { *(volatile int *)8 = 1; }
static void act_abort(void) { abort(); }
static void act_pipe(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	write(p[1], "x", 1);
	_exit(3);
}
static void act_pipe_ignored(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	_exit(write(p[1], "x", 1) == -1 && errno == EPIPE ? 4 : 5);
}

static void children(void)
{
	sigset_t chld = set_of(SIGCHLD), empty = set_of(0);
	on_info(SIGCHLD, on_chld, 0);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	got_count = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	while (got_count == 0)
		sigsuspend(&empty);
	check("SIGCHLD on a child's exit: si_pid, CLD_EXITED, si_status",
	      chld_pid == pid && chld_code == CLD_EXITED && chld_status == 3);
	int status;
	check("and waitpid still finds it", waitpid(pid, &status, WNOHANG) == pid && WEXITSTATUS(status) == 3);
	got_count = 0;
	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(9);
	}
	while (got_count == 0)
		sigsuspend(&empty);
	check("SIGCHLD on a child killed by a signal: CLD_KILLED, the signal",
	      chld_pid == pid && chld_code == CLD_KILLED && chld_status == SIGTERM);
	waitpid(pid, &status, 0);
	defaults();
	status = status_of_child_doing(act_term);
	check("SIGTERM's default ends the process", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	status = status_of_child_doing(act_urg);
	check("SIGURG's default ignores it", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = status_of_child_doing(act_ignored_usr1);
	check("an ignored SIGUSR1 does nothing", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = status_of_child_doing(act_segv);
	printf("signals: an unhandled SIGSEGV: signalled %d signal %d\n", WIFSIGNALED(status), WTERMSIG(status));
	status = status_of_child_doing(act_abort);
	printf("signals: abort(): signalled %d signal %d\n", WIFSIGNALED(status), WTERMSIG(status));
	status = status_of_child_doing(act_pipe);
	check("a write to a pipe without a reader: SIGPIPE ends the writer",
	      WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
	status = status_of_child_doing(act_pipe_ignored);
	check("with SIGPIPE ignored: EPIPE", WIFEXITED(status) && WEXITSTATUS(status) == 4);
}

/* --- the interval timer: setitimer, getitimer, alarm --- */

static volatile int alarm_code;
static void on_alarm(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	alarm_code = info->si_code;
	got_count++;
}

static void act_alarm_default(void)
{
	setitimer(ITIMER_REAL, &(struct itimerval){ .it_value = { 0, 10000 } }, NULL);
	for (;;)
		sigsuspend(&(sigset_t){ 0 });
}

static void timers(void)
{
	sigset_t alrm = set_of(SIGALRM), empty = set_of(0);
	on_info(SIGALRM, on_alarm, 0);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	got_count = 0;
	struct itimerval it = { .it_value = { 0, 20000 } }, now;
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &now);
	bool running = now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 && now.it_value.tv_usec <= 20000;
	while (got_count == 0)
		sigsuspend(&empty);
	getitimer(ITIMER_REAL, &now);
	check("setitimer: SIGALRM once, then the timer reads 0",
	      running && got_count == 1 && now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
	printf("signals: SIGALRM from the timer: si_code %d\n", alarm_code);
	got_count = 0;
	it = (struct itimerval){ .it_interval = { 0, 10000 }, .it_value = { 0, 10000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (got_count < 3)
		sigsuspend(&empty);
	struct itimerval old;
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, &old);
	getitimer(ITIMER_REAL, &now);
	check("a periodic timer goes off again and again until cancelled",
	      got_count == 3 && old.it_interval.tv_usec == 10000 && now.it_value.tv_usec == 0 &&
	          now.it_interval.tv_usec == 0);
	unsigned first = alarm(5), left = alarm(0);
	check("alarm returns the seconds left of the one before", first == 0 && left == 5);
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	int p[2];
	char c;
	pipe(p);
	setitimer(ITIMER_REAL, &(struct itimerval){ .it_value = { 0, 20000 } }, NULL);
	errno = 0;
	ssize_t n = read(p[0], &c, 1);
	check("SIGALRM interrupts a read (EINTR)", n == -1 && errno == EINTR);
	close(p[0]);
	close(p[1]);
	check("setitimer of another timer than ITIMER_REAL, or a bad time: EINVAL",
	      setitimer(ITIMER_REAL, &(struct itimerval){ .it_value = { 0, 1000000 } }, NULL) == -1 && errno == EINVAL);
	defaults();
	int status = status_of_child_doing(act_alarm_default);
	check("SIGALRM's default ends the process", WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
}

/* --- between processes: each kill with its sender, sigqueue values, real-time signals queued --- */

static volatile int queued_values[8], nqueued, queued_pid, queued_code;
static void on_queued(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	if (nqueued < 8)
		queued_values[nqueued++] = info->si_value.sival_int;
	queued_pid = info->si_pid, queued_code = info->si_code;
}

static void between_processes(void)
{
	int rt = SIGRTMIN + 1;
	sigset_t block = set_of(rt);
	sigaddset(&block, SIGUSR2);
	on_info(rt, on_queued, 0);
	on_info(SIGUSR2, on_queued, 0);
	sigprocmask(SIG_BLOCK, &block, NULL);
	nqueued = 0;
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		for (int i = 1; i <= 3; i++)
			sigqueue(parent, rt, (union sigval){ .sival_int = i * 10 });
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	check("sigqueue from another process: a real-time signal queues, each with its value, in order",
	      nqueued == 3 && queued_values[0] == 10 && queued_values[1] == 20 && queued_values[2] == 30 &&
	          queued_pid == pid && queued_code == SI_QUEUE);
	sigprocmask(SIG_BLOCK, &block, NULL);
	nqueued = 0;
	pid = fork();
	if (pid == 0) {
		kill(parent, SIGUSR2);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	check("a standard signal sent twice from another process comes once, with its sender (SI_USER)",
	      nqueued == 1 && queued_pid == pid && queued_code == SI_USER);
	defaults();
}

/* --- POSIX timers: timer_create, timer_settime, timer_gettime, timer_delete --- */

static volatile int timer_code, timer_value;
static void on_timer(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	timer_code = info->si_code, timer_value = info->si_value.sival_int;
	got_count++;
}

static volatile int thread_calls;
static void timer_thread(union sigval value) { thread_calls += value.sival_int; }

static void posix_timers(void)
{
	sigset_t usr1 = set_of(SIGUSR1), empty = set_of(0);
	on_info(SIGUSR1, on_timer, 0);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 42 };
	timer_t timer;
	check("timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL)", timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0);
	got_count = 0;
	struct itimerspec once = { .it_value = { 0, 20000000 } }, now;
	timer_settime(timer, 0, &once, NULL);
	timer_gettime(timer, &now);
	bool running = now.it_value.tv_sec == 0 && now.it_value.tv_nsec > 0 && now.it_value.tv_nsec <= 20000000;
	while (got_count == 0)
		sigsuspend(&empty);
	timer_gettime(timer, &now);
	check("it goes off once: SI_TIMER, its sigev_value, then it reads 0",
	      running && got_count == 1 && timer_code == SI_TIMER && timer_value == 42 && now.it_value.tv_nsec == 0);
	got_count = 0;
	struct itimerspec periodic = { .it_interval = { 0, 10000000 }, .it_value = { 0, 10000000 } };
	timer_settime(timer, 0, &periodic, NULL);
	while (got_count < 3)
		sigsuspend(&empty);
	timer_gettime(timer, &now);
	check("a periodic one goes off again and again", got_count == 3 && now.it_interval.tv_nsec == 10000000);
	struct timespec at;
	clock_gettime(CLOCK_MONOTONIC, &at);
	got_count = 0;
	timer_settime(timer, TIMER_ABSTIME, &(struct itimerspec){ .it_value = at }, NULL); /* already past */
	while (got_count == 0)
		sigsuspend(&empty);
	check("TIMER_ABSTIME at a time already past: at once", got_count == 1);
	check("timer_delete", timer_delete(timer) == 0);
	errno = 0;
	check("timer_settime of a deleted timer: EINVAL",
	      timer_settime(timer, 0, &once, NULL) == -1 && errno == EINVAL);
	errno = 0;
	check("timer_create of an unknown clock: EINVAL", timer_create(12345, &sev, &timer) == -1 && errno == EINVAL);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	struct sigevent by_thread = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = timer_thread,
		                      .sigev_value.sival_int = 1 };
	thread_calls = 0;
	bool made = timer_create(CLOCK_REALTIME, &by_thread, &timer) == 0;
	timer_settime(timer, 0, &(struct itimerspec){ .it_value = { 0, 10000000 } }, NULL);
	for (int i = 0; i < 200 && thread_calls == 0; i++)
		usleep(5000);
	check("SIGEV_THREAD: the function runs in a thread", made && thread_calls == 1);
	timer_delete(timer);
	defaults();
}

/* --- threads --- */

static volatile pthread_t handled_by;
static void note_thread(int sig)
{
	(void)sig;
	handled_by = pthread_self();
	got_count++;
}

static volatile bool thread_stop;
static void *spin(void *arg)
{
	(void)arg;
	sigset_t none = set_of(0);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	while (!thread_stop) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *read_forever(void *arg)
{
	char c;
	read(*(int *)arg, &c, 1); /* a cancellation point */
	return (void *)1;
}

static void threads(void)
{
	on(SIGUSR1, note_thread, 0, NULL);
	pthread_t t;
	thread_stop = false;
	pthread_create(&t, NULL, spin, NULL);
	struct timespec ts = { 0, 20000000 };
	nanosleep(&ts, NULL);
	got_count = 0;
	pthread_kill(t, SIGUSR1);
	while (got_count == 0)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	check("pthread_kill runs the handler in that thread", pthread_equal(handled_by, t));
	sigset_t usr1 = set_of(SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	got_count = 0;
	kill(getpid(), SIGUSR1);
	while (got_count == 0)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	check("kill of the process while the main thread blocks it: another thread takes it",
	      pthread_equal(handled_by, t));
	thread_stop = true;
	pthread_join(t, NULL);
	unblock_all();
	int p[2];
	pipe(p);
	pthread_create(&t, NULL, read_forever, &p[0]);
	nanosleep(&ts, NULL);
	void *result = NULL;
	int c = pthread_cancel(t);
	int j = pthread_join(t, &result);
	check("pthread_cancel of a thread blocked in read: it ends, PTHREAD_CANCELED",
	      c == 0 && j == 0 && result == PTHREAD_CANCELED);
	close(p[0]);
	close(p[1]);
	defaults();
}

/* --- what reviews found: each signal once, SIGCHLD and waits, sigwait threads, init --- */

static volatile int counted;
static void count(int sig) { (void)sig; counted++; }

static void wait_for_count(int want)
{
	for (int i = 0; i < 2000 && counted < want; i++)
		nanosleep(&(struct timespec){ 0, 100000 }, NULL);
}

static void *busy_calls(void *arg)
{
	(void)arg;
	sigset_t none = set_of(0);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	while (!thread_stop)
		getppid(); /* system calls and plain code: the alert comes as an upcall or at a call's end */
	return NULL;
}

static void *wait_usr2(void *arg)
{
	(void)arg;
	sigset_t usr2 = set_of(SIGUSR2);
	int sig = 0;
	sigwait(&usr2, &sig);
	return (void *)(intptr_t)sig;
}

static void *kill_process_later(void *arg)
{
	nanosleep(&(struct timespec){ 0, 30000000 }, NULL);
	kill(getpid(), *(int *)arg);
	return NULL;
}

static void once_each(void)
{
	on(SIGUSR1, count, 0, NULL);
	sigset_t usr1 = set_of(SIGUSR1);
	pthread_t t;
	thread_stop = false;
	pthread_create(&t, NULL, busy_calls, NULL);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	counted = 0;
	for (int i = 1; i <= 100; i++) {
		kill(getpid(), SIGUSR1);
		wait_for_count(i);
	}
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	check("100 kills of the process, taken by a thread one at a time: 100 handler runs", counted == 100);
	counted = 0;
	for (int i = 1; i <= 100; i++) {
		pthread_kill(t, SIGUSR1);
		wait_for_count(i);
	}
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	check("100 pthread_kills one at a time: 100 handler runs", counted == 100);
	thread_stop = true;
	pthread_join(t, NULL);
	unblock_all();
	sigset_t usr2 = set_of(SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	pthread_create(&t, NULL, wait_usr2, NULL);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	kill(getpid(), SIGUSR2);
	void *sig = NULL;
	pthread_join(t, &sig);
	check("a thread in sigwait takes the process's signal", (intptr_t)sig == SIGUSR2);
	defaults();
	on(SIGUSR1, count, 0, NULL);
	int p[2];
	char c;
	pipe(p);
	int which = SIGUSR1;
	counted = 0;
	pthread_create(&t, NULL, kill_process_later, &which);
	errno = 0;
	ssize_t n = read(p[0], &c, 1);
	pthread_join(t, NULL);
	check("a thread's kill of its process interrupts the main thread's read", n == -1 && errno == EINTR &&
	                                                                          counted == 1);
	close(p[0]);
	close(p[1]);
	counted = 0;
	pthread_create(&t, NULL, kill_process_later, &which);
	int r = pause();
	pthread_join(t, NULL);
	check("pause returns EINTR once a handler ran", r == -1 && errno == EINTR && counted == 1);
	defaults();
}

static void chld_count(int sig) { (void)sig; counted++; }

static void sigchld_and_waits(void)
{
	on(SIGCHLD, chld_count, 0, NULL); /* no SA_RESTART */
	counted = 0;
	pid_t pid = fork();
	if (pid == 0) {
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
		_exit(5);
	}
	int status;
	pid_t got = waitpid(pid, &status, 0);
	check("waitpid of the child whose SIGCHLD comes: the pid, not EINTR", got == pid && WEXITSTATUS(status) == 5);
	pid = fork();
	if (pid == 0)
		_exit(6);
	int eintr = 0;
	for (got = 0; got == 0;) {
		got = waitpid(pid, &status, WNOHANG);
		eintr += got == -1 && errno == EINTR;
		if (got == -1 && errno == EINTR)
			got = 0;
	}
	check("waitpid with WNOHANG while SIGCHLD comes: never EINTR", got == pid && eintr == 0);
	pid = fork();
	if (pid == 0)
		_exit(0);
	nanosleep(&(struct timespec){ 0, 30000000 }, NULL);
	check("kill of a child that ended and was not waited for: 0", kill(pid, 0) == 0 && kill(pid, SIGTERM) == 0);
	waitpid(pid, NULL, 0);
	defaults();
	sigset_t chld = set_of(SIGCHLD), empty = set_of(0);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	sigset_t pending;
	for (int i = 0; i < 200; i++) {
		sigpending(&pending);
		if (sigismember(&pending, SIGCHLD))
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	on(SIGUSR1, count, 0, NULL);
	counted = 0;
	pid_t sender = signal_me_later(SIGUSR1, 20, -1);
	int r = sigsuspend(&empty);
	check("sigsuspend does not return for a signal whose default ignores it", r == -1 && counted == 1);
	waitpid(pid, NULL, 0);
	waitpid(sender, NULL, 0);
	defaults();
}

static void act_kill_init(void) { _exit(kill(1, SIGTERM) == 0 ? 0 : 1); }

static void init_is_not_killed(void)
{
	if (getpid() != 1)
		return; /* only as /init (the suite runs it so, on both systems) */
	int status = status_of_child_doing(act_kill_init);
	raise(SIGUSR1);
	raise(SIGTERM);
	check("init: SIGTERM from a child and signals to itself with the default action do nothing",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* --- mutexes that know their owner: robust (EOWNERDEAD) and priority-inheritance --- */

static pthread_mutex_t robust;
static void *lock_and_leave(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL; /* ends holding it */
}

static pthread_mutex_t pi_lock;
static long pi_counter;
static void *pi_work(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&pi_lock);
		long seen = pi_counter;
		if (i % 50 == 0)
			sched_yield(); /* let the others find it held */
		pi_counter = seen + 1;
		pthread_mutex_unlock(&pi_lock);
	}
	return NULL;
}

static pthread_mutex_t robust_pi;
static volatile int pi_ready;
static void *hold_then_die(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust_pi);
	pi_ready = 1;
	nanosleep(&(struct timespec){ 0, 40000000 }, NULL); /* the others block meanwhile */
	return NULL; /* ends holding it */
}

static void *lock_robust_pi(void *arg)
{
	(void)arg;
	int r = pthread_mutex_lock(&robust_pi);
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(&robust_pi);
	pthread_mutex_unlock(&robust_pi);
	return (void *)(intptr_t)r;
}

static void owner_mutexes(void)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &attr);
	pthread_t t;
	pthread_create(&t, NULL, lock_and_leave, NULL);
	pthread_join(t, NULL);
	int r = pthread_mutex_lock(&robust);
	int made = r == EOWNERDEAD ? pthread_mutex_consistent(&robust) : -1;
	pthread_mutex_unlock(&robust);
	check("a robust mutex whose owner thread ended: EOWNERDEAD, then consistent", r == EOWNERDEAD && made == 0);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutex_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutex_init(shared, &attr);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(shared);
		_exit(0); /* ends holding it */
	}
	waitpid(pid, NULL, 0);
	r = pthread_mutex_lock(shared);
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(shared);
	pthread_mutex_unlock(shared);
	check("a process-shared robust mutex whose owner process ended: EOWNERDEAD", r == EOWNERDEAD);
	munmap(shared, 4096);
	pthread_mutexattr_destroy(&attr);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&pi_lock, &attr);
	pthread_t workers[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&workers[i], NULL, pi_work, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(workers[i], NULL);
	check("a priority-inheritance mutex under four threads: no update lost", pi_counter == 8000);
	pthread_mutex_lock(&pi_lock);
	int busy = -1;
	pthread_create(&t, NULL, (void *(*)(void *))(void *)pthread_mutex_trylock, &pi_lock);
	void *result;
	pthread_join(t, &result);
	busy = (int)(intptr_t)result;
	pthread_mutex_unlock(&pi_lock);
	check("trylock of a held priority-inheritance mutex from another thread: EBUSY", busy == EBUSY);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust_pi, &attr);
	pthread_t owner, waiters[2];
	pi_ready = 0;
	pthread_create(&owner, NULL, hold_then_die, NULL);
	while (!pi_ready)
		sched_yield();
	for (int i = 0; i < 2; i++)
		pthread_create(&waiters[i], NULL, lock_robust_pi, NULL);
	pthread_join(owner, NULL);
	int owner_dead = 0, plain = 0;
	for (int i = 0; i < 2; i++) {
		pthread_join(waiters[i], &result);
		owner_dead += (intptr_t)result == EOWNERDEAD;
		plain += (intptr_t)result == 0;
	}
	check("a robust priority-inheritance mutex whose owner ended, two waiting: one EOWNERDEAD, then the other",
	      owner_dead == 1 && plain == 1);
	int word = 5, other = 0;
	long requeued = syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, 0x7fffffff, &other, 5);
	check("FUTEX_CMP_REQUEUE with nobody waiting: 0", requeued == 0);
}

/* Across exec: the mask and what is pending stay (the new image reports them). */
static void pending_across_exec(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) { /* a fork leaves pending signals behind: raised in the child */
		sigset_t usr1 = set_of(SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		raise(SIGUSR1);
		execl(self, self, "after-exec", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	check("a blocked pending signal and the mask stay across exec", WIFEXITED(status) && WEXITSTATUS(status) == 42);
}

static int after_exec(void)
{
	sigset_t pending;
	sigpending(&pending);
	return blocked_now(SIGUSR1) && sigismember(&pending, SIGUSR1) ? 42 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after-exec") == 0)
		return after_exec();
	printf("signals: start\n");
	basics();
	masks_and_pending();
	nested_and_order();
	siginfo_fields();
	fp_restored();
	alternate_stack();
	faults();
	interrupted_waits();
	suspend_and_wait();
	children();
	timers();
	posix_timers();
	between_processes();
	threads();
	once_each();
	sigchld_and_waits();
	owner_mutexes();
	pending_across_exec(argv[0]);
	init_is_not_killed();
	printf("signals: %d passed, %d failed\n", passed, failed);
	fflush(stdout);
	if (getpid() == 1 && argc > 1 && strcmp(argv[1], "poweroff") == 0) {
		sync();
		reboot(RB_POWER_OFF); /* under Linux, as /init: end the machine */
	}
	return failed != 0;
}
