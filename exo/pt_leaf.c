/*
 * The page-table engine's fast path for last-level tables, where fork and
 * mmap spend their entries.  The rules are the generic path's (pt.c,
 * doc/exo-abi.md section 1); what changes is when they are decided:
 *
 *  - per frame owner, once per batch: whether the table's owner may map
 *    that owner's user frames with any rights or only with what each frame
 *    shares, and whether the caller reaches them (a *verdict*);
 *  - per entry, only what cannot be shared between entries: the format
 *    (one mask and compare, inline from the architecture), the frame
 *    record (an index, no search), its type and owner against the verdict.
 *
 * Anything else (a page table mapped as a page, a kernel-owned frame, an
 * owner the table's owner may not use, a malformed entry) goes through the
 * generic check, which also says why it refuses.  The check fills the plan
 * (`checked`); the apply step then only counts references and stores.
 */
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt_engine.h"
#include "exo/release.h"
#include "exo/tlb.h"

/*
 * The per-entry loops are unrolled four times: their own count, compare
 * and branch are about a tenth of an entry's instructions (copy_table_wp
 * 18,800 -> 17,280 under -icount).
 */
#define UNROLLED _Pragma("clang loop unroll_count(4)")
/* The host tests' -O1 build may decline to unroll: that changes speed, not meaning. */
#pragma clang diagnostic ignored "-Wpass-failed"

enum verdict_kind {
	VERDICT_SLOW,   /* decide entry by entry (generic check) */
	VERDICT_ANY,    /* any rights on the owner's user frames */
	VERDICT_SHARED, /* at most what each frame shares */
	VERDICT_SHAREABLE, /* EXO_COPY_SHARE: any rights, which the frame is then shared with */
	VERDICT_FROM_SHARED, /* a copy from an ancestor's shared table, of its owner's frames: within its share, shared */
};

/*
 * How a batch from caller into table_owner's table may use owner_id's user
 * frames; with may_share (EXO_COPY_SHARE), a live ancestor's frames that
 * the caller acts for may be shared as they are copied.  A copy from a
 * shared source (an ancestor's table shared R, `from_shared`) may take that
 * ancestor's own frames with no more than the table shares, sharing them
 * so (pt.c's shared_source_entry): the descendant reads them through the
 * table anyway.  Its other frames are judged as in any copy.
 */
static enum verdict_kind decide(const struct env *caller, const struct env *table_owner, u32 owner_id,
                                bool may_share, const struct frame *from_shared)
{
	if (owner_id == FRAME_NO_OWNER)
		return VERDICT_SHARED; /* the boot archive's: what each frame shares, for every table and caller */
	if (from_shared && owner_id == from_shared->owner) {
		const struct env *owner = env_lookup(owner_id);
		return owner && !owner->releasing ? VERDICT_FROM_SHARED : VERDICT_SLOW;
	}
	const struct env *owner = owner_id == table_owner->id ? table_owner : env_lookup(owner_id);
	if (!owner)
		return VERDICT_SLOW;
	bool shared = false;
	if (owner != table_owner) {
		if (owner->releasing)
			return VERDICT_SLOW; /* its release counts on no new references */
		enum env_relation relation = env_relation(table_owner, owner);
		if (relation == REL_ANCESTOR && may_share && !env_ended(owner) && env_can_act(caller, owner))
			return VERDICT_SHAREABLE;
		if (relation == REL_ANCESTOR)
			shared = true;
		else if (relation != REL_DESCENDANT)
			return VERDICT_SLOW;
	}
	if (caller != table_owner && !env_can_act(caller, owner)) {
		if (env_relation(caller, owner) != REL_ANCESTOR)
			return VERDICT_SLOW;
		shared = true; /* the caller's own reach: what its ancestor shared */
	}
	return shared ? VERDICT_SHARED : VERDICT_ANY;
}

