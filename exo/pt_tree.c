/*
 * EXO_PT_COPY_TABLES: a fork's copy of a subtree, levels 1 to 3, in calls
 * of bounded work.  `src` and `dst` are tables of one level (0, 1 or 2);
 * the range [start, end) counts last-level slots (2 MiB each) from the
 * tables' first entry.  Under src, every last-level table linked in the
 * range gets a copy owned by dst's owner (or, with EXO_COPY_LINK, is
 * linked itself), at the same place under dst, whose missing tables on
 * the way are made.  A call stops after EXO_COPY_TABLES_MAX copies or
 * EXO_COPY_VISIT_MAX entries looked at, and returns the slot where it
 * stopped: the library calls again from there.
 *
 * Each call walks its part of the range twice, in the same order: the
 * first walk checks everything and fills the plan (where to stop, the
 * leaf copies' plans, the links, the frames needed); the second carries
 * it out and cannot fail.  The walks decide alike because only the
 * source's entries steer them, and the apply step never empties one.
 */
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt_engine.h"
#include "exo/release.h"
#include "exo/tlb.h"
#include "exo/why.h"

#define TREE_FLAGS (EXO_COPY_BOTH | EXO_COPY_SHARE | EXO_COPY_LINK)

/* The plan one call fills: the leaf copies' checks, and the links' (EXO_COPY_LINK). */
static struct leaf_copy_plan plans[EXO_COPY_TABLES_MAX];
static struct checked links[EXO_COPY_VISIT_MAX];
static u8 link_shares[EXO_COPY_VISIT_MAX];

struct tree_walk {
	struct env *caller;
	struct env *dst_owner;
	u64 set_bits, flags;
	bool apply;
	u64 stop;      /* the first slot not done: found by the check, obeyed by the apply */
	u32 copies;    /* leaf tables copied so far */
	u32 links;     /* leaf tables linked so far */
	u32 visits;    /* entries looked at so far */
	u32 frames;    /* frames the apply takes (tables made) */
};

static struct frame *linked(u64 entry)
{
	return &kernel_frames.frames[(pte_addr(entry).val - kernel_frames.base) >> PAGE_SHIFT];
}

/* Last-level slots one entry of a level-`level` table spans. */
static u64 slots_per_entry(u32 level) { return 1ull << (9 * (EXO_PT_LEVELS - 2 - level)); }

/*
 * A source table the walk goes through: the caller must be allowed to
 * change it (its owner live, the caller acting on it), and the
 * destination's owner must not own it, so that the two trees can never
 * share a table and the walk's own stores never steer it.
 */
static int source_ok(const struct tree_walk *w, const struct frame *table, u64 slot)
{
	const struct env *owner = env_lookup(table->owner);
	if (!owner || env_ended(owner) || !env_can_act(w->caller, owner))
		return why(-E_PERM, EXO_RULE_OWNER, 0, slot);
	if (owner == w->dst_owner)
		return why(-E_INVAL, EXO_RULE_OVERLAP, 1, slot);
	return 0;
}

/*
 * A destination entry on the way down: empty (a table is made), or a
 * next-level table of dst's owner linked only there: a table linked twice
 * in the destination would be walked twice, and the check would find
 * empty what the apply's first visit fills.
 */
static int dest_ok(const struct tree_walk *w, u32 level, u64 entry, u64 slot)
{
	if (!entry)
		return 0;
	if (!pte_is_table(level, entry) || linked(entry)->owner != w->dst_owner->id || linked(entry)->links != 1)
		return why(-E_EXIST, EXO_RULE_NOT_EMPTY, 1, slot);
	return 0;
}

/* A new table of dst's owner linked at entry index of dst, with the source link's attributes. */
static struct frame *make_table(struct tree_walk *w, struct frame *dst, u32 index, u64 src_link)
{
	paddr_t addr;
	pt_alloc(w->dst_owner, dst->level + 1, &addr); /* room checked: cannot fail */
	struct frame *table = frame_lookup(&kernel_frames, addr);
	struct checked link = { desc_table_at(src_link, addr), table };
	pt_set_entry(dst, pt_entries(dst), index, &link);
	return table;
}

