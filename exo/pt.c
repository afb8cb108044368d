/* User page-table calls: decode and check every entry, then apply (exo/pt.h). */
#include "exo/desc.h"
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt_engine.h"
#include "exo/tlb.h"
#include "exo/why.h"

#define RWX (EXO_R | EXO_W | EXO_X)

u64 *pt_entries(const struct frame *table)
{
	return phys_to_kernel(frame_addr(&kernel_frames, table));
}

struct frame *pt_entry_target(const struct frame *table, u32 index)
{
	u64 entry = pt_entries(table)[index];
	if (!pte_valid(entry) || (table->level == 0 && index == EXO_PT_WINDOW_SLOT))
		return NULL;
	return frame_lookup(&kernel_frames, pte_addr(entry));
}

/* The slot a level-0 table keeps pointing at itself: the read-only window. */
u64 pt_window_entry(const struct frame *root)
{
	return desc_window(frame_addr(&kernel_frames, root));
}

int pt_alloc(struct env *owner, u64 level, paddr_t *out)
{
	if (level >= EXO_PT_LEVELS)
		return why(-E_INVAL, EXO_RULE_RANGE, 1, WHY_NONE);
	if (!env_has_room(owner, 1))
		return why(-E_QUOTA, EXO_RULE_QUOTA, 0, WHY_NONE);
	if (frame_alloc(&kernel_frames, FRAME_PAGETABLE, (u32)level, owner->id, out) < 0)
		return why(-E_NOMEM, EXO_RULE_NO_MEMORY, WHY_NONE, WHY_NONE);
	env_make_room(owner, 1);
	struct frame *table = frame_lookup(&kernel_frames, *out);
	arch_zero_page(phys_to_kernel(*out));
	env_own_frame(owner, table);
	if (level == 0) {
		table->pos_root = frame_index(&kernel_frames, table);
		table_set_pos_va(table, 0);
		pt_entries(table)[EXO_PT_WINDOW_SLOT] = pt_window_entry(table);
		table_note_used(table, EXO_PT_WINDOW_SLOT, 1);
	}
	return 0;
}

/* What the check step learned about each entry of a batch (exo/pt_engine.h). */
struct checked checked[EXO_PT_ENTRIES];

/* A table the caller may change (argument arg): -E_RANGE if not RAM, -E_INVAL if not a table. */
/* Whether the caller may act on the owner of the frames last asked about, for one call (caller_reaches). */
static struct {
	u32 owner;
	bool acts;
} reach_cache;

int pt_writable_table(struct env *caller, u64 addr, u64 arg, struct frame **out, struct env **owner)
{
	/* Every page-table call begins here: what the last caller could reach says nothing of this one. */
	reach_cache.owner = FRAME_NO_OWNER;
	reach_cache.acts = false;
	struct frame *table = pt_frame(addr);
	if (!table)
		return why(-E_RANGE, EXO_RULE_NOT_RAM, arg, WHY_NONE);
	if (table->type != FRAME_PAGETABLE)
		return why(-E_INVAL, EXO_RULE_FRAME_KIND, arg, WHY_NONE);
	*owner = env_lookup(table->owner);
	if (!*owner || env_ended(*owner) || !env_can_act(caller, *owner))
		return why(-E_PERM, EXO_RULE_OWNER, arg, WHY_NONE); /* an ended one's tables stay as they are */
	*out = table;
	return 0;
}

/* Entries index..index+count of table (arguments index_arg and count_arg). */
static int check_range(const struct frame *table, u64 index, u64 count, u64 index_arg, u64 count_arg)
{
	if (index >= EXO_PT_ENTRIES || count > EXO_PT_ENTRIES - index)
		return why(-E_RANGE, EXO_RULE_RANGE, index >= EXO_PT_ENTRIES ? index_arg : count_arg, WHY_NONE);
	if (table->level == 0 && count && index + count > EXO_PT_WINDOW_SLOT)
		return why(-E_PERM, EXO_RULE_WINDOW, index_arg, EXO_PT_WINDOW_SLOT - index);
	return 0;
}

/* A page: a user frame with at most the rights the table's owner holds; a table only read-only. */
static u32 check_page(const struct env *owner, const struct frame *target, u32 rights)
{
	u32 held = frame_rights(owner, target);
	if (target->type == FRAME_PAGETABLE && ((rights & ~EXO_R) || (target->flags & FRAME_DOOMED)))
		return EXO_RULE_TABLE_AS_PAGE; /* (a given-up table mapped by a table it links would never go) */
	return rights & ~held ? EXO_RULE_OWNER_RIGHTS : EXO_RULE_NONE;
}

