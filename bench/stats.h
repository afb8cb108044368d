/*
 * The figures every benchmark reports: median, min and p90 of its samples,
 * in instructions (samples are kept x16 for sub-count resolution).  Header
 * only, so that the freestanding and the musl benchmark programs share it.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>

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
