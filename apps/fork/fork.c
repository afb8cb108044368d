/*
 * fork: POSIX fork semantics, checked from an ordinary musl program.  The
 * same source runs on Linux (as /init, `-- poweroff` ends the machine),
 * and the suite compares the two runs' lines; lines starting "~ " are
 * exo's own (its variants) or differ by nature (how deep a chain goes).
 * One line per check, then a count.
 */
#include <errno.h>
#include <exo/fork.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed, own_passed, own_failed;

static void check(const char *name, int ok)
{
	printf("fork: %s: %s\n", name, ok ? "ok" : "FAILED");
	fflush(stdout);
	ok ? passed++ : failed++;
}

/* A check of exo's own (a variant chosen per call): not on Linux, so not compared. */
static void check_own(const char *name, int ok)
{
	printf("~ fork: %s: %s\n", name, ok ? "ok" : "FAILED");
	fflush(stdout);
	ok ? own_passed++ : own_failed++;
}

/* Run fn in a child; its exit status (0..255), or -1 if it did not exit normally. */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0)
		_exit(fn(arg));
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -3;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Private memory of every kind: data, bss, heap, mmap'd, stack. */
static long data_word = 1;
static long bss_word;
static long *heap_word;
static long *mmap_word;

struct marks {
	long *stack_word;
	int pipe_to_child[2], pipe_to_parent[2];
};

static int child_writes(void *arg)
{
	struct marks *m = arg;
	data_word = 101, bss_word = 102, *heap_word = 103, *mmap_word = 104, *m->stack_word = 105;
	return 7;
}

static void parent_unaffected(void)
{
	long stack_word = 5;
	struct marks m = { .stack_word = &stack_word };
	data_word = 1, bss_word = 2, *heap_word = 3, *mmap_word = 4;
	int status = in_child(child_writes, &m);
	check("child exits with its status", status == 7);
	check("child's writes stay in the child (data, bss, heap, mmap, stack)",
	      data_word == 1 && bss_word == 2 && *heap_word == 3 && *mmap_word == 4 && stack_word == 5);
}

/* The parent writes after the fork; the child, told through a pipe, must still see the old values. */
static int child_sees_old(void *arg)
{
	struct marks *m = arg;
	char byte;
	close(m->pipe_to_child[1]);
	if (read(m->pipe_to_child[0], &byte, 1) != 1)
		return 20;
	bool same = data_word == 1 && bss_word == 2 && *heap_word == 3 && *mmap_word == 4 && *m->stack_word == 5;
	return same ? 0 : 21;
}

