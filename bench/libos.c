/*
 * libos's costs in guest instructions under QEMU -icount shift=0 (see
 * bench/bench.h for the method): a reflected getppid() through musl, the
 * first touch of a demand-zero page, a byte's round trip through two
 * pipes to a spawned process and back, and signal round trips (a kill to
 * ourselves, a handled SIGSEGV: bench/signal_cases.h, which forkbench
 * runs under Linux too).  An ordinary musl program.  fork's
 * costs are apps/forkbench's (the same binary runs under Linux too).
 */
#include "bench/stats.h"
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SAMPLES 101
#define BATCH 32

static uint64_t counter(void)
{
	uint64_t value;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(value));
	return value;
}

static uint64_t freq(void)
{
	uint64_t value;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(value));
	return value;
}

/* Counts to instructions x16 (1 ns each under icount shift=0). */
static uint64_t insns_x16(uint64_t counts) { return counts * 16000000000ull / freq(); }
#define to_x16 insns_x16
#include "bench/signal_cases.h"

static void report(const char *name, uint64_t *samples)
{
	struct bench_figures figures = bench_figures(samples, SAMPLES);
	printf("bench: suite=libos case=%s median=%llu min=%llu p90=%llu unit=insns\n", name,
	       (unsigned long long)figures.median, (unsigned long long)figures.min,
	       (unsigned long long)figures.p90);
}

static uint64_t samples[SAMPLES];

/* The far end: each byte read from stdin goes back on stdout, until the end. */
static int echo_bytes(void)
{
	char byte;
	while (read(0, &byte, 1) == 1)
		if (write(1, &byte, 1) != 1)
			return 1;
	return 0;
}

/* A byte to a child and back: both sides sleep on the pipe's counter and are woken by the peer. */
static void pipe_round_trip(const char *self)
{
	int to_child[2], from_child[2];
	if (pipe(to_child) || pipe(from_child))
		return;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
	posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
	posix_spawn_file_actions_addclose(&actions, to_child[1]);
	posix_spawn_file_actions_addclose(&actions, from_child[0]);
	char *args[] = { (char *)self, "echo-bytes", NULL };
	pid_t pid;
	posix_spawn(&pid, self, &actions, NULL, args, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(to_child[0]);
	close(from_child[1]);
	char byte = 'x';
	for (int s = 0; s < SAMPLES; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < BATCH / 4; i++)
			if (write(to_child[1], &byte, 1) != 1 || read(from_child[0], &byte, 1) != 1)
				return;
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = insns_x16(end - start) / (BATCH / 4);
	}
	close(to_child[1]);
	close(from_child[0]);
	waitpid(pid, NULL, 0);
	report("pipe_round_trip", samples);
}

static void getppid_case(void);
static void first_touch_case(void);

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "echo-bytes") == 0)
		return echo_bytes();
	const char *only = getenv("BENCH_ONLY"); /* one case (tools/profile.py) */
	if (!only || strcmp(only, "getppid") == 0)
		getppid_case();
	if (!only || strcmp(only, "first_touch_fault") == 0)
		first_touch_case();
	if (!only || strcmp(only, "pipe_round_trip") == 0)
		pipe_round_trip(argv[0]);
	if (!only || strcmp(only, "signal_roundtrip") == 0) {
		if (signal_roundtrip_samples(samples, SAMPLES))
			report("signal_roundtrip", samples);
		else
			printf("bench: signal_roundtrip: a handler did not run\n");
	}
	if (!only || strcmp(only, "sigsegv_handled") == 0) {
		if (sigsegv_handled_samples(samples, SAMPLES))
			report("sigsegv_handled", samples);
		else
			printf("bench: sigsegv_handled: a handler did not run\n");
	}
	return 0;
}

static void getppid_case(void)
{
	for (int s = 0; s < SAMPLES; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < BATCH; i++)
			getppid();
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = insns_x16(end - start) / BATCH;
	}
	report("getppid", samples);
}

static void first_touch_case(void)
{
	size_t pages = (size_t)SAMPLES * BATCH;
	volatile char *area = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return;
	for (int s = 0; s < SAMPLES; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < BATCH; i++)
			area[((size_t)s * BATCH + i) * 4096] = 1;
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = insns_x16(end - start) / BATCH;
	}
	report("first_touch_fault", samples);
	munmap((void *)area, pages * 4096);
}
