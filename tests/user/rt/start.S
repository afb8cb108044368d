/* Entry points of a test program: first start, spawned children, upcalls. */
#include "exo/abi.h"

	.section .text.start, "ax"
	.globl	_start
_start:				// x0 id, x1 root, x2 command line, x3/x4 boot archive
	mov	x29, #0
	bl	rt_main_entry
	brk	#1

	.text
	.globl	rt_child_start
rt_child_start:			// x0 function, x1 argument, x2 root
	mov	x29, #0
	bl	rt_child_main
	brk	#1

/* Upcalls arrive with x0 = sp = the record; the C handler returns the record to resume. */
	.globl	rt_fault_entry
rt_fault_entry:
	mov	x29, #0
	bl	rt_on_fault
	mov	x8, #EXO_UPCALL_RETURN
	svc	#EXO_SVC_CALL
	brk	#2

	.globl	rt_syscall_entry
rt_syscall_entry:
	mov	x29, #0
	bl	rt_on_syscall
	mov	x8, #EXO_UPCALL_RETURN
	svc	#EXO_SVC_CALL
	brk	#3

/*
 * A light system-call entry (EXO_UPCALL_LIGHT), as libos has it: every
 * register as at svc #0, sp on the upcall stack.  x0-x30 go into a record's
 * registers for rt_on_light, whose result goes back in x0.
 */
	.globl	rt_light_entry
rt_light_entry:
	sub	sp, sp, #320
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mov	x0, sp
	bl	rt_on_light
	ldr	x1, [sp, #8]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldr	x18, [sp, #144]
	ldp	x29, x30, [sp, #232]
	svc	#EXO_SVC_SYSRET
	brk	#5

/* Threads: x0 function, x1 argument; the runtime's globals are the creator's, so touch none. */
	.globl	rt_thread_start
rt_thread_start:
	mov	x29, #0
	mov	x9, x0
	mov	x0, x1
	blr	x9
	mov	x8, #EXO_ENV_EXIT
	svc	#EXO_SVC_CALL
	brk	#4
