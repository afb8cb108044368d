/* Which frames an environment owns (a list through the frame records), and giving them back. */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"

static struct frame *at(u32 index) { return index == FRAME_NONE ? NULL : &kernel_frames.frames[index]; }

void env_own_frame(struct env *env, struct frame *frame)
{
	u32 index = frame_index(&kernel_frames, frame);
	frame->owner = env->id;
	frame->prev = FRAME_NONE;
	frame->next = env->frames_head;
	if (env->frames_head != FRAME_NONE)
		at(env->frames_head)->prev = index;
	env->frames_head = index;
	env->used++;
}

void env_disown_frame(struct env *env, struct frame *frame)
{
	if (frame->prev != FRAME_NONE)
		at(frame->prev)->next = frame->next;
	else
		env->frames_head = frame->next;
	if (frame->next != FRAME_NONE)
		at(frame->next)->prev = frame->prev;
	frame->next = frame->prev = FRAME_NONE;
	env->used--;
}

static bool unreferenced(const struct frame *frame) { return frame->maps == 0 && frame->links == 0; }

/* Free env's frames of one kind that nothing refers to any more. */
static void free_unreferenced(struct env *env, u8 type, u8 level)
{
	for (struct frame *frame = at(env->frames_head), *next; frame; frame = next) {
		next = at(frame->next);
		if (frame->type != type || frame->level != level || !unreferenced(frame))
			continue;
		if (type == FRAME_PAGETABLE)
			pt_release_table(frame);
		env_disown_frame(env, frame);
		frame_free(&kernel_frames, frame_addr(&kernel_frames, frame));
	}
}

/*
 * Tables first, top level down: releasing a level's tables drops the links
 * that kept the next level alive.  Data frames last.  What something else
 * still maps or links goes to the heir, which already had authority over it.
 */
void env_release_frames(struct env *env, struct env *heir)
{
	for (u8 level = 0; level < 4; level++)
		free_unreferenced(env, FRAME_PAGETABLE, level);
	free_unreferenced(env, FRAME_USER, 0);
	while (env->frames_head != FRAME_NONE) {
		struct frame *frame = at(env->frames_head);
		env_disown_frame(env, frame);
		if (heir) {
			env_own_frame(heir, frame);
		} else {
			kprintf("exo: BUG: frame 0x%lx (%s) of env %u still referenced with no heir\n",
			        frame_addr(&kernel_frames, frame).val, frame_type_name(frame->type), env->id);
			frame->owner = FRAME_NO_OWNER;
		}
	}
}
