/*
 * The cow variant (the default): the child gets copies of our last-level
 * tables whose entries map our frames; in both, private pages are made
 * read-only and marked copy-on-write (EXO_PTE_SW0).  The first write to
 * such a page, by either side, faults; fork_cow_fault then asks the kernel
 * for a private copy (EXO_PT_COW), or just for write access when no other
 * mapping of the frame is left.  Fork's cost grows with the tables present
 * (about 35 instructions an entry in the kernel), not with the pages' bytes.
 *
 * Most of the address space is copied by EXO_PT_COPY_TABLES from our root,
 * in runs of 2 MiB slots.  Slots that need more care are done first, each
 * with a last-level table of the child's that we make:
 *  - our upcall stack's slot is copied eagerly (a handler must never fault
 *    on its own stack);
 *  - a slot with shared pages (pipes, the boot archive, MAP_SHARED memory)
 *    is copied entry run by entry run with EXO_PT_COPY: shared runs as they
 *    are, private runs write-protected in both.
 * The runs then skip those slots (EXO_PT_COPY_TABLES leaves a slot where
 * the destination already has a table alone only if asked not to go there).
 */
#include "libos/fork/fork.h"
#include "libos/proctab.h"
#include "libos/tree.h"
#include "libos/region.h"

#define SLOT (2ull << 20)
#define PAGE 4096ull
#define SLOTS_END ((u64)EXO_PT_WINDOW_SLOT << (39 - 21)) /* slots of the level-0 table below the window */

_Static_assert(FORK_SCRATCH_VA == TREE_END, "the fork scratch slot follows the file tree's, which fork skips too");
_Static_assert(PIPE_AREA % SLOT == 0 && PROC_TABLE_END - PIPE_AREA <= SLOT, "libos's shared slot: pipes, the process table, the tree's frames");

/*
 * SLOT_COW_RUN and SLOT_SHARE_RUN: regions advised EXO_MADV_FORK_COW or
 * _SHARE, copied as the cow or the shared variant would whatever this one
 * is (one advised _COPY is SLOT_EAGER).
 */
enum slot_kind { SLOT_RUN, SLOT_SKIP, SLOT_EAGER, SLOT_MIXED, SLOT_SHARED, SLOT_LINK, SLOT_COW_RUN, SLOT_SHARE_RUN };

/* Entries [first, first + count) of our table `from` into the child's `to`: shared or copy-on-write. */
static int copy_run(u64 from, u64 to, u32 first, u32 count, bool shared)
{
	i64 err = shared ? exo_pt_copy(from, first, to, first, count, 0, 0)
	                 : exo_pt_copy(from, first, to, first, count, FORK_COW_BITS, FORK_COW_FLAGS);
	return err < 0 ? -L_ENOMEM : 0;
}

/*
 * A slot with pages that are not plain private memory: runs of entries of
 * one class (fork_page_class), a copy each: shared runs as they are,
 * private runs write-protected, left-out runs not at all.  Only valid
 * entries are asked their class; an empty one joins whatever run it is in.
 * A slot all shared (SLOT_SHARED: libos's pipe area) is one copy.
 */
static int copy_run_of(struct fork_job *job, u64 ours, u64 table, u32 start, u32 end, enum fork_page class,
                       u32 valid)
{
	if (!valid || class == FORK_PAGE_LEAVE)
		return 0;
	int err = copy_run(ours, table, start, end - start, class == FORK_PAGE_SHARED);
	*(class == FORK_PAGE_SHARED ? &job->pages_shared : &job->entries_cow) += valid;
	return err;
}

