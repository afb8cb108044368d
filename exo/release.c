/*
 * Releasing an ending environment's frames in steps of bounded work, so
 * that no environment's end, however its tables are arranged, holds the
 * machine for long: a step does about `budget` units (a table slot looked
 * at, or a frame handled) and the scheduler runs the next step later, with
 * interrupts taken in between (exo/sched.c).
 *
 * While it runs, the environment's tables are frozen (nobody may write an
 * ended environment's tables) and its frames take no new references
 * (exo/pt.c refuses them), so references into its frames only go away.
 * The phases, each resumable at a frame of its list:
 *
 *   CLEAR  scratch state of every frame reset
 *   COUNT  references each frame gets from the environment's own tables
 *   SEED   frames referred to from outside are kept (and their count noted)
 *   MARK   what a kept table refers to is kept too, transitively
 *   PRUNE  kept tables let go of the frames of its descendants (so a husk
 *          holds only what it owns and what its ancestors shared: husks
 *          then refer to each other only upwards, never in a cycle)
 *   TABLES every table not kept drops the references its entries hold
 *   FREE   every frame not kept is freed; kept ones stay (a husk)
 *
 * Each table is scanned a bounded number of times, so a release is linear
 * in what the environment owns.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/pt.h"
#include "arch/pte.h"

enum phase { CLEAR, COUNT, SEED, MARK, PRUNE, TABLES, FREE, DONE };

static struct env *pending_head, *pending_tail;
static u64 pending_count;

u64 release_pending(void) { return pending_count; }

static struct frame *at(u32 index) { return index == FRAME_NONE ? NULL : &kernel_frames.frames[index]; }
static u32 index_of(const struct frame *frame) { return frame ? frame_index(&kernel_frames, frame) : FRAME_NONE; }

/* Where the phase goes on: the saved frame, or the list's head. */
static struct frame *resume(const struct env *env)
{
	return env->release.cursor == FRAME_NONE ? at(env->frames_head) : at(env->release.cursor);
}

static void next_phase(struct env *env)
{
	env->release.phase++;
	env->release.cursor = FRAME_NONE;
}

/* Slots of a table looked at to find its valid entries (its used count bounds the scan). */
static u64 scan_cost(const struct frame *table) { return table->used ? EXO_PT_ENTRIES : 1; }

/*
 * The frame a valid entry of a table refers to (the level-0 window slot is
 * not an entry), or NULL: entries were checked when written, so the
 * address is RAM and needs no lookup.  Inline: the release's scans are
 * mostly this.
 */
static inline struct frame *entry_frame(const struct frame *table, const u64 *entries, u32 i)
{
	u64 entry = entries[i];
	if (!pte_valid(entry) || (table->level == 0 && i == EXO_PT_WINDOW_SLOT))
		return NULL;
	return &kernel_frames.frames[(pte_addr(entry).val - kernel_frames.base) >> PAGE_SHIFT];
}

static void count_table(const struct env *env, const struct frame *table)
{
	const u64 *entries = pt_entries(table);
	for (u32 i = 0, left = table->used; left && (i = pt_next_used_in(table, entries, i)) < EXO_PT_ENTRIES; i++) {
		struct frame *target = entry_frame(table, entries, i);
		if (!target)
			continue;
		left--;
		if (target->owner == env->id)
			target->inner++;
	}
}

static void keep(struct frame *frame, struct env *env)
{
	frame->flags |= FRAME_MARK;
	frame->work = env->release.worklist;
	env->release.worklist = index_of(frame);
}

static void mark_table(struct env *env, const struct frame *table)
{
	const u64 *entries = pt_entries(table);
	for (u32 i = 0, left = table->used; left && (i = pt_next_used_in(table, entries, i)) < EXO_PT_ENTRIES; i++) {
		struct frame *target = entry_frame(table, entries, i);
		if (!target)
			continue;
		left--;
		if (target->owner == env->id && !(target->flags & FRAME_MARK))
			keep(target, env);
	}
}

/* The frame-by-frame phases: one frame's share of work, returning its cost. */
static u64 visit(struct env *env, struct frame *frame)
{
	struct env_release *r = &env->release;
	bool table = frame->type == FRAME_PAGETABLE, kept = frame->flags & FRAME_MARK;
	switch (r->phase) {
	case CLEAR:
		frame->inner = 0;
		frame->flags &= (u8)~FRAME_MARK;
		return 1;
	case COUNT:
		if (table)
			count_table(env, frame);
		return table ? scan_cost(frame) : 1;
	case SEED:
		if (frame->maps + frame->links > frame->inner) {
			r->external += frame->maps + frame->links - frame->inner;
			keep(frame, env);
		}
		return 1;
	case PRUNE: {
		if (!table || !kept || r->dissolve)
			return 1;
		u64 cost = scan_cost(frame), walked = env_walk_steps; /* before pruning shrinks it */
		pt_prune_table(frame, env);
		return cost + (env_walk_steps - walked); /* each entry may ask how its owner is related */
	}
	case TABLES: {
		if (!table || kept)
			return 1;
		u64 cost = scan_cost(frame); /* before the release empties it */
		pt_release_table(frame);
		return cost;
	}
	default:
		return 1;
	}
}