/* Leaf table `from`, linked by src_link at entry index of dst (a level-2 table, NULL: to be made): copy or link it. */
static int leaf(struct tree_walk *w, struct frame *src, struct frame *dst, u32 index, u64 slot)
{
	u64 src_link = pt_entries(src)[index];
	struct frame *from = linked(src_link);
	bool both = w->flags & EXO_COPY_BOTH;
	if (w->flags & EXO_COPY_LINK) {
		u32 n = w->links++;
		if (w->apply) {
			links[n].target->share |= link_shares[n];
			if (both)
				pt_set_entry(src, pt_entries(src), index, &links[n]);
			pt_set_entry(dst, pt_entries(dst), index, &links[n]);
			return 0;
		}
		u64 desc = desc_take_rights(EXO_PT_LEVELS - 2, src_link, w->set_bits);
		return pt_check_copy_entry(w->caller, w->dst_owner, EXO_PT_LEVELS - 2, desc, w->flags, NULL, &links[n],
		                           &link_shares[n], slot);
	}
	u32 n = w->copies++;
	if (w->apply) {
		paddr_t addr;
		pt_alloc(w->dst_owner, EXO_PT_LEVELS - 1, &addr); /* room checked: cannot fail */
		struct frame *copy = frame_lookup(&kernel_frames, addr);
		pt_leaf_copy_apply(from, 0, copy, 0, EXO_PT_ENTRIES, both, w->set_bits, &plans[n]);
		struct checked link = { desc_table_at(src_link, addr), copy };
		pt_set_entry(dst, pt_entries(dst), index, &link);
		return 0;
	}
	w->frames++;
	int err = source_ok(w, from, slot);
	if (!err)
		err = pt_leaf_copy_check(w->caller, w->dst_owner, pt_entries(from), EXO_PT_ENTRIES, w->set_bits,
		                         w->flags, NULL, &plans[n]);
	return err;
}

/*
 * Does the walk stop before slot: the check stops where the budget runs
 * out (`full`) and says so in stop; the apply stops there too.
 */
static bool stops_at(struct tree_walk *w, bool full, u64 slot)
{
	if (w->apply)
		return slot >= w->stop;
	if (full)
		w->stop = slot;
	return full;
}

/*
 * Slots [lo, hi) under src and dst (dst NULL: a table still to be made,
 * all empty), whose entry 0 is slot `base`.  1: stopped (budget, or the
 * check's stop), 0: all done, or an error.
 */
static int walk(struct tree_walk *w, struct frame *src, struct frame *dst, u64 base, u64 lo, u64 hi)
{
	u32 level = src->level;
	u64 span = slots_per_entry(level);
	const u64 *from = pt_entries(src);
	for (u32 i = (u32)((lo - base) / span); base + (u64)i * span < hi; i++) {
		u64 slot = base + (u64)i * span;
		if (slot < lo)
			slot = lo;
		if (stops_at(w, w->visits >= EXO_COPY_VISIT_MAX, slot))
			return 1;
		w->visits++;
		if (!from[i]) {
			/*
			 * A run of empty entries is one visit: groups of 32 the table's
			 * summary says were never used are skipped whole, the others
			 * looked at four entries at a time (exo/pt.h).
			 */
			u32 next = pt_next_used_in(src, from, i);
			w->visits += (next - i - 1) / 32; /* and a visit per 32 entries looked at past the first */
			i = next - 1;
			continue;
		}
		u64 to = dst ? pt_entries(dst)[i] : 0;
		if (level == EXO_PT_LEVELS - 2) {
			if (!(w->flags & EXO_COPY_LINK) && pte_is_table(level, from[i]) && linked(from[i])->used == 0)
				continue; /* an empty last-level table: there is nothing to copy, and no table is made */
			if (!(w->flags & EXO_COPY_LINK) && stops_at(w, w->copies >= EXO_COPY_TABLES_MAX, slot))
				return 1;
			int err = w->apply ? 0 : to ? why(-E_EXIST, EXO_RULE_NOT_EMPTY, 1, slot) : 0;
			if (!err)
				err = leaf(w, src, dst, i, slot);
			if (err)
				return err;
			continue;
		}
		struct frame *next_src = linked(from[i]), *next_dst = to ? linked(to) : NULL;
		if (!w->apply) {
			int err = source_ok(w, next_src, slot);
			if (!err)
				err = dest_ok(w, level, to, slot);
			if (err)
				return err;
		}
		if (next_src->used == 0)
			continue; /* an empty table: nothing under it, and no table is made (the walks never change used) */
		if (w->apply && !to)
			next_dst = make_table(w, dst, i, from[i]);
		u64 entry_end = base + (u64)(i + 1) * span;
		int done = walk(w, next_src, next_dst, base + (u64)i * span, slot, hi < entry_end ? hi : entry_end);
		/* A table to make counts only if the apply gets to it: not if the walk stopped at its first slot. */
		if (!w->apply && !to && slot < w->stop)
			w->frames++;
		if (done)
			return done;
	}
	return 0;
}

