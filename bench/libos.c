/*
 * libos's costs in guest instructions under QEMU -icount shift=0 (see
 * bench/bench.h for the method): a reflected getppid() through musl, the
 * first touch of a demand-zero page, and a byte's round trip through two
 * pipes to a spawned process and back.  An ordinary musl program.
 */
#include "bench/stats.h"
#include <exo/fork.h>
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
static void fork_cases(const char *only);
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
	if (!only || strncmp(only, "fork_", 5) == 0)
		fork_cases(only);
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

/*
 * One fork case of this program with `kib` more of private memory touched
 * beforehand, as `variant`, timed from just before fork:
 *  - fork_exit_wait: until waitpid returns (the child calls _exit(0) at once);
 *  - fork_to_child: until the child's first instruction after fork returns
 *    (the child reads the counter and sends it through a pipe: a shared
 *    page would itself cost every fork a special slot; on one CPU the child
 *    runs once the parent blocks in waitpid, as under Linux by default);
 *  - fork_touch_all: until waitpid returns, the child having written every
 *    page of the touched memory once.
 */
enum fork_kind { EXIT_WAIT, TO_CHILD, TOUCH_ALL };
static const char *const kind_names[] = { "fork_exit_wait", "fork_to_child", "fork_touch_all" };

static void fork_case(enum fork_kind kind, const char *variant, size_t kib)
{
	char *memory = kib ? mmap(NULL, kib * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : NULL;
	if (memory == MAP_FAILED)
		return;
	for (size_t at = 0; at < kib * 1024; at += 4096)
		memory[at] = 1;
	uint32_t samples_taken = kib >= 262144 ? 5 : kib >= 65536 ? 11 : SAMPLES;
	int clock_pipe[2] = { -1, -1 };
	if (kind == TO_CHILD && pipe(clock_pipe) < 0)
		return;
	for (uint32_t s = 0; s < samples_taken; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		pid_t pid = exo_fork(variant);
		if (pid == 0) {
			if (kind == TO_CHILD) {
				uint64_t now = counter();
				write(clock_pipe[1], &now, sizeof(now));
			}
			for (size_t at = 0; kind == TOUCH_ALL && at < kib * 1024; at += 4096)
				memory[at] = 2;
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		if (kind == TO_CHILD && read(clock_pipe[0], &end, sizeof(end)) != sizeof(end))
			end = start;
		samples[s] = insns_x16(end - start);
		if (pid < 0) {
			printf("bench: %s %s: fork failed\n", kind_names[kind], variant);
			return;
		}
	}
	struct bench_figures figures = bench_figures(samples, samples_taken);
	printf("bench: suite=fork case=%s variant=%s mem_kib=%zu median=%llu min=%llu p90=%llu unit=insns\n",
	       kind_names[kind], variant, kib, (unsigned long long)figures.median, (unsigned long long)figures.min,
	       (unsigned long long)figures.p90);
	if (memory)
		munmap(memory, kib * 1024);
	if (kind == TO_CHILD)
		close(clock_pipe[0]), close(clock_pipe[1]);
}

/*
 * One copy-on-write fault through libos's real handler: after a fork whose
 * child stays alive (blocked on a pipe), each sample writes BATCH pages of
 * private memory the child still maps, one fault each (the first write to
 * a shared variant's table also makes the table private).
 */
static void cow_fault(const char *variant)
{
	size_t pages = (size_t)SAMPLES * BATCH;
	volatile char *area = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int hold[2];
	if (area == MAP_FAILED || pipe(hold) < 0)
		return;
	for (size_t i = 0; i < pages; i++)
		area[i * 4096] = 1;
	pid_t pid = exo_fork(variant);
	if (pid == 0) {
		char byte;
		_exit(read(hold[0], &byte, 1) == 1 ? 0 : 1);
	}
	for (int s = 0; s < SAMPLES; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < BATCH; i++)
			area[((size_t)s * BATCH + i) * 4096] = 2;
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = insns_x16(end - start) / BATCH;
	}
	write(hold[1], "x", 1);
	waitpid(pid, NULL, 0);
	close(hold[0]);
	close(hold[1]);
	munmap((void *)area, pages * 4096);
	struct bench_figures figures = bench_figures(samples, SAMPLES);
	printf("bench: suite=fork case=cow_fault variant=%s mem_kib=%zu median=%llu min=%llu p90=%llu unit=insns\n",
	       variant, pages * 4, (unsigned long long)figures.median, (unsigned long long)figures.min,
	       (unsigned long long)figures.p90);
}

/* Each case alone by name (BENCH_ONLY=fork_exit_wait_cow_0, tools/profile.py): every kind, variant and size. */
static const struct fork_case {
	const char *name;
	enum fork_kind kind;
	const char *variant;
	size_t kib;
} fork_case_list[] = {
	{ "fork_exit_wait_cow_0", EXIT_WAIT, "cow", 0 },
	{ "fork_exit_wait_cow_1024", EXIT_WAIT, "cow", 1024 },
	{ "fork_exit_wait_cow_16384", EXIT_WAIT, "cow", 16384 },
	{ "fork_exit_wait_cow_65536", EXIT_WAIT, "cow", 65536 },
	{ "fork_exit_wait_cow_262144", EXIT_WAIT, "cow", 262144 },
	{ "fork_exit_wait_eager_0", EXIT_WAIT, "eager", 0 },
	{ "fork_exit_wait_eager_1024", EXIT_WAIT, "eager", 1024 },
	{ "fork_exit_wait_eager_16384", EXIT_WAIT, "eager", 16384 },
	{ "fork_exit_wait_eager_65536", EXIT_WAIT, "eager", 65536 },
	{ "fork_exit_wait_eager_262144", EXIT_WAIT, "eager", 262144 },
	{ "fork_exit_wait_shared_0", EXIT_WAIT, "shared", 0 },
	{ "fork_exit_wait_shared_1024", EXIT_WAIT, "shared", 1024 },
	{ "fork_exit_wait_shared_16384", EXIT_WAIT, "shared", 16384 },
	{ "fork_exit_wait_shared_65536", EXIT_WAIT, "shared", 65536 },
	{ "fork_exit_wait_shared_262144", EXIT_WAIT, "shared", 262144 },
	{ "fork_exit_wait_async_0", EXIT_WAIT, "async", 0 },
	{ "fork_exit_wait_async_1024", EXIT_WAIT, "async", 1024 },
	{ "fork_exit_wait_async_16384", EXIT_WAIT, "async", 16384 },
	{ "fork_exit_wait_async_65536", EXIT_WAIT, "async", 65536 },
	{ "fork_exit_wait_async_262144", EXIT_WAIT, "async", 262144 },
	{ "fork_exit_wait_vfork_0", EXIT_WAIT, "vfork", 0 },
	{ "fork_exit_wait_vfork_1024", EXIT_WAIT, "vfork", 1024 },
	{ "fork_exit_wait_vfork_16384", EXIT_WAIT, "vfork", 16384 },
	{ "fork_exit_wait_vfork_65536", EXIT_WAIT, "vfork", 65536 },
	{ "fork_exit_wait_vfork_262144", EXIT_WAIT, "vfork", 262144 },
	{ "fork_to_child_cow_0", TO_CHILD, "cow", 0 },
	{ "fork_to_child_cow_1024", TO_CHILD, "cow", 1024 },
	{ "fork_to_child_cow_16384", TO_CHILD, "cow", 16384 },
	{ "fork_to_child_cow_65536", TO_CHILD, "cow", 65536 },
	{ "fork_to_child_cow_262144", TO_CHILD, "cow", 262144 },
	{ "fork_to_child_eager_0", TO_CHILD, "eager", 0 },
	{ "fork_to_child_eager_1024", TO_CHILD, "eager", 1024 },
	{ "fork_to_child_eager_16384", TO_CHILD, "eager", 16384 },
	{ "fork_to_child_eager_65536", TO_CHILD, "eager", 65536 },
	{ "fork_to_child_eager_262144", TO_CHILD, "eager", 262144 },
	{ "fork_to_child_shared_0", TO_CHILD, "shared", 0 },
	{ "fork_to_child_shared_1024", TO_CHILD, "shared", 1024 },
	{ "fork_to_child_shared_16384", TO_CHILD, "shared", 16384 },
	{ "fork_to_child_shared_65536", TO_CHILD, "shared", 65536 },
	{ "fork_to_child_shared_262144", TO_CHILD, "shared", 262144 },
	{ "fork_to_child_async_0", TO_CHILD, "async", 0 },
	{ "fork_to_child_async_1024", TO_CHILD, "async", 1024 },
	{ "fork_to_child_async_16384", TO_CHILD, "async", 16384 },
	{ "fork_to_child_async_65536", TO_CHILD, "async", 65536 },
	{ "fork_to_child_async_262144", TO_CHILD, "async", 262144 },
	{ "fork_to_child_vfork_0", TO_CHILD, "vfork", 0 },
	{ "fork_to_child_vfork_1024", TO_CHILD, "vfork", 1024 },
	{ "fork_to_child_vfork_16384", TO_CHILD, "vfork", 16384 },
	{ "fork_to_child_vfork_65536", TO_CHILD, "vfork", 65536 },
	{ "fork_to_child_vfork_262144", TO_CHILD, "vfork", 262144 },
	{ "fork_touch_all_cow_0", TOUCH_ALL, "cow", 0 },
	{ "fork_touch_all_cow_1024", TOUCH_ALL, "cow", 1024 },
	{ "fork_touch_all_cow_16384", TOUCH_ALL, "cow", 16384 },
	{ "fork_touch_all_cow_65536", TOUCH_ALL, "cow", 65536 },
	{ "fork_touch_all_cow_262144", TOUCH_ALL, "cow", 262144 },
	{ "fork_touch_all_eager_0", TOUCH_ALL, "eager", 0 },
	{ "fork_touch_all_eager_1024", TOUCH_ALL, "eager", 1024 },
	{ "fork_touch_all_eager_16384", TOUCH_ALL, "eager", 16384 },
	{ "fork_touch_all_eager_65536", TOUCH_ALL, "eager", 65536 },
	{ "fork_touch_all_eager_262144", TOUCH_ALL, "eager", 262144 },
	{ "fork_touch_all_shared_0", TOUCH_ALL, "shared", 0 },
	{ "fork_touch_all_shared_1024", TOUCH_ALL, "shared", 1024 },
	{ "fork_touch_all_shared_16384", TOUCH_ALL, "shared", 16384 },
	{ "fork_touch_all_shared_65536", TOUCH_ALL, "shared", 65536 },
	{ "fork_touch_all_shared_262144", TOUCH_ALL, "shared", 262144 },
	{ "fork_touch_all_async_0", TOUCH_ALL, "async", 0 },
	{ "fork_touch_all_async_1024", TOUCH_ALL, "async", 1024 },
	{ "fork_touch_all_async_16384", TOUCH_ALL, "async", 16384 },
	{ "fork_touch_all_async_65536", TOUCH_ALL, "async", 65536 },
	{ "fork_touch_all_async_262144", TOUCH_ALL, "async", 262144 },
	{ "fork_touch_all_vfork_0", TOUCH_ALL, "vfork", 0 },
	{ "fork_touch_all_vfork_1024", TOUCH_ALL, "vfork", 1024 },
	{ "fork_touch_all_vfork_16384", TOUCH_ALL, "vfork", 16384 },
	{ "fork_touch_all_vfork_65536", TOUCH_ALL, "vfork", 65536 },
	{ "fork_touch_all_vfork_262144", TOUCH_ALL, "vfork", 262144 },
};

static void fork_cases(const char *only)
{
	for (unsigned i = 0; i < sizeof(fork_case_list) / sizeof(fork_case_list[0]); i++)
		if (!only || strcmp(only, fork_case_list[i].name) == 0)
			fork_case(fork_case_list[i].kind, fork_case_list[i].variant, fork_case_list[i].kib);
	if (!only || strcmp(only, "fork_cow_fault_cow") == 0)
		cow_fault("cow");
	if (!only || strcmp(only, "fork_cow_fault_shared") == 0)
		cow_fault("shared");
}
