/*
 * libos's costs in guest instructions under QEMU -icount shift=0 (see
 * bench/bench.h for the method): a reflected getppid() through musl, and
 * the first touch of a demand-zero page.  An ordinary musl program.
 */
#include "bench/stats.h"
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

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

int main(void)
{
	for (int s = 0; s < SAMPLES; s++) {
		uint64_t start = counter();
		for (int i = 0; i < BATCH; i++)
			getppid();
		samples[s] = insns_x16(counter() - start) / BATCH;
	}
	report("getppid", samples);
	size_t pages = (size_t)SAMPLES * BATCH;
	volatile char *area = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 1;
	for (int s = 0; s < SAMPLES; s++) {
		uint64_t start = counter();
		for (int i = 0; i < BATCH; i++)
			area[((size_t)s * BATCH + i) * 4096] = 1;
		samples[s] = insns_x16(counter() - start) / BATCH;
	}
	report("first_touch_fault", samples);
	munmap((void *)area, pages * 4096);
	return 0;
}
