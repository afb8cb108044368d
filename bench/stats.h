/*
 * The figures every benchmark reports: median, min and p90 of its samples,
 * in instructions (samples are kept x16 for sub-count resolution).  Header
 * only, so that the freestanding and the musl benchmark programs share it.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>

/*
 * A profile window around a measured region (tools/profile.py with the
 * tools/prof/exoprof.c plugin counts instructions per function between
 * them); without the plugin each is one instruction QEMU runs as a no-op.
 * They sit outside the two counter reads, so the figures do not change.
 */
#define BENCH_PROFILE_ON() __asm__ volatile("hint #0x7e" ::: "memory")
#define BENCH_PROFILE_OFF() __asm__ volatile("hint #0x7f" ::: "memory")

struct bench_figures {
	uint64_t median, min, p90;
};

/* Sorts samples_x16 in place. */
static inline struct bench_figures bench_figures(uint64_t *samples_x16, uint32_t count)
{
	for (uint32_t i = 1; i < count; i++)
		for (uint32_t j = i; j > 0 && samples_x16[j - 1] > samples_x16[j]; j--) {
			uint64_t swap = samples_x16[j];
			samples_x16[j] = samples_x16[j - 1];
			samples_x16[j - 1] = swap;
		}
	return (struct bench_figures){ (samples_x16[count / 2] + 8) / 16, (samples_x16[0] + 8) / 16,
		                       (samples_x16[count * 9 / 10] + 8) / 16 };
}

#endif
