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

/* Where a thread that execs sends its process's own environment to make the switch. */
	.globl	libos_exec_entry
libos_exec_entry:
	mov	x29, #0
	bl	libos_exec_handed
	brk	#1

/* Where a thread sends its process's own environment to end it (x0 the status). */
	.globl	libos_exit_entry
libos_exit_entry:
	mov	x29, #0
	bl	libos_exit
	brk	#1

/*
 * Faults: x0 = sp = the record the kernel wrote.  The handlers are C built
 * without FP/SIMD that never calls into musl (libos.h), so the interrupted
 * program's FP/SIMD registers survive untouched and need no saving here.
 */
	.globl	libos_fault_entry
libos_fault_entry:
	mov	x29, #0
	bl	libos_on_fault		// returns the record
	mov	x8, #EXO_UPCALL_RETURN
	svc	#EXO_SVC_CALL
	brk	#1

/*
 * Light system calls: the kernel enters with every register as the program
 * left it at svc #0 and sp at the upcall stack's top, and keeps the return
 * point itself.  x0-x30 go into a struct exo_upcall's registers (the C half
 * may read any of them: clone copies them all); C preserves x19-x28, so
 * only the rest come back before svc #EXO_SVC_SYSRET resumes the program
 * with x0 the result.
 */
#define RECORD_SPACE 320	/* UPCALL_RECORD_SPACE (libos.h) */
	.globl	libos_syscall_entry
libos_syscall_entry:
	sub	sp, sp, #RECORD_SPACE
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
	bl	libos_on_syscall	// the result, for x0
syscall_return:
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

/*
 * A system call that touched a bad user pointer (syscall.c, fail_syscall):
 * entered with sp at its record and C's registers in any state, so x19-x28
 * come back from the record too before the usual return with -EFAULT.
 */
	.globl	libos_syscall_efault
libos_syscall_efault:
	ldr	x19, [sp, #152]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldr	x28, [sp, #224]
	mov	x0, #-14		// -EFAULT
	b	syscall_return
