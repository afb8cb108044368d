/*
 * Entry from QEMU's Linux-image loader: MMU off, x0 = device tree PA, at
 * EL2 or EL1.  We drop to EL1, build the boot tables (early.c), turn the MMU
 * on through an identity map of our text, jump to the high half, and then
 * point TTBR0 at an empty table: from here on nothing of the kernel is
 * reachable through TTBR0, so switching TTBR0 can never unmap the kernel.
 */
#include "arch/arm64/layout.h"
#include "arch/arm64/mair.h"
#include "arch/arm64/sysreg.h"

/* The arm64 Linux image header (Documentation/arm64/booting.rst). */
	.section .text.head, "ax"
	.globl	_head
_head:
	b	primary_entry		// code0
	.long	0			// code1
	.quad	KERNEL_TEXT_OFFSET	// text_offset: load at RAM base + 0x80000
	.quad	_image_size		// image_size, bss included
	.quad	0x2			// flags: little-endian, 4 KiB pages, low placement
	.quad	0, 0, 0			// res2-4
	.ascii	"ARM\x64"		// magic
	.long	0			// res5

	.section .text.boot, "ax"
primary_entry:
	mov	x19, x0			// device tree PA
	mrs	x20, cntpct_el0		// counter at kernel entry, for the boot log
	adr	x1, _head
	ldr	x2, =KERNEL_PHYS
	cmp	x1, x2
	b.ne	wrong_address		// VA = PA + offset only holds if loaded here
	mrs	x1, CurrentEL
	ubfx	x1, x1, #2, #2
	mov	x21, x1			// exception level at entry, for the boot log
	cmp	x1, #2
	b.eq	el2_to_el1
	cmp	x1, #1
	b.ne	wrong_el

el1_start:
	msr	daifset, #0xf
	msr	spsel, #1		// the kernel runs on SP_EL1, whatever we were given
	ldr	x1, =SCTLR_MMU_OFF
	msr	sctlr_el1, x1
	/*
	 * FP/SIMD traps at EL1 and EL0 (CPACR_EL1.FPEN = 0) whatever the loader
	 * left: the kernel is built -mgeneral-regs-only, so any FP use in it is a
	 * bug that must show up as an exception, never as clobbered user state.
	 */
	msr	cpacr_el1, xzr
	isb
	/*
	 * bss (page-aligned) holds the stack and the table pool: zero it.  Drop
	 * any cache lines over it first, so that no stale dirty line left by the
	 * loader can be written back over what we store with caches off.
	 */
	adrp	x0, __bss_start
	adrp	x1, __bss_end
	bl	dcache_invalidate_range
	adrp	x1, __bss_start
	adrp	x2, __bss_end
1:	stp	xzr, xzr, [x1], #16
	cmp	x1, x2
	b.lo	1b
	adrp	x1, __stack_top
	mov	sp, x1
	mov	x0, x19
	bl	early_map
	cbnz	x0, early_failed
	/* Tables were written with caches off: drop any stale lines over them. */
	dsb	sy
	adrp	x0, __bss_start
	adrp	x1, __bss_end
	bl	dcache_invalidate_range
	bl	mmu_enable
	ldr	x1, =high_entry		// an absolute (high) address
	br	x1

high_entry:
	ldr	x1, =__stack_top
	mov	sp, x1
	adr	x1, exception_vectors	// PC is high now, so this is too
	msr	vbar_el1, x1
	isb
	msr	daifclr, #0xc		// debug and SError from here on; IRQs once the GIC is up
	adrp	x1, boot_entry_el	// bss is live now: keep the entry EL for PSCI and the log
	str	x21, [x1, :lo12:boot_entry_el]
	/* Leave TTBR0 pointing at an all-invalid table and forget the id map. */
	adrp	x1, empty_ttbr0_table
	add	x1, x1, :lo12:empty_ttbr0_table
	ldr	x2, =KERNEL_VA_OFFSET
	sub	x1, x1, x2
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mov	x29, xzr		// the end of every backtrace
	mov	x30, xzr
	mov	x0, x19
	mov	x1, x20
	bl	kmain
	b	halt_forever

