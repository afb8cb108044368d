/*
 * libc_check's finer System V IPC checks: SEM_UNDO's adjustments (given
 * back at exit, exec, a signal's kill; none for a forked child; dropped by
 * SETVAL), semtimedop's timeout, shmat's SHM_RND and SHM_REMAP, msgrcv's
 * MSG_EXCEPT, and the times and pids IPC_STAT reports.  Each line must
 * match what Linux prints: pids and times are printed as comparisons.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void ipc_detail_checks(const char *self);

static const char *err_of(long result) { return result < 0 ? strerror(errno) : "ok"; }

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };
	nanosleep(&ts, NULL);
}

static int value_of(int set, int num) { return semctl(set, num, GETVAL); }

static int op(int set, unsigned short num, short change, short flags)
{
	struct sembuf one = { num, change, flags };
	return semop(set, &one, 1);
}

/* A child that runs `body` and ends: its wait status. */
static int in_child(void (*body)(int), int set)
{
	pid_t pid = fork();
	if (pid == 0) {
		body(set);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static void up_with_undo(int set) { op(set, 0, 2, SEM_UNDO), op(set, 1, 1, 0); }

static void end_at_once(int set) { (void)set; }

/* The child's +1 under SEM_UNDO, then a grandchild that ends: the grandchild gives back nothing. */
static void forked_child_has_none(int set)
{
	op(set, 0, 1, SEM_UNDO);
	in_child(end_at_once, set);
	_exit(value_of(set, 0) == 1 ? 0 : 1);
}

static const char *self_path;

static void exec_after_undo(int set)
{
	op(set, 0, 1, SEM_UNDO);
	execl(self_path, self_path, "child", "ipc-exit", (char *)NULL);
}

static void undo_at_exit(void)
{
	int set = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	in_child(up_with_undo, set);
	printf("check: ipc: SEM_UNDO: a child's +2 given back at its exit: %d; without SEM_UNDO its +1 stays: %d\n",
	       value_of(set, 0), value_of(set, 1));
	int status = in_child(forked_child_has_none, set);
	printf("check: ipc: SEM_UNDO: a forked child starts with none: %d, the parent's given back at its end: %d\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, value_of(set, 0));
	in_child(exec_after_undo, set);
	printf("check: ipc: SEM_UNDO: kept across exec, given back when the new image ends: %d\n", value_of(set, 0));
	semctl(set, 0, IPC_RMID);
}

/* A child that takes +n under SEM_UNDO, says so on `ready`, and ends when `go` says (or is killed). */
static pid_t holder(int set, short n, int ready[2], int go[2])
{
	pipe(ready), pipe(go);
	pid_t pid = fork();
	if (pid == 0) {
		char c = 'r';
		op(set, 0, n, SEM_UNDO);
		write(ready[1], &c, 1);
		read(go[0], &c, 1);
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	return pid;
}

static void release(pid_t pid, int ready[2], int go[2], int sig)
{
	if (sig)
		kill(pid, sig);
	else
		write(go[1], "g", 1);
	waitpid(pid, NULL, 0);
	close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
}

static void undo_rules(void)
{
	int set = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600), ready[2], go[2];
	pid_t pid = holder(set, 3, ready, go);
	op(set, 0, -2, 0); /* 1 left: the child's -3 at its exit would go below 0 */
	release(pid, ready, go, 0);
	printf("check: ipc: SEM_UNDO: an adjustment past 0 stops at 0: %d\n", value_of(set, 0));
	pid = holder(set, 1, ready, go);
	semctl(set, 0, SETVAL, 5);
	release(pid, ready, go, 0);
	printf("check: ipc: SEM_UNDO: SETVAL drops the adjustments: %d\n", value_of(set, 0));
	semctl(set, 0, SETVAL, 0);
	pid = holder(set, 4, ready, go);
	release(pid, ready, go, SIGTERM);
	printf("check: ipc: SEM_UNDO: given back when a signal kills: %d\n", value_of(set, 0));
	int first = op(set, 0, 32767, SEM_UNDO); /* our adjustment -32767 */
	op(set, 0, -2, 0);
	int second = op(set, 0, 1, SEM_UNDO); /* -32768: still within */
	int third = op(set, 0, 1, SEM_UNDO);
	printf("check: ipc: SEM_UNDO: adjustments of -32767 %s, -32768 %s, -32769 %s, value %d\n", err_of(first),
	       err_of(second), err_of(third), value_of(set, 0));
	semctl(set, 0, IPC_RMID);
}

static void on_alarm(int sig) { (void)sig; }

static long ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void up_later(int set) { nap_ms(30), op(set, 0, 1, 0); }

/* semtimedop of one down, under an alarm: a timeout not kept ends in EINTR after 2 s, not a hang. */
static int timed_down(int set, const struct timespec *timeout)
{
	struct sembuf down = { 0, -1, 0 };
	alarm(2);
	int result = semtimedop(set, &down, 1, timeout), saved = errno;
	alarm(0);
	errno = saved;
	return result;
}

static void timeouts(void)
{
	struct sigaction action = { .sa_handler = on_alarm }, old;
	sigaction(SIGALRM, &action, &old);
	int set = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct timespec start, wait = { 0, 50000000 };
	clock_gettime(CLOCK_MONOTONIC, &start);
	int timed = timed_down(set, &wait);
	long waited = ms_since(&start);
	printf("check: ipc: semtimedop of 50 ms %s, waited at least 50 ms %d\n", err_of(timed), waited >= 50);
	struct timespec zero = { 0, 0 }, bad_ns = { 0, 1000000000 }, bad_s = { -1, 0 }, long_wait = { 5, 0 };
	printf("check: ipc: semtimedop with 0 %s, nanoseconds of a second %s, negative seconds %s\n",
	       err_of(timed_down(set, &zero)), err_of(timed_down(set, &bad_ns)), err_of(timed_down(set, &bad_s)));
	pid_t pid = fork();
	if (pid == 0) {
		up_later(set);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	int woken = timed_down(set, &long_wait);
	printf("check: ipc: semtimedop woken before its timeout %s, within a second %d\n", err_of(woken),
	       ms_since(&start) < 1000);
	waitpid(pid, NULL, 0);
	sigaction(SIGALRM, &old, NULL);
	semctl(set, 0, IPC_RMID);
}

/* An address nothing is mapped at, with `pages` free pages from it. */
static char *free_address(size_t pages)
{
	char *at = mmap(NULL, pages * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(at, pages * 4096);
	return at;
}

static void attach_flags(void)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	char *first = shmat(id, NULL, 0);
	strcpy(first, "segment");
	char *at = free_address(2);
	char *rounded = shmat(id, at + 100, SHM_RND);
	printf("check: ipc: shmat SHM_RND rounds down %d; unaligned without it %s\n", rounded == at,
	       shmat(id, at + 4096 + 100, 0) == (void *)-1 ? strerror(errno) : "ok");
	shmdt(rounded);
	char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(anon, "anonymous");
	char *remapped = shmat(id, anon, SHM_REMAP);
	printf("check: ipc: shmat SHM_REMAP over a mapping: same address %d, reads %s; SHM_REMAP at 0 %s\n",
	       remapped == anon, remapped == anon ? remapped : "-",
	       shmat(id, NULL, SHM_REMAP) == (void *)-1 ? strerror(errno) : "ok");
	shmdt(remapped);
	shmdt(first);
	shmctl(id, IPC_RMID, NULL);
}

struct message {
	long type;
	char text[8];
};

static void except(void)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	long types[] = { 1, 1, 3, 2 };
	for (int i = 0; i < 4; i++) {
		struct message m = { types[i], "" };
		snprintf(m.text, sizeof(m.text), "m%d", i);
		msgsnd(id, &m, 3, 0);
	}
	struct message got = { 0, "" };
	long size = msgrcv(id, &got, sizeof(got.text), 1, MSG_EXCEPT | IPC_NOWAIT);
	printf("check: ipc: msgrcv MSG_EXCEPT 1 gets type %ld (%s, %ld bytes)", got.type, got.text, size);
	msgrcv(id, &got, sizeof(got.text), 1, MSG_EXCEPT | IPC_NOWAIT);
	printf(", then type %ld (%s)", got.type, got.text);
	size = msgrcv(id, &got, sizeof(got.text), 0, MSG_EXCEPT | IPC_NOWAIT);
	printf("; with 0 (ignored) %s, type %ld (%s)\n", err_of(size), got.type, got.text);
	printf("check: ipc: then none but type 1: MSG_EXCEPT 1 %s\n",
	       err_of(msgrcv(id, &got, sizeof(got.text), 1, MSG_EXCEPT | IPC_NOWAIT)));
	msgctl(id, IPC_RMID, NULL);
}

/* A time IPC_STAT gave: in [since, now]. */
static int is_now(time_t t, time_t since) { return t >= since && t <= time(NULL); }

static void send_one(int id)
{
	struct message m = { 4, "sent" };
	msgsnd(id, &m, 5, 0);
}

static void queue_stamps(time_t since)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	printf("check: ipc: a new queue: stime %d rtime %d lspid %d lrpid %d, ctime is now %d\n", (int)ds.msg_stime,
	       (int)ds.msg_rtime, ds.msg_lspid, ds.msg_lrpid, is_now(ds.msg_ctime, since));
	pid_t pid = fork();
	if (pid == 0) {
		send_one(id);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	struct message got;
	msgrcv(id, &got, sizeof(got.text), 0, 0);
	msgctl(id, IPC_STAT, &ds);
	printf("check: ipc: after a child's msgsnd and our msgrcv: lspid is the child's %d, lrpid ours %d, "
	       "stime and rtime are now %d %d\n",
	       ds.msg_lspid == pid, ds.msg_lrpid == getpid(), is_now(ds.msg_stime, since), is_now(ds.msg_rtime, since));
	msgctl(id, IPC_RMID, NULL);
}

static void set_stamps(time_t since)
{
	int set = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct semid_ds ds;
	semctl(set, 0, IPC_STAT, &ds);
	int otime_before = (int)ds.sem_otime, ctime_now = is_now(ds.sem_ctime, since);
	op(set, 0, 1, 0);
	semctl(set, 0, IPC_STAT, &ds);
	printf("check: ipc: a new set: otime %d, ctime is now %d; after semop otime is now %d\n", otime_before,
	       ctime_now, is_now(ds.sem_otime, since));
	semctl(set, 0, IPC_RMID);
}

static void attach_detach(int id)
{
	void *at = shmat(id, NULL, 0);
	shmdt(at);
}


static void segment_stamps(time_t since)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	printf("check: ipc: a new segment: cpid is ours %d, lpid %d, atime %d, dtime %d, ctime is now %d\n",
	       ds.shm_cpid == getpid(), ds.shm_lpid, (int)ds.shm_atime, (int)ds.shm_dtime, is_now(ds.shm_ctime, since));
	pid_t pid = fork();
	if (pid == 0) {
		attach_detach(id);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	shmctl(id, IPC_STAT, &ds);
	printf("check: ipc: after a child attached and detached: lpid is the child's %d, atime and dtime now %d %d, "
	       "attached %lu\n",
	       ds.shm_lpid == pid, is_now(ds.shm_atime, since), is_now(ds.shm_dtime, since),
	       (unsigned long)ds.shm_nattch);
	void *at = shmat(id, NULL, 0);
	shmctl(id, IPC_STAT, &ds);
	int ours = ds.shm_lpid == getpid();
	pid = fork();
	if (pid == 0) {
		_exit(0); /* with the parent's attach inherited */
	}
	waitpid(pid, NULL, 0);
	shmctl(id, IPC_STAT, &ds);
	printf("check: ipc: our attach: lpid ours %d; a child that inherited it ended: lpid the child's %d, attached %lu\n",
	       ours, ds.shm_lpid == pid, (unsigned long)ds.shm_nattch);
	shmdt(at);
	shmctl(id, IPC_RMID, NULL);
}

void ipc_detail_checks(const char *self)
{
	self_path = self;
	undo_at_exit();
	undo_rules();
	timeouts();
	attach_flags();
	except();
	time_t since = time(NULL);
	queue_stamps(since);
	set_stamps(since);
	segment_stamps(since);
}