bool link_allowed(const struct env *owner, const struct frame *target, u32 rights)
{
	if (target->owner == FRAME_NO_OWNER) /* a public table (pt_public.c): what it shares, to anyone */
		return pt_is_public(target) && !(rights & ~target->share);
	const struct env *target_owner = env_lookup(target->owner);
	if (!target_owner)
		return false;
	enum env_relation relation = env_relation(owner, target_owner);
	if (relation == REL_SELF || relation == REL_DESCENDANT)
		return true;
	return relation == REL_ANCESTOR && (target->share & EXO_R) && !(rights & ~target->share);
}

/*
 * A table descriptor: a table of the next level that the owner holds, or
 * that an ancestor shared, with no more rights than it shared.
 */
static u32 check_link(const struct env *owner, u32 level, const struct frame *target, u32 rights)
{
	if (target->type != FRAME_PAGETABLE || target->level != level + 1)
		return EXO_RULE_NEXT_LEVEL;
	return link_allowed(owner, target, rights) ? EXO_RULE_NONE : EXO_RULE_OWNER_RIGHTS;
}

/*
 * The caller's own reach, for an entry it writes into a table it acts on:
 * it may act on the frame's owner, or the owner is its proper ancestor
 * that shared these rights (R at least, for a table).  So a thread acting
 * for its process cannot hand it a frame the thread itself could not
 * touch.  The owner's authority over others is cached for the batch
 * (reach_cache, above).
 */

static bool caller_reaches(const struct env *caller, const struct frame *target, enum desc_kind kind,
                           u32 rights)
{
	if (target->owner != FRAME_NO_OWNER && target->owner == reach_cache.owner && reach_cache.acts)
		return true;
	const struct env *owner = env_lookup(target->owner);
	bool acts = owner && env_can_act(caller, owner);
	reach_cache.owner = target->owner;
	reach_cache.acts = acts;
	if (acts)
		return true;
	if (target->owner != FRAME_NO_OWNER && !(owner && env_relation(caller, owner) == REL_ANCESTOR))
		return false;
	if (kind == DESC_TABLE && !(target->share & EXO_R))
		return false;
	return !(rights & ~target->share);
}

/* Is the frame's owner an ending environment whose frames are being released? */
static bool frame_owner_releasing(const struct frame *frame)
{
	const struct env *owner = frame->owner == FRAME_NO_OWNER ? NULL : env_lookup(frame->owner);
	return owner && owner->releasing;
}

/*
 * Check one entry (entry `index` of argument `arg`) for a table of owner's;
 * on success *out says what to store and where it points.
 */
static int check_entry(const struct env *owner, u32 level, u64 desc, struct desc_info *info,
                       struct checked *out, u64 arg, u64 index)
{
	if (desc_decode(level, desc, info) < 0)
		return why(-E_INVAL, EXO_RULE_MALFORMED, arg, index);
	*out = (struct checked){ 0, NULL };
	if (info->kind == DESC_INVALID)
		return 0;
	struct frame *target = frame_lookup(&kernel_frames, info->out);
	if (!target)
		return why(-E_RANGE, EXO_RULE_NOT_RAM, arg, index); /* device memory, or nothing */
	*out = (struct checked){ info->stored, target };
	/* Its owner's release counts on no new references (a live table owner's own frames are not released). */
	if (target->owner != owner->id && frame_owner_releasing(target))
		return why(-E_PERM, EXO_RULE_RELEASING, arg, index);
	u32 rule = info->kind == DESC_PAGE ? check_page(owner, target, info->rights) :
	                                     check_link(owner, level, target, info->rights);
	if (rule == EXO_RULE_NONE)
		return 0;
	return why(rule == EXO_RULE_NEXT_LEVEL ? -E_INVAL : -E_PERM, rule, arg, index);
}

int pt_check_write_entry(struct env *caller, const struct env *owner, u32 level, u64 desc,
                         struct checked *out, u64 index)
{
	struct desc_info info;
	int err = check_entry(owner, level, desc, &info, out, 3, index);
	if (!err && out->target && caller != owner && !caller_reaches(caller, out->target, info.kind, info.rights))
		err = why(-E_PERM, EXO_RULE_CALLER_REACH, 3, index);
	return err;
}

u64 pt_position_visits;