static int copy_mixed(struct fork_job *job, u64 va, u64 ours, u64 table, bool all_shared)
{
	const u64 *entries = exo_window_table(3, va);
	u32 start = 0, valid = 0, end = 0; /* the last run ends after its last valid entry: no more is copied */
	enum fork_page class = all_shared ? FORK_PAGE_SHARED : FORK_PAGE_PRIVATE;
	u32 limit = all_shared ? (u32)((PROC_TABLE_END - PIPE_AREA) / PAGE) : EXO_PT_ENTRIES; /* what libos maps there */
	for (u32 i = 0; i < limit; i++) {
		if (!(entries[i] & EXO_PTE_VALID))
			continue;
		end = i + 1;
		enum fork_page now = all_shared ? FORK_PAGE_SHARED : fork_page_class(va + i * PAGE);
		if (now != class && valid) {
			int err = copy_run_of(job, ours, table, start, i, class, valid);
			if (err)
				return err;
			start = i, valid = 0;
		}
		class = now;
		valid++;
	}
	return copy_run_of(job, ours, table, start, end, class, valid);
}

/* A slot done by hand: the child's last-level table made, filled and linked. */
static int copy_special(struct fork_job *job, u64 va, enum slot_kind kind)
{
	u64 ours = exo_window_table(2, va)[exo_pt_index(2, va)] & EXO_PTE_ADDR_MASK;
	i64 parent = as_table(&job->space, 2, va, true);
	i64 table = parent < 0 ? parent : exo_pt_alloc(job->child, 3);
	if (table < 0)
		return -L_ENOMEM;
	job->tables++;
	int err = kind == SLOT_EAGER ? fork_eager_leaf(job, va, (u64)table)
	                             : copy_mixed(job, va, ours, (u64)table, kind == SLOT_SHARED);
	u64 link = (u64)table | EXO_PTE_TABLE;
	if (!err && exo_pt_write((u64)parent, exo_pt_index(2, va), 1, &link) < 0)
		err = -L_ENOMEM;
	return err;
}

/* EXO_FORKSTAT: what a run did, counted from our own tables (only then: it costs a walk). */
static int count_visit(u64 table, u32 first, u32 last, const u64 *entries, void *arg)
{
	(void)table;
	u64 *counts = arg;
	u64 valid = 0;
	for (u32 i = first; i < last; i++)
		valid += (entries[i] & EXO_PTE_VALID) != 0;
	counts[0] += valid != 0;
	counts[1] += valid;
	return 0;
}

static void count_run(struct fork_job *job, u64 start, u64 end, u64 flags)
{
	u64 counts[2] = { 0, 0 }; /* last-level tables with entries, entries */
	int (*hook)(u64) = as_before_change;
	as_before_change = NULL; /* counting changes nothing */
	as_each_leaf_table_self(start << 21, MIN(end << 21, EXO_USER_VA_END), count_visit, counts);
	as_before_change = hook;
	if (flags & EXO_COPY_LINK) {
		job->tables_shared += counts[0];
	} else {
		job->tables += counts[0];
		job->entries_cow += counts[1];
	}
}

/* EXO_PT_COPY_TABLES over slots [start, end) of our root, call after call. */
static int copy_slots(struct fork_job *job, u64 start, u64 end, u64 bits, u64 flags)
{
	if (fork_stat)
		count_run(job, start, end, flags);
	while (start < end) {
		i64 stopped = exo_pt_copy_tables(libos.root, job->child_root, start, end, bits, flags);
		if (stopped < 0 || (u64)stopped <= start)
			return -L_ENOMEM;
		start = (u64)stopped;
	}
	return 0;
}

/*
 * The slots that are not plain copy-on-write, known from libos's own
 * layout (no walk of the tables needed): ranges of 2 MiB slots, each with
 * what happens to it, sorted by start.
 */
struct special {
	u64 start, end; /* slots: va >> 21 */
	enum slot_kind kind;
};
#define SPECIAL_MAX 64
#define ADVISED_MAX 16
struct specials {
	struct special at[SPECIAL_MAX];
	u32 count;
}; /* on the upcall stack: fork's own bookkeeping never makes the next fork fault */

static void add_special(struct specials *list, u64 va_start, u64 va_end, enum slot_kind kind)
{
	if (va_start >= va_end)
		return;
	struct special added = { va_start >> 21, ((va_end - 1) >> 21) + 1, kind };
	u32 at = list->count++;
	for (; at > 0 && list->at[at - 1].start > added.start; at--)
		list->at[at] = list->at[at - 1];
	list->at[at] = added;
}

