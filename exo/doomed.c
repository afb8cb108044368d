/*
 * Doomed frames: frames their owner gave up while something still
 * referred to them (EXO_FRAME_FREE with EXO_FREE_WHEN_UNUSED, EXO_PT_COW
 * with EXO_COW_GIVE_UP), freed by the kernel when the last reference
 * goes.  A library OS copies a page on a copy-on-write fault while a
 * forked child still maps the original, or takes its own copy of a table
 * a child still links: nothing of its own refers to the original any
 * more, and no later moment of its own is sure to come when nothing else
 * does.
 *
 * A reference goes in the middle of a call's apply step (an entry
 * rewritten, a table released), where the frame may still be named by
 * the rest of the step's plan, and before the call's TLB invalidations
 * are issued.  So a doomed frame left without references is only noted
 * there, and freed by doomed_collect_for after the invalidations
 * (husk_collect, the last step of every call that drops references), if
 * it is still unreferenced then.  That work is bounded like a release's:
 * what is left past a step's budget (a given-up table frees what only it
 * held, and so on down) is done in the scheduler's release steps, with
 * interrupts taken in between.  A frame whose owner has ended is its
 * owner's release's to free or keep, as every frame of it.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/pt.h"
#include "exo/release.h"

/*
 * Noted frames, in the order noted.  Past the array, the frames are found
 * again by a scan of every record, resumed from a cursor a step's budget
 * at a time (records looked at cost a unit per SCAN_PER_UNIT).
 */
#define DOOMED_NOTES 1024
#define SCAN_PER_UNIT 16

static struct frame *noted[DOOMED_NOTES];
static u32 noted_count;
static bool scanning;  /* some were not noted: the scan finds them */
static u32 scan_next;  /* the next record the scan looks at (it goes round, never back) */
static u32 scan_stop;  /* the scan ends on coming back here: a lap after the last frame not noted */
u64 doomed_freed;      /* frames freed so: tests read it */

void doomed_note(struct frame *frame)
{
	if (noted_count < DOOMED_NOTES) {
		noted[noted_count++] = frame;
	} else {
		scanning = true;
		scan_stop = scan_next; /* a whole lap from here: so every record is looked at, however often this comes */
	}
}

bool doomed_pending(void) { return noted_count || scanning; }

/*
 * Free it if it is still doomed and unreferenced and its owner lives; the
 * work done.  A table drops what its entries hold first (no TLB work:
 * nothing links it), which may note more.  A frame freed or reallocated
 * since it was noted has lost its mark (records are reset).
 */
static u64 free_if_unused(struct frame *frame)
{
	if (!(frame->flags & FRAME_DOOMED) || frame->maps || frame->links)
		return 1;
	if (frame->type != FRAME_USER && frame->type != FRAME_PAGETABLE)
		return 1;
	struct env *owner = env_lookup(frame->owner);
	if (!owner || env_ended(owner))
		return 1;
	frame->flags &= (u8)~FRAME_DOOMED;
	u64 cost = 1;
	if (frame->type == FRAME_PAGETABLE) {
		cost += frame->used ? EXO_PT_ENTRIES : 0;
		pt_release_table(frame);
	}
	env_free_frame(owner, frame);
	doomed_freed++;
	return cost;
}

static void spend(u64 *budget, u64 cost) { *budget = cost < *budget ? *budget - cost : 0; }

bool doomed_collect_for(u64 *budget)
{
	while (*budget) {
		if (noted_count) {
			spend(budget, free_if_unused(noted[--noted_count]));
		} else if (scanning) {
			struct frame *frame = &kernel_frames.frames[scan_next];
			scan_next = scan_next + 1 == kernel_frames.nframes ? 0 : scan_next + 1;
			if (frame->flags & FRAME_DOOMED)
				spend(budget, free_if_unused(frame));
			if (scan_next % SCAN_PER_UNIT == 0)
				spend(budget, 1);
			if (scan_next == scan_stop)
				scanning = false;
		} else {
			return true;
		}
	}
	return !doomed_pending();
}

void doomed_collect(void)
{
	u64 budget = RELEASE_BUDGET;
	doomed_collect_for(&budget);
}
