/*
 * The region map (region.h).  A sorted array: lookups are binary searches,
 * changes move the tail, and the map stays small because alike neighbours
 * merge.  Every change first makes sure there is room for the splits it
 * needs, so it cannot fail halfway.
 */
#include "libos/region.h"

/* Index of the first region ending after addr (count if none). */
static u32 first_after(const struct region_map *map, u64 addr)
{
	u32 low = 0, high = map->count;
	while (low < high) {
		u32 mid = (low + high) / 2;
		if (map->at[mid].end <= addr)
			low = mid + 1;
		else
			high = mid;
	}
	return low;
}

struct region *region_find(struct region_map *map, u64 addr)
{
	u32 i = first_after(map, addr);
	return i < map->count && map->at[i].start <= addr ? &map->at[i] : NULL;
}

bool region_range_free(const struct region_map *map, u64 start, u64 end)
{
	u32 i = first_after(map, start);
	return i == map->count || map->at[i].start >= end;
}

bool region_range_covered(const struct region_map *map, u64 start, u64 end)
{
	u64 covered = start;
	for (u32 i = first_after(map, start); i < map->count && covered < end; i++) {
		if (map->at[i].start > covered)
			return false;
		covered = map->at[i].end;
	}
	return covered >= end;
}

u64 region_find_gap(const struct region_map *map, u64 from, u64 limit, u64 size, u64 guard)
{
	u64 candidate = from;
	for (u32 i = first_after(map, from); i < map->count; i++) {
		const struct region *next = &map->at[i];
		if (next->start >= limit || (candidate <= next->start && next->start - candidate >= size + guard))
			break;
		if (next->end + guard > candidate)
			candidate = next->end + guard;
	}
	return candidate < limit && limit - candidate >= size ? candidate : 0;
}

static void open_gap(struct region_map *map, u32 at)
{
	for (u32 i = map->count; i > at; i--)
		map->at[i] = map->at[i - 1];
	map->count++;
}

static void close_gap(struct region_map *map, u32 at, u32 n)
{
	for (u32 i = at; i + n < map->count; i++)
		map->at[i] = map->at[i + n];
	map->count -= n;
}

/* Make addr a boundary: the region across it becomes two.  The caller made room. */
static void split_at(struct region_map *map, u64 addr)
{
	u32 i = first_after(map, addr);
	if (i == map->count || map->at[i].start >= addr)
		return;
	open_gap(map, i);
	map->at[i].end = addr;
	map->at[i + 1].start = addr;
}

static bool alike(const struct region *left, const struct region *right)
{
	return left->end == right->start && left->prot == right->prot && left->kind == right->kind &&
	       left->policy == right->policy && left->advice == right->advice && left->denied == right->denied;
}

/* Merge alike neighbours among regions [from, to] (indices, clamped to the map). */
static void merge(struct region_map *map, u32 from, u32 to)
{
	if (from > 0)
		from--; /* the one before the changed run may now be alike */
	for (u32 i = from; i + 1 < map->count && i <= to;) {
		if (alike(&map->at[i], &map->at[i + 1])) {
			map->at[i].end = map->at[i + 1].end;
			close_gap(map, i + 1, 1);
			to = to ? to - 1 : 0;
		} else {
			i++;
		}
	}
}

/* Does addr fall strictly inside a region (so a change there splits it)? */
static bool inside(const struct region_map *map, u64 addr)
{
	u32 i = first_after(map, addr);
	return i < map->count && map->at[i].start < addr;
}

/* Room for the regions a change at [start, end) adds by splitting, and `more` besides? */
static bool room_for(const struct region_map *map, u64 start, u64 end, u32 more)
{
	return map->count + inside(map, start) + inside(map, end) + more <= REGION_MAX;
}

int region_insert(struct region_map *map, struct region region)
{
	if (map->count + 1 > REGION_MAX)
		return -1;
	u32 i = first_after(map, region.start);
	open_gap(map, i);
	map->at[i] = region;
	merge(map, i, i + 1);
	return 0;
}

int region_remove(struct region_map *map, u64 start, u64 end)
{
	if (!room_for(map, start, end, 0))
		return -1;
	split_at(map, start);
	split_at(map, end);
	u32 first = first_after(map, start), last = first;
	while (last < map->count && map->at[last].end <= end)
		last++;
	close_gap(map, first, last - first);
	return 0;
}

/* The removal's splits and then one more: enough for both steps, so neither can fail. */
int region_replace(struct region_map *map, struct region region)
{
	if (!room_for(map, region.start, region.end, 1))
		return -1;
	region_remove(map, region.start, region.end);
	return region_insert(map, region);
}

/* [start, end) split out of the regions around it: its first and last+1 index.  The caller made room. */
static void isolate(struct region_map *map, u64 start, u64 end, u32 *first, u32 *last)
{
	split_at(map, start);
	split_at(map, end);
	*first = first_after(map, start);
	for (*last = *first; *last < map->count && map->at[*last].end <= end; (*last)++)
		;
}

int region_protect(struct region_map *map, u64 start, u64 end, u32 prot)
{
	if (!room_for(map, start, end, 0))
		return -1;
	u32 first, last;
	isolate(map, start, end, &first, &last);
	for (u32 i = first; i < last; i++)
		map->at[i].prot = prot;
	merge(map, first, last);
	return 0;
}

int region_advise(struct region_map *map, u64 start, u64 end, u8 advice)
{
	if (!room_for(map, start, end, 0))
		return -1;
	u32 first, last;
	isolate(map, start, end, &first, &last);
	for (u32 i = first; i < last; i++)
		map->at[i].advice = advice;
	merge(map, first, last);
	return 0;
}
