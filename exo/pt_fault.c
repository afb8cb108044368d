/*
 * Page-fault primitives: what a library OS's fault handler needs, each in
 * one call.  A copy-on-write fault (EXO_PT_COW) gives a table's owner a
 * private, writable copy of the page an entry maps, or makes the entry
 * writable when it is the frame's only mapping and the owner may write it;
 * a demand-zero fault (EXO_PT_MAP_NEW) maps fresh zeroed frames;
 * EXO_FRAME_MAPS says how many entries map a frame.  The rules are
 * EXO_PT_WRITE's: nothing here lets anyone reach more than a write could.
 */
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt_engine.h"
#include "exo/release.h"
#include "exo/tlb.h"
#include "exo/uaccess.h"
#include "exo/why.h"

static struct frame *leaf_record(u64 entry)
{
	return &kernel_frames.frames[(pte_addr(entry).val - kernel_frames.base) >> PAGE_SHIFT];
}

/* A last-level table the caller may change (argument 0), with entries index..index+count (arguments 1, 2). */
static int leaf_table(struct env *caller, u64 addr, u64 index, u64 count, struct frame **table, struct env **owner)
{
	int err = pt_writable_table(caller, addr, 0, table, owner);
	if (err)
		return err;
	if ((*table)->level != EXO_PT_LEVELS - 1)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, 0, WHY_NONE);
	if (index >= EXO_PT_ENTRIES || count > EXO_PT_ENTRIES - index)
		return why(-E_RANGE, EXO_RULE_RANGE, index >= EXO_PT_ENTRIES ? 1 : 2, WHY_NONE);
	return 0;
}

/* A new frame of owner's (quota and a free frame checked), zeroed or a copy of from. */
static paddr_t take_frame(struct env *owner, const struct frame *from)
{
	paddr_t addr;
	frame_alloc(&kernel_frames, FRAME_USER, 0, owner->id, &addr);
	if (from)
		arch_copy_page(phys_to_kernel(addr), phys_to_kernel(frame_addr(&kernel_frames, from)));
	else
		arch_zero_page(phys_to_kernel(addr));
	env_own_frame(owner, frame_lookup(&kernel_frames, addr));
	return addr;
}

/* Quota (drawn from ancestors where owner draws) and free frames for count: the last check of a call. */
static int room_for(struct env *owner, u64 count)
{
	if (!env_has_room(owner, count))
		return why(-E_QUOTA, EXO_RULE_QUOTA, 0, WHY_NONE);
	if (frame_count(&kernel_frames, FRAME_FREE) < count)
		return why(-E_NOMEM, EXO_RULE_NO_MEMORY, WHY_NONE, WHY_NONE);
	env_make_room(owner, count);
	return 0;
}

/*
 * The table is reachable from at most one root, at one address: unlinked,
 * or linked once along a path whose place the kernel knows for certain
 * (pos_root names one root; a table under a shared or twice-linked table
 * has FRAME_ANY_ROOT or FRAME_NONE).  Only then is a frame's one mapping
 * in it one page of one address space: a table linked by a fork's child
 * as well would make the page written in place visible, and writable, in
 * both.  Threads share a root and so an address space: that is one place.
 */
static bool seen_from_one_place(const struct frame *table)
{
	if (table->links == 0)
		return true;
	return table->links == 1 && table->pos_root != FRAME_NONE && table->pos_root != FRAME_ANY_ROOT;
}

/*
 * The entry becomes writable in place when the frame has no other mapping,
 * the table is seen from one place only, and writing the writable entry
 * with EXO_PT_WRITE would be allowed (the owner holds the frame, the
 * caller reaches it); otherwise it is moved to
 * a copy of the frame that the table's owner owns.  With EXO_COW_GIVE_UP,
 * a frame copied from that is the table owner's own is given up: freed
 * when its other mappings go (exo/doomed.c).  The frame now mapped, or an
 * error; nothing changes on an error.
 */
