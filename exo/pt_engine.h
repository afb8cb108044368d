/*
 * Between the page-table calls (pt.c) and their fast engine for last-level
 * tables (pt_leaf.c).  Not for the rest of the kernel.
 */
#ifndef EXO_PT_ENGINE_H
#define EXO_PT_ENGINE_H

#include "exo/desc.h"
#include "exo/pt.h"

/*
 * The plan a batch's check fills, entry by entry, and its apply step
 * carries out (it cannot fail): what to store, and the frame it points at
 * (NULL for an invalid entry).  One call at a time.
 */
struct checked {
	u64 stored;
	struct frame *target;
};
extern struct checked checked[EXO_PT_ENTRIES];

/* A table the caller may change (argument arg), and its owner: -E_RANGE if not RAM, -E_INVAL if not a table. */
int pt_writable_table(struct env *caller, u64 addr, u64 arg, struct frame **out, struct env **owner);
/* Check one entry of a write into owner's level-`level` table fully (owner's rights, the caller's reach). */
int pt_check_write_entry(struct env *caller, const struct env *owner, u32 level, u64 desc,
                         struct checked *out, u64 index);
/* The same for an entry copied into dst_owner's table (EXO_PT_COPY): *share the bits a share must add. */
int pt_check_copy_entry(const struct env *caller, const struct env *dst_owner, u32 level, u64 desc, u64 flags,
                        const struct frame *from_shared, struct checked *out, u8 *share, u64 index);
/* Rights each copied entry's frame must be shared with first (EXO_COPY_SHARE), by batch entry. */
extern u8 share_needed[EXO_PT_ENTRIES];
/* Replace entry index of table by a checked one: references, the entry, TLB notes. */
void pt_set_entry(struct frame *table, u64 *entries, u32 index, const struct checked *entry);

/*
 * The fast engine for a last-level table: the same rules as the generic
 * path, decided once per frame owner per batch; entries it cannot decide
 * quickly go through pt_check_write_entry.
 */
int pt_leaf_write(struct env *caller, const struct env *owner, struct frame *table, u32 first, u32 count,
                  const u64 *descs);
/* A copy between last-level tables: the rights each entry's frame must be shared with first. */
struct leaf_copy_plan {
	u8 share[EXO_PT_ENTRIES];
	bool shares; /* any */
	u32 valid;   /* entries copied */
};
/*
 * EXO_PT_COPY between last-level tables: the plan for from[0..count)
 * (from_shared: the source is that ancestor's table shared R, NULL if the
 * caller acts on the source's owner)...
 */
int pt_leaf_copy_check(struct env *caller, const struct env *dst_owner, const u64 *from, u32 count,
                       u64 set_bits, u64 flags, const struct frame *from_shared, struct leaf_copy_plan *plan);
/*
 * ...and carried out into empty entries of dst, with EXO_COPY_BOTH (both)
 * the source's entries too; the caller then commits the TLB and collects husks.
 */
void pt_leaf_copy_apply(struct frame *src, u32 src_first, struct frame *dst, u32 dst_first, u32 count, bool both,
                        u64 set_bits, const struct leaf_copy_plan *plan);

#endif
