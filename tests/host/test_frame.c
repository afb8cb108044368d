/* The memory map and the frame pool, on fake RAM ranges. */
#include "exo/errno.h"
#include "exo/frame.h"
#include "tests/host/check.h"
#include <stdlib.h>

#define MiB (1ull << 20)

static void memmap_basics(void)
{
	struct memmap map = { 0 };
	EXPECT(memmap_add_ram(&map, 0x40000000, 16 * MiB) == 0);
	EXPECT(memmap_add_ram(&map, 0x80000000, 4 * MiB) == 0);
	EXPECT(memmap_ram_bytes(&map) == 20 * MiB);
	struct range span = memmap_ram_span(&map);
	EXPECT(span.start == 0x40000000 && span.end == 0x80000000 + 4 * MiB);
	EXPECT(memmap_is_ram(&map, 0x40000000, 0x40001000));
	EXPECT(!memmap_is_ram(&map, 0x40fff000, 0x41001000)); /* runs off the end */
	/* Adjacent ranges together are RAM; RAM rounds inward, reservations outward. */
	EXPECT(memmap_add_ram(&map, 0x41000000, 4 * MiB) == 0);
	EXPECT(memmap_is_ram(&map, 0x40fff000, 0x41001000));
	EXPECT(!memmap_is_ram(&map, 0x413ff000, 0x41401000));
	EXPECT(memmap_add_ram(&map, 0x50000800, 0x2000) == 0);
	EXPECT(map.ram[3].start == 0x50001000 && map.ram[3].end == 0x50002000);
	EXPECT(memmap_add_ram(&map, 0x60000800, 0x800) == 0 && map.nram == 4); /* no whole page */
	/* Reservations round outward to whole pages. */
	EXPECT(memmap_reserve(&map, 0x40000010, 0x10) == 0);
	EXPECT(map.reserved[0].start == 0x40000000 && map.reserved[0].end == 0x40001000);
}

static void memmap_refuses_bad_ranges(void)
{
	struct memmap map = { 0 };
	EXPECT(memmap_add_ram(&map, 0x1000, 0) == -E_RANGE);
	EXPECT(memmap_add_ram(&map, UINT64_MAX - 0x1000, 0x2000) == -E_RANGE);
	EXPECT(memmap_reserve(&map, UINT64_MAX - 10, 5) == -E_RANGE);
	for (int i = 0; i < MEMMAP_MAX; i++)
		EXPECT(memmap_add_ram(&map, (u64)i << 32, MiB) == 0);
	EXPECT(memmap_add_ram(&map, 0x1000, MiB) == -E_NOMEM);
}

static void memmap_find_free_skips_reservations(void)
{
	struct memmap map = { 0 };
	u64 where = 0;
	memmap_add_ram(&map, 0x40000000, 8 * MiB);
	memmap_reserve(&map, 0x40000000, 0x81000); /* below and across the kernel */
	memmap_reserve(&map, 0x40100000, MiB);
	EXPECT(memmap_find_free(&map, 0x1000, 0x1000, &where) == 0 && where == 0x40081000);
	EXPECT(memmap_find_free(&map, 2 * MiB, 0x1000, &where) == 0 && where == 0x40200000);
	EXPECT(memmap_find_free(&map, 2 * MiB, 2 * MiB, &where) == 0 && where == 0x40200000);
	EXPECT(memmap_find_free(&map, 7 * MiB, 0x1000, &where) == -E_NOMEM);
}

/* Two RAM ranges with a hole, and a reservation in the first. */
static struct frame_pool pool;
static struct frame *records;

static void make_pool(void)
{
	struct memmap map = { 0 };
	memmap_add_ram(&map, 0x40000000, 64 * 4096);
	memmap_add_ram(&map, 0x40000000 + 128 * 4096, 64 * 4096);
	memmap_reserve(&map, 0x40000000, 4 * 4096);
	free(records);
	records = malloc(frame_pool_bytes(&map));
	frame_pool_init(&pool, records, &map);
}

static void pool_counts(void)
{
	make_pool();
	EXPECT(pool.nframes == 192);
	EXPECT(frame_count(&pool, FRAME_ABSENT) == 64);
	EXPECT(frame_count(&pool, FRAME_KERNEL) == 4);
	EXPECT(frame_count(&pool, FRAME_FREE) == 124);
	EXPECT(frame_lookup(&pool, pa(0x40000000 + 70 * 4096))->type == FRAME_ABSENT);
}

static void pool_alloc_all_then_free(void)
{
	make_pool();
	paddr_t frames[124];
	for (int i = 0; i < 124; i++) {
		EXPECT(frame_alloc(&pool, FRAME_USER, 0, 7, &frames[i]) == 0);
		struct frame *record = frame_lookup(&pool, frames[i]);
		EXPECT(record && record->type == FRAME_USER && record->owner == 7 && record->maps == 0 && record->links == 0);
		EXPECT(memmap_is_ram(&(struct memmap){ .ram = { { 0x40004000, 0x40040000 },
		                                               { 0x40080000, 0x400c0000 } },
		                                       .nram = 2 },
		                     frames[i].val, frames[i].val + 4096));
	}
	paddr_t extra;
	EXPECT(frame_alloc(&pool, FRAME_USER, 0, 7, &extra) == -E_NOMEM);
	EXPECT(frame_count(&pool, FRAME_FREE) == 0 && frame_count(&pool, FRAME_USER) == 124);
	for (int i = 0; i < 124; i++)
		EXPECT(frame_free(&pool, frames[i]) == 0);
	EXPECT(frame_count(&pool, FRAME_FREE) == 124 && frame_count(&pool, FRAME_USER) == 0);
}

static void pool_refuses_bad_frees(void)
{
	make_pool();
	paddr_t frame;
	EXPECT(frame_alloc(&pool, FRAME_PAGETABLE, 2, 1, &frame) == 0);
	EXPECT(frame_lookup(&pool, frame)->level == 2);
	EXPECT(frame_free(&pool, frame) == 0);
	EXPECT(frame_free(&pool, frame) == -E_INVAL);                             /* double */
	EXPECT(frame_free(&pool, pa(0x40000000)) == -E_INVAL);                    /* reserved */
	EXPECT(frame_free(&pool, pa(0x40000000 + 70 * 4096)) == -E_INVAL);        /* hole */
	EXPECT(frame_free(&pool, pa(0x40000000 + 4096 * 4 + 8)) == -E_INVAL);     /* unaligned */
	EXPECT(frame_free(&pool, pa(0x3ffff000)) == -E_INVAL);                    /* below */
	EXPECT(frame_free(&pool, pa(0x40000000 + 192 * 4096)) == -E_INVAL);       /* above */
	EXPECT(frame_alloc(&pool, FRAME_FREE, 0, 1, &frame) == -E_INVAL);
	EXPECT(frame_alloc(&pool, FRAME_PAGETABLE, 4, 1, &frame) == -E_INVAL);
	EXPECT(frame_count(&pool, FRAME_FREE) == 124);
}

int main(void)
{
	RUN("frame", memmap_basics);
	RUN("frame", memmap_refuses_bad_ranges);
	RUN("frame", memmap_find_free_skips_reservations);
	RUN("frame", pool_counts);
	RUN("frame", pool_alloc_all_then_free);
	RUN("frame", pool_refuses_bad_frees);
	free(records);
	return check_failures != 0;
}
