/*
 * libc_check's System V IPC and POSIX shared memory checks: segments,
 * queues and semaphore sets shared with a forked child, and their errors.
 * Each line must match what Linux prints.
 */
#include <errno.h>
#include <fcntl.h>
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

void ipc_checks(void);

static const char *err_of(long result) { return result < 0 ? strerror(errno) : "ok"; }

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };
	nanosleep(&ts, NULL);
}

static void segments(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	char *at = shmat(id, NULL, 0);
	if (id < 0 || at == (void *)-1) {
		printf("check: FAILED: shmget/shmat: %s\n", strerror(errno));
		return;
	}
	strcpy(at, "parent");
	pid_t pid = fork();
	if (pid == 0) {
		char *again = shmat(id, NULL, 0);
		int same = again != (void *)-1 && strcmp(again, "parent") == 0;
		strcpy(at + 4096, "child");
		_exit(same ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	printf("check: ipc: shm shared with a child: it saw ours %d, we see %s; size %zu, attached %lu\n",
	       WEXITSTATUS(status) == 0, at + 4096, (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
	printf("check: ipc: shmdt %s, again %s, bad address %s\n", err_of(shmdt(at)), err_of(shmdt(at)),
	       err_of(shmdt((void *)4096)));
	shmctl(id, IPC_RMID, NULL);
	printf("check: ipc: shmat after IPC_RMID %s\n", shmat(id, NULL, 0) == (void *)-1 ? strerror(errno) : "ok");
	int keyed = shmget(0x5eed, 4096, IPC_CREAT | IPC_EXCL | 0600);
	printf("check: ipc: keyed shmget %s, again with IPC_EXCL %s, found again %d, larger %s, missing key %s\n",
	       err_of(keyed), err_of(shmget(0x5eed, 4096, IPC_CREAT | IPC_EXCL | 0600)),
	       shmget(0x5eed, 4096, 0) == keyed, err_of(shmget(0x5eed, 8192, 0)), err_of(shmget(0x5eee, 4096, 0)));
	shmctl(keyed, IPC_RMID, NULL);
}

struct message {
	long type;
	char text[32];
};

static void queues(void)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	struct message m;
	const char *texts[] = { "two", "one", "three" };
	long types[] = { 2, 1, 3 };
	for (int i = 0; i < 3; i++) {
		m.type = types[i];
		strcpy(m.text, texts[i]);
		msgsnd(id, &m, strlen(m.text) + 1, 0);
	}
	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	printf("check: ipc: queue holds %lu messages\n", (unsigned long)ds.msg_qnum);
	char got[3][32];
	long sizes[3];
	long wants[] = { 0, -2, 3 };
	for (int i = 0; i < 3; i++) {
		sizes[i] = msgrcv(id, &m, sizeof(m.text), wants[i], 0);
		strcpy(got[i], sizes[i] < 0 ? "-" : m.text);
	}
	printf("check: ipc: msgrcv first %s, lowest up to 2 %s, type 3 %s (%ld bytes)\n", got[0], got[1], got[2],
	       sizes[2]);
	printf("check: ipc: empty queue with IPC_NOWAIT %s\n", err_of(msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT)));
	m.type = 5;
	strcpy(m.text, "0123456789");
	msgsnd(id, &m, 11, 0);
	printf("check: ipc: too small a buffer %s", err_of(msgrcv(id, &m, 4, 0, IPC_NOWAIT)));
	long cut = msgrcv(id, &m, 4, 0, IPC_NOWAIT | MSG_NOERROR);
	printf(", with MSG_NOERROR %ld bytes %.4s\n", cut, m.text);
	pid_t pid = fork();
	if (pid == 0) {
		struct message in;
		long n = msgrcv(id, &in, sizeof(in.text), 7, 0); /* waits for the parent's */
		_exit(n == 6 && strcmp(in.text, "later") == 0 ? 0 : 1);
	}
	nap_ms(50);
	m.type = 7;
	strcpy(m.text, "later");
	msgsnd(id, &m, 6, 0);
	int status;
	waitpid(pid, &status, 0);
	printf("check: ipc: a waiting child got the parent's message %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	msgctl(id, IPC_RMID, NULL);
	printf("check: ipc: msgsnd after IPC_RMID %s, a bad type %s\n", err_of(msgsnd(id, &m, 6, 0)),
	       err_of(msgsnd(msgget(IPC_PRIVATE, 0600), &(struct message){ 0, "x" }, 2, 0)));
}

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static void semaphores(void)
{
	int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	semctl(id, 0, SETVAL, (union semun){ .val = 1 });
	struct sembuf down = { 0, -1, 0 }, nowait = { 0, -1, IPC_NOWAIT };
	printf("check: ipc: semop down %s, value %d, again without waiting %s, a bad number %s\n",
	       err_of(semop(id, &down, 1)), semctl(id, 0, GETVAL), err_of(semop(id, &nowait, 1)),
	       err_of(semop(id, &(struct sembuf){ 5, 1, 0 }, 1)));
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf wait_one = { 1, -1, 0 };
		_exit(semop(id, &wait_one, 1) == 0 ? 0 : 1); /* waits for the parent's up */
	}
	nap_ms(50);
	struct sembuf up = { 1, 1, 0 };
	semop(id, &up, 1);
	int status;
	waitpid(pid, &status, 0);
	unsigned short all[2] = { 3, 4 }, back[2] = { 0, 0 };
	semctl(id, 0, SETALL, (union semun){ .array = all });
	semctl(id, 0, GETALL, (union semun){ .array = back });
	struct sembuf both[2] = { { 0, -3, 0 }, { 1, -5, IPC_NOWAIT } };
	printf("check: ipc: a waiting child went on %d; GETALL %d %d; all-or-nothing %s leaves %d\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, back[0], back[1], err_of(semop(id, both, 2)),
	       semctl(id, 0, GETVAL));
	semctl(id, 0, IPC_RMID);
	printf("check: ipc: semop after IPC_RMID %s\n", err_of(semop(id, &down, 1)));
}

static void posix_shared_memory(void)
{
	int fd = shm_open("/libc_check", O_RDWR | O_CREAT | O_EXCL, 0600);
	ftruncate(fd, 4096);
	char *at = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || at == MAP_FAILED) {
		printf("check: FAILED: shm_open and mmap: %s\n", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int again = shm_open("/libc_check", O_RDWR, 0);
		char *there = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0);
		if (there != MAP_FAILED)
			strcpy(there, "from the child");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("check: ipc: shm_open shared: %s; shm_unlink %s, again %s\n", at, err_of(shm_unlink("/libc_check")),
	       err_of(shm_unlink("/libc_check")));
	munmap(at, 4096);
	close(fd);
}

/* Corners a review found: a truncated file under a mapping, an attach over memory in use, a removed queue's waiter. */
static void corners(void)
{
	int fd = shm_open("/corner", O_RDWR | O_CREAT, 0600);
	write(fd, "before the truncation", 21);
	char *at = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int again = open("/dev/shm/corner", O_RDWR | O_TRUNC); /* a touch now would be SIGBUS on Linux: none */
	write(again, "after", 5);
	printf("check: ipc: a mapped file truncated and written again: %.5s, the old bytes gone %d\n",
	       at == MAP_FAILED ? "-" : at, at != MAP_FAILED && at[5] == 0 && at[10] == 0);
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	printf("check: ipc: shmat over a mapping in use %s\n",
	       shmat(id, at == MAP_FAILED ? (void *)0 : at, 0) == (void *)-1 ? strerror(errno) : "ok");
	shmctl(id, IPC_RMID, NULL);
	munmap(at, 4096);
	close(again);
	close(fd);
	shm_unlink("/corner");
	int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	pid_t pid = fork();
	if (pid == 0) {
		struct message in;
		_exit(msgrcv(queue, &in, sizeof(in.text), 0, 0) < 0 && errno == EIDRM ? 0 : 1);
	}
	nap_ms(50);
	msgctl(queue, IPC_RMID, NULL);
	int status;
	waitpid(pid, &status, 0);
	printf("check: ipc: a queue removed under a waiter gives it EIDRM %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void ipc_checks(void)
{
	segments();
	queues();
	semaphores();
	posix_shared_memory();
	corners();
}