static void child_unaffected(void)
{
	long stack_word = 5;
	struct marks m = { .stack_word = &stack_word };
	data_word = 1, bss_word = 2, *heap_word = 3, *mmap_word = 4;
	if (pipe(m.pipe_to_child) < 0) {
		check("pipe", 0);
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_sees_old(&m));
	close(m.pipe_to_child[0]);
	data_word = 11, bss_word = 12, *heap_word = 13, *mmap_word = 14, stack_word = 15;
	write(m.pipe_to_child[1], "x", 1);
	close(m.pipe_to_child[1]);
	int status = -1;
	waitpid(pid, &status, 0);
	check("parent's writes after fork stay in the parent", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int child_pids(void *arg)
{
	pid_t parent = *(pid_t *)arg;
	return getppid() == parent && getpid() != parent ? 0 : 1;
}

static void pids(void)
{
	pid_t me = getpid();
	check("getppid in the child is the parent's pid", in_child(child_pids, &me) == 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int status;
	check("fork returns the child's pid to the parent", pid > 0 && waitpid(pid, &status, 0) == pid);
	check("no children left: ECHILD", waitpid(-1, &status, 0) == -1 && errno == ECHILD);
	pid = fork();
	if (pid == 0)
		_exit(5);
	check("waitpid(0) waits for a child in the caller's group", waitpid(0, &status, 0) == pid &&
	                                                             WIFEXITED(status) && WEXITSTATUS(status) == 5);
}

/* mprotect on a page shared copy-on-write: each side's change of rights and write stay its own. */
static void mprotect_after_fork(void)
{
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 'P';
	pid_t pid = fork();
	if (pid == 0) {
		bool changed = mprotect(page, 4096, PROT_READ) == 0 && mprotect(page, 4096, PROT_READ | PROT_WRITE) == 0;
		page[0] = 'C';
		_exit(changed && page[0] == 'C' ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	check("the child's mprotect (read-only, then read-write) and write stay in the child",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0 && page[0] == 'P');
	int go[2];
	if (pipe(go) < 0) {
		check("pipe", 0);
		return;
	}
	pid = fork();
	if (pid == 0) {
		char byte;
		close(go[1]);
		_exit(read(go[0], &byte, 1) == 1 && page[0] == 'P' ? 0 : 1);
	}
	close(go[0]);
	bool changed = mprotect(page, 4096, PROT_READ) == 0 && mprotect(page, 4096, PROT_READ | PROT_WRITE) == 0;
	page[0] = 'Q';
	write(go[1], "x", 1);
	close(go[1]);
	waitpid(pid, &status, 0);
	check("the parent's mprotect and write after fork stay in the parent",
	      changed && WIFEXITED(status) && WEXITSTATUS(status) == 0 && page[0] == 'Q');
	munmap(page, 4096);
}

/*
 * A grandchild whose parent exits at once, before it has run: when it
 * closes its copy of a pipe's write end and exits, the reader sees the end.
 * (The orphan comes back to us, init on both systems: its zombie stays.)
 */
static void pipe_eof_orphan(void)
{
	int ends[2];
	if (pipe(ends) < 0) {
		check("pipe", 0);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			close(ends[1]);
			_exit(0);
		}
		_exit(0);
	}
	close(ends[1]);
	waitpid(pid, NULL, 0);
	char byte;
	check("a pipe's end is seen once the orphaned grandchild holding it exits", read(ends[0], &byte, 1) == 0);
	close(ends[0]);
}

/* A pipe across fork: the child writes, closes; the parent reads to end-of-file. */
static void pipe_eof(void)
{
	int fds[2];
	pipe(fds);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		write(fds[1], "hello", 5);
		_exit(0);
	}
	close(fds[1]);
	char buf[16];
	ssize_t total = 0, got;
	while ((got = read(fds[0], buf + total, sizeof(buf) - (size_t)total)) > 0)
		total += got;
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	check("a pipe across fork carries data and then end-of-file", total == 5 && memcmp(buf, "hello", 5) == 0);
}

/* MAP_SHARED memory stays shared across fork. */
static int child_writes_shared(void *arg)
{
	*(volatile long *)arg = 42;
	return 0;
}

static void shared_memory(void)
{
	long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = 1;
	in_child(child_writes_shared, shared);
	check("MAP_SHARED memory stays shared", *shared == 42);
	munmap(shared, 4096);
}

static bool shared_wipe_refused(void)
{
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	bool refused = madvise(shared, 4096, MADV_WIPEONFORK) == -1 && errno == EINVAL;
	munmap(shared, 4096);
	return refused;
}

/*
 * madvise's fork advice: a MADV_DONTFORK region is not in the child (a
 * touch there faults); a MADV_WIPEONFORK region is, zero-filled; the
 * parent keeps both as they were, and writes to them freely.
 */
static int child_reads(void *arg)
{
	return *(volatile char *)arg == 0 ? 0 : 1;
}

static void fork_advice(void)
{
	char *gone = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *wiped = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(gone, 'g', 2 * 4096);
	memset(wiped, 'w', 2 * 4096);
	bool advised = madvise(gone, 2 * 4096, MADV_DONTFORK) == 0 && madvise(wiped, 2 * 4096, MADV_WIPEONFORK) == 0;
	pid_t pid = fork();
	if (pid == 0) {
		(void)*(volatile char *)gone; /* not mapped here: SIGSEGV */
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	check("MADV_DONTFORK memory is not in the child", advised && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	check("MADV_WIPEONFORK memory is zero in the child", in_child(child_reads, wiped + 4096) == 0);
	gone[0] = 'G', wiped[0] = 'W';
	check("the parent keeps advised memory as it was", gone[0] == 'G' && gone[4096] == 'g' && wiped[0] == 'W' &&
	                                                    wiped[4096] == 'w');
	madvise(gone, 2 * 4096, MADV_DOFORK);
	check("MADV_DOFORK gives the child the memory again", in_child(child_reads, gone + 4096) == 1);
	check("MADV_WIPEONFORK on shared memory is EINVAL", shared_wipe_refused());
	munmap(gone, 2 * 4096);
	munmap(wiped, 2 * 4096);
}

/*
 * A chain: each child forks the next, 40 levels or until fork fails, which
 * must be a clean ENOMEM or EAGAIN (on exo each child has a part of its
 * parent's memory); each level exits with the number of levels below it.
 */
#define CHAIN_DEPTH 50

/* Level depth of a chain: forks the next level and passes on how deep it went below (100+: an error). */
static int chain(void *arg)
{
	long depth = (long)arg;
	if (depth == CHAIN_DEPTH)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 200;
	if (pid == 0)
		_exit(chain((void *)(depth + 1)));
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) >= 100)
		return 201;
	return WEXITSTATUS(status) + 1;
}

static void chain_of_forks(void)
{
	check("a chain of 50 forks, each waiting for the next", chain((void *)0) == CHAIN_DEPTH);
}

/*
 * A fan: 200 children alive at once (each waits for the end of a pipe
 * whose last writer is the parent), each exiting with its own status,
 * reaped in any order by waitpid(-1).
 */
#define FAN 200

static void fan(void)
{
	static pid_t pids[FAN];
	static bool seen[FAN];
	int ends[2], made = 0, reaped = 0;
	if (pipe(ends) < 0) {
		check("pipe", 0);
		return;
	}
	for (int i = 0; i < FAN; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char byte;
			close(ends[1]);
			_exit(read(ends[0], &byte, 1) == 0 ? i % 250 : 255);
		}
		made += pids[i] > 0;
	}
	close(ends[1]);
	close(ends[0]);
	for (int n = 0; n < made; n++) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		for (int i = 0; i < FAN; i++)
			if (pids[i] == pid && !seen[i] && WIFEXITED(status) && WEXITSTATUS(status) == i % 250)
				seen[i] = true, reaped++;
	}
	int status;
	check("200 children alive at once, each reaped by waitpid(-1) with its status",
	      made == FAN && reaped == FAN && waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
}

/* 40 children that end at once, waited for one by one from the last made to the first: none is lost. */
static void wait_in_reverse(void)
{
	pid_t pids[40];
	int made = 0, good = 0;
	for (int i = 0; i < 40; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(100 + i);
		made += pids[i] > 0;
	}
	for (int i = 39; i >= 0; i--) {
		int status = 0;
		good += pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		        WEXITSTATUS(status) == 100 + i;
	}
	check("40 children waited for in reverse order, each with its status", made == 40 && good == 40);
}

static void loop(void)
{
	int good = 0;
	for (int i = 0; i < 1000; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i % 256);
		int status;
		good += waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == i % 256;
	}
	check("1000 forks in a loop, each reaped with its status", good == 1000);
}

/* Read fd to its end into buf (NUL-terminated); the bytes read. */
static size_t read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	for (ssize_t n; got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0;)
		got += (size_t)n;
	buf[got] = 0;
	return got;
}