/*
 * Forget where a table and everything under it sits: invalidate everywhere
 * from now on.  A table whose place is unknown already has nothing known
 * under it (a table takes a known place only from a known parent, or when
 * fresh and empty), so the walk stops there: without that, linking one
 * table with a large subtree 511 times in a call walked the subtree 511
 * times, most of a second with interrupts masked.
 */
static void forget_position(struct frame *table)
{
	pt_position_visits++;
	if (table->pos_root == FRAME_NONE)
		return;
	table->pos_root = FRAME_NONE;
	if (table->level == EXO_PT_LEVELS - 1 || table->used == 0)
		return;
	u64 *entries = pt_entries(table);
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++)
		if (pte_is_table(table->level, entries[i]) && !(table->level == 0 && i == EXO_PT_WINDOW_SLOT))
			forget_position(frame_lookup(&kernel_frames, pte_addr(entries[i])));
}

static bool position_known(const struct frame *table)
{
	return table->pos_root != FRAME_NONE && (table->level == 0 || table->links > 0);
}

/* A table, and everything under it, sits at its known address in more than one root. */
static void share_position(struct frame *table)
{
	if (table->pos_root == FRAME_NONE || table->pos_root == FRAME_ANY_ROOT)
		return; /* unknown stays unknown; under a shared one, already so */
	table->pos_root = FRAME_ANY_ROOT;
	if (table->level == EXO_PT_LEVELS - 1 || table->used == 0)
		return;
	u64 *entries = pt_entries(table);
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++)
		if (pte_is_table(table->level, entries[i]) && !(table->level == 0 && i == EXO_PT_WINDOW_SLOT))
			share_position(frame_lookup(&kernel_frames, pte_addr(entries[i])));
}

/*
 * A table linked for the first time, with nothing under it, has one known
 * place.  Linked again at the address it has (a fork's child sharing its
 * parent's table, at the same address in another root), it keeps the
 * address but not the root.  Anywhere else, its place is unknown.
 */
static void note_link(const struct frame *parent, u32 index, struct frame *child)
{
	bool fresh = child->links == 0 && (child->level == EXO_PT_LEVELS - 1 || child->used == 0);
	u64 va = table_pos_va(parent) + (u64)index * pt_level_size(parent->level);
	if (fresh && position_known(parent)) {
		child->pos_root = parent->pos_root;
		table_set_pos_va(child, va);
	} else if (position_known(parent) && child->pos_root != FRAME_NONE && table_pos_va(child) == va) {
		share_position(child);
	} else {
		forget_position(child);
	}
}

static void entry_ref(struct frame *table, u32 index, struct frame *target)
{
	if (!target)
		return;
	if (target->owner != table->owner)
		ref_change(target, table->owner, +1);
	table->used++;
	if (table->level == EXO_PT_LEVELS - 1) {
		target->maps++;
	} else {
		note_link(table, index, target);
		target->links++;
	}
}

static void entry_unref(struct frame *table, u32 index, u64 desc, bool reachable)
{
	if (!pte_valid(desc))
		return;
	struct frame *target = frame_lookup(&kernel_frames, pte_addr(desc));
	if (target->owner != table->owner)
		ref_change(target, table->owner, -1);
	table->used--;
	if (table->level == EXO_PT_LEVELS - 1) {
		target->maps--;
		if (reachable)
			tlb_note_page(table, index);
	} else {
		target->links--;
		if (reachable)
			tlb_note_table(table, index);
	}
	frame_unref_done(target);
}

/*
 * A last-level table's one link written again (its rights changed, or not):
 * the table sits there and nowhere else, so it takes that place, even if a
 * second link had made its place unknown or shared.  Every other link it
 * had was undone, and each undoing invalidated what its root had cached
 * through the table.  An on-demand fork's table is linked by parent and
 * child; once one of them has its own copy, the other relinks the table
 * writable, and copy-on-write may then write its pages in place.
 */
static void settle_position(const struct frame *parent, u32 index, struct frame *table)
{
	if (table->level != EXO_PT_LEVELS - 1 || table->links != 1 || !position_known(parent) ||
	    parent->pos_root == FRAME_ANY_ROOT)
		return;
	table->pos_root = parent->pos_root;
	table_set_pos_va(table, table_pos_va(parent) + (u64)index * pt_level_size(parent->level));
}

