/*
 * User page-table descriptors: the format half of the kernel's checks.
 * desc_decode says whether a 64-bit value written by user space is a
 * well-formed descriptor for a level and what it refers to; exo/pt.c then
 * checks the frame it names.  Pure functions, host-tested and fuzzed
 * (tests/host/test_desc.c, tests/fuzz/fuzz_desc.c).
 */
#ifndef ARCH_ARM64_DESC_H
#define ARCH_ARM64_DESC_H

#include "arch/arm64/pte.h"
#include "exo/abi.h"
#include "exo/types.h"

enum desc_kind { DESC_INVALID, DESC_TABLE, DESC_PAGE };

struct desc_info {
	enum desc_kind kind;
	u32 rights;   /* EXO_R/W/X the descriptor grants (a table: what it lets through) */
	paddr_t out;  /* the frame or next-level table */
	u64 stored;   /* the value the kernel stores (a table gets the window bits) */
};

/*
 * The low attribute bits of every stored table descriptor.  The hardware
 * ignores bits 11:2 of a table descriptor, but through the recursive window
 * slot a table descriptor is read as a page descriptor: these make that
 * page normal memory, EL0 read-only, accessed and non-global.
 */
#define DESC_TABLE_WINDOW_BITS (PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_AP_RO | PTE_SH_INNER | \
                                (u64)MAIR_NORMAL << PTE_ATTR_INDEX_SHIFT)
#define DESC_TABLE_LOW_MASK 0xffcull /* bits 11:2 */

/* Bits EXO_PT_COPY may set: each only takes rights away (or is software's). */
#define DESC_SET_PAGE (PTE_AP_RO | PTE_UXN | EXO_PTE_SW_MASK)
#define DESC_SET_TABLE (EXO_PTE_APT_RO | EXO_PTE_APT_NOEL0 | EXO_PTE_UXNT | EXO_PTE_PXNT | \
                        EXO_PTE_SW_MASK)

/*
 * Decode desc as an entry of a level-`level` table: 0 and *info filled in,
 * or -E_INVAL if it is not a descriptor user space may write there.
 */
int desc_decode(unsigned level, u64 desc, struct desc_info *info);

/* stored with set_bits applied to its kind (set_bits must be within DESC_SET_*). */
u64 desc_take_rights(unsigned level, u64 stored, u64 set_bits);

#endif
