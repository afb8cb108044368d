/* Physical memory map bookkeeping. */
#include "exo/memmap.h"
#include "exo/errno.h"

/*
 * [start, start+size) in whole pages, if it fits in 64 bits: RAM rounds
 * inward (a partial page is not usable), reservations outward (a partial
 * page is in use).
 */
static int page_range(u64 start, u64 size, bool inward, struct range *out)
{
	if (size == 0 || start + size < start || start + size > UINT64_MAX - PAGE_SIZE)
		return -E_RANGE;
	out->start = inward ? ALIGN_UP(start, PAGE_SIZE) : ALIGN_DOWN(start, PAGE_SIZE);
	out->end = inward ? ALIGN_DOWN(start + size, PAGE_SIZE) : ALIGN_UP(start + size, PAGE_SIZE);
	return 0;
}

static int add(struct range *ranges, u32 *count, u64 start, u64 size, bool inward)
{
	struct range range;
	int err = page_range(start, size, inward, &range);
	if (err)
		return err;
	if (range.start >= range.end)
		return 0; /* less than a page of RAM: nothing usable */
	if (*count == MEMMAP_MAX)
		return -E_NOMEM;
	ranges[(*count)++] = range;
	return 0;
}

int memmap_add_ram(struct memmap *map, u64 start, u64 size)
{
	return add(map->ram, &map->nram, start, size, true);
}

int memmap_reserve(struct memmap *map, u64 start, u64 size)
{
	return add(map->reserved, &map->nreserved, start, size, false);
}

static bool overlaps(struct range range, u64 start, u64 end)
{
	return start < range.end && range.start < end;
}

bool memmap_is_reserved(const struct memmap *map, u64 start, u64 end)
{
	for (u32 i = 0; i < map->nreserved; i++)
		if (overlaps(map->reserved[i], start, end))
			return true;
	return false;
}

/* Covered by RAM, possibly by several adjacent ranges. */
bool memmap_is_ram(const struct memmap *map, u64 start, u64 end)
{
	u64 covered = start;
	for (bool grew = true; covered < end && grew;) {
		grew = false;
		for (u32 i = 0; i < map->nram; i++)
			if (map->ram[i].start <= covered && covered < map->ram[i].end) {
				covered = map->ram[i].end;
				grew = true;
			}
	}
	return covered >= end;
}

u64 memmap_ram_bytes(const struct memmap *map)
{
	u64 total = 0;
	for (u32 i = 0; i < map->nram; i++)
		total += map->ram[i].end - map->ram[i].start;
	return total;
}

struct range memmap_ram_span(const struct memmap *map)
{
	struct range span = { UINT64_MAX, 0 };
	for (u32 i = 0; i < map->nram; i++) {
		span.start = MIN(span.start, map->ram[i].start);
		span.end = MAX(span.end, map->ram[i].end);
	}
	return map->nram ? span : (struct range){ 0, 0 };
}

/*
 * Candidate starts are each RAM range's start and the end of every reserved
 * range: the first fit is always at one of those.
 */
int memmap_find_free(const struct memmap *map, u64 size, u64 align, u64 *out)
{
	u64 best = UINT64_MAX;
	for (u32 r = 0; r < map->nram; r++) {
		for (u32 c = 0; c <= map->nreserved; c++) {
			u64 start = c == map->nreserved ? map->ram[r].start : map->reserved[c].end;
			start = ALIGN_UP(start, align);
			if (start < map->ram[r].start || start + size < start)
				continue;
			if (start + size <= map->ram[r].end &&
			    !memmap_is_reserved(map, start, start + size) && start < best)
				best = start;
		}
	}
	if (best == UINT64_MAX)
		return -E_NOMEM;
	*out = best;
	return 0;
}
