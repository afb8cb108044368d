/* The fake architecture's descriptor rules (arch/fake/include/arch/pte.h). */
#include "exo/desc.h"
#include "exo/errno.h"

#define TABLE_BITS (FAKE_VALID | FAKE_TABLE | 3ull << FAKE_LEVEL_SHIFT | FAKE_RO | FAKE_NOX | \
                    FAKE_NOACCESS | FAKE_ADDR_MASK)
#define PAGE_BITS (FAKE_VALID | 3ull << FAKE_LEVEL_SHIFT | FAKE_RO | FAKE_NOX | FAKE_ADDR_MASK)

int desc_decode(unsigned level, u64 desc, struct desc_info *info)
{
	if (level > 3)
		return -E_INVAL;
	if (desc == 0) {
		*info = (struct desc_info){ .kind = DESC_INVALID };
		return 0;
	}
	bool table = level < 3;
	u64 allowed = table ? TABLE_BITS : PAGE_BITS;
	if (!(desc & FAKE_VALID) || (desc & ~allowed) || ((desc >> FAKE_LEVEL_SHIFT) & 3) != level ||
	    ((desc & FAKE_TABLE) != 0) != table)
		return -E_INVAL;
	u32 rights = EXO_R | (desc & FAKE_RO ? 0 : EXO_W) | (desc & FAKE_NOX ? 0 : EXO_X);
	if (desc & FAKE_NOACCESS)
		rights = 0;
	*info = (struct desc_info){ .kind = table ? DESC_TABLE : DESC_PAGE, .rights = rights,
		                    .out = pte_addr(desc), .stored = desc };
	return 0;
}

u64 desc_take_rights(unsigned level, u64 stored, u64 set_bits)
{
	if (!pte_valid(stored))
		return stored;
	return stored | (set_bits & (level == 3 ? DESC_SET_PAGE : DESC_SET_TABLE));
}

u64 desc_window(paddr_t root)
{
	return fake_table(0, root.val, EXO_R) | FAKE_WINDOW;
}
