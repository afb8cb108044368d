/*
 * The shared variant (on-demand fork): parent and child share our
 * last-level tables, linked read-only (APTable) in both, so fork costs the
 * upper tables only, whatever the memory's size.  The first write through
 * a shared table, by either side, faults; the writer then gets a private
 * copy of the table (EXO_PT_COPY, its pages write-protected and marked
 * copy-on-write) linked writable in its place, and the write comes again:
 * from there on it is the cow variant, page by page.  Any other change to
 * such a table (a new page, munmap, mprotect) makes it private first
 * (aspace.c's as_before_change).
 *
 * The special slots are cow's (cow.c): our upcall stack copied, pipes and
 * MAP_SHARED memory shared as they are, the boot archive linked.
 */
#include "libos/fork/fork.h"

#define UNSHARE_TRIES 1000 /* yields while a sharing process's end is released (each lets a step run) */

/* Our level-2 entry for va, and the table it is in (0: none). */
static u64 link_of(u64 va, i64 *l2)
{
	for (u32 level = 0; level < 2; level++)
		if (!(exo_window_table(level, va)[exo_pt_index(level, va)] & EXO_PTE_VALID))
			return 0;
	*l2 = (i64)(exo_window_table(1, va)[exo_pt_index(1, va)] & EXO_PTE_ADDR_MASK);
	return exo_window_table(2, va)[exo_pt_index(2, va)];
}

/*
 * A table of ours that nothing else links any more (the child has taken
 * its own copy, or has ended): no copy is needed.  Its pages may still be
 * the child's too (its copy maps them), so they become copy-on-write here,
 * written in place in pieces (the buffer is on the upcall stack: a fault
 * handler writes nothing else), and the link is made writable again.
 */
#define PROTECT_PIECE 128

static int protect_in_place(u64 va, u64 table, i64 l2, u64 link)
{
	const u64 *entries = exo_window_table(3, va);
	u64 descs[PROTECT_PIECE];
	for (u32 first = 0; first < EXO_PT_ENTRIES; first += PROTECT_PIECE) {
		u32 lo = PROTECT_PIECE, hi = 0; /* the piece's entries that change: only they are written */
		for (u32 i = 0; i < PROTECT_PIECE; i++) {
			u64 entry = entries[first + i];
			descs[i] = entry & EXO_PTE_VALID ? entry | FORK_COW_BITS : 0;
			if (descs[i] != entry)
				lo = MIN(lo, i), hi = i + 1;
		}
		if (hi && exo_pt_write(table, first + lo, hi - lo, descs + lo) < 0)
			return -L_ENOMEM;
	}
	u64 writable = link & ~EXO_PTE_APT_RO;
	if (exo_pt_write((u64)l2, exo_pt_index(2, va), 1, &writable) < 0)
		return -L_ENOMEM;
	LIBOS_SAFE->unshares++;
	return 0;
}

/*
 * The table for va made ours if it is shared: 0 (nothing to do, or done),
 * or a negative error.  Calls only: it runs in fault handlers, where a
 * fault on a write-protected page of ours would be fatal.  Under the libos
 * lock (fault-safe memory, taken again by a thread that holds it), with
 * the link read again: two threads faulting on one shared table would
 * otherwise both copy it, and the second's link would replace the first's
 * copy, and the write made through it.
 */
static int unshare_locked(u64 va);

static int unshare(u64 va)
{
	i64 l2 = 0;
	u64 link = link_of(va, &l2);
	if (!(link & EXO_PTE_VALID) || !(link & EXO_PTE_APT_RO) || fork_in_archive(va))
		return 0; /* the common case, without the lock */
	libos_lock();
	int err = unshare_locked(va);
	libos_unlock();
	return err;
}

