/*
 * libos's entry points.  The kernel enters libos_start (the ELF's entry)
 * with x0 env id, x1 root, x2 command line, x3/x4 boot archive, sp on a
 * small stack; libos_init builds the Linux initial stack and returns it,
 * and musl's own _start takes over from there.
 */
#include "exo/abi.h"
#include "libos/light_entry.h"
#include "libos/private_calls.h"

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
 * Where a thread sends its process's own environment (libos_redirect): to
 * make the switch to the image the thread built, or to end with the status
 * in x0.  Each is one light system call, so the work runs at depth 1, where
 * no alert interrupts it halfway.
 */
	.globl	libos_exec_entry
libos_exec_entry:
	mov	x8, #LIBOS_SYS_EXEC_HANDED
	svc	#0
	brk	#1

	.globl	libos_exit_entry
libos_exit_entry:
	mov	x8, #LIBOS_SYS_EXIT_STATUS
	svc	#0
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

/* Light system calls (libos/light_entry.h): libos_on_syscall answers them. */
	light_syscall_entry libos_syscall_entry, libos_on_syscall

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
	b	libos_syscall_entry_return
