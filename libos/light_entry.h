/*
 * The user half of a light system call (doc/exo-abi.md, section 5.6), as
 * an assembler macro (and its record's size, for C too): libos's entry (libos/start.S) and the test runtime's
 * (tests/user/rt/start.S) are this with their own C handler.
 *
 * The kernel enters with every register as the program left it at svc #0
 * and sp at the upcall stack's top, and keeps the return point itself.
 * x0-x30 go into a struct exo_upcall's registers (the C half may read any
 * of them: clone copies them all) in LIGHT_RECORD_SPACE bytes; C preserves
 * x19-x28, so only the rest come back (at \name\()_return, also the way back
 * for a handler resumed there with sp at the record) before
 * svc #EXO_SVC_SYSRET resumes the program with x0 the handler's result.
 *
 * A debugger's backtrace ends at these entries: the program's pc is the
 * kernel's to keep, not in any register here, so the call-frame info says
 * the return address is undefined (no instruction is spent on it).
 */
#ifndef LIBOS_LIGHT_ENTRY_H
#define LIBOS_LIGHT_ENTRY_H

#include "exo/abi.h"

#define LIGHT_RECORD_SPACE 320 /* sizeof(struct exo_upcall) rounded to 16 (syscall.c checks) */

#ifdef __ASSEMBLER__
.macro light_syscall_entry name, handler
	.globl	\name
\name:
	.cfi_startproc
	.cfi_undefined x30
	sub	sp, sp, #LIGHT_RECORD_SPACE
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
	bl	\handler		// the result, for x0
\name\()_return:
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
	brk	#1
	.cfi_endproc
.endm

/*
 * The user half of a light fault (EXO_UPCALL_LIGHT_FAULTS): the kernel
 * enters with x0 = the fault address, x1 = the syndrome, sp at the upcall
 * stack's top, and keeps the interrupted x0, x1, pc, sp and flags itself;
 * every other register is the program's.  Save what C may change, call
 * handler(far, esr), restore, and svc #EXO_SVC_SYSRET resumes the program
 * at the faulting instruction with everything as it was.  No record.
 */
.macro light_fault_entry name, handler
	.globl	\name
\name:
	.cfi_startproc
	.cfi_undefined x30
	sub	sp, sp, #160
	stp	x2, x3, [sp, #0]
	stp	x4, x5, [sp, #16]
	stp	x6, x7, [sp, #32]
	stp	x8, x9, [sp, #48]
	stp	x10, x11, [sp, #64]
	stp	x12, x13, [sp, #80]
	stp	x14, x15, [sp, #96]
	stp	x16, x17, [sp, #112]
	stp	x18, x29, [sp, #128]
	str	x30, [sp, #144]
	bl	\handler
	ldp	x2, x3, [sp, #0]
	ldp	x4, x5, [sp, #16]
	ldp	x6, x7, [sp, #32]
	ldp	x8, x9, [sp, #48]
	ldp	x10, x11, [sp, #64]
	ldp	x12, x13, [sp, #80]
	ldp	x14, x15, [sp, #96]
	ldp	x16, x17, [sp, #112]
	ldp	x18, x29, [sp, #128]
	ldr	x30, [sp, #144]
	add	sp, sp, #160
	svc	#EXO_SVC_SYSRET
	brk	#1
	.cfi_endproc
.endm
#endif

#endif
