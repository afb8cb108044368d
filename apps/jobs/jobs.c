/*
 * jobs: process groups, sessions and job control, checked from an
 * ordinary musl program.  The same source runs on Linux as /init (which
 * matters: a child of init is in an orphaned group, as Linux defines
 * it), and the suite compares the two runs' lines: setpgid, getpgid,
 * setsid, getsid and their errors, kill and waitpid by group, stop and
 * continue (WUNTRACED, WCONTINUED, SIGCHLD's CLD_STOPPED and
 * CLD_CONTINUED, SA_NOCLDSTOP), every thread stopping, signals held while
 * stopped, SIGKILL of a stopped process, an orphaned group's SIGHUP, and
 * children reaped by nobody when SIGCHLD is ignored.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

static void check(const char *name, int ok)
{
	printf("jobs: %s: %s\n", name, ok ? "ok" : "FAILED");
	fflush(stdout);
	ok ? passed++ : failed++;
}

/* What children tell us without a pipe: a page shared across fork. */
struct shared {
	volatile int usr1, hup, spins, release;
	volatile pid_t pid;
};
static struct shared *shared;

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&t, &t) != 0)
		;
}

static void on(int sig, void (*handler)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

/* A byte from fd (-1 at its end). */
static int byte_from(int fd)
{
	char c;
	return read(fd, &c, 1) == 1 ? c : -1;
}

static void say(int fd, char c) { write(fd, &c, 1); }

/* --- groups and sessions --- */

/* setpgid(child, child) once the child (in a session of its own if asked) has exec'd: its result. */
static int setpgid_of_execd(const char *self, bool own_session)
{
	int ready[2], hold[2];
	pipe(ready);
	pipe(hold);
	pid_t pid = fork();
	if (pid == 0) {
		char r[12], h[12];
		snprintf(r, sizeof(r), "%d", ready[1]);
		snprintf(h, sizeof(h), "%d", hold[0]);
		close(ready[0]);
		close(hold[1]);
		if (own_session)
			setsid();
		execl(self, self, "hold", r, h, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	byte_from(ready[0]); /* the new image is running */
	int result = setpgid(pid, pid), err = errno;
	close(hold[1]);
	close(ready[0]);
	waitpid(pid, NULL, 0);
	errno = err;
	return result;
}

static void groups_and_sessions(const char *self)
{
	pid_t me = getpid(), pid = fork();
	if (pid == 0)
		_exit(getpgid(0) == getpgid(getppid()) && getsid(0) == getsid(getppid()) ? 0 : 1);
	int status;
	waitpid(pid, &status, 0);
	check("a child starts in its parent's group and session", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	pid = fork();
	if (pid == 0)
		_exit(setpgid(0, 0) == 0 && getpgid(0) == getpid() && getpgrp() == getpid() ? 0 : 1);
	waitpid(pid, &status, 0);
	check("setpgid(0, 0) makes a group of its own", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	int go[2];
	pipe(go);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		byte_from(go[0]);
		_exit(getpgid(0) == getpid() ? 0 : 1);
	}
	close(go[0]);
	int moved = setpgid(pid, pid);
	check("the parent moves its child to a new group", moved == 0 && getpgid(pid) == pid);
	check("and its own group stays", getpgid(0) == getpgid(me));
	say(go[1], 'g');
	close(go[1]);
	waitpid(pid, &status, 0);
	check("the child sees its new group", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A child that has exec'd may not be moved; one in another session: that is looked at first (EPERM). */
	errno = 0;
	check("setpgid of a child that has exec'd: EACCES", setpgid_of_execd(self, false) == -1 && errno == EACCES);
	errno = 0;
	check("setpgid of a child in another session that has exec'd: EPERM",
	      setpgid_of_execd(self, true) == -1 && errno == EPERM);

	errno = 0;
	check("setpgid with a negative group: EINVAL", setpgid(0, -1) == -1 && errno == EINVAL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0);
	errno = 0;
	check("setpgid of no such process: ESRCH", setpgid(pid, 0) == -1 && errno == ESRCH);
	errno = 0;
	check("getpgid of no such process: ESRCH", getpgid(pid) == -1 && errno == ESRCH);
	errno = 0;
	check("getsid of no such process: ESRCH", getsid(pid) == -1 && errno == ESRCH);
	errno = 0;
	check("setpgid into a group that does not exist: EPERM", setpgid(0, pid) == -1 && errno == EPERM);

	pid = fork();
	if (pid == 0) {
		pid_t sid = setsid();
		bool leads = sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
		errno = 0;
		bool again = setsid() == -1 && errno == EPERM;
		errno = 0;
		bool stays = setpgid(0, 0) == -1 && errno == EPERM;
		_exit(leads ? again ? stays ? 0 : 3 : 2 : 1);
	}
	waitpid(pid, &status, 0);
	check("setsid: a new session and group led by the caller", WIFEXITED(status) && WEXITSTATUS(status) != 1);
	check("setsid again: EPERM", WIFEXITED(status) && WEXITSTATUS(status) != 2);
	check("a session leader cannot change its group: EPERM", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		errno = 0;
		_exit(setsid() == -1 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	check("setsid by a group leader: EPERM", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	pipe(go);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		setsid();
		byte_from(go[0]);
		_exit(0);
	}
	close(go[0]);
	while (getsid(pid) != pid)
		sched_yield();
	errno = 0;
	check("moving a child in another session: EPERM", setpgid(pid, getpgid(0)) == -1 && errno == EPERM);
	errno = 0;
	check("joining a group of another session: EPERM", setpgid(0, pid) == -1 && errno == EPERM);
	close(go[1]);
	waitpid(pid, &status, 0);
}

/* --- kill and waitpid by group --- */

static int reports;
static void report_usr1(int sig)
{
	(void)sig;
	say(reports, 'u');
}

/* A child that joins group `group` (0: its own, -1: stays in ours), says it is ready, and waits for signals. */
static pid_t member(pid_t group, int ready_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		on(SIGUSR1, report_usr1, 0);
		if (group >= 0)
			setpgid(0, group);
		say(ready_fd, 'r');
		for (;;)
			pause();
	}
	if (group >= 0)
		setpgid(pid, group); /* both sides, as shells do: whichever runs first */
	return pid;
}

static int bytes_now(int fd, int want)
{
	int got = 0;
	while (got < want && byte_from(fd) > 0)
		got++;
	return got;
}

static void group_signals(void)
{
	int pipe_fds[2];
	pipe(pipe_fds);
	reports = pipe_fds[1];
	pid_t a = member(0, reports);
	pid_t b = member(a, reports);
	pid_t c = member(-1, reports); /* (our group: init's is 0 on Linux, so not named) */
	bytes_now(pipe_fds[0], 3);
	check("kill(-pgid) succeeds", kill(-a, SIGUSR1) == 0);
	check("and reaches both members", bytes_now(pipe_fds[0], 2) == 2);
	kill(c, SIGUSR1);
	check("(the other child, signalled alone, answers once)", bytes_now(pipe_fds[0], 1) == 1);
	errno = 0;
	check("kill of an empty group: ESRCH", kill(-(a + 100000), 0) == -1 && errno == ESRCH);
	check("kill(-pgid, 0): the group exists", kill(-a, 0) == 0);

	kill(a, SIGTERM);
	int status;
	check("waitpid(-pgid) reaps a member", waitpid(-a, &status, 0) == a && WTERMSIG(status) == SIGTERM);
	kill(b, SIGTERM);
	kill(c, SIGTERM);
	sleep_ms(50);
	pid_t got = waitpid(-a, &status, 0);
	check("waitpid(-pgid) takes only the group's", got == b);
	errno = 0;
	check("waitpid(-pgid) once the group is reaped: ECHILD", waitpid(-a, &status, WNOHANG) == -1 && errno == ECHILD);
	check("waitpid(0) takes a child of our own group", waitpid(0, &status, 0) == c);
	close(pipe_fds[0]);
	close(pipe_fds[1]);

	/* kill(0): the caller's group, the caller too; not its parent's. */
	pipe(pipe_fds);
	reports = pipe_fds[1];
	on(SIGUSR1, SIG_IGN, 0);
	a = member(0, reports);
	b = member(a, reports);
	bytes_now(pipe_fds[0], 2);
	pid_t sender = fork();
	if (sender == 0) {
		setpgid(0, a);
		on(SIGUSR1, report_usr1, 0);
		_exit(kill(0, SIGUSR1) == 0 ? 0 : 1);
	}
	waitpid(sender, &status, 0);
	check("kill(0) reaches the sender's group, the sender too", bytes_now(pipe_fds[0], 3) == 3);
	/* kill(-1): everyone but init and the sender. */
	sender = fork();
	if (sender == 0) {
		on(SIGUSR1, report_usr1, 0);
		_exit(kill(-1, SIGUSR1) == 0 ? 0 : 1);
	}
	waitpid(sender, &status, 0);
	check("kill(-1) reaches every other process but init", WEXITSTATUS(status) == 0 && bytes_now(pipe_fds[0], 2) == 2);
	kill(-a, SIGKILL);
	waitpid(a, &status, 0);
	waitpid(b, &status, 0);
	check("kill(-pgid, SIGKILL) ends the group", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	on(SIGUSR1, SIG_DFL, 0);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

/* --- stop and continue --- */

static volatile int chld_code, chld_status, chld_count;
static void on_chld(int sig, siginfo_t *info, void *uc)
{
	(void)sig, (void)uc;
	chld_code = info->si_code, chld_status = info->si_status;
	chld_count++;
}

static void count_usr1(int sig)
{
	(void)sig;
	shared->usr1++;
}

static void wait_for_chld(int count)
{
	sigset_t empty;
	sigemptyset(&empty);
	while (chld_count < count)
		sigsuspend(&empty);
}

static void stop_and_continue(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	chld_count = 0;
	shared->usr1 = 0, shared->release = 0;
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		on(SIGUSR1, count_usr1, 0);
		raise(SIGSTOP);
		while (!shared->release) /* until the continue is seen: an exit would take its place */
			sched_yield();
		_exit(7);
	}
	int status;
	check("waitpid(WUNTRACED) sees the stop", waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) &&
	                                              WSTOPSIG(status) == SIGSTOP);
	wait_for_chld(1);
	check("SIGCHLD: CLD_STOPPED, si_status SIGSTOP", chld_code == CLD_STOPPED && chld_status == SIGSTOP);
	check("the stop is reported once", waitpid(pid, &status, WUNTRACED | WNOHANG) == 0);
	kill(pid, SIGUSR1);
	sleep_ms(50);
	check("a handled signal waits while the process is stopped", shared->usr1 == 0);
	kill(pid, SIGCONT);
	check("waitpid(WCONTINUED) sees the continue", waitpid(pid, &status, WCONTINUED) == pid && WIFCONTINUED(status));
	shared->release = 1;
	wait_for_chld(2);
	check("SIGCHLD: CLD_CONTINUED, si_status SIGCONT", chld_code == CLD_CONTINUED && chld_status == SIGCONT);
	check("then it runs on and exits", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	                                       WEXITSTATUS(status) == 7 && shared->usr1 == 1);

	/* A stop not yet reported, then the end: only the end is reported. */
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	sleep_ms(50); /* stopped by now, its stop not waited for */
	kill(pid, SIGKILL);
	sleep_ms(30);
	check("a stopped child killed before it was waited for: WUNTRACED reports the kill only",
	      waitpid(pid, &status, WUNTRACED) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* A stopped process: SIGTERM waits, SIGKILL does not. */
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(pid, &status, WUNTRACED);
	kill(pid, SIGTERM);
	sleep_ms(30);
	check("SIGTERM to a stopped process waits", waitpid(pid, &status, WNOHANG) == 0);
	kill(pid, SIGKILL);
	check("SIGKILL ends a stopped process", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	                                            WTERMSIG(status) == SIGKILL);

	/* SIGCONT to a running process: its handler runs, nothing is reported. */
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	shared->usr1 = 0;
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		on(SIGCONT, count_usr1, 0);
		kill(getppid(), SIGUSR2);
		while (shared->usr1 == 0)
			sched_yield();
		_exit(0);
	}
	int sig;
	sigwait(&usr2, &sig);
	kill(pid, SIGCONT);
	check("SIGCONT to a running process: its handler runs, no continue to report",
	      waitpid(pid, &status, WCONTINUED) == pid && WIFEXITED(status) && shared->usr1 == 1);
	sigprocmask(SIG_UNBLOCK, &usr2, NULL);

	/* SA_NOCLDSTOP: no SIGCHLD for stops. */
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	chld_count = 0;
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(pid, &status, WUNTRACED);
	sleep_ms(30);
	int at_stop = chld_count;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	sleep_ms(30);
	check("SA_NOCLDSTOP: no SIGCHLD for the stop, one for the end", at_stop == 0 && chld_count == 1);
	signal(SIGCHLD, SIG_DFL);
}

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		shared->spins++;
	return NULL;
}

/* Every thread of a stopped process stops; a continued one runs on. */
static void threads_stop(void)
{
	shared->spins = 0;
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t thread;
		pthread_create(&thread, NULL, spin, NULL);
		for (;;)
			pause();
	}
	while (shared->spins == 0)
		sched_yield();
	kill(pid, SIGSTOP);
	int status;
	waitpid(pid, &status, WUNTRACED);
	sleep_ms(20);
	int before = shared->spins;
	sleep_ms(50);
	check("every thread of a stopped process stops", shared->spins == before);
	kill(pid, SIGCONT);
	while (shared->spins == before)
		sched_yield();
	check("and runs again once continued", shared->spins != before);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* --- SIGTSTP and orphaned groups --- */

static void count_hup(int sig)
{
	(void)sig;
	shared->hup++;
}

static void tstp_and_orphans(void)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGTSTP); /* a child of init: its group is orphaned (Linux's rule), so this does nothing */
		_exit(5);
	}
	waitpid(pid, &status, WUNTRACED);
	check("SIGTSTP in an orphaned group is thrown away", WIFEXITED(status) && WEXITSTATUS(status) == 5);

	/* A middle process: its child in a group of its own stops on SIGTSTP, and continues. */
	pid = fork();
	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			setpgid(0, 0);
			raise(SIGTSTP);
			_exit(6);
		}
		setpgid(grandchild, grandchild);
		int s;
		bool stopped = waitpid(grandchild, &s, WUNTRACED) == grandchild && WIFSTOPPED(s) && WSTOPSIG(s) == SIGTSTP;
		kill(grandchild, SIGCONT);
		bool ended = waitpid(grandchild, &s, 0) == grandchild && WIFEXITED(s) && WEXITSTATUS(s) == 6;
		_exit(stopped ? ended ? 0 : 2 : 1);
	}
	waitpid(pid, &status, 0);
	check("SIGTSTP stops a process whose group has a parent outside it", WEXITSTATUS(status) != 1);
	check("SIGCONT continues it", WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The middle process ends while its child is stopped: the orphaned group gets SIGHUP, SIGCONT. */
	shared->hup = 0, shared->pid = 0;
	pid = fork();
	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			on(SIGHUP, count_hup, 0);
			setpgid(0, 0);
			raise(SIGSTOP);
			_exit(shared->hup == 1 ? 8 : 9);
		}
		setpgid(grandchild, grandchild);
		int s;
		waitpid(grandchild, &s, WUNTRACED);
		shared->pid = grandchild;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	pid_t orphan = shared->pid;
	check("an orphaned group with a stopped member: SIGHUP, then SIGCONT",
	      orphan > 0 && waitpid(orphan, &status, 0) == orphan && WIFEXITED(status) && WEXITSTATUS(status) == 8);
}

