/*
 * The architecture contract for user page-table descriptors.  exo/ decides
 * who may map what; the architecture says what a 64-bit value written by
 * user space means.  The definitions come from the architecture chosen by
 * the include path ("arch/pte.h": arch/arm64/include for the kernel,
 * arch/fake/include for host tests), which must provide:
 *
 *   pte_valid(desc), pte_addr(desc), pte_is_table(level, desc),
 *   pt_level_size(level), DESC_SET_PAGE, DESC_SET_TABLE,
 *   desc_leaf_ok(desc), desc_leaf_rights(desc) and DESC_LEAF_BAD (inline:
 *   whether desc_decode accepts desc as a last-level page, and its rights
 *   exactly when it does), DESC_LEAF_RIGHTS_BITS (the bits of a valid
 *   last-level descriptor its rights depend on), desc_leaf_writable(desc) and
 *   desc_leaf_at(desc, frame) (the same page writable, or at another frame),
 *   desc_table_at(desc, table) (a stored table descriptor, to another table)
 *
 * and implement the functions below.
 */
#ifndef EXO_DESC_H
#define EXO_DESC_H

#include "arch/pte.h"
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
 * Decode desc as an entry of a level-`level` table: 0 and *info filled in,
 * or -E_INVAL if it is not a descriptor user space may write there.  An
 * invalid entry is exactly 0.
 */
int desc_decode(unsigned level, u64 desc, struct desc_info *info);

/* stored with set_bits applied to its kind (set_bits must be within DESC_SET_*). */
u64 desc_take_rights(unsigned level, u64 stored, u64 set_bits);

/* What slot EXO_PT_WINDOW_SLOT of the level-0 table root holds: root itself, read-only, never executable. */
u64 desc_window(paddr_t root);

#endif
