/*
 * rt_svc_all: load x0-x30, NZCV and q0-q31 from a struct svc_frame (rt.h),
 * execute one svc, and store them all back with sp before and after, so a
 * test can check that exactly the registers the ABI allows changed.  In
 * assembly because C cannot name every register around one instruction.
 * rt_svc_call_all makes an exokernel call (svc #EXO_SVC_CALL), rt_svc0_all
 * a reflected system call (svc #0), rt_svc_sysret_all svc #EXO_SVC_SYSRET.
 */
#include "exo/abi.h"

.macro svc_all name, imm
	.text
	.balign	4
	.globl	\name
	.type	\name, %function
\name:
	stp x29, x30, [sp, #-176]!
	mov x29, sp
	stp x19, x20, [sp, #16]
	stp x21, x22, [sp, #32]
	stp x23, x24, [sp, #48]
	stp x25, x26, [sp, #64]
	stp x27, x28, [sp, #80]
	stp d8, d9, [sp, #96]
	stp d10, d11, [sp, #112]
	stp d12, d13, [sp, #128]
	stp d14, d15, [sp, #144]
	str x0, [sp, #160]
	add x9, x0, #528
	ldp q0, q1, [x9], #32
	ldp q2, q3, [x9], #32
	ldp q4, q5, [x9], #32
	ldp q6, q7, [x9], #32
	ldp q8, q9, [x9], #32
	ldp q10, q11, [x9], #32
	ldp q12, q13, [x9], #32
	ldp q14, q15, [x9], #32
	ldp q16, q17, [x9], #32
	ldp q18, q19, [x9], #32
	ldp q20, q21, [x9], #32
	ldp q22, q23, [x9], #32
	ldp q24, q25, [x9], #32
	ldp q26, q27, [x9], #32
	ldp q28, q29, [x9], #32
	ldp q30, q31, [x9], #32
	mov x9, sp
	str x9, [x0, #512]
	ldr x9, [x0, #248]
	msr nzcv, x9
	ldp x2, x3, [x0, #16]
	ldp x4, x5, [x0, #32]
	ldp x6, x7, [x0, #48]
	ldp x8, x9, [x0, #64]
	ldp x10, x11, [x0, #80]
	ldp x12, x13, [x0, #96]
	ldp x14, x15, [x0, #112]
	ldp x16, x17, [x0, #128]
	ldp x18, x19, [x0, #144]
	ldp x20, x21, [x0, #160]
	ldp x22, x23, [x0, #176]
	ldp x24, x25, [x0, #192]
	ldp x26, x27, [x0, #208]
	ldp x28, x29, [x0, #224]
	ldr x30, [x0, #240]
	ldr x1, [x0, #8]
	ldr x0, [x0]
	svc #\imm
	str x30, [sp, #168]
	ldr x30, [sp, #160]
	stp x0, x1, [x30, #256]
	stp x2, x3, [x30, #272]
	stp x4, x5, [x30, #288]
	stp x6, x7, [x30, #304]
	stp x8, x9, [x30, #320]
	stp x10, x11, [x30, #336]
	stp x12, x13, [x30, #352]
	stp x14, x15, [x30, #368]
	stp x16, x17, [x30, #384]
	stp x18, x19, [x30, #400]
	stp x20, x21, [x30, #416]
	stp x22, x23, [x30, #432]
	stp x24, x25, [x30, #448]
	stp x26, x27, [x30, #464]
	stp x28, x29, [x30, #480]
	mrs x9, nzcv
	str x9, [x30, #504]
	ldr x9, [sp, #168]
	str x9, [x30, #496]
	mov x9, sp
	str x9, [x30, #520]
	add x9, x30, #1040
	stp q0, q1, [x9], #32
	stp q2, q3, [x9], #32
	stp q4, q5, [x9], #32
	stp q6, q7, [x9], #32
	stp q8, q9, [x9], #32
	stp q10, q11, [x9], #32
	stp q12, q13, [x9], #32
	stp q14, q15, [x9], #32
	stp q16, q17, [x9], #32
	stp q18, q19, [x9], #32
	stp q20, q21, [x9], #32
	stp q22, q23, [x9], #32
	stp q24, q25, [x9], #32
	stp q26, q27, [x9], #32
	stp q28, q29, [x9], #32
	stp q30, q31, [x9], #32
	ldp d8, d9, [sp, #96]
	ldp d10, d11, [sp, #112]
	ldp d12, d13, [sp, #128]
	ldp d14, d15, [sp, #144]
	ldp x19, x20, [sp, #16]
	ldp x21, x22, [sp, #32]
	ldp x23, x24, [sp, #48]
	ldp x25, x26, [sp, #64]
	ldp x27, x28, [sp, #80]
	ldp x29, x30, [sp], #176
	ret
	.size	\name, . - \name
.endm

	svc_all	rt_svc_call_all, EXO_SVC_CALL
	svc_all	rt_svc0_all, 0
	svc_all	rt_svc_sysret_all, EXO_SVC_SYSRET