/* Replace one entry (already checked): references, then the entry, then the TLB note. */
void pt_set_entry(struct frame *table, u64 *entries, u32 index, const struct checked *entry)
{
	u64 old = entries[index];
	if (pte_valid(old) && entry->target && pte_addr(old).val == frame_addr(&kernel_frames, entry->target).val) {
		/* Same frame, the same or other rights: no reference changes, only the TLB. */
		if (old != entry->stored) {
			entries[index] = entry->stored; /* valid before, so its group is noted already */
			if (table->level == EXO_PT_LEVELS - 1)
				tlb_note_page(table, index);
			else
				tlb_note_table(table, index);
		}
		if (table->level == EXO_PT_LEVELS - 2 && pte_is_table(table->level, entry->stored))
			settle_position(table, index, entry->target);
		return;
	}
	if (old == entry->stored)
		return;
	entry_ref(table, index, entry->target);
	entry_unref(table, index, old, true);
	entries[index] = entry->stored;
	if (entry->stored)
		table_note_used(table, index, 1);
}

int pt_write(struct env *caller, u64 table_addr, u64 index, u64 count, const u64 *descs)
{
	struct frame *table;
	struct env *owner;
	int err = pt_writable_table(caller, table_addr, 0, &table, &owner);
	if (!err)
		err = check_range(table, index, count, 1, 2);
	if (err)
		return err;
	reach_cache.owner = FRAME_NO_OWNER;
	reach_cache.acts = false;
	if (table->level == EXO_PT_LEVELS - 1)
		return pt_leaf_write(caller, owner, table, (u32)index, (u32)count, descs);
	for (u64 i = 0; !err && i < count; i++)
		err = pt_check_write_entry(caller, owner, table->level, descs[i], &checked[i], i);
	if (err)
		return err;
	u64 *entries = pt_entries(table);
	for (u64 i = 0; i < count; i++)
		pt_set_entry(table, entries, (u32)(index + i), &checked[i]);
	tlb_commit();
	husk_collect();
	return 0;
}

#define COPY_FLAGS (EXO_COPY_BOTH | EXO_COPY_SHARE)

/* Would sharing the entry's target with the destination's owner make it legal (a live owner only)? */
static bool can_share(const struct env *caller, const struct env *dst_owner, u64 desc)
{
	const struct frame *target = frame_lookup(&kernel_frames, pte_addr(desc));
	const struct env *target_owner = env_lookup(target->owner);
	return target_owner && !env_ended(target_owner) && env_can_act(caller, target_owner) &&
	       env_relation(dst_owner, target_owner) == REL_ANCESTOR;
}

/*
 * What may ever be shared of a frame for this use: a user frame all; a
 * page table read and execute-through as a table; a page table mapped as
 * a page nothing, since R shared on a table is leave to link it, which
 * would hand on every frame it maps, none of them shared.
 */
static u32 shareable(const struct frame *target, enum desc_kind kind)
{
	if (target->type != FRAME_PAGETABLE)
		return RWX;
	return kind == DESC_PAGE ? 0 : EXO_R | EXO_X;
}

/*
 * Check a copied entry against the destination's owner; with EXO_COPY_SHARE
 * an entry the owner lacks rights for is legal if the caller may share the
 * frame and the rights are ones a share can give: *share says which.
 */
/*
 * Copying from an ancestor's table shared with R (`from_shared`, its
 * owner): the descendant reads all it maps through it anyway, so its own
 * frames may be copied with no more than the table's share, which they
 * then get (so that the copies are legal where they land).
 */
static int shared_source_entry(const struct frame *from_shared, const struct desc_info *info,
                               struct checked *out, u8 *share, u64 index)
{
	if (out->target->owner != from_shared->owner || frame_owner_releasing(out->target))
		return -E_PERM; /* as check_entry said */
	if (info->rights & ~(from_shared->share & shareable(out->target, info->kind)))
		return why(-E_PERM, EXO_RULE_SHARE, 2, index);
	*share = (u8)(info->rights | (info->kind == DESC_TABLE ? EXO_R : 0));
	return 0;
}

int pt_check_copy_entry(const struct env *caller, const struct env *dst_owner, u32 level,
                        u64 desc, u64 flags, const struct frame *from_shared, struct checked *out,
                        u8 *share, u64 index)
{
	struct desc_info info;
	int err = check_entry(dst_owner, level, desc, &info, out, 2, index);
	*share = 0;
	bool own_shared = from_shared && out->target && out->target->owner == from_shared->owner;
	/* As for a write: the caller itself must reach what it copies (a share needs it to act on the owner). */
	if (!err && out->target && caller != dst_owner && !own_shared &&
	    !caller_reaches(caller, out->target, info.kind, info.rights))
		return why(-E_PERM, EXO_RULE_CALLER_REACH, 2, index);
	if (err == -E_PERM && own_shared)
		return shared_source_entry(from_shared, &info, out, share, index);
	if (err != -E_PERM || !(flags & EXO_COPY_SHARE) || frame_owner_releasing(out->target) ||
	    !can_share(caller, dst_owner, desc))
		return err;
	if (info.rights & ~shareable(out->target, info.kind))
		return why(-E_PERM, EXO_RULE_SHARE, 2, index);
	*share = (u8)info.rights;
	/* A table link also needs R shared to be legal (check_link): give it. */
	if (info.kind == DESC_TABLE)
		*share |= EXO_R;
	return 0;
}