/* MAIR, TCR, both TTBRs, then SCTLR.M; returns with the MMU on. */
mmu_enable:
	ldr	x1, =MAIR_VALUE
	msr	mair_el1, x1
	ldr	x1, =TCR_VALUE
	mrs	x2, id_aa64mmfr0_el1
	bfi	x1, x2, #TCR_IPS_SHIFT, #3	// IPS = PARange
	ubfx	x3, x2, #4, #4			// ASIDBits: 2 means 16-bit
	cmp	x3, #2
	b.ne	1f
	orr	x1, x1, #(1 << TCR_AS_BIT)
1:	msr	tcr_el1, x1
	adrp	x1, boot_idmap_root
	ldr	x1, [x1, :lo12:boot_idmap_root]
	msr	ttbr0_el1, x1
	adrp	x1, boot_kernel_root
	ldr	x1, [x1, :lo12:boot_kernel_root]
	msr	ttbr1_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x1, =SCTLR_MMU_ON
	msr	sctlr_el1, x1
	isb
	ic	iallu
	dsb	nsh
	isb
	ret

/* dc ivac over [x0, x1). */
dcache_invalidate_range:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		// DminLine: log2(words)
	mov	x2, #4
	lsl	x2, x2, x3		// line size in bytes
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy
	ret

/* EL2 (QEMU -M virt,virtualization=on): hand the machine to EL1. */
el2_to_el1:
	mov	x1, #HCR_EL2_RW		// EL1 is AArch64; nothing else trapped
	msr	hcr_el2, x1
	isb
	mrs	x1, pmcr_el0		// EL1 may use all the PMU counters (HPMN = N),
	ubfx	x1, x1, #11, #5		// no debug or PMU traps to EL2
	msr	mdcr_el2, x1
	mrs	x1, cnthctl_el2
	orr	x1, x1, #3		// EL1 may use the physical counter and timer
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr	// virtual time = physical time
	mov	x1, #CPTR_EL2_RES1	// FP/SIMD not trapped to EL2
	msr	cptr_el2, x1
	msr	hstr_el2, xzr
	mrs	x1, midr_el1
	msr	vpidr_el2, x1
	mrs	x1, mpidr_el1
	msr	vmpidr_el2, x1
	ldr	x1, =SCTLR_MMU_OFF
	msr	sctlr_el1, x1
	mov	x1, #SPSR_EL1H_MASKED
	msr	spsr_el2, x1
	adr	x1, el1_start
	msr	elr_el2, x1
	eret

/*
 * Before the device tree is read there is no console; these failures can
 * only be reported on QEMU virt's PL011 at its fixed address, MMU off.
 */
wrong_address:
	adr	x0, msg_wrong_address
	b	early_panic
wrong_el:
	adr	x0, msg_wrong_el
	b	early_panic
early_failed:
	adr	x0, msg_early_failed
early_panic:
	ldr	x1, =0x09000000
1:	ldrb	w2, [x0], #1
	cbz	w2, halt_forever
2:	ldr	w3, [x1, #0x18]		// UARTFR
	tbnz	w3, #5, 2b		// TXFF
	str	w2, [x1]
	b	1b

	.globl	halt_forever
halt_forever:
	msr	daifset, #0xf
1:	wfi
	b	1b

msg_wrong_address:
	.asciz	"exo: loaded at the wrong address: the kernel must be loaded at 0x40080000\r\n"
msg_wrong_el:
	.asciz	"exo: entered at EL3 or EL0: start the kernel at EL2 or EL1\r\n"
msg_early_failed:
	.asciz	"exo: building the boot page tables failed\r\n"

	.section .bss.pgtables, "aw", %nobits
	.balign	4096
	.globl	empty_ttbr0_table
empty_ttbr0_table:			// every entry invalid, forever
	.space	4096
