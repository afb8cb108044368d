/*
 * libc_check's file-mapping checks: the rights a mapping keeps from its
 * descriptor, SIGBUS past the file's end, and a mapping with a hole
 * punched in it.  Each line must match what Linux prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void filemap_checks(void);

#define DIR_M "/tmp/fm"
#define PAGE 4096

static const char *err_of(int result) { return result < 0 ? strerror(errno) : "ok"; }

/* A file of `size` bytes, each page starting with its name ("p0", "p1", ...); an fd open for `flags`. */
static int file_of(const char *path, off_t size, int flags)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ftruncate(fd, size);
	for (off_t page = 0; page * PAGE < size; page++) {
		char name[8];
		snprintf(name, sizeof(name), "p%d", (int)page);
		pwrite(fd, name, strlen(name), page * PAGE);
	}
	close(fd);
	return open(path, flags);
}

/* mprotect cannot give a shared mapping rights its descriptor lacked; a private copy may be written. */
static void rights(void)
{
	int readonly = file_of(DIR_M "/rights", PAGE, O_RDONLY), readwrite = open(DIR_M "/rights", O_RDWR);
	char *shared = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, readonly, 0);
	int writable = mprotect(shared, PAGE, PROT_READ | PROT_WRITE);
	int executable = mprotect(shared, PAGE, PROT_READ | PROT_EXEC);
	printf("check: filemaps: shared of a read-only fd made writable %s, executable %s, still reads %.2s\n",
	       err_of(writable), err_of(executable), shared);
	char *private = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, readonly, 0);
	int err = mprotect(private, PAGE, PROT_READ | PROT_WRITE);
	if (err == 0)
		memcpy(private, "xx", 2);
	printf("check: filemaps: private of a read-only fd made writable %s, the copy reads %.2s, the file %.2s\n",
	       err_of(err), private, shared);
	char *both = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, readwrite, 0);
	err = mprotect(both, PAGE, PROT_READ | PROT_WRITE);
	if (err == 0)
		memcpy(both, "rw", 2);
	printf("check: filemaps: shared of a read-write fd made writable %s, the file reads %.2s\n", err_of(err),
	       shared);
	munmap(shared, PAGE), munmap(private, PAGE), munmap(both, PAGE);
	close(readonly), close(readwrite);
	int id = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	char *attached = shmat(id, NULL, SHM_RDONLY);
	printf("check: filemaps: a read-only shmat made writable %s\n",
	       attached == (void *)-1 ? strerror(errno) : err_of(mprotect(attached, PAGE, PROT_READ | PROT_WRITE)));
	shmdt(attached);
	shmctl(id, IPC_RMID, NULL);
}

static sigjmp_buf escape;
static volatile int caught_signal, caught_code;
static volatile void *caught_addr;

static void on_fault(int sig, siginfo_t *info, void *context)
{
	(void)context;
	caught_signal = sig, caught_code = info->si_code, caught_addr = info->si_addr;
	siglongjmp(escape, 1);
}

/* What a read of *at gives: its byte, or the signal it raised ("SIGBUS code 2 at the address"). */
static const char *touch(volatile const char *at)
{
	static char what[64];
	caught_signal = 0;
	if (sigsetjmp(escape, 1) == 0) {
		char byte = *at;
		snprintf(what, sizeof(what), "reads %d", byte);
	} else {
		snprintf(what, sizeof(what), "%s code %d at the address %d", strsignal(caught_signal), caught_code,
		         caught_addr == (const void *)at);
	}
	return what;
}