/*
 * A frame record's first word holds its type, share and owner (exo/frame.h):
 * one load and one compare decide whether an entry's frame is a user frame
 * of the owner the verdict is about.
 */
_Static_assert(__builtin_offsetof(struct frame, type) == 0 && __builtin_offsetof(struct frame, share) == 3 &&
               __builtin_offsetof(struct frame, owner) == 4, "the frame record's first word");
#define HEAD_KEY_MASK 0xffffffff000000ffull /* type and owner */
#define NO_KEY (~0ull)                      /* matches no record: no type is 0xff */

static inline u64 frame_head(const struct frame *frame)
{
	u64 head;
	__builtin_memcpy(&head, frame, sizeof(head));
	return head;
}

static inline u64 head_key(u32 owner) { return (u64)owner << 32 | FRAME_USER; }
static inline u32 head_share(u64 head) { return (u32)(head >> 24) & 0xff; }

/*
 * The batch's current verdict as the loops test it: the head_key of its
 * owner (NO_KEY for none) and the rights any entry may have (RWX for
 * VERDICT_ANY, 0 for VERDICT_SHARED: each frame's share decides).  Set
 * only on the slow path; the loops keep copies in registers.
 */
static u64 verdict_key;
static u32 verdict_any;
static u32 verdict_cap; /* VERDICT_FROM_SHARED: the rights the source table shares (0 otherwise) */
static bool verdict_shares; /* VERDICT_SHAREABLE, _FROM_SHARED: each entry's rights are to be shared */

/* A last-level entry's rights fit: any, or what the frame shares. */
static inline bool rights_fit(u32 any, u64 desc, u64 head)
{
	return any || !(desc_leaf_rights(desc) & ~head_share(head));
}

/* A copy's entry fits a shared source's verdict: its rights within what the source table shares. */
static inline bool within_cap(u32 cap, u64 desc) { return cap && !(desc_leaf_rights(desc) & ~cap); }

/* A new verdict for target's owner (a user frame); does the entry now pass? */
static bool redecide(struct env *caller, const struct env *owner, const struct frame *target, u64 desc,
                     bool may_share, const struct frame *from_shared)
{
	if (target->type != FRAME_USER)
		return false;
	enum verdict_kind kind = decide(caller, owner, target->owner, may_share, from_shared);
	verdict_key = kind == VERDICT_SLOW ? NO_KEY : head_key(target->owner);
	verdict_any = kind == VERDICT_ANY || kind == VERDICT_SHAREABLE ? (EXO_R | EXO_W | EXO_X) : 0;
	verdict_cap = kind == VERDICT_FROM_SHARED ? from_shared->share & (EXO_R | EXO_W | EXO_X) : 0;
	verdict_shares = kind == VERDICT_SHAREABLE || kind == VERDICT_FROM_SHARED;
	return kind != VERDICT_SLOW && (rights_fit(verdict_any, desc, frame_head(target)) || within_cap(verdict_cap, desc));
}

/* The plan: each entry's frame (NULL: invalid).  A copy's come from its entries again. */
static struct frame *plan[EXO_PT_ENTRIES];

/* Entry i that the fast test did not pass: a new verdict, else the generic check.  Its frame, or an error. */
static __attribute__((noinline)) int write_slow(struct env *caller, const struct env *owner, u64 desc,
                                                 struct frame *target, u32 i)
{
	if (target && redecide(caller, owner, target, desc, false, NULL)) {
		plan[i] = target;
		return 0;
	}
	int err = pt_check_write_entry(caller, owner, EXO_PT_LEVELS - 1, desc, &checked[i], i);
	plan[i] = checked[i].target;
	return err;
}