/* In a forked child: stdin from in, stdout to out (-1: as they are), every other pipe end closed, then exec. */
static void exec_between(int in, int out, const int *close_fds, int nclose, char *const argv[])
{
	if (in >= 0)
		dup2(in, 0);
	if (out >= 0)
		dup2(out, 1);
	for (int i = 0; i < nclose; i++)
		close(close_fds[i]);
	extern char **environ;
	execve(argv[0], argv, environ);
	_exit(127);
}

/* fork, exec and wait, over and over: each child's output and status come back. */
static void fork_exec_wait_loop(void)
{
	int good = 0;
	for (int i = 0; i < 20; i++) {
		int out[2];
		if (pipe(out) < 0)
			break;
		char word[16];
		snprintf(word, sizeof word, "n%d", i);
		char *argv[] = { "echo", word, NULL };
		pid_t pid = fork();
		if (pid == 0)
			exec_between(-1, out[1], out, 2, argv);
		close(out[1]);
		char got[32], want[32];
		read_all(out[0], got, sizeof got);
		close(out[0]);
		snprintf(want, sizeof want, "n%d\n", i);
		int status;
		good += waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		        strcmp(got, want) == 0;
	}
	pid_t pid = fork();
	if (pid == 0)
		exec_between(-1, -1, NULL, 0, (char *[]){ "no-such-program", NULL });
	int status;
	bool missing = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 127;
	check("20 rounds of fork, exec and wait, each with its output and status; a failed exec exits 127",
	      good == 20 && missing);
}

/*
 * `echo a b c | cat | cat` as a shell runs it with fork: three children
 * joined by two pipes, every end closed where it is not used, so that each
 * cat sees end-of-file; the words come through and all three exit 0.
 */
static void pipeline_of_three(void)
{
	int p1[2], p2[2], out[2];
	if (pipe(p1) < 0 || pipe(p2) < 0 || pipe(out) < 0) {
		check("pipe", 0);
		return;
	}
	int ends[] = { p1[0], p1[1], p2[0], p2[1], out[0], out[1] };
	pid_t pids[3];
	char *echo[] = { "echo", "a", "b", "c", NULL }, *cat[] = { "cat", NULL };
	if ((pids[0] = fork()) == 0)
		exec_between(-1, p1[1], ends, 6, echo);
	if ((pids[1] = fork()) == 0)
		exec_between(p1[0], p2[1], ends, 6, cat);
	if ((pids[2] = fork()) == 0)
		exec_between(p2[0], out[1], ends, 6, cat);
	for (int i = 0; i < 6; i++)
		if (ends[i] != out[0])
			close(ends[i]);
	char got[64];
	read_all(out[0], got, sizeof got);
	close(out[0]);
	int good = 0;
	for (int i = 0; i < 3; i++) {
		int status;
		good += pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		        WEXITSTATUS(status) == 0;
	}
	check("echo a b c | cat | cat, built with fork, dup2 and execve: the words, end-of-file, three exits",
	      good == 3 && strcmp(got, "a b c\n") == 0);
}

