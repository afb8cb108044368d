/*
 * The 16 exception vectors.  Every entry saves the whole register frame on
 * the kernel stack and calls trap_dispatch(frame, vector); when that returns,
 * the (possibly changed) frame is restored and we eret.
 */
#include "arch/arm64/trap_frame.h"
#include "exo/calls_fast.h"
#include "exo/upcall_offsets.h"

/*
 * An exception taken with the kernel stack nearly used up would fault again
 * on its own first store (the guard page below the stack is unmapped), and
 * again, forever.  So before storing anything, check that the frame fits;
 * TPIDR_EL1 (otherwise unused) lends a scratch register for the check.
 */
.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	msr	tpidr_el1, x0
	ldr	x0, =__stack_bottom
	cmp	sp, x0
	b.lo	stack_overflow
	mrs	x0, tpidr_el1
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x1, #\kind
	b	save_and_dispatch
.endm

/* x2-x18, x29, x30 into the frame (x0/x1 are there already): what C code may change. */
.macro save_c_clobbered
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	str	x18, [sp, #FRAME_X(18)]
	stp	x29, x30, [sp, #FRAME_X(29)]
	mov	x29, xzr		// the end of the backtrace chain
.endm

/* The inverse, but for x0 (a result, or loaded apart) and x30's pair partner x29 included. */
.macro load_c_clobbered
	ldr	x1, [sp, #FRAME_X(1)]
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x6, x7, [sp, #FRAME_X(6)]
	ldp	x8, x9, [sp, #FRAME_X(8)]
	ldp	x10, x11, [sp, #FRAME_X(10)]
	ldp	x12, x13, [sp, #FRAME_X(12)]
	ldp	x14, x15, [sp, #FRAME_X(14)]
	ldp	x16, x17, [sp, #FRAME_X(16)]
	ldr	x18, [sp, #FRAME_X(18)]
	ldp	x29, x30, [sp, #FRAME_X(29)]
.endm

/*
 * From EL0 the kernel stack is empty, so no overflow check: straight to
 * saving.  Synchronous exceptions first look for a fast exokernel call.
 */
.macro vector_el0 kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	.if \kind == (VEC_EL0_64 | VEC_SYNC)
	b	el0_sync
	.else
	mov	x1, #\kind
	b	save_and_dispatch
	.endif
.endm

	.text
	.balign	2048
	.globl	exception_vectors
exception_vectors:
	vector	(VEC_EL1_SP0 | VEC_SYNC)
	vector	(VEC_EL1_SP0 | VEC_IRQ)
	vector	(VEC_EL1_SP0 | VEC_FIQ)
	vector	(VEC_EL1_SP0 | VEC_SERROR)
	vector	(VEC_EL1_SPX | VEC_SYNC)
	vector	(VEC_EL1_SPX | VEC_IRQ)
	vector	(VEC_EL1_SPX | VEC_FIQ)
	vector	(VEC_EL1_SPX | VEC_SERROR)
	vector_el0	(VEC_EL0_64 | VEC_SYNC)
	vector_el0	(VEC_EL0_64 | VEC_IRQ)
	vector_el0	(VEC_EL0_64 | VEC_FIQ)
	vector_el0	(VEC_EL0_64 | VEC_SERROR)
	vector_el0	(VEC_EL0_32 | VEC_SYNC)
	vector_el0	(VEC_EL0_32 | VEC_IRQ)
	vector_el0	(VEC_EL0_32 | VEC_FIQ)
	vector_el0	(VEC_EL0_32 | VEC_SERROR)

	.ltorg

/*
 * Synchronous exceptions from EL0 (x0/x1 saved): svc #EXO_SVC_CALL with a
 * call number in EXO_FAST_CALLS, EXO_UPCALL_RETURN, a light svc #0 and
 * svc #EXO_SVC_SYSRET take short paths; everything else the general one.
 */
el0_sync:
	mrs	x0, esr_el1
	lsr	x1, x0, #26
	cmp	x1, #0x15		// EC: SVC from AArch64
	b.ne	el0_abort
	ands	x1, x0, #0xffff		// the svc immediate
	b.eq	light_syscall
	cmp	x1, #EXO_SVC_SYSRET
	b.eq	light_sysret
	cmp	x1, #EXO_SVC_CALL
	b.ne	1f
	cmp	x8, #EXO_UPCALL_RETURN
	b.eq	upcall_return_call
	cmp	x8, #63
	b.hi	1f
	ldr	x1, fast_calls_mask
	lsr	x1, x1, x8
	tbnz	x1, #0, fast_call
1:	mov	x1, #(VEC_EL0_64 | VEC_SYNC)
	b	save_and_dispatch

/*
 * svc #0 of an environment with light system calls and no upcall in
 * progress: keep the return point (pc, sp, flags) in its struct env and
 * enter its handler on the upcall stack with every other register as it
 * is.  Otherwise (a full upcall, or a kill) the general path decides.
 */
light_syscall:
	adrp	x0, curenv
	ldr	x0, [x0, :lo12:curenv]
	ldr	w1, [x0, #UPCALL_DEPTH]	// depth, light_active, light, faults
	and	w1, w1, #0x00ff00ff	// depth and light
	cmp	w1, #0x00010000		// depth 0, light 1
	b.ne	1b
	mrs	x1, elr_el1
	str	x1, [x0, #UPCALL_RET_PC]
	mrs	x1, sp_el0
	str	x1, [x0, #UPCALL_RET_SP]
	mrs	x1, spsr_el1
	str	x1, [x0, #UPCALL_RET_PSTATE]
	ldr	x1, [x0, #UPCALL_STACK]
	msr	sp_el0, x1
	ldr	x1, [x0, #UPCALL_SYSCALL_ENTRY]
	msr	elr_el1, x1
	msr	spsr_el1, xzr		// EL0t, flags clear, interrupts unmasked
	mov	w1, #0x0101
	strh	w1, [x0, #UPCALL_DEPTH]	// depth 1, light_active 1
	ldp	x0, x1, [sp, #FRAME_X(0)]
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * An instruction or data abort from EL0 (EC 0x20, 0x24) of an environment
 * with light faults and no upcall in progress: keep the return point and
 * x0/x1 in its struct env, and enter its fault handler on the upcall stack
 * with x0 = FAR and x1 = ESR, every other register as it is, no record
 * written.  svc #EXO_SVC_SYSRET ends it.  Anything else: the general path.
 */
el0_abort:
	and	w1, w1, #~0x4		// 0x20 and 0x24 alike
	cmp	w1, #0x20
	b.ne	1b
	adrp	x0, curenv
	ldr	x0, [x0, :lo12:curenv]
	ldrb	w1, [x0, #UPCALL_LIGHT_FAULTS]
	cbz	w1, 1b
	ldrb	w1, [x0, #UPCALL_DEPTH]
	cbnz	w1, 1b
	ldr	x1, [sp, #FRAME_X(0)]	// the interrupted x0 and x1: only these two are free here
	str	x1, [x0, #UPCALL_FAULT_X0]
	ldr	x1, [sp, #FRAME_X(1)]
	str	x1, [x0, #UPCALL_FAULT_X0 + 8]
	mrs	x1, elr_el1
	str	x1, [x0, #UPCALL_RET_PC]
	mrs	x1, sp_el0
	str	x1, [x0, #UPCALL_RET_SP]
	mrs	x1, spsr_el1
	str	x1, [x0, #UPCALL_RET_PSTATE]
	ldr	x1, [x0, #UPCALL_STACK]
	msr	sp_el0, x1
	ldr	x1, [x0, #UPCALL_FAULT_ENTRY]
	msr	elr_el1, x1
	msr	spsr_el1, xzr		// EL0t, flags clear, interrupts unmasked
	mov	w1, #(1 | UPCALL_LIGHT_FAULT << 8)
	strh	w1, [x0, #UPCALL_DEPTH]	// depth 1, a light fault
	mov	w1, #1
	strb	w1, [x0, #UPCALL_DEPTH + 3]	// faults: the upcall at depth 0 is one
	mrs	x0, far_el1
	mrs	x1, esr_el1
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * svc #EXO_SVC_SYSRET: back to the light call's return point, or
 * -EXO_EINVAL in x0.  With an alert pending, the general path does it in C
 * and the scheduler then delivers the alert.
 */
light_sysret:
	adrp	x0, curenv
	ldr	x0, [x0, :lo12:curenv]
	ldrh	w1, [x0, #UPCALL_DEPTH]
	cmp	w1, #(1 | UPCALL_LIGHT_CALL << 8)	// depth 1 and it is the light call
	b.ne	3f
	ldr	x1, [x0, #UPCALL_ALERT]
	cbnz	x1, 1b
	strh	wzr, [x0, #UPCALL_DEPTH]
	ldr	x1, [x0, #UPCALL_RET_PC]
	msr	elr_el1, x1
	ldr	x1, [x0, #UPCALL_RET_SP]
	msr	sp_el0, x1
	ldr	x1, [x0, #UPCALL_RET_PSTATE]
	msr	spsr_el1, x1		// as saved at the svc: EL0t, its flags
	ldp	x0, x1, [sp, #FRAME_X(0)]
	add	sp, sp, #FRAME_SIZE
	eret
3:	cmp	w1, #(1 | UPCALL_LIGHT_FAULT << 8)	// depth 1, a light fault
	b.ne	2f
	ldr	x1, [x0, #UPCALL_ALERT]
	cbnz	x1, 1b
	strh	wzr, [x0, #UPCALL_DEPTH]
	strb	wzr, [x0, #UPCALL_DEPTH + 3]	// faults
	ldr	x1, [x0, #UPCALL_RET_PC]
	msr	elr_el1, x1
	ldr	x1, [x0, #UPCALL_RET_SP]
	msr	sp_el0, x1
	ldr	x1, [x0, #UPCALL_RET_PSTATE]
	msr	spsr_el1, x1		// as saved at the abort: EL0t, its flags
	ldp	x0, x1, [x0, #UPCALL_FAULT_X0]
	add	sp, sp, #FRAME_SIZE
	eret
2:	mov	x0, #-1		// -EXO_EINVAL (user.c checks the value)
	ldr	x1, [sp, #FRAME_X(1)]
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * x0/x1 are saved; save what C may change, call exo_call(number, args)
 * with the arguments in the frame, and return with its result in x0.
 * ELR/SPSR/SP_EL0 need no saving: nothing here can take an exception
 * that returns (interrupts are masked; a kernel fault is fatal).
 */
fast_call:
	save_c_clobbered
	mov	x0, x8
	mov	x1, sp
	bl	exo_call
	tbz	x0, #63, restore_c_clobbered
	ldr	x1, [sp, #FRAME_X(8)]	// failed: keep why (exo/why.h) for EXO_WHY
	bl	why_failed
	b	restore_c_clobbered

	.balign	8
fast_calls_mask:
	.quad	EXO_FAST_CALLS

/*
 * EXO_UPCALL_RETURN replaces every register from the record, so on success
 * it leaves through the full restore (by way of the scheduler when an alert
 * is due); on failure (x0 an error) only what C may have changed is
 * restored, like a fast call.
 */
upcall_return_call:
	save_c_clobbered
	ldr	x0, [sp, #FRAME_X(0)]	// the record (x0 held ESR here)
	mov	x1, sp
	bl	upcall_return
	cbz	x0, trap_restore
	cmp	x0, #1			// resumed, with an alert to deliver: the scheduler does it
	b.ne	restore_c_clobbered
	mov	x0, sp
	bl	user_reschedule
	b	trap_restore

/* Back to EL0 after a fast call: x0 is the result, the rest as saved. */
restore_c_clobbered:
	load_c_clobbered
	add	sp, sp, #FRAME_SIZE
	eret

/* Report on a stack of its own; the overflowed one cannot be trusted. */
stack_overflow:
	/* A second overflow (in the report itself) would loop: stop instead. */
	adrp	x0, overflow_reported
	ldr	x1, [x0, :lo12:overflow_reported]
	cbnz	x1, halt_forever
	str	x0, [x0, :lo12:overflow_reported]
	ldr	x0, =overflow_stack_top
	mov	sp, x0
	mov	x29, xzr
	mrs	x0, elr_el1
	mrs	x1, far_el1
	mrs	x2, esr_el1
	bl	kernel_stack_overflow	// does not return

save_and_dispatch:
	save_c_clobbered
	stp	x19, x20, [sp, #FRAME_X(19)]
	stp	x21, x22, [sp, #FRAME_X(21)]
	stp	x23, x24, [sp, #FRAME_X(23)]
	stp	x25, x26, [sp, #FRAME_X(25)]
	stp	x27, x28, [sp, #FRAME_X(27)]
	/* The interrupted SP: SP_EL0 if we came from EL0, else ours before the frame. */
	tst	x1, #VEC_FROM_EL0
	b.eq	1f
	mrs	x2, sp_el0
	b	2f
1:	add	x2, sp, #FRAME_SIZE
2:	str	x2, [sp, #FRAME_SP]
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #FRAME_ELR]
	mrs	x2, esr_el1
	mrs	x3, far_el1
	stp	x2, x3, [sp, #FRAME_ESR]
	/* From EL0 the backtrace ends here (x29 is 0); from EL1 a frame record crosses the trap. */
	tst	x1, #VEC_FROM_EL0
	b.eq	4f
	mov	x0, sp
	bl	trap_dispatch
	b	trap_restore
4:	ldr	x2, [sp, #FRAME_ELR]
	ldr	x3, [sp, #FRAME_X(29)]
	stp	x3, x2, [sp, #-16]!
	mov	x29, sp
	add	x0, sp, #16
	bl	trap_dispatch
	add	sp, sp, #16

	.globl	trap_restore
trap_restore:
	ldp	x2, x3, [sp, #FRAME_ELR]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x30, x2, [sp, #FRAME_X(30)]
	/* Only an EL0 frame's SP is restored; ours is implied by the frame. */
	and	x3, x3, #0xf
	cbnz	x3, 3f
	msr	sp_el0, x2
3:	ldr	x0, [sp, #FRAME_X(0)]
	load_c_clobbered
	ldp	x19, x20, [sp, #FRAME_X(19)]
	ldp	x21, x22, [sp, #FRAME_X(21)]
	ldp	x23, x24, [sp, #FRAME_X(23)]
	ldp	x25, x26, [sp, #FRAME_X(25)]
	ldp	x27, x28, [sp, #FRAME_X(27)]
	add	sp, sp, #FRAME_SIZE
	eret

	.bss
	.balign	16
overflow_reported:
	.quad	0
	.balign	16
overflow_stack:
	.space	4096
overflow_stack_top:
