/*
 * libos's map of its address space: sorted, non-overlapping regions, each
 * with a protection, a kind and a fork policy.  Pure bookkeeping (no
 * exokernel calls), so the host tests drive it directly
 * (tests/host/test_region.c); libos/mm.c makes the page tables follow it.
 */
#ifndef LIBOS_REGION_H
#define LIBOS_REGION_H

#include "exo/types.h"

#define REGION_MAX 256

/*
 * REGION_PAST_EOF: the pages of a MAP_PRIVATE file mapping that lay wholly
 * past the file's end when it was mapped (its bytes are copied then): any
 * touch is SIGBUS, as on Linux.
 */
enum region_kind { REGION_HEAP, REGION_ANON, REGION_STACK, REGION_IMAGE, REGION_FILE /* MAP_SHARED of a file */,
	           REGION_PAST_EOF };
/* What a fork does with a region: copy it (private) or share it (shared). */
enum fork_policy { FORK_PRIVATE, FORK_SHARED };
/*
 * madvise's fork advice: the child gets the region as usual, not at all, or
 * as fresh zeroed memory; or (exo's own) as usual, but copied the way the
 * advice says whatever the fork variant: at fork, copy-on-write per page,
 * or through shared last-level tables.
 */
enum fork_advice { ADVICE_NONE, ADVICE_DONTFORK, ADVICE_WIPEONFORK, ADVICE_COPY, ADVICE_COW, ADVICE_SHARE, ADVICE_KINDS };

struct region {
	u64 start, end; /* page-aligned, end exclusive, start < end */
	u32 prot;       /* PROT_READ | PROT_WRITE | PROT_EXEC */
	u8 kind;        /* enum region_kind */
	u8 policy;      /* enum fork_policy */
	u8 advice;      /* enum fork_advice */
	u8 denied;      /* rights mprotect may not give: PROT_WRITE for a shared mapping of a file opened read-only */
};

struct region_map {
	struct region at[REGION_MAX]; /* sorted by start */
	u32 count;
};

/* The region holding addr, or NULL. */
struct region *region_find(struct region_map *map, u64 addr);
/* Is [start, end) free of regions / wholly covered by regions (no gap)? */
bool region_range_free(const struct region_map *map, u64 start, u64 end);
bool region_range_covered(const struct region_map *map, u64 start, u64 end);
/*
 * The lowest start >= from for size bytes in [from, limit) with a free page
 * (a guard) on each side, apart from at from itself; 0 if there is none.
 */
u64 region_find_gap(const struct region_map *map, u64 from, u64 limit, u64 size, u64 guard);
/*
 * The changes: 0, or -1 when the map has no room (it holds REGION_MAX
 * regions, and a change needs one more for each region it splits, one more
 * for a region it adds).  A failed change leaves the map as it was.  Neighbours that end up alike (adjacent,
 * same protection, kind, policy, advice and denied rights) are merged, so the map stays small.
 */
int region_insert(struct region_map *map, struct region region); /* [start, end) must be free */
int region_remove(struct region_map *map, u64 start, u64 end);   /* whatever lies there */
int region_protect(struct region_map *map, u64 start, u64 end, u32 prot); /* must be covered */
int region_advise(struct region_map *map, u64 start, u64 end, u8 advice); /* must be covered */
int region_replace(struct region_map *map, struct region region); /* whatever lies there goes */

#endif
