/*
 * Benchmark helpers for programs run under QEMU -icount shift=0: there each
 * guest instruction takes 1 ns of virtual time, so the generic timer counts
 * instructions (at CNTFRQ, 62.5 MHz: one count per 16 instructions).  Each
 * sample times a batch of operations and divides, for sub-count resolution.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include "bench/stats.h"
#include "tests/user/rt/rt.h"

#define BENCH_SAMPLES 101

/* Instructions (x16 for rounding room) of `counts` timer counts under icount shift=0. */
static inline u64 bench_insns_x16(u64 counts) { return counts * 16000000000ull / rt_counter_freq(); }

/* Sort samples (x16 fixed point) and print the line `ninja bench` collects. */
void bench_report(const char *suite, const char *name, u64 *samples_x16, u32 count);

#endif
