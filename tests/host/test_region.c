/*
 * libos's region map (libos/region.c) against a page-by-page model: seeded
 * random inserts, removals, protection and fork-advice changes over a small window, and
 * after each one the map must say what the model says for every page, stay
 * sorted, non-overlapping and merged, and answer range and gap questions as
 * a brute-force search does.  Plus the edges: splits, a full map.
 */
#include "libos/region.h"
#include "tests/host/check.h"
#include <string.h>

#define PAGE 4096ull
#define BASE 0x100000ull
#define PAGES 96
#define VA(page) (BASE + (u64)(page) * PAGE)

/* The model: per page, 0 for nothing, else 1 + prot + 8 * kind + 64 * policy + 128 * advice. */
static u32 model[PAGES];
static struct region_map map;

static u32 code_of(const struct region *r)
{
	return 1 + r->prot + 8u * r->kind + 64u * r->policy + 128u * r->advice;
}

static bool map_is_tidy(void)
{
	for (u32 i = 0; i < map.count; i++) {
		const struct region *r = &map.at[i];
		if (r->start >= r->end || (r->start | r->end) % PAGE)
			return false;
		if (i > 0) {
			const struct region *prev = &map.at[i - 1];
			if (prev->end > r->start)
				return false; /* unsorted or overlapping */
			if (prev->end == r->start && code_of(prev) == code_of(r))
				return false; /* alike neighbours left unmerged */
		}
	}
	return true;
}

static bool map_matches_model(void)
{
	for (u32 page = 0; page < PAGES; page++) {
		struct region *r = region_find(&map, VA(page) + 123);
		if ((r ? code_of(r) : 0) != model[page])
			return false;
	}
	return true;
}

static bool model_free(u32 first, u32 end)
{
	for (u32 page = first; page < end; page++)
		if (model[page])
			return false;
	return true;
}

static bool model_covered(u32 first, u32 end)
{
	for (u32 page = first; page < end; page++)
		if (!model[page])
			return false;
	return true;
}

/* Brute force: the lowest start >= from for size pages, guard pages free around (not before from). */
static u64 model_gap(u32 from, u32 size)
{
	for (u32 start = from; start + size <= PAGES; start++) {
		bool before = start == from || !model[start - 1];
		bool after = start + size == PAGES || !model[start + size];
		if (before && after && model_free(start, start + size))
			return VA(start);
	}
	return 0;
}

static void model_set(u32 first, u32 end, u32 code)
{
	for (u32 page = first; page < end; page++)
		model[page] = code;
}

static void reset(void)
{
	memset(model, 0, sizeof(model));
	memset(&map, 0, sizeof(map));
}

static void splits_and_merges(void)
{
	reset();
	EXPECT(region_insert(&map, (struct region){ VA(10), VA(20), 3, REGION_ANON, FORK_PRIVATE, ADVICE_NONE, 0 }) == 0);
	EXPECT(map.count == 1);
	EXPECT(region_protect(&map, VA(12), VA(14), 1) == 0); /* a hole in the middle: three regions */
	EXPECT(map.count == 3 && map.at[1].start == VA(12) && map.at[1].end == VA(14) && map.at[1].prot == 1);
	EXPECT(region_protect(&map, VA(12), VA(14), 3) == 0); /* back as it was: one region again */
	EXPECT(map.count == 1 && map.at[0].start == VA(10) && map.at[0].end == VA(20));
	EXPECT(region_remove(&map, VA(15), VA(16)) == 0);
	EXPECT(map.count == 2 && map.at[0].end == VA(15) && map.at[1].start == VA(16));
	EXPECT(region_range_covered(&map, VA(10), VA(15)) && !region_range_covered(&map, VA(10), VA(17)));
	EXPECT(region_range_free(&map, VA(15), VA(16)) && !region_range_free(&map, VA(14), VA(16)));
	/* Filling the hole with a region of another kind does not merge; the same kind does. */
	EXPECT(region_insert(&map, (struct region){ VA(15), VA(16), 3, REGION_HEAP, FORK_PRIVATE, ADVICE_NONE, 0 }) == 0);
	EXPECT(map.count == 3);
	EXPECT(region_remove(&map, VA(15), VA(16)) == 0);
	EXPECT(region_insert(&map, (struct region){ VA(15), VA(16), 3, REGION_ANON, FORK_PRIVATE, ADVICE_NONE, 0 }) == 0);
	EXPECT(map.count == 1);
	EXPECT(region_remove(&map, 0, ~0ull & ~(PAGE - 1)) == 0 && map.count == 0);
}