/* A callee-saved FP/SIMD register (d8) keeps its value across fork, in the child too. */
static void fp_registers(void)
{
	register double kept __asm__("d8") = 2.5;
	__asm__ volatile("" : "+w"(kept));
	pid_t pid = fork();
	unsigned long bits; /* d8 as it is now, compared as an integer with 2.5's bits */
	__asm__ volatile("fmov %0, %d1" : "=r"(bits) : "w"(kept));
	if (pid == 0)
		_exit(bits == 0x4004000000000000ul ? 0 : 1);
	int status;
	waitpid(pid, &status, 0);
	check("a callee-saved FP register keeps its value in both", bits == 0x4004000000000000ul &&
	                                                              WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Fork with another thread running: only the caller is copied, and the child can make threads of its own. */
static int wait_pipe[2];

static void *blocked_thread(void *arg)
{
	char byte;
	(void)arg;
	return read(wait_pipe[0], &byte, 1) == 1 ? (void *)1 : NULL;
}

static void *child_thread(void *arg) { return arg; }

static void fork_with_threads(void)
{
	pthread_t thread;
	pipe(wait_pipe);
	pthread_create(&thread, NULL, blocked_thread, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t own;
		void *result = NULL;
		bool made = pthread_create(&own, NULL, child_thread, (void *)7) == 0 && pthread_join(own, &result) == 0;
		_exit(made && result == (void *)7 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	write(wait_pipe[1], "x", 1);
	void *result = NULL;
	pthread_join(thread, &result);
	close(wait_pipe[0]);
	close(wait_pipe[1]);
	check("fork with a thread running: the child makes and joins its own", WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0 && result == (void *)1);
}

/*
 * Two threads keep rewriting their own pages of one 2 MiB area while the
 * main thread forks again and again: no write is lost.  Under on-demand
 * fork both threads fault on the same shared table at once, and each must
 * not undo the other's private copy of it.
 */
#define RACE_PAGES 64
#define RACE_FORKS 150
static volatile unsigned long *race_buf;
static volatile int race_stop, race_lost;

static void *race_writer(void *arg)
{
	int first = (int)(long)arg * (RACE_PAGES / 2);
	unsigned long written[RACE_PAGES / 2] = { 0 }, next = 0;
	while (!race_stop) {
		for (int p = 0; p < RACE_PAGES / 2; p++) {
			volatile unsigned long *word = &race_buf[(first + p) * 512];
			if (*word != written[p]) {
				race_lost++;
				race_stop = 1;
			}
			*word = written[p] = ++next;
		}
		sched_yield(); /* a pass at a time: the forks go on at once */
	}
	return NULL;
}

static void threads_write_while_forking(void)
{
	race_buf = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t threads[2];
	for (long t = 0; t < 2; t++)
		pthread_create(&threads[t], NULL, race_writer, (void *)t);
	int forks = 0;
	for (; forks < RACE_FORKS && !race_stop; forks++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			break;
		for (volatile int spin = 0; spin < (forks % 7) * 1000; spin++)
			;
	}
	race_stop = 1;
	for (int t = 0; t < 2; t++)
		pthread_join(threads[t], NULL);
	munmap((void *)race_buf, 2 << 20);
	check("two threads keep every write while the process forks 150 times", forks == RACE_FORKS && !race_lost);
}

/* A thread other than the main one forks, and waits for its child itself. */
static void *forking_thread(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0)
		_exit(42);
	int status = 0;
	bool reaped = pid > 0 && waitpid(pid, &status, 0) == pid;
	return reaped && WIFEXITED(status) && WEXITSTATUS(status) == 42 ? (void *)1 : NULL;
}

static void fork_from_a_thread(void)
{
	pthread_t thread;
	void *result = NULL;
	bool joined = pthread_create(&thread, NULL, forking_thread, NULL) == 0 && pthread_join(thread, &result) == 0;
	check("a thread forks and waits for its child", joined && result == (void *)1);
}

/*
 * A fork bomb in a subtree given a fixed quota (exo_fork_quota): every
 * process forks until fork fails, then waits for its children and exits.
 * The bomb ends by itself, with every frame back, and fork works after it.
 */
static int bomb(void)
{
	int made = 0;
	for (;;) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0)
			made = 0; /* a new process of the bomb: it forks in turn */
		else
			made++;
	}
	while (made > 0 && wait(NULL) > 0) /* a child may end killed (quota gone mid-write): allowed */
		made--;
	_exit(made == 0 ? 0 : 1);
}

static void bounded_fork_bomb(void)
{
	pid_t root = exo_fork_quota(1024) == 0 ? fork() : -1;
	if (root == 0)
		bomb();
	int status = -1;
	bool ended = root > 0 && waitpid(root, &status, 0) == root;
	pid_t after = fork();
	if (after == 0)
		_exit(5);
	int after_status = 0;
	bool usable = after > 0 && waitpid(after, &after_status, 0) == after && WIFEXITED(after_status) &&
	              WEXITSTATUS(after_status) == 5;
	check_own("a fork bomb under a fixed quota ends by itself, and fork works after it", ended && usable &&
	          ((WIFEXITED(status) && WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)));
}

/*
 * RLIMIT_NPROC bounds fork (exo enforces it for root too: everyone is
 * root, and nothing else bounds a fork bomb without a fixed quota).
 */
static int forks_under_nproc(void *arg)
{
	(void)arg;
	struct rlimit limit = { 8, 8 };
	if (setrlimit(RLIMIT_NPROC, &limit) < 0)
		return 1;
	pid_t kids[8];
	int made = 0, err = 0;
	while (made < 8) {
		pid_t pid = fork();
		if (pid == 0)
			for (;;)
				pause(); /* held until killed */
		if (pid < 0) {
			err = errno;
			break;
		}
		kids[made++] = pid;
	}
	bool refused = err == EAGAIN && made >= 1 && made < 8;
	for (int i = 0; i < made; i++)
		kill(kids[i], SIGKILL), waitpid(kids[i], NULL, 0);
	return refused ? 0 : 2;
}

static void nproc_bounds_fork(void)
{
	check_own("RLIMIT_NPROC: fork is EAGAIN once as many processes run", in_child(forks_under_nproc, NULL) == 0);
}

/* Each variant, chosen for one call, gives a child private memory; a name libos does not know is EINVAL. */
static int child_writes_data(void *arg)
{
	(void)arg;
	data_word = 99;
	return data_word == 99 ? 0 : 1;
}

static void per_call_variants(void)
{
	const char *names[] = { "cow", "eager", "shared", "async" };
	int good = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		data_word = 1;
		pid_t pid = exo_fork(names[i]);
		if (pid == 0)
			_exit(child_writes_data(NULL));
		int status = -1;
		waitpid(pid, &status, 0);
		good += pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && data_word == 1;
	}
	check_own("exo_fork chooses the variant for one call (cow, eager, shared, async)", good == 4);
	errno = 0;
	check_own("exo_fork of an unknown variant fails with EINVAL", exo_fork("nonesuch") == -1 && errno == EINVAL);
}

