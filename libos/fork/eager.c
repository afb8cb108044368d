/*
 * The eager variant: every private page is copied at fork time, so parent
 * and child never share a writable frame and no later fault is fork's.
 * Its cost grows with the memory present: one frame and one 4 KiB copy per
 * private page, one batch of calls per last-level table.
 *
 * The walk follows our own tables through the kernel's read-only window
 * (exo_window_table), making the child's tree as it goes.  Per last-level
 * table: the child's frames for its private pages are taken in one call,
 * mapped in one call at FORK_SCRATCH_VA in our space, filled from our pages,
 * unmapped in one call, and the child's table written in one call (the
 * copies, and the shared pages' own entries).
 */
#include "libos/fork/fork.h"
#include "libos/filemap.h"
#include "libos/pipe.h"
#include "libos/region.h"
#include <string.h>

#define PAGE 4096ull
#define UPCALL_STACK_BOTTOM (LIBOS_UPCALL_STACK_TOP - UPCALL_PAGES * PAGE)
#define ADDR(desc) ((desc) & EXO_PTE_ADDR_MASK)

/*
 * A last-level table is done CHUNK entries at a time, with its arrays on
 * the upcall stack (fork runs in a system call): nothing of this lives in
 * memory that a copy-on-write fork would make the next fork fault on.
 */
#define CHUNK 64
_Static_assert(EXO_PT_ENTRIES % CHUNK == 0, "whole chunks");

static struct fork_job *job_now;
static u64 scratch_table; /* our last-level table at FORK_SCRATCH_VA */

/*
 * The child's frames for a chunk's private pages go through the scratch
 * table's first CHUNK entries; sources our program cannot read where they
 * are (PROT_NONE: no access flag) through the next CHUNK, read-only.
 */
static void copy_pages(u64 va_base, const u64 *from, const u16 *private_at, const u64 *frames, u32 count)
{
	u64 descs[2 * CHUNK] = { 0 };
	for (u32 k = 0; k < count; k++) {
		u64 entry = from[private_at[k]];
		descs[k] = frames[k] | PAGE_RW;
		descs[CHUNK + k] = entry & EXO_PTE_AF ? 0 : ADDR(entry) | PAGE_RO;
	}
	exo_pt_write(scratch_table, 0, 2 * CHUNK, descs);
	for (u32 k = 0; k < count; k++) {
		u32 i = private_at[k];
		u64 source = from[i] & EXO_PTE_AF ? va_base + i * PAGE : FORK_SCRATCH_VA + (CHUNK + k) * PAGE;
		memcpy((void *)(FORK_SCRATCH_VA + k * PAGE), (const void *)source, PAGE);
	}
	memset(descs, 0, sizeof(descs));
	exo_pt_write(scratch_table, 0, 2 * CHUNK, descs);
}

/* Entries [first, first + CHUNK) of our table for va_base into the child's `table`. */
static int copy_chunk(u64 va_base, const u64 *from, u32 first, u64 table)
{
	u64 out[CHUNK], frames[CHUNK];
	u16 private_at[CHUNK];
	u32 privates = 0, valid = 0;
	for (u32 i = first; i < first + CHUNK; i++) {
		u64 desc = from[i];
		out[i - first] = 0;
		if (!(desc & EXO_PTE_VALID))
			continue;
		valid++;
		enum fork_page class = fork_page_class(va_base + i * PAGE);
		if ((va_base + i * PAGE >= UPCALL_STACK_BOTTOM && va_base + i * PAGE < LIBOS_UPCALL_STACK_TOP) ||
		    class == FORK_PAGE_LEAVE) {
			valid--; /* the upcall stack (the child's is fresh: copy_leaf), or left out by madvise */
		} else if (class == FORK_PAGE_SHARED || (desc & NOT_OURS_PTE)) { /* the tree's or the archive's: as it is */
			out[i - first] = desc; /* the same frame: legal for the child if shared with it */
			job_now->pages_shared++;
		} else {
			private_at[privates++] = (u16)i;
		}
	}
	if (!valid)
		return 0;
	if (privates && exo_frame_alloc(job_now->child, privates, frames) != (i64)privates)
		return -L_ENOMEM; /* what it took is the child's, destroyed with it */
	if (privates)
		copy_pages(va_base, from, private_at, frames, privates);
	for (u32 k = 0; k < privates; k++) {
		u32 i = private_at[k];
		out[i - first] = frames[k] | (from[i] & ~EXO_PTE_ADDR_MASK); /* our rights and attributes */
	}
	job_now->pages_copied += privates;
	return exo_pt_write(table, first, CHUNK, out) < 0 ? -L_ENOMEM : 0;
}

static int scratch_ready(struct fork_job *job)
{
	i64 scratch = as_table(&libos.self, 3, FORK_SCRATCH_VA, true);
	if (scratch < 0)
		return -L_ENOMEM;
	if (job_now != job || scratch_table != (u64)scratch) /* written only when they change: see CHUNK */
		job_now = job, scratch_table = (u64)scratch;
	return 0;
}

/*
 * The child's copy of our last-level table for the 2 MiB at va_base, into
 * its new table `table`.  Our upcall stack holds nothing the child needs
 * (its first act starts at the top), so it gets fresh zeroed pages there:
 * no copy.
 */
