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

/*
 * Which of an ending environment's frames must live on: those something
 * outside it still refers to (another environment's tables or TTBR0), and,
 * transitively, whatever the entries of such a table refer to.  Its own
 * tables referring to its own frames do not count, so a table that maps
 * itself, or tables that map each other, still go.  The frame records'
 * checker counts serve as scratch: internal references.
 */
static void count_internal_refs(struct env *env)
{
	for (struct frame *frame = at(env->frames_head); frame; frame = at(frame->next))
		frame->check_maps = frame->check_links = 0;
	for (struct frame *table = at(env->frames_head); table; table = at(table->next)) {
		if (table->type != FRAME_PAGETABLE)
			continue;
		for (u32 i = 0; i < EXO_PT_ENTRIES; i++) {
			struct frame *target = pt_entry_target(table, i);
			if (!target || target->owner != env->id)
				continue;
			if (table->level == EXO_PT_LEVELS - 1)
				target->check_maps++;
			else
				target->check_links++;
		}
	}
}

static bool mark_kept(struct frame *frame)
{
	if (frame->flags & FRAME_MARK)
		return false;
	frame->flags |= FRAME_MARK;
	return true;
}

static void mark_survivors(struct env *env)
{
	count_internal_refs(env);
	for (struct frame *frame = at(env->frames_head); frame; frame = at(frame->next))
		if (frame->maps > frame->check_maps || frame->links > frame->check_links)
			mark_kept(frame);
	/* Until nothing changes: what a kept table refers to is kept too. */
	for (bool changed = true; changed;) {
		changed = false;
		for (struct frame *table = at(env->frames_head); table; table = at(table->next)) {
			if (table->type != FRAME_PAGETABLE || !(table->flags & FRAME_MARK))
				continue;
			for (u32 i = 0; i < EXO_PT_ENTRIES; i++) {
				struct frame *target = pt_entry_target(table, i);
				if (target && target->owner == env->id)
					changed |= mark_kept(target);
			}
		}
	}
}

/*
 * Everything not kept goes back to the free list (its tables' entries
 * released first, so every count they held drops); what is kept goes to
 * the heir, which already had authority over it.
 */
void env_release_frames(struct env *env, struct env *heir)
{
	mark_survivors(env);
	for (struct frame *table = at(env->frames_head); table; table = at(table->next))
		if (table->type == FRAME_PAGETABLE && !(table->flags & FRAME_MARK))
			pt_release_table(table);
	for (struct frame *frame = at(env->frames_head), *next; frame; frame = next) {
		next = at(frame->next);
		if (frame->flags & FRAME_MARK)
			continue;
		env_disown_frame(env, frame);
		frame_free(&kernel_frames, frame_addr(&kernel_frames, frame));
	}
	while (env->frames_head != FRAME_NONE) {
		struct frame *frame = at(env->frames_head);
		frame->flags &= (u8)~FRAME_MARK;
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
