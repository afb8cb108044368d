/*
 * EXO_PT_COPY_TABLES: a fork's copy of whole last-level tables in one call.
 * Entries index..index+count of a level-2 table `src` link last-level
 * tables; each gets a new last-level table of `dst`'s owner holding a copy
 * of its entries (with set_bits, and with EXO_COPY_BOTH the source's
 * entries too: EXO_PT_COPY's rules, entry by entry), linked at the same
 * index of the level-2 table `dst` as the source links it.  At most
 * EXO_COPY_TABLES_MAX tables a call, so the work of one call is bounded
 * (4,096 entries); a library covers a range with several calls.
 * Everything is checked for every table before anything changes.
 */
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt_engine.h"
#include "exo/release.h"
#include "exo/tlb.h"
#include "exo/why.h"

static struct leaf_copy_plan plans[EXO_COPY_TABLES_MAX];

static struct frame *link_target(u64 entry)
{
	return &kernel_frames.frames[(pte_addr(entry).val - kernel_frames.base) >> PAGE_SHIFT];
}

/* The arguments, before any table's entries: the number of tables to make, or an error. */
static int check_tables(struct env *caller, u64 src_addr, u64 dst_addr, u64 index, u64 count, u64 set_bits,
                        u64 flags, struct frame **src, struct frame **dst, struct env **dst_owner)
{
	struct env *src_owner;
	int err = pt_writable_table(caller, src_addr, 0, src, &src_owner);
	if (!err)
		err = pt_writable_table(caller, dst_addr, 1, dst, dst_owner);
	if (err)
		return err;
	if ((*src)->level != EXO_PT_LEVELS - 2)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, 0, WHY_NONE);
	if ((*dst)->level != EXO_PT_LEVELS - 2)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, 1, WHY_NONE);
	if (*src == *dst)
		return why(-E_INVAL, EXO_RULE_OVERLAP, 1, WHY_NONE);
	if (index >= EXO_PT_ENTRIES || count == 0 || count > EXO_COPY_TABLES_MAX || count > EXO_PT_ENTRIES - index)
		return why(-E_RANGE, EXO_RULE_RANGE, index >= EXO_PT_ENTRIES ? 2 : 3, WHY_NONE);
	if (set_bits & ~(u64)DESC_SET_PAGE)
		return why(-E_INVAL, EXO_RULE_FLAGS, 4, WHY_NONE);
	if (flags & ~(u64)(EXO_COPY_BOTH | EXO_COPY_SHARE))
		return why(-E_INVAL, EXO_RULE_FLAGS, 5, WHY_NONE);
	const u64 *to = pt_entries(*dst) + index, *from = pt_entries(*src) + index;
	u32 tables = 0;
	for (u64 i = 0; i < count; i++) {
		if (to[i])
			return why(-E_EXIST, EXO_RULE_NOT_EMPTY, 1, i);
		tables += from[i] != 0;
	}
	return (int)tables;
}

/* Each linked table's entries, as EXO_PT_COPY would check them into a table of dst_owner's. */
static int check_entries(struct env *caller, const struct env *dst_owner, const u64 *links, u64 count,
                         u64 set_bits, u64 flags)
{
	for (u64 i = 0; i < count; i++) {
		if (!links[i])
			continue;
		struct frame *table = link_target(links[i]);
		struct frame *checked_table;
		struct env *table_owner;
		/* Write-protecting its entries changes it: the caller must be allowed to. */
		if ((flags & EXO_COPY_BOTH) &&
		    pt_writable_table(caller, frame_addr(&kernel_frames, table).val, 0, &checked_table, &table_owner))
			return why(-E_PERM, EXO_RULE_OWNER, 0, i);
		int err = pt_leaf_copy_check(caller, dst_owner, pt_entries(table), EXO_PT_ENTRIES, set_bits, flags,
		                             &plans[i]);
		if (err)
			return err;
	}
	return 0;
}

i64 pt_copy_tables(struct env *caller, u64 src_addr, u64 dst_addr, u64 index, u64 count, u64 set_bits, u64 flags)
{
	struct frame *src, *dst;
	struct env *dst_owner;
	int tables = check_tables(caller, src_addr, dst_addr, index, count, set_bits, flags, &src, &dst, &dst_owner);
	if (tables < 0)
		return tables;
	const u64 *links = pt_entries(src) + index;
	int err = check_entries(caller, dst_owner, links, count, set_bits, flags);
	if (!err && env_spare(dst_owner) < (u64)tables)
		err = why(-E_QUOTA, EXO_RULE_QUOTA, 1, WHY_NONE);
	if (!err && frame_count(&kernel_frames, FRAME_FREE) < (u64)tables)
		err = why(-E_NOMEM, EXO_RULE_NO_MEMORY, WHY_NONE, WHY_NONE);
	if (err)
		return err;
	u64 *to = pt_entries(dst);
	for (u64 i = 0; i < count; i++) {
		if (!links[i])
			continue;
		struct frame *from = link_target(links[i]);
		paddr_t copy_addr;
		pt_alloc(dst_owner, EXO_PT_LEVELS - 1, &copy_addr); /* room checked above: cannot fail */
		struct frame *copy = frame_lookup(&kernel_frames, copy_addr);
		pt_leaf_copy_apply(from, 0, copy, 0, EXO_PT_ENTRIES, flags & EXO_COPY_BOTH, set_bits, &plans[i]);
		struct checked link = { desc_table_at(links[i], copy_addr), copy };
		pt_set_entry(dst, to, (u32)(index + i), &link);
	}
	tlb_commit();
	husk_collect();
	return tables;
}
