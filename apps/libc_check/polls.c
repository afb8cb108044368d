/*
 * libc_check's poll checks: poll, ppoll and select over several pipes at
 * once, the one that becomes ready written by a child after the parent
 * has gone to sleep (so the parent is woken by that pipe, not by the first
 * one it asked about), more pipes than a sleep can name words for, a
 * writer's end that closes (POLLHUP), and a timeout with nothing ready.
 * Each line must match Linux's.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void poll_checks(void);

#define PIPES 10

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };
	nanosleep(&ts, NULL);
}

/* A child that waits a moment (the parent is asleep in poll by then) and writes a byte to one pipe. */
static pid_t write_later(int fd)
{
	pid_t child = fork();
	if (child == 0) {
		nap_ms(30);
		_exit(write(fd, "x", 1) == 1 ? 0 : 1);
	}
	return child;
}

static int reaped_well(pid_t child)
{
	int status;
	return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Which of the fds poll found readable, as a string of their indices. */
static const char *ready_ones(const struct pollfd *fds, int n)
{
	static char out[64];
	int at = 0;
	out[0] = 0;
	for (int i = 0; i < n; i++)
		if (fds[i].revents)
			at += snprintf(out + at, sizeof out - (size_t)at, "%s%d:%s", at ? " " : "", i,
			               fds[i].revents == POLLIN ? "in" : fds[i].revents == POLLHUP ? "hup" : "other");
	return out[0] ? out : "none";
}

static void poll_several(int pipes[][2], int n, int which)
{
	struct pollfd fds[PIPES];
	for (int i = 0; i < n; i++)
		fds[i] = (struct pollfd){ .fd = pipes[i][0], .events = POLLIN };
	pid_t child = write_later(pipes[which][1]);
	int got = poll(fds, (nfds_t)n, 5000);
	printf("check: poll: %d pipes, the child writes to pipe %d: %d ready (%s), child %d\n", n, which, got,
	       ready_ones(fds, n), reaped_well(child));
	char byte;
	if (got > 0 && read(pipes[which][0], &byte, 1) != 1)
		printf("check: poll: the byte could not be read\n");
}

static void select_several(int pipes[][2], int n, int which)
{
	fd_set set;
	FD_ZERO(&set);
	int top = 0;
	for (int i = 0; i < n; i++) {
		FD_SET(pipes[i][0], &set);
		top = pipes[i][0] > top ? pipes[i][0] : top;
	}
	pid_t child = write_later(pipes[which][1]);
	struct timeval limit = { 5, 0 };
	int got = select(top + 1, &set, NULL, NULL, &limit);
	int only = got == 1 && FD_ISSET(pipes[which][0], &set);
	printf("check: select: %d pipes, the child writes to pipe %d: %d ready, that one %d, child %d\n", n, which,
	       got, only, reaped_well(child));
	char byte;
	if (got > 0 && read(pipes[which][0], &byte, 1) != 1)
		printf("check: select: the byte could not be read\n");
}

void poll_checks(void)
{
	int pipes[PIPES][2];
	for (int i = 0; i < PIPES; i++)
		if (pipe(pipes[i]) < 0) {
			printf("check: poll: pipe failed\n");
			return;
		}
	poll_several(pipes, 3, 2);
	poll_several(pipes, 8, 7);
	poll_several(pipes, PIPES, 9); /* more than a sleep names words for */
	select_several(pipes, 4, 3);
	/* ppoll with a timeout and nothing ready; then a writer that closes. */
	struct pollfd one = { .fd = pipes[0][0], .events = POLLIN };
	struct timespec little = { 0, 20000000 };
	printf("check: poll: ppoll with nothing ready for 20 ms: %d\n", ppoll(&one, 1, &little, NULL));
	struct pollfd two[2] = { { .fd = pipes[1][0], .events = POLLIN }, { .fd = pipes[2][0], .events = POLLIN } };
	pid_t child = fork();
	if (child == 0) {
		nap_ms(30);
		close(pipes[2][1]);
		_exit(0);
	}
	close(pipes[2][1]);
	int got = poll(two, 2, 5000);
	printf("check: poll: the last writer of the second pipe closes: %d ready (%s), child %d\n", got,
	       ready_ones(two, 2), reaped_well(child));
	for (int i = 0; i < PIPES; i++) {
		close(pipes[i][0]);
		if (i != 2)
			close(pipes[i][1]);
	}
}
