/*
 * Doomed frames: frames their owner gave up while something still
 * referred to them (EXO_FRAME_FREE with EXO_FREE_WHEN_UNUSED), freed by
 * the kernel when the last reference goes.  A library OS copies a page
 * on a copy-on-write fault while a forked child still maps the original,
 * or takes its own copy of a table a child still links: nothing of its
 * own refers to the original any more, and no later moment of its own is
 * sure to come when nothing else does.
 *
 * A reference goes in the middle of a call's apply step (an entry
 * rewritten, a table released), where the frame may still be named by
 * the rest of the step's plan, and before the call's TLB invalidations
 * are issued.  So a doomed frame left without references is only noted
 * there; doomed_collect frees it at the end of the call, after the
 * invalidations (husk_collect, the last step of every call that drops
 * references), if it is still unreferenced then.  A frame whose owner has
 * ended is its owner's release's to free or keep, as every frame of it.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/pt.h"
#include "exo/release.h"

/* More than any one call leaves in practice; past it, the end of the call looks at every frame. */
#define DOOMED_NOTES 1024

static struct frame *noted[DOOMED_NOTES];
u64 doomed_freed; /* frames freed so: tests read it */
static u32 noted_count;
static bool noted_overflow;

void doomed_note(struct frame *frame)
{
	if (noted_count < DOOMED_NOTES)
		noted[noted_count++] = frame;
	else
		noted_overflow = true;
}

/*
 * Free it if it is still doomed and unreferenced and its owner lives.  A
 * table drops what its entries hold first (no TLB work: nothing links
 * it), which may leave more doomed frames to note.  A frame freed or
 * reallocated since it was noted has lost its mark (records are reset).
 */
static void free_if_unused(struct frame *frame)
{
	if (!(frame->flags & FRAME_DOOMED) || frame->maps || frame->links)
		return;
	if (frame->type != FRAME_USER && frame->type != FRAME_PAGETABLE)
		return;
	struct env *owner = env_lookup(frame->owner);
	if (!owner || env_ended(owner))
		return;
	frame->flags &= (u8)~FRAME_DOOMED;
	if (frame->type == FRAME_PAGETABLE)
		pt_release_table(frame);
	env_free_frame(owner, frame);
	doomed_freed++;
}

void doomed_collect(void)
{
	for (;;) {
		while (noted_count)
			free_if_unused(noted[--noted_count]);
		if (!noted_overflow)
			return;
		noted_overflow = false; /* every frame looked at: a release below may note more */
		for (u32 i = 0; i < kernel_frames.nframes; i++)
			if (kernel_frames.frames[i].flags & FRAME_DOOMED)
				free_if_unused(&kernel_frames.frames[i]);
	}
}
