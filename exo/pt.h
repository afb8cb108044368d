/*
 * User page tables: typed page-table frames that user space fills through
 * validated calls.  Every entry is checked against the rules in
 * doc/exo-abi.md before anything changes; then the change, its reference
 * counts and its TLB maintenance are applied in a step that cannot fail.
 */
#ifndef EXO_PT_H
#define EXO_PT_H

#include "exo/env.h"
#include "exo/frame.h"

/* Rights (EXO_R/W/X) that mappings in user's tables may have on frame. */
u32 frame_rights(const struct env *user, const struct frame *frame);

/* May a table of owner's link target with these rights (it holds it, or an ancestor shared it)? */
bool link_allowed(const struct env *owner, const struct frame *target, u32 rights);

int frames_alloc(struct env *owner, u64 count, paddr_t *out);
int frames_free(struct env *caller, const u64 *addrs, u64 count_and_flags); /* count | EXO_FREE_WHEN_UNUSED */
int frame_share(struct env *caller, u64 addr, u64 rights);

int pt_alloc(struct env *owner, u64 level, paddr_t *out);
/*
 * A public last-level table (pt_public.c), at boot: frames[0..count) (owned
 * by nobody, shared R) mapped read-only from entry 0, owned by nobody,
 * linkable read-only by anyone.  -E_PERM if a frame is not such a frame.
 */
int pt_public_table(const u64 *frames, u32 count, paddr_t *out);
/* Is table one of those (a reserved last-level table owned by nobody, shared exactly R)? */
static inline bool pt_is_public(const struct frame *table)
{
	return table->type == FRAME_PAGETABLE && table->owner == FRAME_NO_OWNER && (table->flags & FRAME_RESERVED) &&
	       table->level == EXO_PT_LEVELS - 1 && table->share == EXO_R;
}
/* Tables forget_position has visited (pt.c): host tests bound a call's work with it. */
extern u64 pt_position_visits;
int pt_write(struct env *caller, u64 table, u64 index, u64 count, const u64 *descs);
int pt_copy(struct env *caller, u64 src, u64 src_index, u64 dst, u64 dst_index, u64 count,
            u64 set_bits, u64 flags);
/* Page-fault primitives (pt_fault.c): EXO_PT_COW, EXO_PT_MAP_NEW, EXO_FRAME_MAPS. */
i64 pt_cow(struct env *caller, u64 table, u64 index, u64 flags);
int pt_map_new(struct env *caller, u64 table, u64 index, u64 count, u64 attrs, u64 out);
i64 frame_maps(struct env *caller, u64 frame);
/* EXO_PT_COPY_TABLES (pt_tree.c): a subtree's last-level tables copied or linked, in calls of bounded work. */
i64 pt_copy_tables(struct env *caller, u64 src, u64 dst, u64 start, u64 end, u64 set_bits, u64 flags);
/* May caller install root as env's TTBR0 table? */
int pt_check_root(struct env *caller, u64 root);
/* Install (or with 0 remove) env's root; cannot fail once checked. */
void pt_set_root(struct env *env, u64 root);
/* Drop the references a table's entries hold (the table is unreachable). */
void pt_release_table(struct frame *table);
/* Clear the entries of a table of owner's (others may reach it) that refer to owner's descendants' frames. */
void pt_prune_table(struct frame *table, const struct env *owner);
/*
 * The first index at or after i of a table's entries that is not 0 (an
 * invalid entry is exactly 0), EXO_PT_ENTRIES if none.  The scans of a
 * table's valid entries (releases) are mostly over empty slots: skip the
 * groups of 32 its summary says were never used (exo/frame.h,
 * table_groups), and look four entries at a time within a group.
 */
static inline u32 pt_next_used_in(const struct frame *table, const u64 *entries, u32 i)
{
	if (i < EXO_PT_ENTRIES && entries[i])
		return i; /* a full table's next entry: no search */
	u32 groups = table_groups(table);
	while (i < EXO_PT_ENTRIES) {
		u32 rest = groups >> (i >> TABLE_GROUP_SHIFT);
		if (!rest)
			return EXO_PT_ENTRIES;
		if (!(rest & 1))
			i = ((i >> TABLE_GROUP_SHIFT) + (u32)__builtin_ctz(rest)) << TABLE_GROUP_SHIFT;
		u32 end = ((i >> TABLE_GROUP_SHIFT) + 1) << TABLE_GROUP_SHIFT; /* a multiple of 4 */
		for (; i < end && (i & 3); i++)
			if (entries[i])
				return i;
		for (; i < end; i += 4)
			if (entries[i] | entries[i + 1] | entries[i + 2] | entries[i + 3])
				break;
		for (; i < end; i++)
			if (entries[i])
				return i;
	}
	return EXO_PT_ENTRIES;
}

/* The frame record of a kernel-checked physical address, or NULL. */
struct frame *pt_frame(u64 addr);
u64 *pt_entries(const struct frame *table);
/* What slot 511 of a level-0 table always holds: itself, read-only, never executable. */
u64 pt_window_entry(const struct frame *root);
/* The frame entry index of table refers to (page or table), NULL if invalid or the window slot. */
struct frame *pt_entry_target(const struct frame *table, u32 index);

/* The isolation checker (pt_check.c): broken invariants found, each printed. */
struct exo_check;
u64 pt_check_all(struct exo_check *out);

#endif
