/*
 * Signal round trips, timed the same way on exo (bench/libos.c) and Linux
 * (apps/forkbench): kill to ourselves, the handler, rt_sigreturn; and a
 * fault delivered to a SIGSEGV handler that steps over the faulting
 * instruction and returns.  The includer supplies counter(), to_x16()
 * (counter ticks to instructions x16) and samples[] with room for `count`.
 */
#ifndef BENCH_SIGNAL_CASES_H
#define BENCH_SIGNAL_CASES_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define SIGNAL_BATCH 32

static volatile unsigned long signal_cases_handled;

static void signal_cases_count(int sig)
{
	(void)sig;
	signal_cases_handled++;
}

static void signal_cases_skip(int sig, siginfo_t *info, void *ucv)
{
	(void)sig, (void)info;
	((ucontext_t *)ucv)->uc_mcontext.pc += 4; /* over the faulting store */
	signal_cases_handled++;
}

/* kill(self, SIGUSR1) with a handler: per round trip; false if a handler did not run. */
static int signal_roundtrip_samples(uint64_t *samples, unsigned count)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signal_cases_count;
	sigaction(SIGUSR1, &sa, &old);
	pid_t self = getpid();
	signal_cases_handled = 0;
	for (unsigned s = 0; s < count; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < SIGNAL_BATCH; i++)
			kill(self, SIGUSR1);
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = to_x16(end - start) / SIGNAL_BATCH;
	}
	sigaction(SIGUSR1, &old, NULL);
	return signal_cases_handled == (unsigned long)count * SIGNAL_BATCH;
}

/* A store to a PROT_NONE page, its SIGSEGV handled: per round trip. */
static int sigsegv_handled_samples(uint64_t *samples, unsigned count)
{
	char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 0;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = signal_cases_skip;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	signal_cases_handled = 0;
	for (unsigned s = 0; s < count; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < SIGNAL_BATCH; i++)
			__asm__ volatile("str xzr, [%0]" : : "r"(page) : "memory");
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = to_x16(end - start) / SIGNAL_BATCH;
	}
	sigaction(SIGSEGV, &old, NULL);
	munmap(page, 4096);
	return signal_cases_handled == (unsigned long)count * SIGNAL_BATCH;
}

#endif
