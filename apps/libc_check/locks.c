/*
 * libc_check's record-lock checks beyond tree.c's: F_SETLKW's EDEADLK
 * (a direct wait cycle, and one through a chain of three processes) and
 * open file description locks (F_OFD_*): owned by the description, so two
 * descriptions of one process conflict, fork shares them and only the
 * description's last close lets them go.  Each line must match Linux's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void lock_checks(void);

#define FILE_PATH "/tmp/lc_locks"

static const char *err_of(int result) { return result < 0 ? strerror(errno) : "ok"; }

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };
	nanosleep(&ts, NULL);
}

static void on_alarm(int sig) { (void)sig; }

/* fcntl with a lock of one byte at `at`; a wait under F_SETLKW ends after 3 s (EINTR) rather than hang. */
static int lock_byte(int fd, int cmd, short type, off_t at)
{
	struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };
	alarm(3);
	int result = fcntl(fd, cmd, &lock), saved = errno;
	alarm(0);
	errno = saved;
	return result;
}

static void signal_pipe(int ends[2]) { write(ends[1], "x", 1); }
static void wait_pipe(int ends[2])
{
	char c;
	read(ends[0], &c, 1);
}

/*
 * A child that locks byte `mine`, says so, then waits (F_SETLKW) for byte
 * `wanted`, or with `wanted` < 0 naps 300 ms; it ends with 0 if it got it.
 */
static pid_t waiter(int fd, off_t mine, off_t wanted, int ready[2])
{
	pid_t pid = fork();
	if (pid == 0) {
		int locked = lock_byte(fd, F_SETLK, F_WRLCK, mine) == 0;
		signal_pipe(ready);
		if (wanted < 0)
			nap_ms(300);
		int got = wanted < 0 || lock_byte(fd, F_SETLKW, F_WRLCK, wanted) == 0;
		_exit(locked && got ? 0 : 1);
	}
	wait_pipe(ready);
	return pid;
}

static int ended_well(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void deadlocks(int fd)
{
	int ready[2];
	pipe(ready);
	lock_byte(fd, F_SETLK, F_WRLCK, 0);
	pid_t child = waiter(fd, 1, 0, ready); /* holds 1, waits for our 0 */
	nap_ms(100);
	int cycle = lock_byte(fd, F_SETLKW, F_WRLCK, 1);
	printf("check: locks: F_SETLKW for a lock whose holder waits for ours %s", err_of(cycle));
	printf(", F_SETLK %s", err_of(lock_byte(fd, F_SETLK, F_WRLCK, 1)));
	lock_byte(fd, F_SETLK, F_UNLCK, 0);
	printf("; once ours goes the child gets it %d\n", ended_well(child));
	/* A chain: we hold 0; the first child holds 1 and waits for 2; the second holds 2 and waits for our 0. */
	lock_byte(fd, F_SETLK, F_WRLCK, 0);
	pid_t second = waiter(fd, 2, 0, ready);
	pid_t first = waiter(fd, 1, 2, ready);
	nap_ms(100);
	int chain = lock_byte(fd, F_SETLKW, F_WRLCK, 1);
	lock_byte(fd, F_SETLK, F_UNLCK, 0);
	int second_ok = ended_well(second);
	printf("check: locks: F_SETLKW closing a chain of three waits %s; the others then get theirs %d %d\n",
	       err_of(chain), second_ok, ended_well(first));
	/* No cycle: we wait for the first's lock, the first for the second's, which the second lets go. */
	pid_t sleeper = waiter(fd, 9, -1, ready);
	first = waiter(fd, 5, 9, ready);
	nap_ms(100);
	int no_cycle = lock_byte(fd, F_SETLKW, F_WRLCK, 5);
	lock_byte(fd, F_SETLK, F_UNLCK, 5);
	printf("check: locks: F_SETLKW at the end of a chain that ends elsewhere %s, the others end %d %d\n",
	       err_of(no_cycle), ended_well(sleeper), ended_well(first));
	close(ready[0]), close(ready[1]);
}

/* An F_OFD_ command on [start, start + len). */
static int ofd_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	alarm(3);
	int result = fcntl(fd, cmd, &lock), saved = errno;
	alarm(0);
	errno = saved;
	return result;
}

/* F_OFD_GETLK (or F_GETLK) for a write lock over [0, 10): the lock in the way, as "type pid". */
static const char *in_the_way(int fd, int cmd)
{
	static char out[32];
	struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	if (fcntl(fd, cmd, &probe) < 0)
		return strerror(errno);
	snprintf(out, sizeof(out), "%s pid %d", probe.l_type == F_UNLCK ? "none" : probe.l_type == F_WRLCK ? "write" : "read",
	         probe.l_type == F_UNLCK ? 0 : probe.l_pid);
	return out;
}

