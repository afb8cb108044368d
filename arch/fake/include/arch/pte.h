/*
 * A fake architecture's descriptors, for host tests of the kernel's core
 * (exo/desc.h's contract).  The format is deliberately unlike arm64's, and
 * every descriptor names the level it was made for, so that a descriptor
 * used at the wrong level, or arm64 bits leaking into exo/, fails a host
 * test at once:
 *
 *   bit 0       valid
 *   bit 1       a table (levels 0-2) or a page (level 3): must match the level
 *   bits 3:2    the level of the table the entry sits in
 *   bit 4       read-only (a table: nothing below is writable)
 *   bit 5       not executable (a table: nothing below is)
 *   bit 6       a table only: nothing below is accessible
 *   bits 47:12  the frame or next-level table
 *   bit 8       the window mark: only in the entry the kernel writes itself
 *   all others  must be 0
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include "exo/types.h"

#define FAKE_VALID (1ull << 0)
#define FAKE_TABLE (1ull << 1)
#define FAKE_LEVEL_SHIFT 2
#define FAKE_RO (1ull << 4)
#define FAKE_NOX (1ull << 5)
#define FAKE_NOACCESS (1ull << 6)
#define FAKE_WINDOW (1ull << 8)
#define FAKE_ADDR_MASK 0x0000fffffffff000ull

#define DESC_SET_PAGE (FAKE_RO | FAKE_NOX)
#define DESC_SET_TABLE (FAKE_RO | FAKE_NOX | FAKE_NOACCESS)

static inline bool pte_valid(u64 pte) { return pte & FAKE_VALID; }
static inline paddr_t pte_addr(u64 pte) { return pa(pte & FAKE_ADDR_MASK); }
static inline bool pte_is_table(unsigned level, u64 pte)
{
	return level < 3 && (pte & (FAKE_VALID | FAKE_TABLE)) == (FAKE_VALID | FAKE_TABLE);
}
static inline u64 pt_level_size(unsigned level) { return 1ull << (39 - 9 * level); }

/* A last-level descriptor's rights, or DESC_LEAF_BAD if desc_decode(3, desc) would refuse it. */
#define DESC_LEAF_BAD 0x80u
static inline bool desc_leaf_ok(u64 desc)
{
	const u64 allowed = FAKE_VALID | 3ull << FAKE_LEVEL_SHIFT | FAKE_RO | FAKE_NOX | FAKE_ADDR_MASK;
	return !(desc & ~allowed) && (desc & (FAKE_VALID | 3ull << FAKE_LEVEL_SHIFT)) == (FAKE_VALID | 3ull << FAKE_LEVEL_SHIFT);
}

static inline u32 desc_leaf_rights(u64 desc)
{
	if (!desc_leaf_ok(desc))
		return DESC_LEAF_BAD;
	return 1u | (desc & FAKE_RO ? 0 : 2u) | (desc & FAKE_NOX ? 0 : 4u);
}

/* Descriptors as a test writes them: rights EXO_R/W/X (R always). */
static inline u64 fake_page(u64 frame, u32 rights)
{
	return (frame & FAKE_ADDR_MASK) | FAKE_VALID | (3ull << FAKE_LEVEL_SHIFT) |
	       (rights & 2 ? 0 : FAKE_RO) | (rights & 4 ? 0 : FAKE_NOX);
}
static inline u64 fake_table(unsigned level, u64 table, u32 rights)
{
	return (table & FAKE_ADDR_MASK) | FAKE_VALID | FAKE_TABLE | ((u64)level << FAKE_LEVEL_SHIFT) |
	       (rights & 2 ? 0 : FAKE_RO) | (rights & 4 ? 0 : FAKE_NOX);
}

/* A valid last-level descriptor made writable, and moved to another frame. */
#define DESC_LEAF_RIGHTS_BITS (FAKE_RO | FAKE_NOX)
static inline u64 desc_leaf_writable(u64 desc) { return desc & ~FAKE_RO; }
static inline u64 desc_leaf_at(u64 desc, paddr_t frame) { return (desc & ~FAKE_ADDR_MASK) | frame.val; }
static inline u64 desc_table_at(u64 desc, paddr_t table) { return (desc & ~FAKE_ADDR_MASK) | table.val; }
static inline u64 desc_leaf_read_only(paddr_t frame) { return fake_page(frame.val, 1 /* EXO_R */); }

#endif