/*
 * Word waits (EXO_RECV_WORD, EXO_WAKE): the environments blocked on words
 * of a frame are listed from that frame's record, so that a wake, or the
 * frame being freed, looks only at them, however many environments exist.
 */
#include "exo/env.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/sched.h"

/* frame.waiters: the first waiter's record, as its frame index + 1 (0: none). */
static struct frame *word_frame(u64 word) { return frame_lookup(&kernel_frames, pa(kernel_to_phys((const void *)word).val & ~(PAGE_SIZE - 1))); }
static struct env *env_at(u32 tag) { return tag ? phys_to_kernel(frame_addr(&kernel_frames, &kernel_frames.frames[tag - 1])) : NULL; }
static u32 tag_of(const struct env *env) { return frame_index(&kernel_frames, frame_lookup(&kernel_frames, kernel_to_phys(env))) + 1; }

void wait_word_begin(struct env *env, u64 word)
{
	struct frame *frame = word_frame(word);
	struct env *first = env_at(frame->waiters);
	env->recv_word = word;
	env->word_prev = NULL;
	env->word_next = first;
	if (first)
		first->word_prev = env;
	frame->waiters = tag_of(env);
}

void wait_word_end(struct env *env)
{
	if (!env->recv_word)
		return;
	if (env->word_prev)
		env->word_prev->word_next = env->word_next;
	else
		word_frame(env->recv_word)->waiters = env->word_next ? tag_of(env->word_next) : 0;
	if (env->word_next)
		env->word_next->word_prev = env->word_prev;
	env->word_next = env->word_prev = NULL;
	env->recv_word = 0;
}

u64 wait_word_wake(u64 word, u64 count, u32 waker)
{
	u64 woken = 0;
	for (struct env *env = env_at(word_frame(word)->waiters); env && woken < count; env = env->word_next) {
		if (env->recv_word == word && !env->word_woken_by && env->status == EXO_ENV_BLOCKED) {
			env->word_woken_by = waker;
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
		wait_word_end(env);
		env->word_gone = true;
		sched_wake(env);
	}
}
