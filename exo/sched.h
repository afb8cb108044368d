/*
 * Round-robin scheduling of environments.  The kernel is not preemptible:
 * every switch happens on the way back to user space, in sched_return,
 * which loads the chosen environment's state into the trap frame.
 */
#ifndef EXO_SCHED_H
#define EXO_SCHED_H

#include "exo/env.h"

/* Timer tick: the running environment's time slice is over; wake sleepers. */
void sched_tick(void);
void sched_yield(void);
void sched_wake(struct env *env);
/* env is going away: never run it again. */
void sched_remove(struct env *env);
/* env's record is being freed: forget any pointer to it. */
void sched_forget(struct env *env);
/* Block the current environment in EXO_RECV until an event or the deadline (0: none). */
void sched_block_recv(struct env *env, u64 event_uva, u64 deadline);

/* Choose what runs next and load it into frame (arch trap frame). */
void sched_return(struct trap_frame *frame);
/* Start the first environment; does not return. */
noreturn void sched_start(void);

/* Frames free before the first environment started (accounting baseline). */
extern u64 sched_baseline_free;

#endif
