/* arm64's half of the descriptor contract (exo/desc.h). */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include "arch/arm64/pte.h"
#include "exo/abi.h"

/* Bits EXO_PT_COPY may set: each only takes rights away (or is software's). */
#define DESC_SET_PAGE (PTE_AP_RO | PTE_UXN | EXO_PTE_SW_MASK)
#define DESC_SET_TABLE (EXO_PTE_APT_RO | EXO_PTE_APT_NOEL0 | EXO_PTE_UXNT | EXO_PTE_PXNT | \
                        EXO_PTE_SW_MASK)

/*
 * A last-level descriptor as user space writes it, checked inline for the
 * page-table engine's fast path (exo/pt_leaf.c): its rights (EXO_R/W/X),
 * or DESC_LEAF_BAD if desc_decode would refuse it.  The same rules as
 * arch/arm64/desc.c's decode_page, in one mask and compare: valid page,
 * no NS, no OA[51:48], no Contiguous, no bits 63:59; normal memory, EL0,
 * inner shareable, nG and PXN exactly so.
 */
#define DESC_LEAF_BAD 0x80u
#define DESC_LEAF_MASK ((3ull) | (1ull << 5) | (0x1full << 48) | (0x1full << 59) | (7ull << 2) | PTE_AP_EL0 | \
                        (3ull << 8) | PTE_NG | PTE_PXN)
#define DESC_LEAF_VALUE (3ull | (u64)MAIR_NORMAL << PTE_ATTR_INDEX_SHIFT | PTE_AP_EL0 | PTE_SH_INNER | \
                         PTE_NG | PTE_PXN)

static inline bool desc_leaf_ok(u64 desc) { return (desc & DESC_LEAF_MASK) == DESC_LEAF_VALUE; }

static inline u32 desc_leaf_rights(u64 desc)
{
	if (!desc_leaf_ok(desc))
		return DESC_LEAF_BAD;
	return EXO_R | (desc & PTE_AP_RO ? 0 : EXO_W) | (desc & PTE_UXN ? 0 : EXO_X);
}

/* The bits of a valid last-level descriptor that decide its rights. */
#define DESC_LEAF_RIGHTS_BITS (PTE_AP_RO | PTE_UXN)

/* A valid last-level descriptor made writable, and moved to another frame. */
static inline u64 desc_leaf_writable(u64 desc) { return desc & ~PTE_AP_RO; }
static inline u64 desc_leaf_at(u64 desc, paddr_t frame) { return (desc & ~PTE_ADDR_MASK) | frame.val; }
/* A last-level descriptor mapping frame read-only and never executable (a public table's: exo/pt_public.c). */
static inline u64 desc_leaf_read_only(paddr_t frame) { return frame.val | EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_RO | EXO_PTE_UXN; }
/* A valid table descriptor (as stored) pointing at another table of the same level. */
static inline u64 desc_table_at(u64 desc, paddr_t table) { return (desc & ~PTE_ADDR_MASK) | table.val; }

#endif