/*
 * libos's entry points.  The kernel enters libos_start (the ELF's entry)
 * with x0 env id, x1 root, x2 command line, x3/x4 boot archive, sp on a
 * small stack; libos_init builds the Linux initial stack and returns it,
 * and musl's own _start takes over from there.
 */
#include "exo/abi.h"
#include "exo/exo_note.h"
#include "libos/light_entry.h"
#include "libos/private_calls.h"

	.text
	.globl	libos_start
libos_start:
	mov	x29, #0
	mov	x5, sp
	bl	libos_init		// returns the Linux-style initial sp
	mov	sp, x0
	adrp	x16, libos_program_entry	// musl's _start, or the loaded program's entry
	ldr	x16, [x16, :lo12:libos_program_entry]
	mov	x0, #0			// as Linux enters: glibc's _start takes x0 as a finaliser to register
	mov	x29, #0
	mov	x30, #0
	br	x16

	EXO_NATIVE_NOTE			// exo/exo_note.h: started as it is, not through the loader

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

/* A forked child starts here (libos/fork/fork.c): it takes its own state, then resumes its parent's. */
	.globl	libos_fork_child_entry
libos_fork_child_entry:
	mov	x8, #LIBOS_SYS_FORK_CHILD
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
	.cfi_startproc
	.cfi_undefined x30		// the faulting pc is in the record: a backtrace ends here
	mov	x29, #0
	bl	libos_on_fault		// returns the record
	mov	x8, #EXO_UPCALL_RETURN
	svc	#EXO_SVC_CALL
	brk	#1
	.cfi_endproc

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

/*
 * The FP/SIMD registers to and from 528 bytes (q0-q31, then fpsr and fpcr):
 * fork keeps the caller's for the child (libos's C never uses them, so a
 * system call finds them as the program left them).
 */
	.arch	armv8-a+fp+simd
/* q0-q31 to and from 512 bytes at x0: fork's copy and a signal frame's record share them. */
.macro store_q0_q31
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
.endm

.macro load_q0_q31
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
.endm

	.globl	libos_fp_save
libos_fp_save:
	store_q0_q31
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512
	stp	x1, x2, [x0]
	ret

	.globl	libos_fp_load
libos_fp_load:
	load_q0_q31
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret

/*
 * The FP/SIMD registers to and from a signal frame's fpsimd_context (Linux's
 * layout: magic and size, fpsr and fpcr as 32-bit words, then q0-q31).
 */
	.globl	libos_fp_to_sigframe
libos_fp_to_sigframe:
	mrs	x1, fpsr
	mrs	x2, fpcr
	stp	w1, w2, [x0, #8]
	add	x0, x0, #16
	store_q0_q31
	ret

	.globl	libos_fp_from_sigframe
libos_fp_from_sigframe:
	ldp	w1, w2, [x0, #8]
	msr	fpsr, x1
	msr	fpcr, x2
	add	x0, x0, #16
	load_q0_q31
	ret

/* A handler's return when its action named no restorer (musl always names its own): rt_sigreturn. */
	.globl	libos_sigreturn_trampoline
libos_sigreturn_trampoline:
	mov	x8, #139
	svc	#0
	brk	#1
