/*
 * Pipes.  A pipe is one frame: its creator's, shared read-write with its
 * descendants (which map it after exec).  The header counts the ends held
 * across processes and keeps two 64-bit counters, bytes ever read and ever
 * written, each moved only by its own side, after the bytes
 * (release/acquire).  Each side also has a lock word naming the process
 * reading or writing now, so several processes may share a side; the libos
 * lock orders a process's own threads.
 *
 * A reader with nothing to read says so (read_waiting) and sleeps until
 * read_seq moves (EXO_RECV_WORD); whoever gives it something to see (bytes
 * written, the last writer gone) moves read_seq and, finding a reader
 * waiting, wakes the word (EXO_WAKE).  Writers without room wait on
 * write_seq the same way.  The sequence is read before the reader looks and
 * checked by the kernel as the sleep begins: a move in between ends the
 * sleep at once, so no wake is lost.
 */
#include "libos/libos.h"
#include "libos/pipe.h"
#include <string.h>

#define PIPE_VA(slot) (PIPE_AREA + (u64)(slot) * 4096)

struct pipe {
	u64 head, tail; /* bytes ever read, ever written: only the reader moves head, the writer tail */
	u32 readers, writers; /* ends held, across processes (atomic) */
	u32 read_lock, write_lock; /* the process reading / writing now (its id), 0 if none */
	u32 read_waiting, write_waiting; /* someone sleeps on read_seq / write_seq: wake it */
	u32 read_seq, write_seq; /* move with everything a reader / writer waits for */
	u8 buf[4096 - 48];
};
_Static_assert(sizeof(struct pipe) == 4096, "a pipe is one page");

/* Writes up to this long go in whole or wait (PIPE_BUF's promise), so writers never interleave. */
#define PIPE_ATOMIC sizeof(((struct pipe *)0)->buf)

static u64 pipe_frames[MAX_PIPES]; /* what is mapped at each PIPE_VA slot, 0 if nothing */
/* Open files of ours on each slot: counted here, not in the shared frame, which any peer may write. */
static u32 slot_opens[MAX_PIPES];

static u32 slot_of(const struct pipe *pipe) { return (u32)(((u64)pipe - PIPE_VA(0)) / 4096); }

void pipe_hold(struct pipe *pipe, int change) { slot_opens[slot_of(pipe)] += (u32)change; }

/* Slots of ended pipes are given back on the way (the frame too, if no one else maps it). */
struct pipe *pipe_map(u64 frame)
{
	for (u32 slot = 0; slot < MAX_PIPES; slot++)
		if (pipe_frames[slot] == frame)
			return (struct pipe *)PIPE_VA(slot);
	for (u32 slot = 0; slot < MAX_PIPES; slot++) {
		if (pipe_frames[slot]) {
			/* Nothing of ours on it, and no end anywhere (ends in flight to a new image count too). */
			const struct pipe *old = (const struct pipe *)PIPE_VA(slot);
			if (slot_opens[slot] || __atomic_load_n(&old->readers, __ATOMIC_ACQUIRE) ||
			    __atomic_load_n(&old->writers, __ATOMIC_ACQUIRE))
				continue;
			as_unmap(&libos.self, PIPE_VA(slot));
			exo_frame_free(&pipe_frames[slot], 1 | EXO_FREE_WHEN_UNUSED); /* one another maps still: when it lets go */
			pipe_frames[slot] = 0;
		}
		if (as_map(&libos.self, PIPE_VA(slot), frame, PAGE_RW) < 0)
			return NULL;
		pipe_frames[slot] = frame;
		return (struct pipe *)PIPE_VA(slot);
	}
	return NULL;
}

void pipe_start(struct pipe *pipe)
{
	pipe->head = pipe->tail = 0;
	pipe->read_lock = pipe->write_lock = 0;
	pipe->read_waiting = pipe->write_waiting = 0;
	pipe->read_seq = pipe->write_seq = 0;
	pipe->readers = pipe->writers = 1;
}

/* Something a sleeper on seq waits for happened: move seq, and wake it if it said it sleeps. */
static void moved(u32 *waiting, u32 *seq)
{
	__atomic_fetch_add(seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(waiting, 0, __ATOMIC_SEQ_CST))
		exo_wake(seq, ~0ull);
}

void pipe_end_count(struct pipe *pipe, bool write_end, int change)
{
	u32 left = __atomic_add_fetch(write_end ? &pipe->writers : &pipe->readers, (u32)change, __ATOMIC_ACQ_REL);
	/* The last writer gone is the end for sleeping readers; the last reader, EPIPE for writers. */
	if (left == 0 && write_end)
		moved(&pipe->read_waiting, &pipe->read_seq);
	else if (left == 0)
		moved(&pipe->write_waiting, &pipe->write_seq);
}

static u64 pipe_used(const struct pipe *pipe)
{
	return __atomic_load_n(&pipe->tail, __ATOMIC_ACQUIRE) - __atomic_load_n(&pipe->head, __ATOMIC_ACQUIRE);
}

/* A word holding our own id is one a call abandoned, so it is ours again. */
static bool side_lock(u32 *word, u32 self)
{
	u32 holder = 0;
	return __atomic_compare_exchange_n(word, &holder, self, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) ||
	       holder == self;
}

static void side_unlock(u32 *word) { __atomic_store_n(word, 0, __ATOMIC_RELEASE); }