/* Past the page holding the file's end: SIGBUS (BUS_ADRERR); the rest of that page reads zeros. */
static void past_the_end(void)
{
	int fd = file_of(DIR_M "/short", PAGE + 100, O_RDWR);
	char *shared = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	char *private = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("check: filemaps: shared: the last page %.2s, past the end in it %s\n", shared + PAGE,
	       touch(shared + PAGE + 100));
	printf("check: filemaps: shared: the next page %s\n", touch(shared + 2 * PAGE + 5));
	printf("check: filemaps: private: past the end in the last page %s\n", touch(private + 2 * PAGE - 1));
	printf("check: filemaps: private: the next page %s\n", touch(private + 2 * PAGE));
	int pipes[2];
	pipe(pipes);
	printf("check: filemaps: write from past the end %s\n", err_of((int)write(pipes[1], shared + 2 * PAGE, 8)));
	close(pipes[0]), close(pipes[1]);
	ftruncate(fd, 3 * PAGE);
	pwrite(fd, "grown", 5, 2 * PAGE);
	printf("check: filemaps: shared, once the file grew: %.5s\n", shared + 2 * PAGE);
	pid_t pid = fork();
	if (pid == 0) {
		/* The parent's handlers would jump into its own past. */
		signal(SIGBUS, SIG_DFL), signal(SIGSEGV, SIG_DFL);
		ftruncate(fd, 100);
		munmap(shared, 3 * PAGE);
		shared = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
		_exit(shared[PAGE]); /* the fault ends the child */
	}
	int status;
	waitpid(pid, &status, 0);
	printf("check: filemaps: a child touching past the end: killed %d by %s\n", WIFSIGNALED(status),
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "nothing");
	munmap(shared, 3 * PAGE), munmap(private, 3 * PAGE);
	close(fd);
}

/*
 * A hole punched in the middle of a mapping: the two sides still map the
 * file where they did, and the hole is the next mapping's alone (here an
 * empty file's: SIGBUS, then its own bytes once it grows).
 */
static void punched_hole(void)
{
	int fd = file_of(DIR_M "/holed", 3 * PAGE, O_RDWR), empty = file_of(DIR_M "/empty", 0, O_RDWR);
	char *map = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("check: filemaps: hole punched %s, the sides read %.2s %.2s\n", err_of(munmap(map + PAGE, PAGE)), map,
	       map + 2 * PAGE);
	char *inside = mmap(map + PAGE, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, empty, 0);
	printf("check: filemaps: an empty file mapped in the hole %s, touched %s\n",
	       inside == MAP_FAILED ? strerror(errno) : "ok", touch(map + PAGE));
	ftruncate(empty, PAGE);
	pwrite(empty, "mine", 4, 0);
	printf("check: filemaps: once it grows it reads %.4s\n", map + PAGE);
	memcpy(map + 2 * PAGE, "P2", 2);
	char back[3] = { 0 };
	pread(fd, back, 2, 2 * PAGE);
	printf("check: filemaps: a write to the right side reaches the file's page 2: %s\n", back);
	munmap(map, 3 * PAGE);
	close(fd), close(empty);
	/* shmdt of an attach with a hole: both sides go, what was mapped in the hole stays. */
	int id = shmget(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0600);
	char *attached = shmat(id, NULL, 0);
	munmap(attached + PAGE, PAGE);
	char *anon = mmap(attached + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (anon != MAP_FAILED)
		anon[0] = 'a';
	int detached = shmdt(attached);
	printf("check: filemaps: shmdt of an attach with a hole %s (mapped in it: %s): the hole %s,", err_of(detached),
	       anon == MAP_FAILED ? strerror(errno) : "ok", touch(attached + PAGE));
	printf(" the right side %s\n", touch(attached + 2 * PAGE));
	munmap(attached + PAGE, PAGE);
	shmctl(id, IPC_RMID, NULL);
}

void filemap_checks(void)
{
	printf("check: filemaps: mkdir %s\n", err_of(mkdir(DIR_M, 0755)));
	struct sigaction action = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO }, old_bus, old_segv;
	sigaction(SIGBUS, &action, &old_bus);
	sigaction(SIGSEGV, &action, &old_segv);
	rights();
	past_the_end();
	punched_hole();
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	const char *names[] = { "rights", "short", "holed", "empty" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), DIR_M "/%s", names[i]);
		unlink(path);
	}
	printf("check: filemaps: removed %s\n", err_of(rmdir(DIR_M)));
}