#define SCRATCH_VA 0x0000010000000000ull /* exec.c's */
#define RECLAIM_VA 0x0000011000000000ull /* proc.c's */

/*
 * The advised ranges, in slots, less the slots already in the list (its
 * own handling wins there, and so does a lower advised range): the pieces
 * left are added.  Advice is a hint: past ADVISED_MAX ranges, or when the
 * list is full, the rest is done as the variant does.
 */
static void add_advised(struct specials *list)
{
	u64 starts[ADVISED_MAX], ends[ADVISED_MAX];
	u8 advice[ADVISED_MAX];
	u32 count = MIN(mm_fork_advised_ranges(starts, ends, advice, ADVISED_MAX), ADVISED_MAX);
	for (u32 r = 0; r < count; r++) {
		enum slot_kind kind = advice[r] == ADVICE_COPY ? SLOT_EAGER
		                      : advice[r] == ADVICE_COW ? SLOT_COW_RUN : SLOT_SHARE_RUN;
		u64 from = starts[r] >> 21, end = ((ends[r] - 1) >> 21) + 1;
		u32 taken = list->count; /* the list grows as pieces go in: look at what was there */
		u32 room = SPECIAL_MAX - list->count, npieces = 0;
		struct special pieces[SPECIAL_MAX];
		for (u32 i = 0; i < taken && from < end && npieces < room; i++) {
			const struct special *held = &list->at[i];
			if (held->end <= from || held->start >= end)
				continue;
			if (held->start > from)
				pieces[npieces++] = (struct special){ from, held->start, kind };
			from = MAX(from, held->end);
		}
		if (from < end && npieces < room)
			pieces[npieces++] = (struct special){ from, end, kind };
		for (u32 i = 0; i < npieces; i++)
			add_special(list, pieces[i].start << 21, pieces[i].end << 21, kind);
	}
}

/* 0, or -ENOMEM when there are more MAP_SHARED or advised ranges than this variant keeps apart. */
static int find_specials(struct specials *list)
{
	list->count = 0;
	add_special(list, FORK_SCRATCH_VA, FORK_SCRATCH_VA + SLOT, SLOT_SKIP);
	add_special(list, SCRATCH_VA, SCRATCH_VA + SLOT, SLOT_SKIP);
	add_special(list, RECLAIM_VA, RECLAIM_VA + SLOT, SLOT_SKIP);
	add_special(list, TREE_OFDS_VA, TREE_END, SLOT_SKIP); /* the file tree: each process maps it as it uses it */
	add_special(list, LIBOS_UPCALL_AREA_START, PIPE_AREA, SLOT_SKIP); /* threads', a vfork child's */
	add_special(list, PIPE_AREA + SLOT, FORK_UPCALL_SLOT, SLOT_SKIP);
	add_special(list, FORK_UPCALL_SLOT, FORK_UPCALL_SLOT + SLOT, SLOT_EAGER);
	add_special(list, libos.archive & ~(SLOT - 1), libos.archive + libos.archive_size, SLOT_LINK);
	add_special(list, PIPE_AREA, PROC_TABLE_END, SLOT_SHARED); /* the slot holds only pipes, the process table and the tree's frames */
	u64 starts[SPECIAL_MAX - ADVISED_MAX - 8], ends[SPECIAL_MAX - ADVISED_MAX - 8];
	u32 shared = mm_fork_special_ranges(starts, ends, ARRAY_LEN(starts));
	if (shared == ARRAY_LEN(starts))
		return -L_ENOMEM;
	for (u32 i = 0; i < shared; i++)
		add_special(list, starts[i], ends[i], SLOT_MIXED);
	add_advised(list);
	return 0;
}

/* Has our address space a last-level table for the slot? */
static bool slot_present(u64 slot)
{
	u64 va = slot << 21;
	for (u32 level = 0; level < 3; level++)
		if (!(exo_window_table(level, va)[exo_pt_index(level, va)] & EXO_PTE_VALID))
			return false;
	return true;
}

