/*
 * Building the kernel's own tables (TTBR1 and the boot identity map).
 * This code runs twice: with the MMU off at boot, when tables are reached by
 * physical address, and later from the high half.  So it uses no absolute
 * addresses (no pointers in initialised data), only PC-relative ones, and it
 * is compiled with -mstrict-align because with the MMU off all memory is
 * Device memory, where an unaligned access faults.
 */
#ifndef ARCH_ARM64_PTMAP_H
#define ARCH_ARM64_PTMAP_H

#include "arch/arm64/pte.h"

struct ptmap {
	paddr_t root;         /* level-0 table */
	u64 table_va_offset;  /* a table's address in C = its PA + this */
	paddr_t pool;         /* zeroed pages for new tables */
	u32 pool_pages;
	u32 *pool_used;       /* shared by every ptmap over the same pool */
};

/*
 * Map [va, va+size) to [pa, ...) with prot: 2 MiB blocks where both are
 * aligned, 4 KiB pages elsewhere.  Fails (-E_EXIST) rather than replace a
 * valid entry: the kernel only ever adds mappings, which needs no
 * break-before-make.  -E_NOMEM when the pool is used up.
 */
int ptmap_map(struct ptmap *map, u64 va, paddr_t pa, u64 size, enum kmap_prot prot);

/* The leaf entry mapping va, with its level; false if va is unmapped. */
bool ptmap_lookup(const struct ptmap *map, u64 va, u64 *pte, unsigned *level);

#endif
