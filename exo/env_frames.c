/*
 * Which frames an environment owns (a list through the frame records), and
 * what becomes of them when it ends: back to the free list, to a thread that
 * carries its address space on, or kept in its husk while others refer to
 * them (doc/exo-abi.md, "What happens when an environment ends").
 */
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

/* Its memory may be someone else's next: a wait on a word in it ends first. */
void env_free_frame(struct env *env, struct frame *frame)
{
	paddr_t addr = frame_addr(&kernel_frames, frame);
	if (frame->flags & FRAME_WORD)
		sched_word_gone(addr);
	env_disown_frame(env, frame);
	frame_free(&kernel_frames, addr);
}

/*
 * Count, in check_maps / check_links (scratch), the references each of
 * env's frames gets from env's own tables.  One pass over the valid
 * entries of its tables.
 */
static void count_internal_refs(struct env *env)
{
	for (struct frame *frame = at(env->frames_head); frame; frame = at(frame->next)) {
		frame->check_maps = frame->check_links = 0;
		frame->flags &= (u8)~FRAME_MARK;
	}
	for (struct frame *table = at(env->frames_head); table; table = at(table->next)) {
		if (table->type != FRAME_PAGETABLE)
			continue;
		for (u32 i = 0, left = table->used; left && i < EXO_PT_ENTRIES; i++) {
			struct frame *target = pt_entry_target(table, i);
			if (!target)
				continue;
			left--;
			if (target->owner != env->id)
				continue;
			if (table->level == EXO_PT_LEVELS - 1)
				target->check_maps++;
			else
				target->check_links++;
		}
	}
}

static void push(struct frame *frame, u32 *worklist)
{
	frame->flags |= FRAME_MARK;
	frame->work = *worklist;
	*worklist = frame_index(&kernel_frames, frame);
}

/*
 * Mark the frames that must live on: those something outside env refers to
 * (another environment's tables, or its TTBR0), and what the entries of a
 * living table refer to, transitively.  References among env's own tables
 * do not count, so tables that map themselves or each other still go.
 * Each table is scanned once: linear in what env owns.  Returns the number
 * of references from outside (0: nothing lives on).
 */
static u64 mark_survivors(struct env *env)
{
	count_internal_refs(env);
	u32 worklist = FRAME_NONE;
	u64 external = 0;
	for (struct frame *frame = at(env->frames_head); frame; frame = at(frame->next)) {
		u64 outside = (frame->maps - frame->check_maps) + (frame->links - frame->check_links);
		if (outside) {
			external += outside;
			push(frame, &worklist);
		}
	}
	while (worklist != FRAME_NONE) {
		struct frame *table = at(worklist);
		worklist = table->work;
		if (table->type != FRAME_PAGETABLE)
			continue;
		for (u32 i = 0, left = table->used; left && i < EXO_PT_ENTRIES; i++) {
			struct frame *target = pt_entry_target(table, i);
			if (!target)
				continue;
			left--;
			if (target->owner == env->id && !(target->flags & FRAME_MARK))
				push(target, &worklist);
		}
	}
	return external;
}

bool env_release_frames(struct env *env, struct env *heir)
{
	u64 external = mark_survivors(env);
	for (struct frame *table = at(env->frames_head); table; table = at(table->next))
		if (table->type == FRAME_PAGETABLE && !(table->flags & FRAME_MARK))
			pt_release_table(table);
	for (struct frame *frame = at(env->frames_head), *next; frame; frame = next) {
		next = at(frame->next);
		if (!(frame->flags & FRAME_MARK))
			env_free_frame(env, frame);
		else
			frame->flags &= (u8)~FRAME_MARK;
	}
	if (!heir) {
		env->husk = env->frames_head != FRAME_NONE;
		env->husk_refs = external;
		return env->husk;
	}
	/* A thread carries the address space on: the frames become its own. */
	while (env->frames_head != FRAME_NONE) {
		struct frame *frame = at(env->frames_head);
		env_disown_frame(env, frame);
		env_own_frame(heir, frame);
	}
	return false;
}

bool env_owner_live(u32 owner)
{
	const struct env *env = env_lookup(owner);
	return env && !env_ended(env);
}

static struct env *collect_queue; /* husks nothing refers to any more, through husk_next */

void husk_ref(u32 owner, u32 from, int change)
{
	if (owner == from || owner == FRAME_NO_OWNER)
		return;
	struct env *env = env_lookup(owner);
	if (!env || !env->husk)
		return;
	env->husk_refs += (u64)(i64)change;
	if (env->husk_refs == 0 && !env->husk_queued) {
		env->husk_queued = true;
		env->husk_next = collect_queue;
		collect_queue = env;
	}
}

/*
 * Nothing outside the husk refers to its frames any more: its tables are
 * emptied (which may leave other husks unreferenced), its frames freed, its
 * children move to its parent and its quota goes back there.  A husk whose
 * exit notice is still waiting stays a zombie without frames.
 */
static void husk_dissolve(struct env *husk)
{
	for (struct frame *table = at(husk->frames_head); table; table = at(table->next))
		if (table->type == FRAME_PAGETABLE)
			pt_release_table(table);
	while (husk->frames_head != FRAME_NONE)
		env_free_frame(husk, at(husk->frames_head));
	husk->husk = false;
	env_reparent_children(husk, husk->parent);
	/* What its frames took goes back; its record's frame stays until the record goes. */
	struct env *parent = env_lookup(husk->parent);
	u64 give = husk->quota - husk->used;
	if (parent)
		parent->quota += give;
	husk->quota -= give;
	if (husk->status == ENV_HUSK)
		env_free_slot(husk);
}

void husk_collect(void)
{
	while (collect_queue) {
		struct env *husk = collect_queue;
		collect_queue = husk->husk_next;
		husk->husk_queued = false;
		if (husk->husk && husk->husk_refs == 0)
			husk_dissolve(husk);
	}
}

void env_release_drain(void) { husk_collect(); }
