/*
 * Upcalls: events an environment handles itself (faults, exceptions,
 * reflected svc #0, alerts).  The policy is exo/upcall.c's; the
 * architecture provides the arch_* functions below, which only move
 * registers and records.
 */
#ifndef EXO_UPCALL_H
#define EXO_UPCALL_H

#include "exo/env.h"

/*
 * Hand an event of this kind (EXO_UPCALL_*) to env's handler, the
 * interrupted state in a record on its upcall stack: true if delivered
 * (env goes on at its handler), false if env was killed instead.
 */
bool upcall_deliver(struct env *env, u64 kind, struct trap_frame *frame);
/* About to resume env: a pending alert becomes an upcall once it is outside every handler; false if killed. */
bool upcall_deliver_alert(struct env *env, struct trap_frame *frame);
/*
 * EXO_UPCALL_RETURN: resume the record at record_uva.  0, 1 if an alert is
 * now due (the scheduler should look), or -E_INVAL / -E_FAULT.
 */
i64 upcall_return(u64 record_uva, struct trap_frame *frame);
/* svc #EXO_SVC_SYSRET on the general path: end the light system call (else -E_INVAL in x0). */
void upcall_light_return(struct trap_frame *frame);

/*
 * --- provided by the architecture ---
 * Also, inline in "arch/context.h" (they sit on hot paths): arch_frame_pc,
 * arch_frame_sp, arch_upcall_enter (continue at entry with x0 = sp = the
 * record), arch_frame_set_alert (sender and bits where the record's esr and
 * far come from) and arch_frame_resume (pc, sp and the flags of pstate).
 */
/* The address an event is about (the fault address for an abort, else the pc). */
u64 arch_event_address(u64 kind, const struct trap_frame *frame);
/* A short description of the event, for a kill report. */
void arch_describe_event(u64 kind, const struct trap_frame *frame, char *buf, u64 size);
/*
 * Write env's record of the event below top (*sp: where it goes, also on
 * failure): false if that memory is not writable by env.
 */
bool arch_upcall_push(const struct env *env, u64 kind, const struct trap_frame *frame, u64 top, u32 depth,
                      u64 *sp);
/* Load the registers of the record at record_uva into frame: 0 or -E_FAULT (frame unchanged). */
int arch_upcall_load(struct trap_frame *frame, u64 record_uva);

#endif