static int unshare_locked(u64 va)
{
	i64 l2 = 0;
	u64 link = link_of(va, &l2);
	if (!(link & EXO_PTE_VALID) || !(link & EXO_PTE_APT_RO))
		return 0; /* another thread made it ours meanwhile */
	/* Ours and linked only by us (a count for tables we act on; EPERM for our parent's): no copy. */
	i64 links = exo_frame_maps(link & EXO_PTE_ADDR_MASK);
	if (links == 1)
		return protect_in_place(va, link & EXO_PTE_ADDR_MASK, l2, link);
	/*
	 * The new table is the address space's owner's: the process's, or in a
	 * forked child's first act the child itself (libos.env may still be its
	 * parent's), or for a vfork child its parent's (libos.env).
	 */
	u64 self = (u64)exo_self();
	bool vfork_child = LIBOS_SAFE->fork_unsettled != self && libos_in_vfork_child();
	i64 fresh = exo_pt_alloc(vfork_child ? libos.env : libos_process_of(self), 3);
	if (fresh < 0)
		return -L_ENOMEM;
	u64 shared = link & EXO_PTE_ADDR_MASK, relink = (u64)fresh | EXO_PTE_TABLE;
	/*
	 * Only the span from its first entry in use to its last is copied: a
	 * shell's stack or heap uses a few dozen of a table's 512 entries, and
	 * the kernel checks each entry it is asked to copy, empty or not.
	 */
	const u64 *entries = exo_window_table(3, va); /* the shared table, read through our link */
	u32 first = 0, end = EXO_PT_ENTRIES;
	while (first < end && !(entries[first] | entries[first + 1] | entries[first + 2] | entries[first + 3]))
		first += 4; /* four at a time: the empty ends are most of a sparse table */
	while (end > first && !(entries[end - 1] | entries[end - 2] | entries[end - 3] | entries[end - 4]))
		end -= 4;
	while (first < end && !entries[first])
		first++;
	while (end > first && !entries[end - 1])
		end--;
	/*
	 * Refused while the process that shares the table is ending (its frames
	 * take no new references until its release is done, then it is a husk
	 * and the copy is allowed): let the release go on, and try again.
	 */
	i64 err;
	for (u32 tries = 0;; tries++) {
		err = first < end ? exo_pt_copy(shared, first, (u64)fresh, first, end - first, FORK_COW_BITS, 0) : 0;
		if (err != -EXO_EPERM || tries == UNSHARE_TRIES)
			break;
		exo_yield();
	}
	if (!err)
		err = exo_pt_write((u64)l2, exo_pt_index(2, va), 1, &relink);
	if (err < 0) {
		u64 frame = (u64)fresh;
		exo_frame_free(&frame, 1);
		/* EPERM: still refused after the tries (doc/fork.md, Limits). */
		return err == -EXO_EPERM ? -L_EPERM : -L_ENOMEM;
	}
	/*
	 * Ours (a parent's table that a child copies is its parent's): nothing
	 * of ours links it now, and the kernel frees it, dropping the pages it
	 * maps, when the processes we shared it with let go.
	 */
	if (links >= 0)
		exo_frame_free(&shared, 1 | EXO_FREE_WHEN_UNUSED);
	LIBOS_SAFE->unshares++;
	return 0;
}

static int leave_as_is(u64 table, u32 first, u32 last, const u64 *entries, void *arg)
{
	(void)table, (void)first, (void)last, (void)entries, (void)arg;
	return 0;
}

void fork_unshare_all(void)
{
	/* The walk asks as_before_change (unshare) about every last-level table before visiting it. */
	as_each_leaf_table_self(0, EXO_USER_VA_END, leave_as_is, NULL);
}

int fork_unshare_fault(u64 page)
{
	i64 l2 = 0;
	u64 link = link_of(page, &l2);
	if (!(link & EXO_PTE_APT_RO) || fork_in_archive(page) || !mm_writable_at(page))
		return 0; /* not a shared table's, or a write the region refuses anyway */
	int err = unshare(page);
	return err ? err : 1;
}

void fork_share_hooks(void)
{
	if (!as_before_change)
		as_before_change = unshare; /* in both: the child's copy is made after this */
	if (!mm_cow_pages)
		mm_cow_pages = true;
}

static int shared_copy_space(struct fork_job *job)
{
	fork_share_hooks();
	return fork_copy_space(job, FORK_SHARE_BITS, FORK_SHARE_FLAGS);
}

const struct fork_variant fork_shared = { .name = "shared", .copy_space = shared_copy_space };
