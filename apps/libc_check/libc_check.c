/*
 * libc_check: what real programs use of libc, checked.  An ordinary static
 * musl program: the suite runs it on exo and, as /init, under Debian's own
 * Linux in the same QEMU, and compares the lines (those starting with "~"
 * are system-specific: pids, times, sizes).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
void tree_checks(const char *self); /* tree.c */
void filemap_checks(void);          /* filemaps.c */
void ipc_checks(void); /* ipc.c */
void ipc_detail_checks(const char *self); /* ipc_details.c */
void lock_checks(void); /* locks.c */
void poll_checks(void); /* polls.c */
int tree_child(const char *mode);
static int failures;

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			printf("check: FAILED: " __VA_ARGS__); \
			printf("\n");                      \
			failures++;                        \
		}                                          \
	} while (0)

static void stdio_formatting(void)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%d|%5d|%-5d|%05d|%x|%#o|%lld", 42, -7, 3, 12, 255, 8, -1234567890123LL);
	printf("check: printf ints: %s\n", buf);
	snprintf(buf, sizeof(buf), "%.3f|%e|%g|%g|%.0f|%a", 3.14159, 12345.678, 0.0001, 1e20, 2.5, 1.0);
	printf("check: printf floats: %s\n", buf);
	snprintf(buf, sizeof(buf), "%s|%10s|%-4s|%c|%%|%.2s", "str", "right", "l", 'c', "trunc");
	printf("check: printf strings: %s\n", buf);
	double parsed = strtod("6.02214076e23", NULL);
	printf("check: strtod: %.8e, atoi %d, strtol %ld\n", parsed, atoi("-99"), strtol("0x1f", NULL, 16));
}

static void heap_stress(void)
{
	enum { SLOTS = 200 };
	static char *blocks[SLOTS];
	static size_t sizes[SLOTS];
	unsigned seed = 12345, corrupt = 0;
	for (int round = 0; round < 5000; round++) {
		seed = seed * 1103515245 + 12345;
		int slot = (int)(seed >> 8) % SLOTS;
		if (blocks[slot]) {
			for (size_t i = 0; i < sizes[slot]; i++)
				corrupt += blocks[slot][i] != (char)(slot + sizes[slot]);
			size_t grow = (seed >> 4) % 3000 + 1;
			char *bigger = realloc(blocks[slot], grow);
			if (!bigger) {
				corrupt++;
				continue;
			}
			for (size_t i = 0; i < (grow < sizes[slot] ? grow : sizes[slot]); i++)
				corrupt += bigger[i] != (char)(slot + sizes[slot]);
			free(bigger);
			blocks[slot] = NULL;
		} else {
			sizes[slot] = (seed >> 3) % 5000 + 1;
			blocks[slot] = malloc(sizes[slot]);
			if (blocks[slot])
				memset(blocks[slot], (char)(slot + sizes[slot]), sizes[slot]);
		}
	}
	for (int slot = 0; slot < SLOTS; slot++)
		free(blocks[slot]);
	printf("check: malloc/realloc/free: 5000 operations, %u corrupt bytes\n", corrupt);
	CHECK(corrupt == 0, "heap corruption");
}