/* --- SIGCHLD ignored: no zombies --- */

static volatile int nocldwait_calls;
static void count_chld(int sig)
{
	(void)sig;
	nocldwait_calls++;
}

static void ignored_sigchld(void)
{
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	sleep_ms(50);
	errno = 0;
	check("SIGCHLD ignored: an ended child leaves no zombie (ECHILD)",
	      waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD && kill(pid, 0) == -1);
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		_exit(0);
	}
	errno = 0;
	int got = wait(NULL);
	check("and wait() lasts until every child has ended, then ECHILD",
	      got == -1 && errno == ECHILD && kill(pid, 0) == -1 && errno == ESRCH);
	on(SIGCHLD, count_chld, SA_NOCLDWAIT);
	nocldwait_calls = 0;
	pid = fork();
	if (pid == 0)
		_exit(0);
	errno = 0;
	got = waitpid(pid, NULL, 0);
	bool echild = got == -1 && errno == ECHILD;
	sleep_ms(20);
	check("SA_NOCLDWAIT: the handler runs, no zombie is left", echild && nocldwait_calls == 1);
	signal(SIGCHLD, SIG_DFL);
}

/* exec'd by groups_and_sessions: says it is ready, then waits for its parent to let go. */
static int hold(const char *ready, const char *release)
{
	say(atoi(ready), 'h');
	byte_from(atoi(release));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], argv[3]);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("jobs: start\n");
	groups_and_sessions(argv[0]);
	group_signals();
	stop_and_continue();
	threads_stop();
	tstp_and_orphans();
	ignored_sigchld();
	printf("jobs: %d passed, %d failed\n", passed, failed);
	fflush(stdout);
	if (getpid() == 1 && argc > 1 && strcmp(argv[1], "poweroff") == 0) {
		sync();
		reboot(RB_POWER_OFF); /* under Linux, as /init: end the machine */
	}
	return failed != 0;
}
