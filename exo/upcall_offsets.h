/*
 * Offsets in struct env (struct upcall_state is its first member) for the
 * light system-call path in arch/arm64/vectors.S.  exo/env.c checks them
 * against the C layout, so a change to one side cannot go unnoticed.
 */
#ifndef EXO_UPCALL_OFFSETS_H
#define EXO_UPCALL_OFFSETS_H

#define UPCALL_SYSCALL_ENTRY 0
#define UPCALL_STACK 8
#define UPCALL_RET_PC 16
#define UPCALL_RET_SP 24
#define UPCALL_RET_PSTATE 32
#define UPCALL_DEPTH 40        /* u8; UPCALL_LIGHT_ACTIVE is the next byte */
#define UPCALL_LIGHT_ACTIVE 41 /* u8 */
#define UPCALL_LIGHT 42        /* u8 */
#define UPCALL_LIGHT_FAULTS 46 /* u8 */
#define UPCALL_FAULT_ENTRY 48
#define UPCALL_ALERT 56        /* u64: alert bits pending */
#define UPCALL_FAULT_X0 72     /* u64, and x1 after it */

/* upcall.light_active: what the upcall at depth 1 is, when it is light. */
#define UPCALL_LIGHT_CALL 1
#define UPCALL_LIGHT_FAULT 2

#endif