static int compare_ints(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void strings_and_sort(void)
{
	int values[] = { 9, -3, 7, 0, 42, 7, -100, 5 };
	qsort(values, 8, sizeof(int), compare_ints);
	printf("check: qsort: %d %d %d %d %d %d %d %d\n", values[0], values[1], values[2], values[3], values[4],
	       values[5], values[6], values[7]);
	char text[64] = "hello";
	strcat(text, ", world");
	printf("check: strings: len %zu, strchr %s, strstr %s, strcmp %d, memcmp %d\n", strlen(text),
	       strchr(text, 'w'), strstr(text, "lo,"), strcmp("abc", "abd") < 0, memcmp("ab", "ab", 2));
	char *copy = strdup(text);
	printf("check: strdup/toupper: %s %c\n", copy, text[0] - 32);
	free(copy);
}

static void errno_values(void)
{
	errno = 0;
	int fd = open("/no/such/file", O_RDONLY);
	printf("check: open missing: %d, errno %s\n", fd, strerror(errno));
	errno = 0;
	ssize_t n = read(99, NULL, 1);
	printf("check: read bad fd: %zd, errno %s\n", n, strerror(errno));
	errno = 0;
	n = write(-1, "x", 1);
	printf("check: write fd -1: %zd, errno %s\n", n, strerror(errno));
	errno = 0;
	int err = lseek(1, 0, SEEK_SET) < 0 ? errno : 0;
	printf("check: lseek on the console: %s\n", strerror(err));
}

static void clocks(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec pause = { 0, 20000000 };
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	printf("check: clock monotonic and nanosleep(20 ms): %s\n", ns >= 20000000 ? "ok" : "went backwards or fast");
	printf("~ slept %lld ns\n", ns);
	CHECK(ns >= 20000000, "clock");
}

static void memory_calls(void)
{
	/* musl's sbrk only reports; the brk system call itself moves the break. */
	char *start = (char *)syscall(SYS_brk, 0);
	char *end = (char *)syscall(SYS_brk, start + 8192);
	if (end == start + 8192)
		end[-1] = 1;
	printf("check: brk: grew by %ld, back %d\n", (long)(end - start),
	       (char *)syscall(SYS_brk, start) == start);
	size_t len = 64 * 4096;
	char *area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int zero = 1;
	for (size_t i = 0; i < len; i += 4096)
		zero &= area[i] == 0;
	area[4096] = 7;
	printf("check: mmap: zeroed %d, written %d\n", zero, area[4096]);
	printf("check: mprotect read-only: %d\n", mprotect(area, 4096, PROT_READ));
	printf("check: munmap: %d, again %d\n", munmap(area, len), munmap(area, len));
	errno = 0;
	void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("check: mmap of 0 bytes: %s, errno %s\n", bad == MAP_FAILED ? "failed" : "worked", strerror(errno));
}

/* Spawn path with argv, its stdout the pipe's write end (the read end closed in the child). */
static pid_t spawn_writer(const int ends[2], const char *path, char *const argv[])
{
	posix_spawn_file_actions_t to_pipe;
	posix_spawn_file_actions_init(&to_pipe);
	posix_spawn_file_actions_adddup2(&to_pipe, ends[1], 1);
	posix_spawn_file_actions_addclose(&to_pipe, ends[0]);
	pid_t pid = -1;
	posix_spawn(&pid, path, &to_pipe, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&to_pipe);
	return pid;
}

/* Everything until end of file (or size - 1 bytes), NUL-terminated; closes fd. */
static size_t read_all(int fd, char *out, size_t size)
{
	size_t got = 0;
	ssize_t n;
	while (got + 1 < size && (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(fd);
	return got;
}

/* Signal actions and masks are recorded and read back (nothing is delivered here). */
static void on_usr1(int sig) { (void)sig; }

static void signal_state(void)
{
	void (*before)(int) = signal(SIGUSR1, SIG_IGN);
	void (*ignored)(int) = signal(SIGUSR1, on_usr1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	printf("check: signal(): default %d, then ignored %d, then the handler %d\n", before == SIG_DFL,
	       ignored == SIG_IGN, now.sa_handler == on_usr1);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(SIGUSR1, &dfl, NULL);
	errno = 0;
	int kill_action = sigaction(SIGKILL, &dfl, NULL);
	printf("check: sigaction(SIGKILL): %d %s\n", kill_action, strerror(errno));
	errno = 0;
	printf("check: sigaction(65): %d %s\n", sigaction(65, NULL, &now), strerror(errno));
	sigset_t block, old, after;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGKILL);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigprocmask(SIG_SETMASK, NULL, &after);
	printf("check: sigprocmask: USR2 blocked %d, KILL blocked %d, before %d\n", sigismember(&after, SIGUSR2),
	       sigismember(&after, SIGKILL), sigismember(&old, SIGUSR2));
	errno = 0;
	printf("check: sigprocmask(how 7): %d %s\n", sigprocmask(7, &block, NULL), strerror(errno));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_IGN);
	printf("check: kill of oneself with an ignored signal: %d, still here\n", kill(getpid(), SIGUSR2));
	signal(SIGUSR2, SIG_DFL);
}

/* Bad pointers given to system calls: EFAULT, and the program goes on. */
static void bad_pointers(void)
{
	void *bad = (void *)16;
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fds[2] = { -1, -1 };
	pipe(fds);
	int file = open("welcome.txt", O_RDONLY);
	struct timespec pause = { 0, 1000 };
#define EFAULT_LINE(what, call)                                                                   \
	do {                                                                                    \
		errno = 0;                                                                      \
		long result = (long)(call);                                                     \
		printf("check: %s with a bad pointer: %ld %s\n", what, result, strerror(errno)); \
	} while (0)
	EFAULT_LINE("write to the console", write(1, bad, 10));
	EFAULT_LINE("write to a pipe", write(fds[1], none, 10));
	EFAULT_LINE("read a file", read(file, bad, 10));
	EFAULT_LINE("read into PROT_NONE", read(file, none, 10));
	EFAULT_LINE("open", open((const char *)bad, O_RDONLY));
	/* The raw call: musl's stat() copies from a struct of its own, which would fault in musl. */
	EFAULT_LINE("newfstatat", syscall(SYS_newfstatat, AT_FDCWD, "welcome.txt", bad, 0));
	EFAULT_LINE("uname", uname((struct utsname *)none));
	EFAULT_LINE("pipe", pipe((int *)bad));
	EFAULT_LINE("nanosleep", nanosleep((const struct timespec *)bad, NULL));
	EFAULT_LINE("getcwd", getcwd((char *)bad, 64) == NULL ? -1 : 0);
#undef EFAULT_LINE
	char byte = 0;
	printf("check: after them, the file reads from the start: %ld %c\n", (long)read(file, &byte, 1), byte);
	printf("check: and nanosleep with a good pointer: %d\n", nanosleep(&pause, NULL));
	/* The failed write left the pipe usable by other processes: one writes through it. */
	char *after[] = { "echo", "after", NULL };
	pid_t pid = spawn_writer(fds, "echo", after);
	close(fds[1]);
	char text[32];
	read_all(fds[0], text, sizeof(text));
	waitpid(pid, NULL, 0);
	printf("check: the pipe after a bad write: %s", text);
	close(file);
	munmap(none, 4096);
}

/* Parts of mappings: protection, holes, fixed mappings into a reservation, brk shrinking. */
static void memory_parts(void)
{
	const size_t page = 4096;
	char *area = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(area != MAP_FAILED, "mmap 8 pages");
	for (int i = 0; i < 8; i++)
		area[i * page] = (char)('a' + i);
	printf("check: mprotect a middle page read-only: %d\n", mprotect(area + 3 * page, page, PROT_READ));
	area[2 * page] = 'C', area[4 * page] = 'E'; /* the neighbours stay writable */
	printf("check: mprotect none and back keeps data: %d %d %c\n", mprotect(area + 5 * page, page, PROT_NONE),
	       mprotect(area + 5 * page, page, PROT_READ | PROT_WRITE), area[5 * page]);
	printf("check: neighbours and the read-only page: %c %c %c\n", area[2 * page], area[3 * page], area[4 * page]);
	printf("check: munmap a middle page: %d\n", munmap(area + 6 * page, page));
	errno = 0;
	printf("check: mprotect across the hole: %d %s\n", mprotect(area + 5 * page, 3 * page, PROT_READ),
	       strerror(errno));
	errno = 0;
	printf("check: mprotect with unknown bits: %d %s\n", mprotect(area, page, 0x100), strerror(errno));
	char *again = mmap(area + 6 * page, page, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("check: the hole is free again: %d, zeroed %d\n", again == area + 6 * page, again[0] == 0);
	errno = 0;
	void *taken = mmap(area, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("check: fixed-noreplace over a mapping: %s %s\n", taken == MAP_FAILED ? "failed" : "worked",
	       strerror(errno));
	char *fixed = mmap(area + page, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
	                   -1, 0);
	printf("check: MAP_FIXED replaces: %d, now %d %d, kept %c %c\n", fixed == area + page, fixed[0],
	       fixed[page], area[0], area[3 * page]);
	printf("check: munmap the rest: %d\n", munmap(area, 8 * page));
	/* A reservation without access, then parts of it made usable, as allocators do. */
	char *reserve = mmap(NULL, 16 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int opened = mprotect(reserve + 4 * page, 4 * page, PROT_READ | PROT_WRITE);
	reserve[4 * page] = 'r', reserve[7 * page] = 's';
	printf("check: reserve, open a part: %d %c%c\n", opened, reserve[4 * page], reserve[7 * page]);
	printf("check: munmap the reservation: %d\n", munmap(reserve, 16 * page));
	/* The heap shrunk and grown again reads zero (its pages went back). */
	char *start = (char *)syscall(SYS_brk, 0);
	char *grown = (char *)syscall(SYS_brk, start + 3 * page);
	if (grown == start + 3 * page)
		memset(start, 'h', 3 * page);
	syscall(SYS_brk, start + page);
	grown = (char *)syscall(SYS_brk, start + 3 * page);
	printf("check: brk shrink and grow: %c %d %d\n", start[0], start[page + 100], start[2 * page + 5]);
	syscall(SYS_brk, start);
}

static void files(void)
{
	FILE *file = fopen("welcome.txt", "r");
	char line[128];
	CHECK(file != NULL, "fopen welcome.txt");
	if (!file)
		return;
	while (fgets(line, sizeof(line), file))
		printf("check: welcome.txt: %s", line);
	struct stat st;
	fstat(fileno(file), &st);
	printf("check: fstat: size %lld, regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
	fseek(file, 11, SEEK_SET);
	printf("check: fseek/fgetc: %c%c%c\n", fgetc(file), fgetc(file), fgetc(file));
	fclose(file);
	DIR *dir = opendir("/");
	int seen = 0;
	struct dirent *entry;
	while (dir && (entry = readdir(dir)))
		seen |= strcmp(entry->d_name, "welcome.txt") == 0;
	if (dir)
		closedir(dir);
	printf("check: readdir / lists welcome.txt: %d\n", seen);
	errno = 0;
	printf("check: stat welcome.txt/: %d, errno %s\n", stat("welcome.txt/", &st), strerror(errno));
}

static int spawn_wait(char *const argv[], posix_spawn_file_actions_t *actions)
{
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], actions, NULL, argv, environ);
	if (err)
		return -err;
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void processes(void)
{
	char *echo[] = { "echo", "spawned", "with", "args", NULL };
	printf("check: posix_spawn echo: status %d\n", spawn_wait(echo, NULL));
	char *missing[] = { "no-such-program", NULL };
	int status = spawn_wait(missing, NULL);
	printf("check: posix_spawn missing: %s\n", status < 0 ? strerror(-status) : "ran");
	int pipe_fds[2];
	pipe(pipe_fds);
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
	posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
	char *cat[] = { "cat", "welcome.txt", NULL };
	pid_t pid;
	posix_spawn(&pid, "cat", &actions, NULL, cat, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	char buf[256];
	size_t got = read_all(pipe_fds[0], buf, sizeof(buf));
	waitpid(pid, &status, 0);
	printf("check: cat through a pipe: %zu bytes, first line \"%.15s\"\n", got, buf);
	char *reader[] = { "cat", NULL }; /* waits for console input that never comes */
	posix_spawn(&pid, "cat", NULL, NULL, reader, environ);
	printf("check: kill 0: %d, kill SIGKILL: %d\n", kill(pid, 0), kill(pid, SIGKILL));
	waitpid(pid, &status, 0);
	printf("check: killed child: signaled %d, signal %d\n", WIFSIGNALED(status), WTERMSIG(status));
	/* A killed writer's end of a pipe closes with it: the reader sees the end, no hang. */
	int ends[2];
	pipe(ends);
	pid = spawn_writer(ends, "cat", reader);
	close(ends[1]);
	kill(pid, SIGTERM);
	char byte;
	ssize_t got_after_kill = read(ends[0], &byte, 1);
	waitpid(pid, &status, 0);
	printf("check: pipe from a killed writer: read %zd, signal %d\n", got_after_kill, WTERMSIG(status));
	close(ends[0]);
	errno = 0;
	printf("check: wait with no children: %d, errno %s\n", (int)wait(&status), strerror(errno));
	printf("check: kill SIGCHLD to self: %d\n", kill(getpid(), SIGCHLD));
	int fd = open("welcome.txt", O_RDONLY);
	int before = fcntl(fd, F_GETFD);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 9);
	printf("check: fcntl: cloexec %d -> %d, F_DUPFD_CLOEXEC(9) %d with %d, F_GETFL %d\n", before,
	       fcntl(fd, F_GETFD), copy, fcntl(copy, F_GETFD), fcntl(fd, F_GETFL) & O_ACCMODE);
	close(copy);
	close(fd);
}

#define THREADS 6
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;

static pid_t thread_pid;

static void *thread_work(void *arg)
{
	if (arg == 0)
		thread_pid = getpid();
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	ready++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return arg;
}

/* Threads opening, reading and closing files at once: the descriptor table is shared. */
#define FILE_ROUNDS 100
static void *read_files(void *arg)
{
	(void)arg;
	long total = 0;
	for (int i = 0; i < FILE_ROUNDS; i++) {
		char buf[128];
		int fd = open("welcome.txt", O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (fd < 0 || close(fd) != 0 || n <= 0)
			return (void *)-1L;
		total += n;
	}
	return (void *)total;
}

static void threads_and_files(void)
{
	pthread_t ids[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&ids[i], NULL, read_files, NULL);
	long total = 0, failed = 0;
	for (int i = 0; i < THREADS; i++) {
		void *result;
		pthread_join(ids[i], &result);
		failed += (long)result < 0;
		total += (long)result < 0 ? 0 : (long)result;
	}
	int next = open("welcome.txt", O_RDONLY); /* every fd the threads took is free again */
	printf("check: threads opening files: %d x %d reads, %ld bytes, %ld failed, next fd %d\n", THREADS,
	       FILE_ROUNDS, total, failed, next);
	close(next);
}

/*
 * Several processes writing lines to one pipe at once: each write is one
 * line under PIPE_BUF, so every line arrives whole (no interleaving).
 */
#define WRITERS 3
#define WRITER_LINES 200
#define LINE_LEN 100
static int writer_main(const char *tag)
{
	char line[LINE_LEN];
	for (int i = 0; i < WRITER_LINES; i++) {
		memset(line, tag[0], sizeof(line));
		snprintf(line, 8, "%c%05d", tag[0], i);
		line[7] = '.';
		line[LINE_LEN - 1] = '\n';
		if (write(1, line, sizeof(line)) != (ssize_t)sizeof(line))
			return 1;
	}
	return 0;
}

static void writers_share_a_pipe(const char *self)
{
	int ends[2];
	pipe(ends);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		char tag[2] = { (char)('A' + w), 0 };
		char *args[] = { (char *)self, "writer", tag, NULL };
		pids[w] = spawn_writer(ends, self, args);
	}
	close(ends[1]);
	static char all[WRITERS * WRITER_LINES * LINE_LEN + 1];
	size_t got = read_all(ends[0], all, sizeof(all));
	int whole = 0, next[WRITERS] = { 0 }, statuses = 0;
	for (size_t at = 0; at + LINE_LEN <= got; at += LINE_LEN) {
		const char *line = all + at;
		int w = line[0] - 'A', number = -1;
		int ok = w >= 0 && w < WRITERS && sscanf(line + 1, "%5d", &number) == 1 && number == next[w] &&
		          line[LINE_LEN - 1] == '\n';
		for (int i = 7; ok && i < LINE_LEN - 1; i++)
			ok = line[i] == (i == 7 ? '.' : line[0]);
		if (!ok)
			break;
		next[w]++;
		whole++;
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		statuses += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	printf("check: %d writers, one pipe: %zu bytes, %d whole lines in order, %d exited 0\n", WRITERS, got,
	       whole, statuses);
}

/* Child modes: the main thread leaves first; a thread execs. */
static void *outlive_main(void *arg)
{
	(void)arg;
	struct timespec pause = { 0, 30000000 };
	nanosleep(&pause, NULL);
	printf("thread outlived main\n");
	fflush(stdout);
	return NULL;
}

static void *exec_echo(void *arg)
{
	(void)arg;
	char pid[24];
	snprintf(pid, sizeof(pid), "pid=%d", getpid());
	char *args[] = { "echo", pid, NULL };
	execve("echo", args, environ);
	printf("execve from a thread failed: %s\n", strerror(errno));
	exit(3);
}

static int child_mode(const char *mode)
{
	pthread_t id;
	if (strcmp(mode, "limits") == 0) {
		struct rlimit nofile;
		getrlimit(RLIMIT_NOFILE, &nofile);
		printf("umask %03o nofile %lu", umask(0), (unsigned long)nofile.rlim_cur);
		return 0;
	}
	if (strcmp(mode, "mainexit") == 0) {
		pthread_create(&id, NULL, outlive_main, NULL);
		pthread_exit(NULL); /* the process goes on while the thread runs */
	}
	pthread_create(&id, NULL, exec_echo, NULL);
	pthread_join(id, NULL); /* never returns: the exec ends this thread too */
	return 4;
}

/* A child's whole output through a pipe, and its wait status. */
static void run_child(const char *self, const char *mode, char *out, size_t size, int *status, pid_t *pid)
{
	int ends[2];
	pipe(ends);
	char *args[] = { (char *)self, "child", (char *)mode, NULL };
	*pid = spawn_writer(ends, self, args);
	close(ends[1]);
	size_t got = read_all(ends[0], out, size);
	if (got && out[got - 1] == '\n')
		out[got - 1] = 0;
	waitpid(*pid, status, 0);
}

/* Ids, the file-creation mask, limits (RLIMIT_NOFILE enforced, both kept across exec), usage. */
static void identity_and_limits(const char *self)
{
	printf("check: ids: uid %d euid %d gid %d egid %d groups %d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
	       (int)getegid(), getgroups(0, NULL));
	mode_t first = umask(077), second = umask(022);
	printf("check: umask: %03o then %03o\n", (unsigned)first, (unsigned)second);
	struct rlimit nofile, saved;
	getrlimit(RLIMIT_NOFILE, &saved);
	printf("~ RLIMIT_NOFILE %lu %lu\n", (unsigned long)saved.rlim_cur, (unsigned long)saved.rlim_max);
	nofile = (struct rlimit){ 8, saved.rlim_max };
	int set = setrlimit(RLIMIT_NOFILE, &nofile);
	int opened = 0, fd, last_errno = 0;
	int fds[16];
	while (opened < 16 && (fd = open("welcome.txt", O_RDONLY)) >= 0)
		fds[opened++] = fd;
	last_errno = errno;
	int dup_high = dup2(0, 9);
	int dup_errno = errno;
	printf("check: RLIMIT_NOFILE 8: set %d, opened %d more, then %s; dup2 to fd 9: %d %s\n", set, opened,
	       strerror(last_errno), dup_high, strerror(dup_errno));
	char out[64];
	int status;
	pid_t pid;
	umask(027);
	run_child(self, "limits", out, sizeof(out), &status, &pid);
	printf("check: after exec: %s\n", out);
	umask(022);
	for (int i = 0; i < opened; i++)
		close(fds[i]);
	int bad = setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 10, 5 });
	int bad_errno = errno;
	int raise_hard = setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 8, 1ul << 40 });
	printf("check: setrlimit soft above hard: %d %s; hard above what may be: %d %s\n", bad, strerror(bad_errno),
	       raise_hard, strerror(errno));
	setrlimit(RLIMIT_NOFILE, &saved);
	struct rlimit core;
	getrlimit(RLIMIT_CORE, &core);
	printf("check: RLIMIT_CORE soft %lu\n", (unsigned long)core.rlim_cur);
	struct rusage usage;
	errno = 0;
	printf("check: getrusage: %d, of nobody: %d %s\n", getrusage(RUSAGE_SELF, &usage), getrusage(99, &usage),
	       strerror(errno));
	struct tms tms;
	struct sysinfo info;
	printf("check: times counts up %d, sysinfo %d\n", times(&tms) > 0, sysinfo(&info));
}

/* Deep enough to pass a small stack limit: about 1 KiB a frame. */
static int descend(int depth)
{
	volatile char frame[1024];
	frame[depth & 1023] = (char)depth; /* an index not known at compile time: the whole frame stays */
	if (depth)
		frame[(depth + 1) & 1023] = (char)descend(depth - 1); /* after the call: no loop made of it */
	return frame[depth & 1023] + frame[(depth + 1) & 1023];
}

/* RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK, each in a child: enforced as Linux does. */
static void memory_limits(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_AS, &(struct rlimit){ 64 << 20, RLIM_INFINITY });
		void *big = mmap(NULL, 128 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *small = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(big == MAP_FAILED && errno == ENOMEM && small != MAP_FAILED ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("check: RLIMIT_AS 64 MiB: a 128 MiB mapping refused (ENOMEM), 1 MiB mapped: %d\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_DATA, &(struct rlimit){ 64 << 20, RLIM_INFINITY });
		void *data = mmap(NULL, 128 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *readonly = mmap(NULL, 128 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(data == MAP_FAILED && errno == ENOMEM && readonly != MAP_FAILED ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	printf("check: RLIMIT_DATA 64 MiB: 128 MiB of private writable memory refused, read-only mapped: %d\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int ends[2];
	for (int limited = 0; limited < 2; limited++) {
		pid = fork();
		if (pid == 0) {
			if (limited)
				setrlimit(RLIMIT_STACK, &(struct rlimit){ 256 << 10, RLIM_INFINITY });
			_exit(descend(4000) == 12345 ? 2 : 0); /* 4 MiB */
		}
		waitpid(pid, &status, 0);
		ends[limited] = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	printf("check: 4 MiB of stack: fine by default (signal %d), SIGSEGV under RLIMIT_STACK 256 KiB: %d\n",
	       ends[0], ends[1] == SIGSEGV);
}

static void thread_lifetimes(const char *self)
{
	char out[128], want[48];
	int status;
	pid_t pid;
	run_child(self, "mainexit", out, sizeof(out), &status, &pid);
	printf("check: main thread's pthread_exit: \"%s\", exited %d with %d\n", out, WIFEXITED(status),
	       WEXITSTATUS(status));
	run_child(self, "threadexec", out, sizeof(out), &status, &pid);
	snprintf(want, sizeof(want), "pid=%d", pid);
	printf("check: execve from a thread: same pid %d, exited %d with %d\n", strcmp(out, want) == 0,
	       WIFEXITED(status), WEXITSTATUS(status));
	printf("~ execve from a thread printed \"%s\"\n", out);
}

/* pthread_cond_broadcast with several waiters (musl requeues them with FUTEX_REQUEUE). */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int gate_open, at_gate, through_gate;

static void *wait_at_gate(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_lock);
	at_gate++;
	while (!gate_open)
		pthread_cond_wait(&gate, &gate_lock);
	through_gate++;
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

static void broadcast_wakes_all(void)
{
	pthread_t ids[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&ids[i], NULL, wait_at_gate, NULL);
	for (;;) {
		pthread_mutex_lock(&gate_lock);
		int waiting = at_gate;
		pthread_mutex_unlock(&gate_lock);
		if (waiting == THREADS)
			break;
		sched_yield();
	}
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < THREADS; i++)
		pthread_join(ids[i], NULL);
	printf("check: pthread_cond_broadcast to %d waiters: %d through\n", THREADS, through_gate);
}

static void threads(void)
{
	pthread_t ids[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&ids[i], NULL, thread_work, (void *)i);
	pthread_mutex_lock(&lock);
	while (ready < THREADS)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	long sum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *result;
		pthread_join(ids[i], &result);
		sum += (long)result;
	}
	printf("check: threads: counter %ld, joined sum %ld, getpid same in a thread %d\n", counter, sum,
	       thread_pid == getpid());
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "writer") == 0)
		return writer_main(argv[2]);
	if (argc > 2 && strcmp(argv[1], "child") == 0 && strncmp(argv[2], "tree-", 5) == 0)
		return tree_child(argv[2]);
	if (argc > 2 && strcmp(argv[1], "child") == 0 && strcmp(argv[2], "ipc-exit") == 0)
		return 0; /* an image exec'd by ipc_details.c: its end gives back what SEM_UNDO took */
	if (argc > 2 && strcmp(argv[1], "child") == 0)
		return child_mode(argv[2]);
	printf("check: start, argc %d\n", argc);
	printf("~ pid %d, parent %d\n", getpid(), getppid());
	stdio_formatting();
	heap_stress();
	strings_and_sort();
	errno_values();
	clocks();
	memory_calls();
	memory_parts();
	bad_pointers();
	signal_state();
	files();
	tree_checks(argv[0]);
	filemap_checks();
	ipc_checks();
	ipc_detail_checks(argv[0]);
	lock_checks();
	poll_checks();
	processes();
	threads();
	broadcast_wakes_all();
	threads_and_files();
	writers_share_a_pipe(argv[0]);
	thread_lifetimes(argv[0]);
	identity_and_limits(argv[0]);
	memory_limits();
	printf("check: done, %d failures\n", failures);
	fflush(stdout);
	if (getpid() == 1 && argc > 1 && strcmp(argv[1], "poweroff") == 0) {
		sync();
		reboot(RB_POWER_OFF); /* under Linux, as /init: end the machine */
	}
	return failures != 0;
}
