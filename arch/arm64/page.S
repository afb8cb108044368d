/* Whole-page helpers and the first entry to user space. */
#include "arch/arm64/trap_frame.h"

	.text
/*
 * void arch_zero_page(void *kva): DC ZVA blocks if allowed (DCZID_EL0), else stores.
 * void arch_zero_start(void *kva, u64 bytes): the first bytes of a page, in
 * whole blocks (so perhaps a little more, never past the page).
 */
	.globl	arch_zero_page
arch_zero_page:
	mov	x1, #4096
	.globl	arch_zero_start
arch_zero_start:
	add	x3, x0, x1
	mrs	x1, dczid_el0
	tbnz	x1, #4, 2f		// DZP: DC ZVA prohibited
	and	x1, x1, #0xf
	mov	x2, #4
	lsl	x2, x2, x1		// block size in bytes
1:	dc	zva, x0
	add	x0, x0, x2
	cmp	x0, x3
	b.lo	1b
	ret
2:	stp	xzr, xzr, [x0], #16
	cmp	x0, x3
	b.lo	2b
	ret

/* void arch_copy_page(void *dst, const void *src): 4 KiB, 64 bytes a turn in general registers. */
	.globl	arch_copy_page
arch_copy_page:
	mov	x2, #64
1:	ldp	x3, x4, [x1]
	ldp	x5, x6, [x1, #16]
	ldp	x7, x8, [x1, #32]
	ldp	x9, x10, [x1, #48]
	add	x1, x1, #64
	stp	x3, x4, [x0]
	stp	x5, x6, [x0, #16]
	stp	x7, x8, [x0, #32]
	stp	x9, x10, [x0, #48]
	add	x0, x0, #64
	subs	x2, x2, #1
	b.ne	1b
	ret

/* void fpsimd_save(struct fpsimd_state *): q0-q31, then FPSR and FPCR. */
	.globl	fpsimd_save
fpsimd_save:
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
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512
	stp	x1, x2, [x0]
	ret

	.globl	fpsimd_load
fpsimd_load:
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
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret

/*
 * noreturn void user_enter(const struct trap_frame *frame): copy the frame
 * to the top of the kernel stack (where every later trap from EL0 puts its
 * frame) and leave through the common exception return.
 */
	.globl	user_enter
user_enter:
	ldr	x1, =__stack_top
	sub	x1, x1, #FRAME_SIZE
	mov	x2, #0
	mov	sp, x1
	add	x2, x0, #FRAME_SIZE
1:	ldp	x3, x4, [x0], #16
	stp	x3, x4, [x1], #16
	cmp	x0, x2
	b.lo	1b
	b	trap_restore
	.ltorg

/* void copy_256(void *dst, const void *src): 32 aligned words (x0-x30 and sp of a register set). */
	.globl	copy_256
copy_256:
	.rept	8
	ldp	x2, x3, [x1], #16
	ldp	x4, x5, [x1], #16
	stp	x2, x3, [x0], #16
	stp	x4, x5, [x0], #16
	.endr
	ret