/* The rights a region may never get (a shared mapping of a read-only file) survive splits and keep it apart. */
static void denied_rights_kept(void)
{
	reset();
	EXPECT(region_insert(&map, (struct region){ VA(10), VA(20), 1, REGION_FILE, FORK_SHARED, ADVICE_NONE, 2 }) == 0);
	EXPECT(region_insert(&map, (struct region){ VA(20), VA(30), 1, REGION_FILE, FORK_SHARED, ADVICE_NONE, 0 }) == 0);
	EXPECT(map.count == 2); /* alike but for what they deny: not merged */
	EXPECT(region_protect(&map, VA(12), VA(14), 5) == 0);
	EXPECT(map.count == 4 && region_find(&map, VA(12))->denied == 2 && region_find(&map, VA(14))->denied == 2);
	EXPECT(region_protect(&map, VA(12), VA(14), 1) == 0 && map.count == 2 && map.at[0].denied == 2);
	EXPECT(region_remove(&map, 0, ~0ull & ~(PAGE - 1)) == 0 && map.count == 0);
}

static void full_map_refuses_and_keeps(void)
{
	reset();
	for (u32 i = 0; map.count < REGION_MAX - 2; i++) /* alternate prot so none merge */
		EXPECT(region_insert(&map, (struct region){ VA(2 * i), VA(2 * i + 1), 1 + i % 2, REGION_ANON,
		                                            FORK_PRIVATE, ADVICE_NONE, 0 }) == 0);
	/* One short of full: what needs two more is refused and changes nothing... */
	EXPECT(region_insert(&map, (struct region){ VA(600), VA(610), 3, REGION_ANON, FORK_PRIVATE, ADVICE_NONE, 0 }) == 0);
	struct region_map before = map;
	EXPECT(map.count == REGION_MAX - 1);
	EXPECT(region_remove(&map, VA(602), VA(603)) == -1);
	EXPECT(region_protect(&map, VA(602), VA(603), 7) == -1);
	EXPECT(region_replace(&map, (struct region){ VA(602), VA(603), 7, REGION_ANON, FORK_PRIVATE, ADVICE_NONE, 0 }) == -1);
	EXPECT(memcmp(&before, &map, sizeof(map)) == 0);
	/* ...what needs one more fits, and removing whole regions always works. */
	EXPECT(region_protect(&map, VA(600), VA(605), 1) == 0 && map.count == REGION_MAX);
	EXPECT(region_insert(&map, (struct region){ VA(1), VA(2), 7, REGION_ANON, FORK_PRIVATE, ADVICE_NONE, 0 }) == -1);
	EXPECT(region_remove(&map, VA(0), VA(1)) == 0 && map.count == REGION_MAX - 1);
	EXPECT(region_replace(&map, (struct region){ VA(600), VA(605), 2, REGION_ANON, FORK_PRIVATE, ADVICE_NONE, 0 }) == 0);
	EXPECT(map.count == REGION_MAX - 1 && map_is_tidy());
	EXPECT(region_find(&map, VA(604))->prot == 2 && region_find(&map, VA(605))->prot == 3);
}

static void random_against_model(void)
{
	u32 seed = 20261124;
	reset();
	for (u32 step = 0; step < 200000; step++) {
		u32 first = xorshift32(&seed) % PAGES, len = 1 + xorshift32(&seed) % 12;
		u32 end = first + len > PAGES ? PAGES : first + len;
		struct region r = { VA(first), VA(end), xorshift32(&seed) % 8, (u8)(xorshift32(&seed) % 3),
		                    (u8)(xorshift32(&seed) % 2), (u8)(xorshift32(&seed) % ADVICE_KINDS), 0 };
		switch (xorshift32(&seed) % 6) {
		case 0:
			if (!model_free(first, end))
				break;
			EXPECT(region_insert(&map, r) == 0);
			model_set(first, end, code_of(&r));
			break;
		case 1:
			EXPECT(region_remove(&map, VA(first), VA(end)) == 0);
			model_set(first, end, 0);
			break;
		case 2:
			if (!model_covered(first, end))
				break;
			EXPECT(region_protect(&map, VA(first), VA(end), r.prot) == 0);
			for (u32 page = first; page < end; page++)
				model[page] = (model[page] - 1) / 8 * 8 + 1 + r.prot;
			break;
		case 4:
			EXPECT(region_replace(&map, r) == 0);
			model_set(first, end, code_of(&r));
			break;
		case 5:
			if (!model_covered(first, end))
				break;
			EXPECT(region_advise(&map, VA(first), VA(end), r.advice) == 0);
			for (u32 page = first; page < end; page++)
				model[page] = (model[page] - 1) % 128 + 1 + 128u * r.advice;
			break;
		case 3:
			EXPECT(region_find_gap(&map, VA(first), VA(PAGES), (u64)len * PAGE, PAGE) ==
			       model_gap(first, len));
			break;
		}
		EXPECT(region_range_free(&map, VA(first), VA(end)) == model_free(first, end));
		EXPECT(region_range_covered(&map, VA(first), VA(end)) == model_covered(first, end));
		if (!map_is_tidy() || !map_matches_model()) {
			printf("    step %u: the map differs from the model\n", step);
			check_failed_now = 1;
			return;
		}
	}
}

int main(void)
{
	RUN("region", splits_and_merges);
	RUN("region", denied_rights_kept);
	RUN("region", full_map_refuses_and_keeps);
	RUN("region", random_against_model);
	return check_failures != 0;
}