/* FREE: what is not kept goes; what is stays (a husk). */
static void dispose(struct env *env, struct frame *frame)
{
	if (!(frame->flags & FRAME_MARK))
		env_free_frame(env, frame);
}

/* Work through the frame list from the cursor; false if the budget ran out first. */
static bool walk_frames(struct env *env, u64 *budget)
{
	for (struct frame *frame = resume(env), *next; frame; frame = next) {
		if (*budget == 0) {
			env->release.cursor = index_of(frame);
			return false;
		}
		next = at(frame->next); /* FREE may take the frame off the list */
		if (env->release.phase == FREE) {
			dispose(env, frame);
			(*budget)--;
		} else {
			u64 cost = visit(env, frame);
			*budget = cost < *budget ? *budget - cost : 0;
		}
	}
	return true;
}

static bool walk_worklist(struct env *env, u64 *budget)
{
	while (env->release.worklist != FRAME_NONE) {
		if (*budget == 0)
			return false;
		struct frame *frame = at(env->release.worklist);
		env->release.worklist = frame->work;
		if (frame->type == FRAME_PAGETABLE) {
			mark_table(env, frame);
			*budget = scan_cost(frame) < *budget ? *budget - scan_cost(frame) : 0;
		} else {
			(*budget)--;
		}
	}
	return true;
}

/* The kept frames stay its own: a husk, counting the references from outside still there. */
static void settle_kept(struct env *env)
{
	struct env_release *r = &env->release;
	if (env->frames_head != FRAME_NONE)
		husk_begin(env, r->external - r->drops);
}

static void unqueue(struct env *env)
{
	struct env_release *r = &env->release;
	if (r->prev)
		r->prev->release.next = r->next;
	else
		pending_head = r->next;
	if (r->next)
		r->next->release.prev = r->prev;
	else
		pending_tail = r->prev;
	r->next = r->prev = NULL;
	pending_count--;
}

static void queue_release(struct env *env)
{
	env->releasing = true;
	pending_count++;
	env->release.prev = pending_tail;
	env->release.next = NULL;
	if (pending_tail)
		pending_tail->release.next = env;
	else
		pending_head = env;
	pending_tail = env;
}

void release_start(struct env *env, bool reap, i64 status)
{
	env->status = ENV_ENDING;
	env->release = (struct env_release){ .phase = CLEAR, .reap = reap, .cursor = FRAME_NONE,
		                             .worklist = FRAME_NONE, .status = status };
	queue_release(env);
}

/*
 * A husk nothing outside refers to any more: the same walk frees all of it
 * (nothing is referred to from outside, so nothing is kept).
 */
void release_dissolve(struct env *husk)
{
	husk->release = (struct env_release){ .phase = CLEAR, .cursor = FRAME_NONE, .worklist = FRAME_NONE,
		                              .dissolve = true };
	queue_release(husk);
}

bool release_run(struct env *env, u64 *budget)
{
	struct env_release *r = &env->release;
	while (r->phase != DONE) {
		bool finished = r->phase == MARK ? walk_worklist(env, budget) : walk_frames(env, budget);
		if (!finished)
			return false;
		next_phase(env);
		/* Nothing referred to from outside: nothing is kept, so no kept table to prune. */
		if (r->phase == PRUNE && r->external == 0)
			next_phase(env);
	}
	unqueue(env);
	env->releasing = false;
	if (r->dissolve) {
		husk_dissolved(env);
	} else {
		settle_kept(env);
		env_end_finish(env);
	}
	return true;
}

bool release_step(u64 budget)
{
	if (!pending_head) {
		if (!doomed_pending())
			return false;
		doomed_collect_for(&budget); /* given-up frames left over from calls, a step at a time */
		return true;
	}
	release_run(pending_head, &budget);
	husk_collect(); /* a husk it let go of may have nothing left referring to it */
	return true;
}

void release_for(u64 counts)
{
	u64 end = arch_counter() + counts;
	while (release_step(RELEASE_BUDGET)) {
		arch_irq_window(); /* the tick, and whatever else is pending, comes in between */
		if (arch_counter() >= end)
			return;
	}
}

void env_release_drain(void)
{
	while (release_step(~0ull))
		;
	husk_collect();
}
