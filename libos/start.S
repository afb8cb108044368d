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

/*
 * Upcalls: x0 = sp = the record.  The handlers are C built without FP/SIMD,
 * but they call into code that may use it (musl's memset does), and the
 * interrupted program's FP registers must survive a system call: save them
 * below the record.
 */
.macro upcall_entry name, handler
	.globl	\name
\name:
	sub	sp, sp, #544
	stp	q0, q1, [sp, #0]
	stp	q2, q3, [sp, #32]
	stp	q4, q5, [sp, #64]
	stp	q6, q7, [sp, #96]
	stp	q8, q9, [sp, #128]
	stp	q10, q11, [sp, #160]
	stp	q12, q13, [sp, #192]
	stp	q14, q15, [sp, #224]
	stp	q16, q17, [sp, #256]
	stp	q18, q19, [sp, #288]
	stp	q20, q21, [sp, #320]
	stp	q22, q23, [sp, #352]
	stp	q24, q25, [sp, #384]
	stp	q26, q27, [sp, #416]
	stp	q28, q29, [sp, #448]
	stp	q30, q31, [sp, #480]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x3, sp, #512
	stp	x1, x2, [x3]
	mov	x29, #0
	bl	\handler		// returns the record
	add	x3, sp, #512
	ldp	x1, x2, [x3]
	msr	fpsr, x1
	msr	fpcr, x2
	ldp	q0, q1, [sp, #0]
	ldp	q2, q3, [sp, #32]
	ldp	q4, q5, [sp, #64]
	ldp	q6, q7, [sp, #96]
	ldp	q8, q9, [sp, #128]
	ldp	q10, q11, [sp, #160]
	ldp	q12, q13, [sp, #192]
	ldp	q14, q15, [sp, #224]
	ldp	q16, q17, [sp, #256]
	ldp	q18, q19, [sp, #288]
	ldp	q20, q21, [sp, #320]
	ldp	q22, q23, [sp, #352]
	ldp	q24, q25, [sp, #384]
	ldp	q26, q27, [sp, #416]
	ldp	q28, q29, [sp, #448]
	ldp	q30, q31, [sp, #480]
	mov	x8, #EXO_UPCALL_RETURN
	svc	#EXO_SVC_CALL
	brk	#1
.endm

	upcall_entry libos_syscall_entry, libos_on_syscall
	upcall_entry libos_fault_entry, libos_on_fault
