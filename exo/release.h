/*
 * Releasing an ended environment's frames in steps of bounded work, and
 * husks (exo/release.c, exo/env_frames.c).
 */
#ifndef EXO_RELEASE_H
#define EXO_RELEASE_H

#include "exo/types.h"

struct env;
struct frame;

/*
 * Release an ending environment's frames, in steps of bounded work
 * (exo/release.c): those nothing outside it refers to go back to the free
 * list; the others stay its own (a husk).  Its tables are frozen meanwhile
 * and its frames take no new references.  env_end_finish completes its end
 * afterwards.  (With a thread heir there is no release: the heir takes all.)
 */
void release_start(struct env *env, bool reap, i64 status);
/* The same for a husk nothing refers to any more: all of it goes; husk_dissolved completes it. */
void release_dissolve(struct env *husk);
void husk_dissolved(struct env *husk);
/* Units of work (table slots looked at, frames handled) in one step: well under a tick. */
#define RELEASE_BUDGET 16384
/* What releases get of each turn of the scheduler while environments run: half a tick. */
#define RELEASE_SLICE_NS 5000000
/* One step of env's release, spending from *budget (units): true when it is done and finished. */
bool release_run(struct env *env, u64 *budget);
/* How many releases are pending. */
u64 release_pending(void);
/* One step of the oldest release pending: true if there was one (something may have changed). */
bool release_step(u64 budget);
/* Steps, with interrupts taken between them, until none is pending or `counts` timer counts passed. */
void release_for(u64 counts);
/*
 * A reference into target from outside its owner (a table of from's, or
 * from's root) came (+1) or went (-1): husks count them, and so do
 * releases in progress.
 */
void ref_change(const struct frame *target, u32 from, int change);
/*
 * The same for a loop over many entries, most of one other owner: quiet is
 * the last owner found to count nothing from outside (neither a husk nor
 * ending), whose frames need no lookup; returns the new quiet owner.  An
 * owner's state does not change inside one kernel call.
 */
u32 ref_change_unless_quiet(const struct frame *target, u32 from, int change, u32 quiet);
/* env ended keeping frames that refs references from outside still reach: it is a husk now. */
void husk_begin(struct env *env, u64 refs);
/*
 * Collect the husks nothing refers to any more, and free the doomed frames
 * left unreferenced (after any change that dropped references).
 */
void husk_collect(void);
/*
 * Doomed frames (exo/doomed.c): free those left unreferenced, a step's
 * budget of work (doomed_collect), or within *budget (false if work is
 * left for the release steps); whether any wait; how many were freed.
 */
void doomed_collect(void);
bool doomed_collect_for(u64 *budget);
bool doomed_pending(void);
extern u64 doomed_freed;
/*
 * Finish every release still pending (an environment's end too large for
 * one go continues in bounded pieces): host tests and the first
 * environment's end call it before counting frames.
 */
void env_release_drain(void);

#endif