u8 share_needed[EXO_PT_ENTRIES];
static struct leaf_copy_plan leaf_plan;

/* The first of entries[0..count) in use, count if none: four at a time. */
static u64 first_in_use(const u64 *entries, u64 count)
{
	u64 i = 0;
	for (; i + 4 <= count; i += 4)
		if (entries[i] | entries[i + 1] | entries[i + 2] | entries[i + 3])
			break;
	for (; i < count; i++)
		if (entries[i])
			return i;
	return count;
}

static int check_copy(struct env *caller, struct frame *src, u64 src_index, struct frame *dst,
                      u64 dst_index, u64 count, u64 set_bits, u64 flags, bool src_shared)
{
	u64 settable = src->level == EXO_PT_LEVELS - 1 ? DESC_SET_PAGE : DESC_SET_TABLE;
	if (src->level != dst->level)
		return why(-E_INVAL, EXO_RULE_LEVELS, 2, WHY_NONE);
	if ((flags & ~(u64)COPY_FLAGS) || (src_shared && (flags & EXO_COPY_BOTH)))
		return why(-E_INVAL, EXO_RULE_FLAGS, 6, WHY_NONE); /* a shared source stays as it is */
	if (set_bits & ~settable)
		return why(-E_INVAL, EXO_RULE_FLAGS, 5, WHY_NONE);
	int err = check_range(src, src_index, count, 1, 4);
	if (!err)
		err = check_range(dst, dst_index, count, 3, 4);
	if (err)
		return err;
	if (src == dst && src_index < dst_index + count && dst_index < src_index + count)
		return why(-E_INVAL, EXO_RULE_OVERLAP, 3, WHY_NONE);
	const u64 *from = pt_entries(src), *to = pt_entries(dst);
	/* used counts valid entries exactly (the checker recounts it): an empty table needs no scan. */
	u64 in_use = dst->used ? first_in_use(to + dst_index, count) : count;
	if (in_use < count)
		return why(-E_EXIST, EXO_RULE_NOT_EMPTY, 3, in_use);
	const struct env *dst_owner = env_lookup(dst->owner);
	reach_cache.owner = FRAME_NO_OWNER;
	reach_cache.acts = false;
	if (src->level == EXO_PT_LEVELS - 1)
		return pt_leaf_copy_check(caller, dst_owner, from + src_index, (u32)count, set_bits, flags,
		                          src_shared ? src : NULL, &leaf_plan);
	for (u64 i = 0; !err && i < count; i++) {
		if (!from[src_index + i]) {
			checked[i] = (struct checked){ 0, NULL }; /* an empty entry copies as empty: nothing to decide */
			share_needed[i] = 0;
			continue;
		}
		u64 desc = desc_take_rights(src->level, from[src_index + i], set_bits);
		err = pt_check_copy_entry(caller, dst_owner, src->level, desc, flags, src_shared ? src : NULL,
		                          &checked[i], &share_needed[i], i);
	}
	return err;
}

/*
 * A table the destination's owner may copy from without anyone acting on
 * the table's owner: a proper ancestor's table shared with R (it could link
 * it, read-only, and read all it maps), whose owner may have ended but is
 * not being released.  The caller acts on the destination's owner, so the
 * ancestor is the caller's ancestor too, or the caller acts on it.
 */
static bool shared_source(const struct env *dst_owner, u64 addr, struct frame **out)
{
	struct frame *table = pt_frame(addr);
	const struct env *owner = table ? env_lookup(table->owner) : NULL;
	if (!owner || owner->releasing || !(table->share & EXO_R) ||
	    env_relation(dst_owner, owner) != REL_ANCESTOR)
		return false;
	*out = table;
	return true;
}

