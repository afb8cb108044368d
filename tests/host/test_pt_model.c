/*
 * Model-based test of the kernel's core on the fake machine: seeded
 * sequences of legal and illegal operations across a small family of
 * environments, checked after every step against an independent model of
 * who may reach what (tests/host/pt_model.c).
 *
 *   build/test/host_pt_model                  the fixed seeds
 *   build/test/host_pt_model SEED STEPS [-v]  one seed (-v: every operation)
 */
#include "arch/fake/fake.h"
#include "tests/host/check.h"
#include "tests/host/pt_model.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEPS 2000

static u32 draw_xorshift(struct pt_source *src, u32 bound)
{
	return xorshift32((u32 *)src->ctx) % bound;
}

static int run_seed(u32 seed, u32 steps)
{
	u32 state = seed;
	struct pt_source src = { draw_xorshift, false, &state };
	struct pt_model_stats stats;
	char label[32];
	snprintf(label, sizeof(label), "seed %u", seed);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int failed = pt_model_run(&src, steps, label, &stats);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("seed %u: %llu steps in %.0f ms: %llu accepted, %llu refused (pt_write %llu/%llu, pt_copy %llu/%llu); "
	       "%llu ends (%llu released in steps), %llu heirs, %llu husks (%llu dissolved), %llu first-env ends; "
	       "%llu reachable pages judged (%llu links to an ancestor's shared table, %llu pages by an ancestor's share); "
	       "%llu relations compared; up to %u live, %u tables\n",
	       seed, (unsigned long long)stats.steps, ms, (unsigned long long)stats.accepted,
	       (unsigned long long)stats.refused, (unsigned long long)stats.writes_accepted,
	       (unsigned long long)stats.writes_refused, (unsigned long long)stats.copies_accepted,
	       (unsigned long long)stats.copies_refused, (unsigned long long)stats.env_ends,
	       (unsigned long long)stats.pending_ends, (unsigned long long)stats.heirs,
	       (unsigned long long)stats.husks, (unsigned long long)stats.husks_dissolved,
	       (unsigned long long)stats.first_ends, (unsigned long long)stats.pages_checked,
	       (unsigned long long)stats.shared_links, (unsigned long long)stats.shared_pages, (unsigned long long)stats.relations_checked, stats.max_live,
	       stats.max_tables);
	return failed;
}

#define SEED_TEST(seed)                                        \
	static void seed_##seed(void) { EXPECT(run_seed(seed, STEPS) == 0); }
/*
 * Seeds 1 and 3: broad runs (thread heirs, husks, ends released in steps,
 * address spaces reaching an ancestor's shared tables and frames).  Seed
 * 16: a child whose end is released in steps finishes under a parent that
 * became a husk meanwhile.  Seed 281: a received husk whose dissolving is
 * released in steps.
 */
SEED_TEST(1)
SEED_TEST(3)
SEED_TEST(16)
SEED_TEST(281)

int main(int argc, char **argv)
{
	fake.quiet = true;
	if (argc >= 3) {
		pt_model_trace = argc >= 4 && strcmp(argv[3], "-v") == 0;
		return run_seed((u32)strtoul(argv[1], NULL, 0), (u32)strtoul(argv[2], NULL, 0));
	}
	RUN("pt_model", seed_1);
	RUN("pt_model", seed_3);
	RUN("pt_model", seed_16);
	RUN("pt_model", seed_281);
	return check_failures != 0;
}
