/*
 * Word waits (EXO_RECV_WORD and EXO_RECV_WORDS, EXO_WAKE): an environment
 * blocked on words has one wait per word, and each wait is listed from
 * the record of the frame holding its word, so that a wake, or the frame
 * being freed, looks only at the waits on that frame, however many
 * environments exist.  A wait is named by a tag: its environment's record
 * (frame index + 1) times EXO_RECV_WORDS_MAX, plus its slot.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/sched.h"

_Static_assert((EXO_RECV_WORDS_MAX & (EXO_RECV_WORDS_MAX - 1)) == 0, "a tag's slot is its low bits");

static struct frame *word_frame(u64 word)
{
	return frame_lookup(&kernel_frames, pa(kernel_to_phys((const void *)word).val & ~(PAGE_SIZE - 1)));
}

static struct env *env_at(u32 tag)
{
	if (!tag)
		return NULL;
	return phys_to_kernel(frame_addr(&kernel_frames, &kernel_frames.frames[tag / EXO_RECV_WORDS_MAX - 1]));
}

static struct word_wait *wait_at(u32 tag) { return &env_at(tag)->waits[tag % EXO_RECV_WORDS_MAX]; }

static u32 tag_of(const struct env *env, u32 slot)
{
	u32 record = frame_index(&kernel_frames, frame_lookup(&kernel_frames, kernel_to_phys(env)));
	return (record + 1) * EXO_RECV_WORDS_MAX + slot;
}

/*
 * A frame's waits, oldest first (a wake of one waiter takes the one that
 * waited longest): the frame names the first; the first's prev names the
 * last, every other's its predecessor; the last's next is 0.
 */
void wait_word_begin(struct env *env, u64 word)
{
	struct frame *frame = word_frame(word);
	u32 slot = env->nwaits++, tag = tag_of(env, slot);
	struct word_wait *wait = &env->waits[slot];
	wait->word = word;
	wait->next = 0;
	if (!frame->waiters) {
		wait->prev = tag;
		frame->waiters = tag;
		return;
	}
	struct word_wait *first = wait_at(frame->waiters);
	wait->prev = first->prev;
	wait_at(first->prev)->next = tag;
	first->prev = tag;
}

static void unlink_wait(u32 tag)
{
	struct word_wait *wait = wait_at(tag);
	struct frame *frame = word_frame(wait->word);
	if (tag == frame->waiters) {
		frame->waiters = wait->next;
		if (wait->next)
			wait_at(wait->next)->prev = wait->prev; /* the last, still */
	} else {
		wait_at(wait->prev)->next = wait->next;
		if (wait->next)
			wait_at(wait->next)->prev = wait->prev;
		else
			wait_at(frame->waiters)->prev = wait->prev; /* it was the last */
	}
	*wait = (struct word_wait){ 0 };
}

void wait_word_end(struct env *env)
{
	for (u32 slot = 0; slot < env->nwaits; slot++)
		unlink_wait(tag_of(env, slot));
	env->nwaits = 0;
}

u64 wait_word_wake(u64 word, u64 count, u32 waker)
{
	u64 woken = 0;
	for (u32 tag = word_frame(word)->waiters; tag && woken < count; tag = wait_at(tag)->next) {
		struct env *env = env_at(tag);
		if (wait_at(tag)->word == word && !env->word_woken_by && env->status == EXO_ENV_BLOCKED) {
			env->word_woken_by = waker; /* its other waits stay listed until it runs (recv_forget) */
			sched_wake(env);
			woken++;
		}
	}
	return woken;
}

void wait_word_gone(struct frame *frame)
{
	while (frame->waiters) {
		struct env *env = env_at(frame->waiters);
		wait_word_end(env); /* every wait of it, this frame's among them */
		env->word_gone = true;
		sched_wake(env);
	}
}