i64 pt_cow(struct env *caller, u64 table_addr, u64 index, u64 flags)
{
	struct frame *table;
	struct env *owner;
	if (flags & ~EXO_COW_GIVE_UP)
		return why(-E_INVAL, EXO_RULE_FLAGS, 2, WHY_NONE);
	int err = leaf_table(caller, table_addr, index, 1, &table, &owner);
	if (err)
		return err;
	u64 *entry = &pt_entries(table)[index];
	if (!*entry)
		return why(-E_INVAL, EXO_RULE_EMPTY, 1, WHY_NONE);
	struct frame *from = leaf_record(*entry);
	if (from->type != FRAME_USER)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, 1, WHY_NONE);
	u64 writable = desc_leaf_writable(*entry);
	struct checked in_place;
	if (from->maps == 1 && seen_from_one_place(table) && pt_check_write_entry(caller, owner, EXO_PT_LEVELS - 1, writable, &in_place, 0) == 0) {
		why_begin(); /* a refusal of the in-place way is not this call's */
		if (writable != *entry) {
			*entry = writable;
			tlb_note_page(table, (u32)index);
			tlb_commit();
		}
		return (i64)frame_addr(&kernel_frames, from).val;
	}
	why_begin();
	err = room_for(owner, 1);
	if (err)
		return err;
	paddr_t copy = take_frame(owner, from);
	*entry = desc_leaf_at(writable, copy);
	from->maps--;
	if (from->owner != owner->id)
		ref_change(from, owner->id, -1);
	else if (flags & EXO_COW_GIVE_UP)
		from->flags |= FRAME_DOOMED; /* the owner's, as EXO_FRAME_FREE with EXO_FREE_WHEN_UNUSED would do */
	frame_unref_done(from);
	frame_lookup(&kernel_frames, copy)->maps++;
	tlb_note_page(table, (u32)index);
	tlb_commit();
	husk_collect();
	return (i64)copy.val;
}

/*
 * count fresh zeroed frames of the table's owner, mapped at entries
 * index.. (which must be empty) as attrs (a last-level descriptor without
 * its address); their addresses go to out when it is not 0.
 */
int pt_map_new(struct env *caller, u64 table_addr, u64 index, u64 count, u64 attrs, u64 out)
{
	struct frame *table;
	struct env *owner;
	int err = leaf_table(caller, table_addr, index, count, &table, &owner);
	if (err)
		return err;
	if (count == 0)
		return why(-E_RANGE, EXO_RULE_RANGE, 2, WHY_NONE);
	if (pte_addr(attrs).val || !desc_leaf_ok(attrs))
		return why(-E_INVAL, EXO_RULE_MALFORMED, 3, WHY_NONE);
	u64 *entries = pt_entries(table) + index;
	for (u64 i = 0; i < count; i++)
		if (entries[i])
			return why(-E_EXIST, EXO_RULE_NOT_EMPTY, 1, i);
	if (out && user_check_write(out, count * sizeof(u64)) < 0)
		return why(-E_FAULT, EXO_RULE_BUFFER, 4, WHY_NONE);
	err = room_for(owner, count);
	if (err)
		return err;
	static u64 made[EXO_PT_ENTRIES];
	for (u64 i = 0; i < count; i++) {
		paddr_t frame = take_frame(owner, NULL);
		entries[i] = desc_leaf_at(attrs, frame); /* empty before: nothing cached */
		frame_lookup(&kernel_frames, frame)->maps++;
		made[i] = frame.val;
	}
	table->used = (u16)(table->used + count);
	table_note_used(table, (u32)index, (u32)count);
	if (out)
		copy_to_user(out, made, count * sizeof(u64)); /* checked above: cannot fail */
	return 0;
}

/*
 * How many page entries map the frame at addr: only for a caller that may
 * act on its owner.  Reaching the frame through a share is not enough: the
 * count moves with every mapping anyone makes of it, so a child that could
 * read it would have a channel to siblings the share never connected.
 */
i64 frame_maps(struct env *caller, u64 addr)
{
	struct frame *frame = pt_frame(addr);
	if (!frame)
		return why(-E_RANGE, EXO_RULE_NOT_RAM, 0, WHY_NONE);
	if (frame->type != FRAME_USER && frame->type != FRAME_PAGETABLE)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, 0, WHY_NONE);
	const struct env *owner = env_lookup(frame->owner);
	if (!owner || !env_can_act(caller, owner))
		return why(-E_PERM, EXO_RULE_OWNER, 0, WHY_NONE);
	return frame->type == FRAME_PAGETABLE ? frame->maps + frame->links : frame->maps;
}
