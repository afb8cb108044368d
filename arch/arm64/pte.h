/*
 * Stage-1 translation table descriptors, 4 KiB granule, 48-bit VA, four
 * levels (0..3).  Only this file knows the bit positions.
 */
#ifndef ARCH_ARM64_PTE_H
#define ARCH_ARM64_PTE_H

#include "arch/arm64/mair.h"
#include "exo/types.h"

#define PT_LEVELS 4
#define PT_ENTRIES 512
#define VA_BITS 48

#define PTE_VALID (1ull << 0)
#define PTE_TYPE_TABLE (1ull << 1) /* levels 0-2: table; level 3: page */
#define PTE_ATTR_INDEX_SHIFT 2
#define PTE_AP_EL0 (1ull << 6) /* AP[1]: EL0 may access */
#define PTE_AP_RO (1ull << 7)  /* AP[2]: read-only */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_NG (1ull << 11)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define PTE_ADDR_MASK 0x0000fffffffff000ull


_Static_assert(((MAIR_VALUE >> (8 * MAIR_NORMAL)) & 0xff) == 0xff, "normal = write-back");
_Static_assert(((MAIR_VALUE >> (8 * MAIR_DEVICE_nGnRE)) & 0xff) == 0x04, "device nGnRE");
_Static_assert(PTE_ADDR_MASK == (((1ull << VA_BITS) - 1) & ~(PAGE_SIZE - 1)), "output bits");

/* How the kernel maps a range of its half. */
enum kmap_prot {
	KMAP_TEXT,   /* read-only, executable at EL1 */
	KMAP_RODATA, /* read-only */
	KMAP_DATA,   /* read-write */
	KMAP_DEVICE, /* read-write, device nGnRE */
};

/* Bytes mapped by one entry of a level: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
static inline u64 pt_level_size(unsigned level) { return 1ull << (39 - 9 * level); }

static inline unsigned pt_index(unsigned level, u64 va)
{
	return (unsigned)((va >> (39 - 9 * level)) & (PT_ENTRIES - 1));
}

/*
 * Kernel attributes: never accessible from EL0 (AP[1] clear), never
 * executable at EL0 (UXN), executable at EL1 only for text, global (kernel
 * entries are shared by every ASID).
 */
static inline u64 pte_kernel_attrs(enum kmap_prot prot)
{
	u64 attrs = PTE_AF | PTE_UXN | PTE_PXN;
	if (prot == KMAP_DEVICE)
		return attrs | (u64)MAIR_DEVICE_nGnRE << PTE_ATTR_INDEX_SHIFT;
	attrs |= PTE_SH_INNER | (u64)MAIR_NORMAL << PTE_ATTR_INDEX_SHIFT;
	if (prot == KMAP_TEXT)
		attrs = (attrs & ~PTE_PXN) | PTE_AP_RO;
	if (prot == KMAP_RODATA)
		attrs |= PTE_AP_RO;
	return attrs;
}

static inline u64 pte_make_table(paddr_t next) { return (next.val & PTE_ADDR_MASK) | PTE_TYPE_TABLE | PTE_VALID; }

/* A block (levels 1 and 2) or page (level 3) descriptor. */
static inline u64 pte_make_leaf(unsigned level, paddr_t out, u64 attrs)
{
	u64 type = level == PT_LEVELS - 1 ? PTE_TYPE_TABLE : 0;
	return (out.val & PTE_ADDR_MASK) | attrs | type | PTE_VALID;
}

static inline bool pte_valid(u64 pte) { return pte & PTE_VALID; }

/* A table descriptor exists only at levels 0-2 (bit 1 means "page" at 3). */
static inline bool pte_is_table(unsigned level, u64 pte)
{
	return level < PT_LEVELS - 1 && (pte & (PTE_VALID | PTE_TYPE_TABLE)) == (PTE_VALID | PTE_TYPE_TABLE);
}

/* Level 0 has no blocks and level 3 only pages; bit 1 clear at 3 is reserved. */
static inline bool pte_is_leaf(unsigned level, u64 pte)
{
	if (!pte_valid(pte) || level == 0)
		return false;
	return level == PT_LEVELS - 1 ? (pte & PTE_TYPE_TABLE) != 0 : (pte & PTE_TYPE_TABLE) == 0;
}

static inline paddr_t pte_addr(u64 pte) { return pa(pte & PTE_ADDR_MASK); }

static inline unsigned pte_attr_index(u64 pte) { return (unsigned)(pte >> PTE_ATTR_INDEX_SHIFT) & 7; }

#endif
