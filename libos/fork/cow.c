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

#define SLOT (2ull << 20)
#define PAGE 4096ull
#define COW_BITS (EXO_PTE_RO | EXO_PTE_SW0)
#define COW_FLAGS (EXO_COPY_BOTH | EXO_COPY_SHARE)
#define SLOTS_END ((u64)EXO_PT_WINDOW_SLOT << (39 - 21)) /* slots of the level-0 table below the window */

enum slot_kind { SLOT_RUN, SLOT_SKIP, SLOT_EAGER, SLOT_MIXED };

static enum slot_kind kind_of(u64 va)
{
	if (fork_va_skipped(va))
		return SLOT_SKIP;
	if (va == FORK_UPCALL_SLOT)
		return SLOT_EAGER;
	return fork_range_shared(va, va + SLOT) ? SLOT_MIXED : SLOT_RUN;
}

/* Entries [first, first + count) of our table `from` into the child's `to`: shared or copy-on-write. */
static int copy_run(u64 from, u64 to, u32 first, u32 count, bool shared)
{
	i64 err = shared ? exo_pt_copy(from, first, to, first, count, 0, 0)
	                 : exo_pt_copy(from, first, to, first, count, COW_BITS, COW_FLAGS);
	return err < 0 ? -L_ENOMEM : 0;
}

/* A slot with shared pages: runs of shared and of private entries, a copy each. */
static int copy_mixed(struct fork_job *job, u64 va, u64 ours, u64 table)
{
	const u64 *entries = exo_window_table(3, va);
	u32 start = 0;
	bool shared = fork_page_shared(va);
	for (u32 i = 1; i <= EXO_PT_ENTRIES; i++) {
		bool now = i < EXO_PT_ENTRIES && fork_page_shared(va + i * PAGE);
		if (i < EXO_PT_ENTRIES && now == shared)
			continue;
		u32 valid = 0;
		for (u32 k = start; k < i; k++)
			valid += (entries[k] & EXO_PTE_VALID) != 0;
		if (valid) {
			int err = copy_run(ours, table, start, i - start, shared);
			if (err)
				return err;
			*(shared ? &job->pages_shared : &job->entries_cow) += valid;
		}
		start = i;
		shared = now;
	}
	return 0;
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
	int err = kind == SLOT_EAGER ? fork_eager_leaf(job, va, (u64)table) : copy_mixed(job, va, ours, (u64)table);
	u64 link = (u64)table | EXO_PTE_TABLE;
	if (!err && exo_pt_write((u64)parent, exo_pt_index(2, va), 1, &link) < 0)
		err = -L_ENOMEM;
	return err;
}

/* EXO_PT_COPY_TABLES over slots [start, end) of our root, call after call. */
static int copy_slots(struct fork_job *job, u64 start, u64 end)
{
	while (start < end) {
		i64 stopped = exo_pt_copy_tables(libos.root, job->child_root, start, end, COW_BITS, COW_FLAGS);
		if (stopped < 0 || (u64)stopped <= start)
			return -L_ENOMEM;
		start = (u64)stopped;
	}
	return 0;
}

/*
 * Every slot with a last-level table of ours: the special ones first (so
 * the child's upper tables libos makes for them exist before
 * EXO_PT_COPY_TABLES walks into them), then the runs between them.
 */
#define SPECIAL_MAX 64
static u64 specials[SPECIAL_MAX];

static int cow_copy_space(struct fork_job *job)
{
	u32 nspecial = 0;
	mm_cow_pages = true; /* in both: the child's copy is made after this */
	for (u32 l0 = 0; l0 < EXO_PT_WINDOW_SLOT; l0++) {
		u64 va0 = (u64)l0 << 39;
		if (!(exo_window_l0()[l0] & EXO_PTE_VALID))
			continue;
		for (u32 l1 = 0; l1 < EXO_PT_ENTRIES; l1++) {
			u64 va1 = va0 + ((u64)l1 << 30);
			if (!(exo_window_table(1, va1)[l1] & EXO_PTE_VALID))
				continue;
			const u64 *l2_entries = exo_window_table(2, va1);
			for (u32 l2 = 0; l2 < EXO_PT_ENTRIES; l2++) {
				u64 va = va1 + ((u64)l2 << 21);
				enum slot_kind kind = l2_entries[l2] & EXO_PTE_VALID ? kind_of(va) : SLOT_RUN;
				if (kind == SLOT_RUN)
					continue;
				if (nspecial == SPECIAL_MAX)
					return -L_ENOMEM; /* an address space in more pieces than this variant handles */
				int err = kind == SLOT_SKIP ? 0 : copy_special(job, va, kind);
				if (err)
					return err;
				specials[nspecial++] = va >> 21;
			}
		}
	}
	u64 run_start = 0;
	for (u32 i = 0; i < nspecial; i++) {
		int err = copy_slots(job, run_start, specials[i]);
		if (err)
			return err;
		run_start = specials[i] + 1;
	}
	return copy_slots(job, run_start, SLOTS_END);
}

const struct fork_variant fork_cow = { "cow", cow_copy_space };

int fork_cow_fault(u64 addr)
{
	u64 page = addr & ~(PAGE - 1);
	u64 desc = as_lookup_self(page);
	if (!(desc & EXO_PTE_VALID) || !(desc & EXO_PTE_SW0))
		return 0;
	if (!(desc & EXO_PTE_RO))
		return 1; /* made writable meanwhile (another thread): try again */
	if (!mm_writable_at(page))
		return 0; /* a write the region does not allow: a real fault */
	i64 table = as_table(&libos.self, 3, page, false);
	if (table < 0 || exo_pt_cow((u64)table, exo_pt_index(3, page)) < 0)
		return 0;
	LIBOS_SAFE->cow_faults++; /* fault-safe memory: a handler must not fault */
	return 1;
}
