/*
 * Address spaces built with the raw calls: one's own (walked through the
 * read-only window onto its tables) or a child's (its tables remembered
 * here, since they are not in our window).
 */
#include "libos/aspace.h"

#define ADDR(desc) ((desc) & EXO_PTE_ADDR_MASK)

int (*as_before_change)(u64 va);

void as_self_of(struct aspace *as, u64 env, u64 root)
{
	*as = (struct aspace){ .env = env, .root = root, .self = true };
}

int as_new(struct aspace *as, u64 env)
{
	i64 root = exo_pt_alloc(env, 0);
	if (root < 0)
		return (int)root;
	*as = (struct aspace){ .env = env, .root = (u64)root };
	return 0;
}

static u64 key_of(u32 level, u64 va) { return (u64)level << 56 | va >> (48 - 9 * level); }

/* The table at level+1 below entry va of a level-`level` table, 0 if none. */
static u64 next_table(struct aspace *as, u32 level, u64 va)
{
	if (as->self) {
		u64 desc = exo_window_table(level, va)[exo_pt_index(level, va)];
		return desc & EXO_PTE_VALID ? ADDR(desc) : 0;
	}
	u64 key = key_of(level + 1, va);
	for (u32 i = 0; i < as->ntables; i++)
		if (as->tables[i].key == key)
			return as->tables[i].table;
	return 0;
}

i64 as_table(struct aspace *as, u32 level, u64 va, bool create)
{
	if (as->self && level == 3 && as_before_change) {
		int err = as_before_change(va);
		if (err)
			return err;
	}
	u64 table = as->root;
	for (u32 at = 0; at < level; at++) {
		u64 next = next_table(as, at, va);
		if (!next) {
			if (!create || (!as->self && as->ntables == 32))
				return -EXO_ENOENT;
			i64 fresh = exo_pt_alloc(as->env, at + 1);
			if (fresh < 0)
				return fresh;
			u64 desc = (u64)fresh | EXO_PTE_TABLE;
			i64 err = exo_pt_write(table, exo_pt_index(at, va), 1, &desc);
			if (err < 0)
				return err;
			if (!as->self)
				as->tables[as->ntables++] = (struct as_table_entry){ key_of(at + 1, va), (u64)fresh };
			next = (u64)fresh;
		}
		table = next;
	}
	return (i64)table;
}

int as_map(struct aspace *as, u64 va, u64 frame, u64 attrs)
{
	i64 table = as_table(as, 3, va, true);
	if (table < 0)
		return (int)table;
	u64 desc = frame | attrs;
	return (int)exo_pt_write((u64)table, exo_pt_index(3, va), 1, &desc);
}

int as_map_new(struct aspace *as, u64 va, u64 attrs)
{
	i64 table = as_table(as, 3, va, true);
	if (table < 0)
		return (int)table;
	return (int)exo_pt_map_new((u64)table, exo_pt_index(3, va), 1, attrs, NULL);
}

int as_unmap(struct aspace *as, u64 va)
{
	i64 table = as_table(as, 3, va, false);
	if (table < 0)
		return (int)table;
	u64 zero = 0;
	return (int)exo_pt_write((u64)table, exo_pt_index(3, va), 1, &zero);
}

u64 as_lookup_level_self(u32 level, u64 va)
{
	for (u32 above = 0; above < level; above++)
		if (!(exo_window_table(above, va)[exo_pt_index(above, va)] & EXO_PTE_VALID))
			return 0;
	return exo_window_table(level, va)[exo_pt_index(level, va)];
}

u64 as_lookup_self(u64 va) { return as_lookup_level_self(3, va); }

/*
 * The last-level tables under our level-`level` table that holds `base`
 * (the start of that table's span), for [start, end): each table's entries
 * are looked at in place, an absent one skipped with one load, so a walk
 * costs the entries of the tables present, not a descent per empty slot.
 */
static int leaves_under(u32 level, u64 base, u64 start, u64 end, as_leaf_visit visit, void *arg)
{
	u32 shift = 39 - 9 * level; /* what one entry at this level covers */
	u64 lo = MAX(start, base), hi = MIN(end, base + ((u64)EXO_PT_ENTRIES << shift));
	if (lo >= hi)
		return 0;
	const u64 *entries = exo_window_table(level, lo);
	for (u32 i = exo_pt_index(level, lo), last = exo_pt_index(level, hi - 1); i <= last; i++) {
		if (!(entries[i] & EXO_PTE_VALID))
			continue;
		u64 va = base + ((u64)i << shift), from = MAX(va, start), to = MIN(va + (1ull << shift), end);
		int err = 0;
		if (level < 2) {
			err = leaves_under(level + 1, va, start, end, visit, arg);
		} else {
			if (as_before_change)
				err = as_before_change(from); /* the visit may change the table: it is ours first */
			u32 first = exo_pt_index(3, from);
			if (!err)
				err = visit(ADDR(entries[i]), first, first + (u32)((to - from) >> 12), exo_window_table(3, from), arg);
		}
		if (err)
			return err;
	}
	return 0;
}

int as_each_leaf_table_self(u64 start, u64 end, as_leaf_visit visit, void *arg)
{
	return leaves_under(0, 0, start, end, visit, arg);
}

u64 as_map_fresh(struct aspace *as, u64 va)
{
	u64 frame;
	if (exo_frame_alloc(as->env, 1, &frame) != 1)
		return 0;
	if (as_map(as, va, frame, PAGE_RW) < 0) {
		exo_frame_free(&frame, 1);
		return 0;
	}
	return frame;
}
