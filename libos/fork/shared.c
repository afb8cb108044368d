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

#define COW_BITS (EXO_PTE_RO | EXO_PTE_SW0)

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
 * The table for va made ours if it is shared: 0 (nothing to do, or done),
 * or a negative error.  Calls only: it runs in fault handlers, where a
 * fault on a write-protected page of ours would be fatal.
 */
static int unshare(u64 va)
{
	i64 l2 = 0;
	u64 link = link_of(va, &l2);
	if (!(link & EXO_PTE_VALID) || !(link & EXO_PTE_APT_RO) || fork_in_archive(va))
		return 0;
	/* Ours: the process's (libos.env may still be our parent's, in a child's first act). */
	i64 fresh = exo_pt_alloc(libos_process_of((u64)exo_self()), 3);
	if (fresh < 0)
		return -L_ENOMEM;
	u64 shared = link & EXO_PTE_ADDR_MASK, relink = (u64)fresh | EXO_PTE_TABLE;
	i64 err = exo_pt_copy(shared, 0, (u64)fresh, 0, EXO_PT_ENTRIES, COW_BITS, 0);
	if (!err)
		err = exo_pt_write((u64)l2, exo_pt_index(2, va), 1, &relink);
	if (err < 0) {
		u64 frame = (u64)fresh;
		exo_frame_free(&frame, 1);
		/* EPERM: the table's owner has ended and is no ancestor of ours any more (doc/fork.md). */
		return err == -EXO_EPERM ? -L_EPERM : -L_ENOMEM;
	}
	LIBOS_SAFE->unshares++;
	return 0;
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

static int shared_copy_space(struct fork_job *job)
{
	if (!as_before_change)
		as_before_change = unshare; /* in both: the child's copy is made after this */
	if (!mm_cow_pages)
		mm_cow_pages = true;
	return fork_copy_space(job, EXO_PTE_APT_RO, EXO_COPY_LINK | EXO_COPY_SHARE | EXO_COPY_BOTH);
}

const struct fork_variant fork_shared = { "shared", shared_copy_space, NULL };