/*
 * The slots done by hand first (so the child's upper tables libos makes for
 * them exist before EXO_PT_COPY_TABLES walks into them), then the rest:
 * the boot archive's last-level tables linked read-only (every process maps
 * it the same), everything between the special ranges copied copy-on-write.
 * The archive is linked only where its slots hold nothing else: it starts
 * on a slot (the kernel maps it at BOOT_ARCHIVE_VA) and libos puts nothing
 * after it.
 */
int fork_copy_space(struct fork_job *job, u64 run_bits, u64 run_flags)
{
	if (!mm_cow_pages)
		mm_cow_pages = true; /* in both: the child's copy is made after this */
	struct specials list;
	int err = find_specials(&list);
	for (u32 i = 0; !err && i < list.count; i++)
		if (list.at[i].kind == SLOT_SHARE_RUN) {
			fork_share_hooks(); /* before the copy: the child's memory holds them too */
			break;
		}
	u64 done = 0; /* slots below are done: ranges may share a slot */
	for (u32 i = 0; !err && i < list.count; i++) {
		const struct special *range = &list.at[i];
		if (range->kind != SLOT_EAGER && range->kind != SLOT_MIXED && range->kind != SLOT_SHARED)
			continue;
		for (u64 slot = MAX(range->start, done); !err && slot < range->end; slot++)
			if (slot_present(slot))
				err = copy_special(job, slot << 21, range->kind);
		done = MAX(done, range->end);
	}
	u64 run_start = 0;
	for (u32 i = 0; !err && i < list.count; i++) {
		const struct special *range = &list.at[i];
		if (range->start > run_start)
			err = copy_slots(job, run_start, range->start, run_bits, run_flags);
		if (!err && range->kind == SLOT_LINK)
			err = copy_slots(job, range->start, range->end, EXO_PTE_APT_RO, EXO_COPY_LINK | EXO_COPY_SHARE);
		if (!err && range->kind == SLOT_COW_RUN)
			err = copy_slots(job, range->start, range->end, FORK_COW_BITS, FORK_COW_FLAGS);
		if (!err && range->kind == SLOT_SHARE_RUN)
			err = copy_slots(job, range->start, range->end, FORK_SHARE_BITS, FORK_SHARE_FLAGS);
		run_start = MAX(run_start, range->end);
	}
	return err ? err : copy_slots(job, run_start, SLOTS_END, run_bits, run_flags);
}

static int cow_copy_space(struct fork_job *job) { return fork_copy_space(job, FORK_COW_BITS, FORK_COW_FLAGS); }

const struct fork_variant fork_cow = { .name = "cow", .copy_space = cow_copy_space };

/*
 * Under the libos lock (fault-safe, taken again by a thread that holds
 * it): munmap and mmap hold it too, so the entry read is the one copied
 * from.  Without it another thread could replace the page with a file's
 * between the look and the copy, and the file's page would be the one
 * copied from, and given up.
 */
static int cow_locked(u64 page)
{
	u64 desc = as_lookup_self(page);
	if (!(desc & EXO_PTE_VALID) || !(desc & EXO_PTE_SW0))
		return 0;
	if (!(desc & EXO_PTE_RO))
		return 1; /* made writable meanwhile (another thread): try again */
	if (!mm_writable_at(page))
		return 0; /* a write the region does not allow: a real fault */
	i64 table = as_table(&libos.self, 3, page, false);
	if (table < 0 || mm_cow_copy((u64)table, page, desc) < 0)
		return -L_ENOMEM; /* no frame for the copy */
	LIBOS_SAFE->cow_faults++; /* fault-safe memory: a handler must not fault */
	return 1;
}

int fork_cow_fault(u64 addr)
{
	u64 page = addr & ~(PAGE - 1);
	int unshared = fork_unshare_fault(page);
	if (unshared)
		return unshared; /* the table is ours now: the write comes again (and may copy the page) */
	libos_lock();
	int result = cow_locked(page);
	libos_unlock();
	return result;
}