/* Check descs[0..count) for a last-level table of owner's: the plan, or the first refusal. */
static int leaf_check_write(struct env *caller, const struct env *owner, const u64 *descs, u32 count)
{
	/* Records are 64 bytes a 4 KiB frame: a page-aligned offset >> 6 is the record's byte offset. */
	_Static_assert(sizeof(struct frame) == PAGE_SIZE >> 6, "record offset = frame offset >> 6");
	const char *records = (const char *)kernel_frames.frames;
	u64 base = kernel_frames.base, span = (u64)kernel_frames.nframes << PAGE_SHIFT;
	u64 key = verdict_key = NO_KEY;
	u32 any = verdict_any = 0;
	UNROLLED
	for (u32 i = 0; i < count; i++) {
		u64 desc = descs[i];
		if (!desc) {
			plan[i] = NULL;
			continue;
		}
		u64 offset = pte_addr(desc).val - base;
		struct frame *target = (struct frame *)(records + (offset >> 6));
		if (__builtin_expect(desc_leaf_ok(desc) && offset < span, 1)) {
			u64 head = frame_head(target);
			if (__builtin_expect((head & HEAD_KEY_MASK) == key && rights_fit(any, desc, head), 1)) {
				plan[i] = target;
				continue;
			}
		} else {
			target = NULL;
		}
		int err = write_slow(caller, owner, desc, target, i);
		if (err)
			return err;
		key = verdict_key;
		any = verdict_any;
	}
	return 0;
}

/*
 * A reference from a table to another owner's frame counts only if that
 * owner counts references from outside (a husk, a release in progress).
 * The loops keep the last owner found not to (`quiet`, FRAME_NO_OWNER to
 * begin with: the kernel's frames count nothing) and ask again only when
 * the owner changes.  Returns the new quiet owner.
 */
static __attribute__((noinline)) u32 count_foreign_ref(const struct frame *target, u32 table_owner, int change,
                                                       u32 quiet)
{
	return ref_change_unless_quiet(target, table_owner, change, quiet);
}

static inline void count_ref(const struct frame *target, u32 table_owner, int change, u32 *quiet)
{
	u32 owner = target->owner;
	if (__builtin_expect(owner != table_owner && owner != *quiet, 0))
		*quiet = count_foreign_ref(target, table_owner, change, *quiet);
}

/*
 * Changed entries that may be cached: each named while a few, then the
 * table's whole address space (the TLB batch would turn to that anyway).
 */
#define NOTE_PAGES 32

static __attribute__((noinline)) void note_page(const struct frame *table, u32 index) { tlb_note_page(table, index); }

static inline void note_change(const struct frame *table, u32 index, u32 *changed)
{
	if ((*changed)++ < NOTE_PAGES)
		note_page(table, index);
}

static void note_done(const struct frame *table, u32 changed)
{
	if (changed > NOTE_PAGES)
		tlb_note_table(table, 0);
}

/* Carry out the plan: entries first..first+count of table become stored[].  Cannot fail. */
static void leaf_apply_write(struct frame *table, u32 first, u32 count, const u64 *stored)
{
	u64 *entries = pt_entries(table) + first;
	struct frame *records = kernel_frames.frames;
	u64 base = kernel_frames.base;
	u32 table_owner = table->owner, changed = 0;
	int used = 0;
	u32 quiet = FRAME_NO_OWNER;
	UNROLLED
	for (u32 i = 0; i < count; i++) {
		u64 old = entries[i], new = stored[i];
		if (old == new)
			continue;
		struct frame *target = plan[i];
		entries[i] = new;
		if (__builtin_expect(old != 0, 0)) {
			struct frame *was = &records[(pte_addr(old).val - base) >> PAGE_SHIFT];
			note_change(table, first + i, &changed);
			if (was == target)
				continue; /* other rights, same frame */
			was->maps--;
			used--;
			count_ref(was, table_owner, -1, &quiet);
			frame_unref_done(was);
		}
		if (target) {
			target->maps++;
			used++;
			count_ref(target, table_owner, +1, &quiet);
		}
	}
	table->used = (u16)(table->used + used);
	if (count)
		table_note_used(table, first, count);
	note_done(table, changed);
}