static void description_locks(void)
{
	int first = open(FILE_PATH, O_RDWR), second = open(FILE_PATH, O_RDWR);
	printf("check: locks: F_OFD_SETLK %s; from a second description %s, F_SETLK %s; in the way: %s, for F_GETLK %s\n",
	       err_of(ofd_lock(first, F_OFD_SETLK, F_WRLCK, 0, 10)), err_of(ofd_lock(second, F_OFD_SETLK, F_WRLCK, 5, 1)),
	       err_of(ofd_lock(second, F_SETLK, F_RDLCK, 5, 1)), in_the_way(second, F_OFD_GETLK),
	       in_the_way(second, F_GETLK));
	struct flock with_pid = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 1, .l_pid = 1 };
	struct flock unlock = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	printf("check: locks: F_OFD_SETLK with a pid %s, our own description again %s; F_GETLK of F_UNLCK %s\n",
	       err_of(fcntl(first, F_OFD_SETLK, &with_pid)), err_of(ofd_lock(first, F_OFD_SETLK, F_RDLCK, 0, 10)),
	       err_of(fcntl(first, F_GETLK, &unlock)));
	pid_t pid = fork();
	if (pid == 0) {
		int shared = ofd_lock(first, F_OFD_SETLK, F_WRLCK, 0, 10) == 0; /* the description's: ours too */
		int refused = ofd_lock(second, F_OFD_SETLK, F_WRLCK, 0, 1) < 0 && errno == EAGAIN;
		_exit(shared && refused ? 0 : 1);
	}
	printf("check: locks: a forked child shares the description's lock %d", ended_well(pid));
	int other = open(FILE_PATH, O_RDWR);
	close(other); /* a process's locks would go: a description's stay */
	int copy = dup(first);
	close(first);
	printf("; after another close and the first of two: %s", in_the_way(second, F_OFD_GETLK));
	close(copy);
	printf("; after the last: %s\n", in_the_way(second, F_OFD_GETLK));
	/* F_OFD_SETLKW waits until the holding description's last close, in another process. */
	first = open(FILE_PATH, O_RDWR);
	ofd_lock(first, F_OFD_SETLK, F_WRLCK, 0, 10);
	int ready[2];
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		close(first); /* the child's reference to our description */
		int own = open(FILE_PATH, O_RDWR);
		signal_pipe(ready);
		_exit(ofd_lock(own, F_OFD_SETLKW, F_WRLCK, 0, 10) == 0 ? 0 : 1);
	}
	wait_pipe(ready);
	nap_ms(50);
	close(first);
	printf("check: locks: F_OFD_SETLKW waits for the holder's last close %d\n", ended_well(pid));
	close(ready[0]), close(ready[1]);
	close(second);
}

/*
 * dup2 over a descriptor of a locked file closes it in passing: the
 * process's locks on the file go as for close (a child asks F_GETLK).
 */
static void closed_in_passing(void)
{
	int fd = open(FILE_PATH, O_RDWR), other = open(FILE_PATH, O_RDONLY);
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	int locked = fcntl(fd, F_SETLK, &lock);
	int replaced = dup2(other, fd);
	int report[2];
	if (pipe(report) < 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		struct flock ask = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
		int probe = open(FILE_PATH, O_RDWR);
		char type = fcntl(probe, F_GETLK, &ask) == 0 && ask.l_type == F_UNLCK ? 'u' : 'w';
		_exit(write(report[1], &type, 1) == 1 ? 0 : 1);
	}
	char seen = '?';
	close(report[1]);
	if (read(report[0], &seen, 1) != 1)
		seen = '?';
	close(report[0]);
	printf("check: locks: F_SETLK %s, dup2 over its descriptor %s; the lock then seen by another process: %s, %d\n",
	       err_of(locked), replaced == fd ? "ok" : strerror(errno), seen == 'u' ? "none" : "still there",
	       ended_well(child));
	close(fd);
	close(other);
}

void lock_checks(void)
{
	struct sigaction action = { .sa_handler = on_alarm }, old;
	sigaction(SIGALRM, &action, &old);
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, "0123456789abcdef", 16);
	deadlocks(fd);
	close(fd);
	description_locks();
	closed_in_passing();
	unlink(FILE_PATH);
	sigaction(SIGALRM, &old, NULL);
}