int pt_copy(struct env *caller, u64 src_addr, u64 src_index, u64 dst_addr, u64 dst_index,
            u64 count, u64 set_bits, u64 flags)
{
	struct frame *src, *dst;
	struct env *src_owner, *dst_owner;
	int err = pt_writable_table(caller, src_addr, 0, &src, &src_owner);
	bool src_shared = false;
	if (err == -E_PERM && pt_writable_table(caller, dst_addr, 2, &dst, &dst_owner) == 0) {
		src_shared = shared_source(dst_owner, src_addr, &src);
		err = src_shared ? 0 : pt_writable_table(caller, src_addr, 0, &src, &src_owner); /* its why again */
	}
	if (!err && !src_shared)
		err = pt_writable_table(caller, dst_addr, 2, &dst, &dst_owner);
	if (!err)
		err = check_copy(caller, src, src_index, dst, dst_index, count, set_bits, flags, src_shared);
	if (err)
		return err;
	if (src->level == EXO_PT_LEVELS - 1) { /* (a shared source is never written back: no EXO_COPY_BOTH) */
		pt_leaf_copy_apply(src, (u32)src_index, dst, (u32)dst_index, (u32)count, flags & EXO_COPY_BOTH, set_bits,
		                   &leaf_plan);
		tlb_commit();
		husk_collect();
		return 0;
	}
	u64 *from = pt_entries(src), *to = pt_entries(dst);
	for (u64 i = 0; i < count; i++) {
		if (!checked[i].target)
			continue;
		checked[i].target->share |= share_needed[i];
		if (flags & EXO_COPY_BOTH)
			pt_set_entry(src, from, (u32)(src_index + i), &checked[i]);
		pt_set_entry(dst, to, (u32)(dst_index + i), &checked[i]);
	}
	tlb_commit();
	husk_collect();
	return 0;
}

int pt_check_root(struct env *caller, u64 root)
{
	if (root == 0)
		return 0;
	struct frame *table;
	struct env *owner;
	int err = pt_writable_table(caller, root, 1, &table, &owner);
	if (err)
		return err;
	return table->level == 0 ? 0 : why(-E_INVAL, EXO_RULE_FRAME_KIND, 1, WHY_NONE);
}

void pt_set_root(struct env *env, u64 root)
{
	if (env->root) {
		struct frame *old = pt_frame(env->root);
		old->links--;
		ref_change(old, env->id, -1);
		frame_unref_done(old); /* (a root is never doomed: EXO_FRAME_FREE refuses one in use) */
	}
	if (root) {
		struct frame *new = pt_frame(root);
		new->links++;
		ref_change(new, env->id, +1);
	}
	env->root = root;
}

void pt_prune_table(struct frame *table, const struct env *owner)
{
	u64 *entries = pt_entries(table);
	for (u32 i = 0, left = table->used; left && i < EXO_PT_ENTRIES; i++) {
		struct frame *target = pt_entry_target(table, i);
		if (!target)
			continue;
		left--;
		const struct env *target_owner = env_lookup(target->owner);
		if (target->owner == owner->id || !target_owner || env_relation(owner, target_owner) != REL_DESCENDANT)
			continue;
		entry_unref(table, i, entries[i], true); /* others may be using the table: invalidate */
		entries[i] = 0;
	}
	tlb_commit();
}

/*
 * Nothing can reach the table any more (no TLB work): drop what its valid
 * entries hold, stopping after the last.  Its entries were checked when
 * written, so each points at a frame record: no lookup needs guarding.
 */
void pt_release_table(struct frame *table)
{
	u64 *entries = pt_entries(table);
	bool leaf = table->level == EXO_PT_LEVELS - 1;
	u32 skip = table->level == 0 ? EXO_PT_WINDOW_SLOT : EXO_PT_ENTRIES;
	struct frame *records = kernel_frames.frames;
	u64 base = kernel_frames.base;
	u32 quiet = FRAME_NO_OWNER; /* the last other owner found to count nothing (a fork's child: its parent) */
	for (u32 i = 0, left = table->used; left && (i = pt_next_used_in(table, entries, i)) < EXO_PT_ENTRIES; i++) {
		u64 entry = entries[i];
		if (!pte_valid(entry) || i == skip)
			continue;
		left--;
		struct frame *target = &records[(pte_addr(entry).val - base) >> PAGE_SHIFT];
		if (target->owner != table->owner && target->owner != quiet)
			quiet = ref_change_unless_quiet(target, table->owner, -1, quiet);
		if (leaf)
			target->maps--;
		else
			target->links--;
		frame_unref_done(target);
		entries[i] = 0;
	}
	table->used = 0;
	table_clear_groups(table);
}
