/* The format rules for user descriptors (arch/arm64/desc.h). */
#include "arch/arm64/desc.h"
#include "exo/errno.h"

#define BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* Table descriptor: bits 52-54 and 63 (NSTable) and OA bits 51:48 must be 0. */
#define TABLE_MUST_BE_ZERO (BITS(54, 48) | (1ull << 63))
/* Page descriptor: NS, OA 51:48, Contiguous and bits 63:59 must be 0. */
#define PAGE_MUST_BE_ZERO ((1ull << 5) | BITS(52, 48) | BITS(63, 59))
/* ...and these must be exactly so: normal memory, EL0, inner shareable, nG, PXN. */
#define PAGE_FIXED_MASK (BITS(4, 2) | PTE_AP_EL0 | BITS(9, 8) | PTE_NG | PTE_PXN)
#define PAGE_FIXED ((u64)MAIR_NORMAL << PTE_ATTR_INDEX_SHIFT | PTE_AP_EL0 | PTE_SH_INNER | \
                    PTE_NG | PTE_PXN)

_Static_assert(EXO_PTE_USER == (PAGE_FIXED | PTE_AF), "abi.h page attributes");
_Static_assert(EXO_PTE_RO == PTE_AP_RO && EXO_PTE_UXN == PTE_UXN, "abi.h rights bits");
_Static_assert(EXO_PTE_ADDR_MASK == PTE_ADDR_MASK, "abi.h address mask");

static int decode_table(u64 desc, struct desc_info *info)
{
	u64 low = desc & DESC_TABLE_LOW_MASK;
	if ((desc & 3) != 3 || (desc & TABLE_MUST_BE_ZERO) ||
	    (low != 0 && low != DESC_TABLE_WINDOW_BITS))
		return -E_INVAL;
	u32 rights = EXO_R | EXO_W | EXO_X;
	if (desc & EXO_PTE_APT_RO)
		rights &= ~EXO_W;
	if (desc & EXO_PTE_UXNT)
		rights &= ~EXO_X;
	if (desc & EXO_PTE_APT_NOEL0)
		rights = 0;
	*info = (struct desc_info){
		.kind = DESC_TABLE,
		.rights = rights,
		.out = pte_addr(desc),
		/* PXNTable too: nothing under a user table ever runs at EL1. */
		.stored = (desc & ~DESC_TABLE_LOW_MASK) | DESC_TABLE_WINDOW_BITS | EXO_PTE_PXNT,
	};
	return 0;
}

static int decode_page(u64 desc, struct desc_info *info)
{
	if ((desc & 3) != 3 || (desc & PAGE_MUST_BE_ZERO) || (desc & PAGE_FIXED_MASK) != PAGE_FIXED)
		return -E_INVAL;
	u32 rights = EXO_R;
	if (!(desc & PTE_AP_RO))
		rights |= EXO_W;
	if (!(desc & PTE_UXN))
		rights |= EXO_X;
	*info = (struct desc_info){ .kind = DESC_PAGE, .rights = rights, .out = pte_addr(desc),
		                    .stored = desc };
	return 0;
}

int desc_decode(unsigned level, u64 desc, struct desc_info *info)
{
	if (level >= PT_LEVELS)
		return -E_INVAL;
	if (desc == 0) {
		*info = (struct desc_info){ .kind = DESC_INVALID };
		return 0;
	}
	return level == PT_LEVELS - 1 ? decode_page(desc, info) : decode_table(desc, info);
}

u64 desc_window(paddr_t root)
{
	return pte_make_table(root) | DESC_TABLE_WINDOW_BITS | EXO_PTE_APT_RO | EXO_PTE_UXNT | EXO_PTE_PXNT;
}

u64 desc_take_rights(unsigned level, u64 stored, u64 set_bits)
{
	if (!pte_valid(stored))
		return stored;
	return stored | (set_bits & (level == PT_LEVELS - 1 ? DESC_SET_PAGE : DESC_SET_TABLE));
}
