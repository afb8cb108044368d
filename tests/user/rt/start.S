/* Entry points of a test program: first start, spawned children, upcalls. */
#include "exo/abi.h"
#include "libos/light_entry.h"
#include "exo/exo_note.h"

	EXO_NATIVE_NOTE			// exo-native: the kernel starts it as it is

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

/* A light system-call entry (EXO_UPCALL_LIGHT), as libos has it: rt_on_light answers. */
	light_syscall_entry rt_light_entry, rt_on_light
/* A light fault entry (EXO_UPCALL_LIGHT_FAULTS): rt_on_light_fault(far, esr) handles it. */
	light_fault_entry rt_light_fault_entry, rt_on_light_fault

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