/*
 * exo's per-region advice: three 2 MiB slots of one mapping advised
 * copy-at-fork, copy-on-write and shared tables, forked under each
 * variant.  While the child lives, the parent writes every page of each
 * slot and counts the faults that costs: none for the copied slot, one
 * copy-on-write fault a page for the cow slot, one table unshare (then a
 * fault a page) for the shared one, whatever the variant.  The memory is
 * private both ways throughout.
 */
#define ADVICE_SLOT (2ul << 20)
#define SLOT_PAGES (ADVICE_SLOT / 4096)

static bool slots_hold(const char *base, int slots, int add)
{
	for (long i = 0; i < slots * (long)SLOT_PAGES; i++)
		if (base[i * 4096] != (char)(i + add))
			return false;
	return true;
}

static void slot_write(char *base, int slot, int add)
{
	for (long i = slot * (long)SLOT_PAGES; i < (slot + 1) * (long)SLOT_PAGES; i++)
		base[i * 4096] = (char)(i + add);
}

/* The faults (copy-on-write, unshares) the parent takes writing slot `slot`: their sum, both returned. */
static void faults_writing(char *base, int slot, int add, unsigned long *cow, unsigned long *unshares)
{
	struct exo_fork_stats before, after;
	exo_fork_stats(&before);
	slot_write(base, slot, add);
	exo_fork_stats(&after);
	*cow = after.cow_faults - before.cow_faults;
	*unshares = after.unshares - before.unshares;
}

