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
#include <string.h>

#define PAGE 4096ull
#define ADDR(desc) ((desc) & EXO_PTE_ADDR_MASK)

struct eager {
	struct fork_job *job;
	u64 scratch;         /* our last-level table at FORK_SCRATCH_VA */
	u64 out[EXO_PT_ENTRIES];      /* the child's last-level table being made */
	u64 frames[EXO_PT_ENTRIES];   /* the child's new frames for it */
	u64 scratch_descs[EXO_PT_ENTRIES];
	u16 private_at[EXO_PT_ENTRIES]; /* which entries those are */
};
static struct eager eager;
static const u64 zeros[EXO_PT_ENTRIES];

/*
 * The pages go through the scratch table's first half as the copies and
 * its second half as the sources, those our program cannot read where
 * they are (PROT_NONE: no access flag), mapped read-only there.
 */
#define HALF (EXO_PT_ENTRIES / 2)

static void copy_batch(u64 va_base, const u64 *from, u32 first, u32 count)
{
	memset(eager.scratch_descs, 0, sizeof(eager.scratch_descs));
	for (u32 k = 0; k < count; k++) {
		u32 i = eager.private_at[first + k];
		eager.scratch_descs[k] = eager.frames[first + k] | PAGE_RW;
		eager.scratch_descs[HALF + k] = from[i] & EXO_PTE_AF ? 0 : ADDR(from[i]) | PAGE_RO;
	}
	exo_pt_write(eager.scratch, 0, EXO_PT_ENTRIES, eager.scratch_descs);
	for (u32 k = 0; k < count; k++) {
		u32 i = eager.private_at[first + k];
		u64 source = from[i] & EXO_PTE_AF ? va_base + i * PAGE : FORK_SCRATCH_VA + (HALF + k) * PAGE;
		memcpy((void *)(FORK_SCRATCH_VA + k * PAGE), (const void *)source, PAGE);
	}
	exo_pt_write(eager.scratch, 0, EXO_PT_ENTRIES, zeros);
}

static int scratch_ready(struct fork_job *job)
{
	i64 scratch = as_table(&libos.self, 3, FORK_SCRATCH_VA, true);
	if (scratch < 0)
		return -L_ENOMEM;
	eager.job = job;
	eager.scratch = (u64)scratch;
	/* The kernel writes frame addresses here: a page fork left write-protected would refuse them. */
	mm_make_writable(&eager, sizeof(eager));
	return 0;
}

/* The child's copy of our last-level table for the 2 MiB at va_base, into its new table `table`. */
static int copy_leaf(u64 va_base, u64 table)
{
	const u64 *from = exo_window_table(3, va_base);
	u32 privates = 0;
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++) {
		u64 desc = from[i];
		eager.out[i] = 0;
		if (!(desc & EXO_PTE_VALID))
			continue;
		if (fork_page_shared(va_base + i * PAGE)) {
			eager.out[i] = desc; /* the same frame: legal for the child if shared with it */
			eager.job->pages_shared++;
		} else {
			eager.private_at[privates++] = (u16)i;
		}
	}
	if (privates && exo_frame_alloc(eager.job->child, privates, eager.frames) != (i64)privates)
		return -L_ENOMEM; /* what it took is the child's, destroyed with it */
	for (u32 done = 0; done < privates; done += HALF)
		copy_batch(va_base, from, done, MIN(HALF, privates - done));
	for (u32 k = 0; k < privates; k++) {
		u32 i = eager.private_at[k];
		eager.out[i] = eager.frames[k] | (from[i] & ~EXO_PTE_ADDR_MASK); /* our rights and attributes */
	}
	eager.job->pages_copied += privates;
	return exo_pt_write(table, 0, EXO_PT_ENTRIES, eager.out) < 0 ? -L_ENOMEM : 0;
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
		i64 next = exo_pt_alloc(eager.job->child, level + 1);
		if (next < 0)
			return -L_ENOMEM;
		eager.job->tables++;
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
	int err = scratch_ready(job);
	return err ? err : copy_level(0, 0, job->child_root);
}

int fork_eager_leaf(struct fork_job *job, u64 va_base, u64 table)
{
	int err = scratch_ready(job);
	return err ? err : copy_leaf(va_base, table);
}

const struct fork_variant fork_eager = { "eager", eager_copy_space };
