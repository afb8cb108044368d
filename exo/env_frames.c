/* Which frames an environment owns: a list through the frame records. */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include "exo/sched.h"

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

void env_give_frames(struct env *from, struct env *to)
{
	while (from->frames_head != FRAME_NONE) {
		struct frame *frame = at(from->frames_head);
		env_disown_frame(from, frame);
		env_own_frame(to, frame);
	}
}

/* Its memory may be someone else's next: a wait on a word in it ends first. */
void env_free_frame(struct env *env, struct frame *frame)
{
	if (frame->waiters)
		wait_word_gone(frame);
	env_disown_frame(env, frame);
	frame_free_record(&kernel_frames, frame); /* an environment's frames are allocated, never reserved */
}