void pipe_sides_release(struct pipe *pipe, u32 process)
{
	u32 held = process;
	__atomic_compare_exchange_n(&pipe->read_lock, &held, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	held = process;
	__atomic_compare_exchange_n(&pipe->write_lock, &held, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static u32 self_process(void) { return (u32)libos_process_of((u64)exo_self()); }

/* The ring's bytes [from, from + n) out, or n bytes in at from: two copies at most. */
static void ring_out(const struct pipe *pipe, u64 from, u8 *dst, u64 n)
{
	u64 at = from % sizeof(pipe->buf), first = MIN(n, sizeof(pipe->buf) - at);
	memcpy(dst, pipe->buf + at, first);
	memcpy(dst + first, pipe->buf, n - first);
}

static void ring_in(struct pipe *pipe, u64 from, const u8 *src, u64 n)
{
	u64 at = from % sizeof(pipe->buf), first = MIN(n, sizeof(pipe->buf) - at);
	memcpy(pipe->buf + at, src, first);
	memcpy(pipe->buf, src + first, n - first);
}

/*
 * Touch each page of what a copy may reach, as the copy will (a write
 * stores the byte back), so a bad pointer faults (EFAULT) before a side lock
 * is taken: a side lock left behind would stop the pipe's other processes.
 */
static void probe(u8 *buf, u64 len, bool write)
{
	u64 end = (u64)buf + MIN(len, sizeof(((struct pipe *)0)->buf));
	for (u64 at = (u64)buf; at < end; at = (at | 4095) + 1) {
		volatile u8 *byte = (volatile u8 *)at;
		u8 value = *byte;
		if (write)
			*byte = value;
	}
}

/* Sleep until seq moves from `seen` (read before looking); say so first. */
static void sleep_on(struct fs_wait *wait, u32 *waiting, const u32 *seq, u32 seen)
{
	__atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
	wait->kind = FS_WAIT_WORD;
	wait->word = seq;
	wait->expected = seen;
}

/*
 * poll: the end's state now, as Linux's pipe_poll: a reader sees POLLIN
 * with bytes, POLLHUP with no writer left; a writer POLLOUT with any room
 * (a larger write may still wait), POLLERR with no reader left.  Else the
 * word to sleep on, as a read or a write would.
 */
u32 pipe_poll(struct pipe *pipe, bool write_end, struct fs_wait *wait)
{
	if (!write_end) {
		u32 seen = __atomic_load_n(&pipe->read_seq, __ATOMIC_SEQ_CST);
		u32 ready = (pipe_used(pipe) ? POLL_IN : 0) |
		            (__atomic_load_n(&pipe->writers, __ATOMIC_ACQUIRE) == 0 ? POLL_HUP : 0);
		if (!ready)
			sleep_on(wait, &pipe->read_waiting, &pipe->read_seq, seen);
		return ready;
	}
	u32 seen = __atomic_load_n(&pipe->write_seq, __ATOMIC_SEQ_CST);
	u32 ready = (sizeof(pipe->buf) > pipe_used(pipe) ? POLL_OUT : 0) | /* any room, as Linux's free slot */
	            (__atomic_load_n(&pipe->readers, __ATOMIC_ACQUIRE) == 0 ? POLL_ERR : 0);
	if (!ready)
		sleep_on(wait, &pipe->write_waiting, &pipe->write_seq, seen);
	return ready;
}

i64 pipe_read_now(struct pipe *pipe, u8 *buf, u64 len, struct fs_wait *wait)
{
	probe(buf, len, true);
	if (!side_lock(&pipe->read_lock, self_process())) {
		wait->kind = FS_WAIT_YIELD; /* another process is reading: a moment */
		return FS_WOULD_BLOCK;
	}
	i64 result = FS_WOULD_BLOCK;
	u32 seen = __atomic_load_n(&pipe->read_seq, __ATOMIC_SEQ_CST);
	u64 used = pipe_used(pipe);
	if (used) {
		u64 n = MIN(len, used), head = pipe->head;
		ring_out(pipe, head, buf, n);
		__atomic_store_n(&pipe->head, head + n, __ATOMIC_RELEASE);
		moved(&pipe->write_waiting, &pipe->write_seq);
		result = (i64)n;
	} else if (__atomic_load_n(&pipe->writers, __ATOMIC_ACQUIRE) == 0 && pipe_used(pipe) == 0) {
		result = 0; /* every writer gone and nothing left (looked at after them): the end */
	} else {
		sleep_on(wait, &pipe->read_waiting, &pipe->read_seq, seen);
	}
	side_unlock(&pipe->read_lock);
	return result;
}

i64 pipe_write_now(struct pipe *pipe, const u8 *buf, u64 len, struct fs_wait *wait)
{
	probe((u8 *)buf, len, false);
	if (!side_lock(&pipe->write_lock, self_process())) {
		wait->kind = FS_WAIT_YIELD; /* another process is writing: a moment */
		return FS_WOULD_BLOCK;
	}
	i64 result = FS_WOULD_BLOCK;
	u32 seen = __atomic_load_n(&pipe->write_seq, __ATOMIC_SEQ_CST);
	u64 room = sizeof(pipe->buf) - pipe_used(pipe);
	if (__atomic_load_n(&pipe->readers, __ATOMIC_ACQUIRE) == 0) {
		result = -L_EPIPE;
	} else if (room && (len > PIPE_ATOMIC || room >= len)) {
		u64 n = MIN(len, room), tail = pipe->tail;
		ring_in(pipe, tail, buf, n);
		__atomic_store_n(&pipe->tail, tail + n, __ATOMIC_RELEASE);
		moved(&pipe->read_waiting, &pipe->read_seq);
		result = (i64)n;
	} else {
		sleep_on(wait, &pipe->write_waiting, &pipe->write_seq, seen);
	}
	side_unlock(&pipe->write_lock);
	return result;
}