/* The arguments: the tables (the same level, 0 to 2), the range, the bits and flags. */
static int check_args(struct env *caller, u64 src_addr, u64 dst_addr, u64 start, u64 end, u64 set_bits, u64 flags,
                      struct frame **src, struct frame **dst, struct env **dst_owner)
{
	struct env *src_owner;
	int err = pt_writable_table(caller, src_addr, 0, src, &src_owner);
	if (!err)
		err = pt_writable_table(caller, dst_addr, 1, dst, dst_owner);
	if (err)
		return err;
	if ((*src)->level > EXO_PT_LEVELS - 2)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, 0, WHY_NONE);
	if ((*dst)->level != (*src)->level)
		return why(-E_INVAL, EXO_RULE_LEVELS, 1, WHY_NONE);
	if (src_owner == *dst_owner)
		return why(-E_INVAL, EXO_RULE_OVERLAP, 1, WHY_NONE);
	u64 span = slots_per_entry((*src)->level);
	u64 slots = ((*src)->level == 0 ? EXO_PT_WINDOW_SLOT : EXO_PT_ENTRIES) * span;
	if (start >= slots)
		return why(-E_RANGE, EXO_RULE_RANGE, 2, WHY_NONE);
	if (end <= start || end > slots)
		return why(-E_RANGE, EXO_RULE_RANGE, 3, WHY_NONE);
	bool link = flags & EXO_COPY_LINK;
	if (set_bits & ~(u64)(link ? DESC_SET_TABLE : DESC_SET_PAGE))
		return why(-E_INVAL, EXO_RULE_FLAGS, 4, WHY_NONE);
	if (flags & ~(u64)TREE_FLAGS)
		return why(-E_INVAL, EXO_RULE_FLAGS, 5, WHY_NONE);
	return 0;
}

i64 pt_copy_tables(struct env *caller, u64 src_addr, u64 dst_addr, u64 start, u64 end, u64 set_bits, u64 flags)
{
	struct frame *src, *dst;
	struct tree_walk w = { .caller = caller, .set_bits = set_bits, .flags = flags, .stop = end };
	int err = check_args(caller, src_addr, dst_addr, start, end, set_bits, flags, &src, &dst, &w.dst_owner);
	if (!err)
		err = walk(&w, src, dst, 0, start, end);
	if (err < 0)
		return err;
	if (!env_has_room(w.dst_owner, w.frames))
		return why(-E_QUOTA, EXO_RULE_QUOTA, 1, WHY_NONE);
	if (frame_count(&kernel_frames, FRAME_FREE) < w.frames)
		return why(-E_NOMEM, EXO_RULE_NO_MEMORY, WHY_NONE, WHY_NONE);
	env_make_room(w.dst_owner, w.frames);
	w.apply = true;
	w.copies = w.links = w.visits = 0;
	walk(&w, src, dst, 0, start, w.stop);
	tlb_commit();
	husk_collect();
	return (i64)w.stop;
}