int pt_leaf_write(struct env *caller, const struct env *owner, struct frame *table, u32 first, u32 count,
                  const u64 *descs)
{
	int err = leaf_check_write(caller, owner, descs, count);
	if (err)
		return err;
	leaf_apply_write(table, first, count, descs);
	tlb_commit();
	husk_collect();
	return 0;
}

/*
 * A copy's entries come from a table, so each valid one is well formed and
 * names a frame record already; with set_bits (which only take rights
 * away) it must still be legal in the destination.
 */
/* Entry i of a copy that the fast test did not pass: a new verdict, else the generic check. */
/*
 * Entry i's frame must first be shared with `need`: the plan's list is
 * cleared the first time (most copies share nothing new, and never touch it).
 */
static __attribute__((noinline)) void share_first(struct leaf_copy_plan *lp, u32 count, u32 i, u8 need)
{
	if (!lp->shares) {
		__builtin_memset(lp->share, 0, count);
		lp->shares = true;
	}
	lp->share[i] = need;
}

/* What a shareable verdict's entry adds to its frame's share: its rights, less what is shared already. */
static inline u8 share_need(u64 stored, u64 head) { return (u8)(desc_leaf_rights(stored) & ~head_share(head)); }

static __attribute__((noinline)) int copy_slow(struct env *caller, const struct env *dst_owner, u64 stored,
                                               struct frame *target, u64 flags, const struct frame *from_shared,
                                               struct leaf_copy_plan *lp, u32 count, u32 i)
{
	if (redecide(caller, dst_owner, target, stored, flags & EXO_COPY_SHARE, from_shared)) {
		u8 need = verdict_shares ? share_need(stored, frame_head(target)) : 0;
		if (need)
			share_first(lp, count, i, need);
		return 0;
	}
	u8 need = 0;
	int err = pt_check_copy_entry(caller, dst_owner, EXO_PT_LEVELS - 1, stored, flags, from_shared, &checked[i], &need,
	                              i);
	if (!err && need)
		share_first(lp, count, i, need);
	return err;
}

/*
 * A shared or shareable verdict's first test, for entries with entry's
 * rights bits: the owner's user frames that share at least stored's rights
 * (the share byte masked to those rights, so a wider share passes too).
 */
static inline void learn_rights(u64 key, u64 stored, u64 entry, u64 *fast_mask, u64 *fast_key, u64 *attr_key)
{
	u64 rights = (u64)desc_leaf_rights(stored) << 24;
	*fast_mask = HEAD_KEY_MASK | rights;
	*fast_key = key | rights;
	*attr_key = entry & DESC_LEAF_RIGHTS_BITS;
}

int pt_leaf_copy_check(struct env *caller, const struct env *dst_owner, const u64 *from, u32 count,
                       u64 set_bits, u64 flags, const struct frame *from_shared, struct leaf_copy_plan *lp)
{
	const char *records = (const char *)kernel_frames.frames;
	u64 base = kernel_frames.base, set = set_bits & DESC_SET_PAGE;
	/*
	 * The first test passes an entry whose frame is a user frame of the
	 * verdict's owner and, when each frame's share decides (a shared or
	 * shareable verdict), whose rights bits are those of the last entry
	 * that needed no share and whose frame shares all those rights: two
	 * masks and compares.  Other entries of that owner take the second.
	 */
	u64 key = verdict_key = NO_KEY, fast_mask = HEAD_KEY_MASK, fast_key = NO_KEY;
	u64 attr_mask = 0, attr_key = 0;
	u32 any = verdict_any = 0, cap = verdict_cap = 0, valid = 0;
	bool shares = verdict_shares = false, by_share = false;
	lp->shares = false;
	UNROLLED
	for (u32 i = 0; i < count; i++) {
		u64 entry = from[i];
		if (!entry)
			continue;
		valid++;
		struct frame *target = (struct frame *)(records + ((pte_addr(entry).val - base) >> 6));
		u64 head = frame_head(target);
		if (__builtin_expect((head & fast_mask) == fast_key && (entry & attr_mask) == attr_key, 1))
			continue;
		u64 stored = entry | set; /* desc_take_rights for a valid last-level entry */
		if ((head & HEAD_KEY_MASK) == key && (rights_fit(any, stored, head) || within_cap(cap, stored))) {
			u8 need = shares ? share_need(stored, head) : 0;
			if (need)
				share_first(lp, count, i, need);
			else if (by_share)
				learn_rights(key, stored, entry, &fast_mask, &fast_key, &attr_key);
			continue;
		}
		int err = copy_slow(caller, dst_owner, stored, target, flags, from_shared, lp, count, i);
		if (err)
			return err;
		key = verdict_key;
		any = verdict_any;
		cap = verdict_cap;
		shares = verdict_shares;
		by_share = !any || shares;
		fast_mask = HEAD_KEY_MASK;
		attr_mask = by_share ? DESC_LEAF_RIGHTS_BITS : 0;
		fast_key = by_share ? NO_KEY : key; /* by share: learnt from the next entry that needs none */
		attr_key = 0;
	}
	lp->valid = valid;
	return 0;
}