static int copy_leaf(u64 va_base, u64 table)
{
	const u64 *from = exo_window_table(3, va_base);
	for (u32 first = 0; first < EXO_PT_ENTRIES; first += CHUNK) {
		int err = copy_chunk(va_base, from, first, table);
		if (err)
			return err;
	}
	if (va_base != FORK_UPCALL_SLOT)
		return 0;
	return exo_pt_map_new(table, exo_pt_index(3, UPCALL_STACK_BOTTOM), UPCALL_PAGES, PAGE_RW, NULL) < 0 ? -L_ENOMEM : 0;
}

/*
 * A slot advised EXO_MADV_FORK_COW or _SHARE (region.h's advice): our
 * last-level table, entry `index` of our level-2 table, copied
 * copy-on-write into a new table of the child's, or linked read-only in
 * both (the shared variant's way), from the child's level-2 `child_l2`.
 */
static int copy_advised(u32 index, u64 va, u64 child_l2, u8 advice)
{
	u64 ours_l2 = exo_window_table(1, va)[exo_pt_index(1, va)] & EXO_PTE_ADDR_MASK;
	if (advice == ADVICE_SHARE) {
		if (exo_pt_copy(ours_l2, index, child_l2, index, 1, FORK_SHARE_BITS, EXO_COPY_SHARE | EXO_COPY_BOTH) < 0)
			return -L_ENOMEM;
		job_now->tables_shared++;
		return 0;
	}
	i64 next = exo_pt_alloc(job_now->child, 3);
	u64 link = (u64)next | EXO_PTE_TABLE, ours = exo_window_table(2, va)[index] & EXO_PTE_ADDR_MASK;
	if (next < 0 || exo_pt_write(child_l2, index, 1, &link) < 0 ||
	    exo_pt_copy(ours, 0, (u64)next, 0, EXO_PT_ENTRIES, FORK_COW_BITS, FORK_COW_FLAGS) < 0)
		return -L_ENOMEM;
	job_now->tables++;
	const u64 *entries = exo_window_table(3, va);
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++)
		job_now->entries_cow += (entries[i] & EXO_PTE_VALID) != 0;
	return 0;
}

/* The slot's advice, where advice may decide: not our upcall stack's or the pipes' (fixed, libos's own). */
static u8 advice_at(u64 va)
{
	if (va == FORK_UPCALL_SLOT || va == (PIPE_AREA & ~((2ull << 20) - 1)))
		return ADVICE_NONE;
	return mm_fork_slot_advice(va, 2ull << 20);
}

/* The child's tables below its level-`level` table `table`, for ours at va_base. */
static int copy_level(u32 level, u64 va_base, u64 table)
{
	const u64 *from = exo_window_table(level, va_base);
	u32 count = level == 0 ? EXO_PT_WINDOW_SLOT : EXO_PT_ENTRIES;
	for (u32 i = 0; i < count; i++) {
		u64 va = va_base + ((u64)i << (39 - 9 * level));
		if (!(from[i] & EXO_PTE_VALID) || (level == 2 && fork_va_skipped(va)))
			continue;
		if (level == 2 && fork_in_archive(va)) {
			/* The boot archive is the same in every process: its table is linked read-only, not copied. */
			u64 ours = exo_window_table(1, va)[exo_pt_index(1, va)] & EXO_PTE_ADDR_MASK;
			if (exo_pt_copy(ours, i, table, i, 1, EXO_PTE_APT_RO, EXO_COPY_SHARE) < 0)
				return -L_ENOMEM;
			job_now->tables_shared++;
			continue;
		}
		u8 advice = level == 2 ? advice_at(va) : ADVICE_NONE;
		if (advice == ADVICE_COW || advice == ADVICE_SHARE) {
			int err = copy_advised(i, va, table, advice);
			if (err)
				return err;
			continue;
		}
		i64 next = exo_pt_alloc(job_now->child, level + 1);
		if (next < 0)
			return -L_ENOMEM;
		job_now->tables += level + 1 == EXO_PT_LEVELS - 1; /* last-level tables, as the other variants count */
		u64 link = (u64)next | EXO_PTE_TABLE;
		if (exo_pt_write(table, i, 1, &link) < 0)
			return -L_ENOMEM;
		int err = level + 1 == EXO_PT_LEVELS - 1 ? copy_leaf(va, (u64)next) : copy_level(level + 1, va, (u64)next);
		if (err)
			return err;
	}
	return 0;
}

static int eager_copy_space(struct fork_job *job)
{
	/* Before the walk copies the memory that holds them: */
	if (mm_fork_advised(ADVICE_SHARE))
		fork_share_hooks(); /* (which sets mm_cow_pages too) */
	if (mm_fork_advised(ADVICE_COW) && !mm_cow_pages)
		mm_cow_pages = true;
	int err = scratch_ready(job);
	return err ? err : copy_level(0, 0, job->child_root);
}

int fork_eager_leaf(struct fork_job *job, u64 va_base, u64 table)
{
	int err = scratch_ready(job);
	return err ? err : copy_leaf(va_base, table);
}

const struct fork_variant fork_eager = { .name = "eager", .copy_space = eager_copy_space };
