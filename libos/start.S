/*
 * libos's entry points.  The kernel enters libos_start (the ELF's entry)
 * with x0 env id, x1 root, x2 command line, x3/x4 boot archive, sp on a
 * small stack; libos_init builds the Linux initial stack and returns it,
 * and musl's own _start takes over from there.
 */
#include "exo/abi.h"

	.text
	.globl	libos_start
libos_start:
	mov	x29, #0
	mov	x5, sp
	bl	libos_init		// returns the Linux-style initial sp
	mov	sp, x0
	mov	x29, #0
	mov	x30, #0
	b	_start			// musl's crt1

/* Where a thread sends its process's own environment to end it (x0 the status). */
	.globl	libos_exit_entry
libos_exit_entry:
	mov	x29, #0
	bl	libos_exit
	brk	#1

/*
 * Upcalls: x0 = sp = the record.  The handlers are C built without FP/SIMD
 * that never calls into musl (libos.h), so the interrupted program's FP/SIMD
 * registers survive untouched and need no saving here.
 */
.macro upcall_entry name, handler
	.globl	\name
\name:
	mov	x29, #0
	bl	\handler		// returns the record
	mov	x8, #EXO_UPCALL_RETURN
	svc	#EXO_SVC_CALL
	brk	#1
.endm

	upcall_entry libos_syscall_entry, libos_on_syscall
	upcall_entry libos_fault_entry, libos_on_fault