static int advised_child(char *base, int go)
{
	char byte;
	if (read(go, &byte, 1) != 1 || !slots_hold(base, 4, 0))
		return 1; /* slot 3 too: the parent's munmap and mprotect there are not the child's */
	for (int slot = 0; slot < 3; slot++)
		slot_write(base, slot, 7);
	return slots_hold(base, 3, 7) ? 0 : 2;
}

/*
 * Slot 3, advised _SHARE as well: after the fork the parent unmaps one of
 * its pages and makes another inaccessible while the table is still
 * shared; the child must still see both as they were.
 */
static bool share_slot_ready(char *base)
{
	char *slot = base + 3 * ADVICE_SLOT;
	bool ok = mmap(slot, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == slot &&
	          mprotect(slot + 4096, 4096, PROT_READ | PROT_WRITE) == 0 &&
	          madvise(slot, ADVICE_SLOT, EXO_MADV_FORK_SHARE) == 0;
	slot_write(base, 3, 0);
	return ok;
}

static bool share_slot_changed(char *base)
{
	char *slot = base + 3 * ADVICE_SLOT;
	return munmap(slot, 4096) == 0 && mprotect(slot + 4096, 4096, PROT_NONE) == 0;
}

static bool advised_fork(char *base, const char *variant)
{
	for (int slot = 0; slot < 3; slot++)
		slot_write(base, slot, 0);
	if (!share_slot_ready(base))
		return false;
	int go[2];
	if (pipe(go) < 0)
		return false;
	pid_t pid = exo_fork(variant);
	if (pid == 0)
		_exit(advised_child(base, go[0]));
	unsigned long cow[3], unshares[3];
	for (int slot = 0; slot < 3; slot++)
		faults_writing(base, slot, 1, &cow[slot], &unshares[slot]);
	bool changed = share_slot_changed(base);
	bool sent = write(go[1], "g", 1) == 1;
	close(go[0]);
	close(go[1]);
	int status = -1;
	bool child_ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	bool costs = cow[0] == 0 && unshares[0] == 0 && cow[1] == SLOT_PAGES && unshares[1] == 0 &&
	             unshares[2] == 1 && cow[2] == SLOT_PAGES;
	if (!costs)
		printf("~ fork: advice under %s: faults copy %lu/%lu, cow %lu/%lu, shared %lu/%lu (cow/unshares)\n",
		       variant, cow[0], unshares[0], cow[1], unshares[1], cow[2], unshares[2]);
	return changed && sent && child_ok && costs && slots_hold(base, 3, 1);
}

/* After EXO_MADV_FORK_DEFAULT, slot 0 (advised copy before) is copy-on-write again under cow. */
static bool advice_undone(char *base)
{
	int go[2];
	if (pipe(go) < 0)
		return false;
	pid_t pid = exo_fork("cow");
	if (pid == 0) {
		char byte;
		_exit(read(go[0], &byte, 1) == 1 ? 0 : 1);
	}
	unsigned long cow = 0, unshares = 0;
	faults_writing(base, 0, 2, &cow, &unshares);
	bool sent = write(go[1], "g", 1) == 1;
	close(go[0]);
	close(go[1]);
	int status = -1;
	return pid > 0 && sent && waitpid(pid, &status, 0) == pid && cow == SLOT_PAGES;
}

static void region_advice(void)
{
	char *raw = mmap(NULL, 5 * ADVICE_SLOT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		check_own("mmap", 0);
		return;
	}
	char *base = (char *)(((unsigned long)raw + ADVICE_SLOT - 1) & ~(ADVICE_SLOT - 1));
	bool advised = madvise(base, ADVICE_SLOT, EXO_MADV_FORK_COPY) == 0 &&
	               madvise(base + ADVICE_SLOT, ADVICE_SLOT, EXO_MADV_FORK_COW) == 0 &&
	               madvise(base + 2 * ADVICE_SLOT, ADVICE_SLOT, EXO_MADV_FORK_SHARE) == 0;
	const char *variants[] = { "cow", "eager", "shared", "async" };
	int good = 0;
	for (unsigned i = 0; advised && i < sizeof(variants) / sizeof(variants[0]); i++)
		good += advised_fork(base, variants[i]);
	int shared_map = -1;
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared != MAP_FAILED) {
		errno = 0;
		shared_map = madvise(shared, 4096, EXO_MADV_FORK_COW) == -1 && errno == EINVAL;
		munmap(shared, 4096);
	}
	bool undone = madvise(base, 3 * ADVICE_SLOT, EXO_MADV_FORK_DEFAULT) == 0 && advice_undone(base);
	/* Memory left out of children stays out: how to copy it is refused, not taken as a yes. */
	errno = 0;
	bool kept_out = madvise(base, ADVICE_SLOT, MADV_DONTFORK) == 0 &&
	                madvise(base, ADVICE_SLOT, EXO_MADV_FORK_COW) == -1 && errno == EINVAL &&
	                madvise(base, ADVICE_SLOT, MADV_DOFORK) == 0;
	munmap(raw, 5 * ADVICE_SLOT);
	check_own("per-region advice (copy at fork, copy-on-write, shared tables) holds under cow, eager, shared and "
	          "async, memory private both ways; MAP_SHARED and left-out memory refuse it",
	          advised && good == 4 && shared_map == 1 && undone && kept_out);
}