/*
 * The apply loop, made once per case so that each copy runs without the
 * others' tests: write_back stores the write-protected entry back into
 * the source (whether or not it changed: the same value is harmless),
 * shares adds the plan's shares.  Whether any entry changed, as bits.
 */
static inline __attribute__((always_inline)) u64 copy_loop(u64 *from, u64 *to, u32 count, u64 set, u32 dst_owner,
                                                           bool write_back, const u8 *share)
{
	const char *records = (const char *)kernel_frames.frames;
	u64 base = kernel_frames.base, changed = 0;
	u32 quiet = FRAME_NO_OWNER;
	UNROLLED
	for (u32 i = 0; i < count; i++) {
		u64 entry = from[i];
		if (!entry)
			continue;
		u64 stored = entry | set;
		struct frame *target = (struct frame *)(records + ((pte_addr(entry).val - base) >> 6));
		if (share)
			target->share |= share[i];
		if (write_back) {
			changed |= stored ^ entry;
			from[i] = stored; /* the same frame with fewer rights: no references change */
		}
		to[i] = stored; /* it was empty: nothing of it can be cached */
		target->maps++;
		count_ref(target, dst_owner, +1, &quiet);
	}
	return changed;
}

/*
 * Carry out a checked copy.  Write-protected source entries are named for
 * the TLB one by one when the table has a few valid entries (each valid
 * one: naming an unchanged page too is harmless), otherwise the table's
 * whole address space is noted once; nothing if none changed.
 */
void pt_leaf_copy_apply(struct frame *src, u32 src_first, struct frame *dst, u32 dst_first, u32 count, bool both,
                        u64 set_bits, const struct leaf_copy_plan *lp)
{
	u64 *from = pt_entries(src) + src_first, *to = pt_entries(dst) + dst_first;
	u64 set = set_bits & DESC_SET_PAGE;
	u32 dst_owner = dst->owner;
	u64 changed;
	if (both && set)
		changed = lp->shares ? copy_loop(from, to, count, set, dst_owner, true, lp->share)
		                     : copy_loop(from, to, count, set, dst_owner, true, NULL);
	else
		changed = lp->shares ? copy_loop(from, to, count, set, dst_owner, false, lp->share)
		                     : copy_loop(from, to, count, set, dst_owner, false, NULL);
	dst->used = (u16)(dst->used + lp->valid);
	if (count)
		table_note_used(dst, dst_first, count);
	if (!changed)
		return;
	if (lp->valid > NOTE_PAGES) {
		tlb_note_table(src, 0);
		return;
	}
	for (u32 i = 0; i < count; i++)
		if (from[i])
			note_page(src, src_first + i);
}
