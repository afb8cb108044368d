/*
 * Public last-level tables: made by the kernel at boot, owned by nobody,
 * shared read-only.  One maps up to 512 frames that are themselves owned
 * by nobody and shared readable (the boot archive's), read-only and never
 * executable.  Any environment may link one into a level-2 table of its
 * own, read-only and not executable (APTable RO, UXNTable: pt.c's
 * link_allowed), which costs one entry for 2 MiB instead of one per page;
 * a fork shares it by linking it again.  Nobody may write one, free it or
 * install it as a root (each of those needs an owner the caller acts on),
 * so its entries never change and need no TLB maintenance after boot.
 */
#include "arch/pte.h"
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt_engine.h"

/* What a public table maps: reserved frames owned by nobody, shared R at least (what the checker requires too). */
static bool public_frame(const struct frame *frame)
{
	return frame && frame->type == FRAME_USER && frame->owner == FRAME_NO_OWNER && (frame->flags & FRAME_RESERVED) &&
	       (frame->share & EXO_R);
}

int pt_public_table(const u64 *frames, u32 count, paddr_t *out)
{
	if (count == 0 || count > EXO_PT_ENTRIES)
		return -E_RANGE;
	for (u32 i = 0; i < count; i++)
		if (!public_frame(pt_frame(frames[i])))
			return -E_PERM;
	if (frame_alloc(&kernel_frames, FRAME_PAGETABLE, EXO_PT_LEVELS - 1, FRAME_NO_OWNER, out) < 0)
		return -E_NOMEM;
	struct frame *table = frame_lookup(&kernel_frames, *out);
	arch_zero_page(phys_to_kernel(*out));
	table->share = EXO_R;
	table->flags |= FRAME_RESERVED; /* never freed: nobody may */
	u64 *entries = pt_entries(table);
	for (u32 i = 0; i < count; i++) {
		struct checked entry = { desc_leaf_read_only(pa(frames[i])), pt_frame(frames[i]) };
		pt_set_entry(table, entries, i, &entry);
	}
	return 0;
}