/* A child that faults after fork dies by SIGSEGV, and says so; fresh memory works on both sides. */
static int child_faults(void *arg)
{
	(void)arg;
	*(volatile int *)0 = 1;
	return 0;
}

static void faults_after_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		child_faults(NULL);
	int status = 0;
	waitpid(pid, &status, 0);
	check("a child that faults after fork ends by SIGSEGV", WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	pid = fork();
	char *fresh = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int good = fresh != MAP_FAILED;
	for (int i = 0; good && i < 8; i++)
		fresh[i * 4096] = (char)(pid ? 'p' : 'c'), good = fresh[i * 4096] == (pid ? 'p' : 'c');
	if (pid == 0)
		_exit(good ? 0 : 1);
	waitpid(pid, &status, 0);
	check("new memory after fork, touched on both sides", good && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* fork() as vfork (EXO_FORK=vfork): one address space, the parent waits; the checks that hold for it. */
extern char **environ;
static volatile int vfork_seen;
static volatile pid_t vfork_child_pid;

static int vfork_checks(void)
{
	pid_t me = getpid();
	vfork_seen = 0;
	pid_t pid = fork();
	if (pid == 0) {
		vfork_child_pid = getpid();
		vfork_seen = 1; /* our memory is the parent's: it sees this */
		_exit(3);
	}
	int status = 0;
	check("vfork: the parent resumes after the child has ended, and sees its write", vfork_seen == 1);
	check("vfork: the child is another process, with its own pid", vfork_child_pid == pid && pid != me);
	check("vfork: the child's exit status", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	                                            WEXITSTATUS(status) == 3);
	pid = fork();
	if (pid == 0) {
		char *args[] = { "echo", "from", "the", "vfork", "child", NULL };
		execve("echo", args, environ);
		_exit(127);
	}
	check("vfork: the child execs, the parent goes on", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	                                                      WEXITSTATUS(status) == 0);
	pid = fork();
	if (pid == 0) {
		pid_t own = fork(); /* a vfork child's fork: copy-on-write */
		if (own == 0)
			_exit(6);
		int own_status = 0;
		_exit(own > 0 && waitpid(own, &own_status, 0) == own && WIFEXITED(own_status) &&
		      WEXITSTATUS(own_status) == 6 ? 4 : 5);
	}
	check("vfork: the child forks and waits for its own child", waitpid(pid, &status, 0) == pid &&
	                                                            WIFEXITED(status) && WEXITSTATUS(status) == 4);
	pthread_t thread;
	void *result = NULL;
	bool made = pthread_create(&thread, NULL, child_thread, (void *)9) == 0 && pthread_join(thread, &result) == 0;
	check("vfork: the parent's thread state is intact (a thread made and joined)", made && result == (void *)9 &&
	                                                                                 getpid() == me);
	printf("fork: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}

/*
 * Orphans go to init: C, whose parent B exits at once while B's parent M
 * lives on, says getppid() is 1 (this program is init on both systems), M
 * cannot wait for it, and init reaps it with its status.
 */
static int orphan_grandchild(int report_fd)
{
	for (int i = 0; i < 5000 && getppid() != 1; i++)
		usleep(1000);
	int said[2] = { getpid(), getppid() };
	_exit(write(report_fd, said, sizeof said) == sizeof said ? 7 : 1);
}

static int orphan_middle(int report_fd)
{
	int told[2];
	if (pipe(told) < 0)
		return 3;
	pid_t b = fork();
	if (b == 0) {
		pid_t c = fork();
		if (c == 0)
			orphan_grandchild(report_fd);
		_exit(write(told[1], &c, sizeof c) == sizeof c ? 0 : 1); /* C's pid, for M to try */
	}
	close(told[1]);
	pid_t c = 0;
	int status;
	if (b < 0 || waitpid(b, &status, 0) != b || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    read(told[0], &c, sizeof c) != sizeof c)
		return 1;
	errno = 0;
	if (waitpid(c, &status, WNOHANG) != -1 || errno != ECHILD)
		return 2; /* a grandchild is not M's to wait for */
	errno = 0;
	return waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD ? 0 : 2;
}

static void orphans_go_to_init(void)
{
	int report[2];
	if (pipe(report) < 0) {
		check("pipe", 0);
		return;
	}
	pid_t middle = fork();
	if (middle == 0)
		_exit(orphan_middle(report[1]));
	close(report[1]);
	int status, said[2] = { 0, 0 };
	bool read_ok = read(report[0], said, sizeof said) == sizeof said;
	close(report[0]);
	bool middle_ok = waitpid(middle, &status, 0) == middle && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	check("an orphan's parent is init (pid 1), and its grandparent cannot wait for it",
	      read_ok && said[1] == 1 && middle_ok);
	check("init reaps an orphan with its exit status",
	      read_ok && waitpid(said[0], &status, 0) == said[0] && WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

/*
 * Pages both sides write after each fork: the parent's copy-on-write
 * faults copy pages its child still maps, and under shared and async each
 * side copies the table it shared, the parent's old one still linked by
 * the child.  What the parent let go of must be freed once the child has
 * gone.  Counted from the third fork, after the loop's own memory has
 * settled: 100 more forks leave the process owning no more frames.
 */
#define BEHIND_PAGES 8
#define BEHIND_FORKS 100

/* Each side checks that it sees what it should: the child its parent's bytes of the fork, the parent its own. */
static bool fork_both_write(char *buf, char before)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int p = 0; p < BEHIND_PAGES; p++) {
			if (buf[p * 4096] != before || buf[p * 4096 + 100] != before)
				_exit(2);
			buf[p * 4096] = 2;
		}
		_exit(0);
	}
	for (int p = 0; p < BEHIND_PAGES; p++)
		buf[p * 4096] = buf[p * 4096 + 100] = 3; /* while the child may still link the table */
	int status;
	bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	for (int p = 0; p < BEHIND_PAGES; p++)
		ok = ok && buf[p * 4096] == 3 && buf[p * 4096 + 100] == 3;
	return ok;
}

static void forks_leave_nothing_behind(void)
{
	char *buf = mmap(NULL, BEHIND_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok = buf != MAP_FAILED && fork_both_write(buf, 0) && fork_both_write(buf, 3);
	struct exo_fork_stats before, after;
	ok = ok && exo_fork_stats(&before) == 0;
	for (int i = 0; ok && i < BEHIND_FORKS; i++)
		ok = fork_both_write(buf, 3);
	ok = ok && exo_fork_stats(&after) == 0;
	printf("~ fork: frames owned before %lu, after %lu\n", before.frames, after.frames);
	check_own("100 forks whose children write what the parent writes: "
	          "each side sees its own bytes, no frame is left behind",
	          ok && after.frames <= before.frames + 4);
	if (buf != MAP_FAILED)
		munmap(buf, BEHIND_PAGES * 4096);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "race") == 0) { /* alone: 150 forks (tests/run.py) */
		threads_write_while_forking();
		printf("fork: %d passed, %d failed\n", passed, failed);
		return failed != 0;
	}
	if (argc > 1 && strcmp(argv[1], "behind") == 0) {
		forks_leave_nothing_behind();
		printf("fork: %d passed, %d failed\n", own_passed, own_failed);
		return own_failed != 0;
	}
	const char *variant = exo_fork_variant();
	printf("~ fork: default variant %s\n", variant ? variant : "(none: not exo)");
	if (variant && strcmp(variant, "vfork") == 0)
		return vfork_checks();
	heap_word = malloc(sizeof(long));
	mmap_word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pids();
	parent_unaffected();
	child_unaffected();
	pipe_eof();
	shared_memory();
	fork_advice();
	chain_of_forks();
	fan();
	wait_in_reverse();
	loop();
	fork_exec_wait_loop();
	pipeline_of_three();
	fp_registers();
	fork_with_threads();
	fork_from_a_thread();
	if (variant) {
		nproc_bounds_fork(); /* before the fork bomb: its orphans count until init reaps them */
		per_call_variants();
		region_advice();
		forks_leave_nothing_behind();
		bounded_fork_bomb();
	}
	faults_after_fork();
	mprotect_after_fork();
	orphans_go_to_init();
	pipe_eof_orphan();
	printf("fork: %d passed, %d failed\n", passed, failed);
	if (variant)
		printf("~ fork: exo's own: %d passed, %d failed\n", own_passed, own_failed);
	fflush(stdout);
	if (getpid() == 1 && argc > 1 && strcmp(argv[1], "poweroff") == 0) {
		sync();
		reboot(RB_POWER_OFF); /* under Linux, as /init: end the machine */
	}
	return failed != 0 || own_failed != 0;
}
