/*
 * Pipes (libos/pipe.c): one frame each, shared by every process holding an
 * end.  fs.c keeps the descriptors and open files that name them.
 */
#ifndef LIBOS_PIPE_H
#define LIBOS_PIPE_H

#include "exo/types.h"

struct pipe;

/*
 * Where pipes are mapped in every process: a slot of a page each, at the
 * start of libos's shared 2 MiB slot (the process table follows them).
 * It lies in the same GiB as the process's upcall stack, whose tables fork
 * makes anyway: the slot costs a fork one more table, not three.
 */
#define PIPE_AREA 0x00007ffefe000000ull
#define MAX_PIPES 16

/* The pipe in frame, mapped in this space (mapped once, however many ends); NULL if no slot is left. */
struct pipe *pipe_map(u64 frame);
/* An open file of ours on the pipe more (+1) or less (-1): a slot nobody here uses is reused. */
void pipe_hold(struct pipe *pipe, int change);
/* A new pipe: empty, one reader and one writer. */
void pipe_start(struct pipe *pipe);
/* An end more (+1: passed on across exec) or less (-1: closed), counted across processes. */
void pipe_end_count(struct pipe *pipe, bool write_end, int change);
/*
 * One attempt, never waiting: bytes moved, 0 at the end (read), an error, or
 * FS_WOULD_BLOCK with what to wait for in *wait (the peer wakes that word).
 */
struct fs_wait;
i64 pipe_read_now(struct pipe *pipe, u8 *buf, u64 len, struct fs_wait *wait);
i64 pipe_write_now(struct pipe *pipe, const u8 *buf, u64 len, struct fs_wait *wait);
/* poll of one end: POLL_* bits now, or none and the word to sleep on in *wait. */
u32 pipe_poll(struct pipe *pipe, bool write_end, struct fs_wait *wait);
/* A process that ends lets go of any side of the pipe it held (killed in the middle of a copy). */
void pipe_sides_release(struct pipe *pipe, u32 process);

#endif
