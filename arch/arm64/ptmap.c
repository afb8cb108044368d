/* Kernel table construction; see ptmap.h for why it is written this way. */
#include "arch/arm64/ptmap.h"
#include "exo/errno.h"

static u64 *table_at(const struct ptmap *map, paddr_t table)
{
	return (u64 *)(uintptr_t)(table.val + map->table_va_offset);
}

/* The next-level table under *entry, taking a pool page if there is none. */
static int next_table(struct ptmap *map, u64 *entry, unsigned level, paddr_t *next)
{
	if (pte_is_table(level, *entry)) {
		*next = pte_addr(*entry);
		return 0;
	}
	if (pte_valid(*entry))
		return -E_EXIST; /* a block is already there */
	if (*map->pool_used >= map->pool_pages)
		return -E_NOMEM;
	*next = pa(map->pool.val + (u64)(*map->pool_used)++ * PAGE_SIZE);
	/* Pool pages are zero (bss, or zeroed by the owner); publish the table. */
	*entry = pte_make_table(*next);
	return 0;
}

/* Map one block or page at va; returns how many bytes it covered. */
static int map_one(struct ptmap *map, u64 va, paddr_t out, u64 left, u64 attrs, u64 *mapped)
{
	paddr_t table = map->root;
	for (unsigned level = 0;; level++) {
		u64 *entry = &table_at(map, table)[pt_index(level, va)];
		u64 size = pt_level_size(level);
		bool can_block = level == 2 && va % size == 0 && out.val % size == 0 && left >= size;
		if (level == PT_LEVELS - 1 || (can_block && !pte_valid(*entry))) {
			if (pte_valid(*entry))
				return -E_EXIST;
			*entry = pte_make_leaf(level, out, attrs);
			*mapped = size;
			return 0;
		}
		int err = next_table(map, entry, level, &table);
		if (err)
			return err;
	}
}

int ptmap_map(struct ptmap *map, u64 va, paddr_t pa_start, u64 size, enum kmap_prot prot)
{
	if ((va | pa_start.val | size) % PAGE_SIZE || pa_start.val + size < pa_start.val ||
	    pa_start.val + size > (1ull << VA_BITS))
		return -E_INVAL;
	u64 attrs = pte_kernel_attrs(prot);
	for (u64 done = 0; done < size;) {
		u64 step;
		int err = map_one(map, va + done, pa(pa_start.val + done), size - done, attrs, &step);
		if (err)
			return err;
		done += step;
	}
	return 0;
}

bool ptmap_lookup(const struct ptmap *map, u64 va, u64 *pte, unsigned *level_out)
{
	paddr_t table = map->root;
	for (unsigned level = 0; level < PT_LEVELS; level++) {
		u64 entry = table_at(map, table)[pt_index(level, va)];
		if (pte_is_leaf(level, entry)) {
			*pte = entry;
			*level_out = level;
			return true;
		}
		if (!pte_is_table(level, entry))
			return false;
		table = pte_addr(entry);
	}
	return false;
}
