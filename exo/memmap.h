/*
 * The physical memory map found at boot: RAM ranges (from the device tree)
 * and reserved ranges (kernel image, device tree, initrd, /memreserve/).
 * Pure bookkeeping, unit-tested on the host.
 */
#ifndef EXO_MEMMAP_H
#define EXO_MEMMAP_H

#include "exo/types.h"

#define MEMMAP_MAX 16

struct range {
	u64 start, end; /* [start, end) */
};

struct memmap {
	struct range ram[MEMMAP_MAX];
	struct range reserved[MEMMAP_MAX];
	u32 nram, nreserved;
};

/*
 * RAM rounds inward to pages, reservations outward; -E_RANGE on overflow,
 * -E_NOMEM when full.  Less than a page of RAM is ignored.
 */
int memmap_add_ram(struct memmap *map, u64 start, u64 size);
int memmap_reserve(struct memmap *map, u64 start, u64 size);

bool memmap_is_ram(const struct memmap *map, u64 start, u64 end);
bool memmap_is_reserved(const struct memmap *map, u64 start, u64 end);
u64 memmap_ram_bytes(const struct memmap *map);
/* Lowest and highest+1 RAM address. */
struct range memmap_ram_span(const struct memmap *map);

/* First aligned RAM range of size bytes overlapping nothing reserved. */
int memmap_find_free(const struct memmap *map, u64 size, u64 align, u64 *out);

#endif
