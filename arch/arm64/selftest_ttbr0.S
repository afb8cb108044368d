/*
 * ttbr0_switch_and_trap(ttbr0): install x0 as TTBR0 exactly as a context
 * switch to a new user address space does, then take a synchronous
 * exception (brk, stepped over by the handler) and return.
 *
 * Running from the high half (TTBR1) this returns normally: nothing it
 * fetches is translated through TTBR0.  Called through an alias that is
 * translated by TTBR0 (as the kernel of ../shared/seed/ was), the fetch of
 * the very next instruction after the isb has no translation any more: an
 * instruction abort at EL1, the crash the seed analysis describes.
 * The function touches no data, so its alias only needs the text mapped.
 */
#include "arch/arm64/esr.h"

	.text
	.globl	ttbr0_switch_and_trap
	.balign	16
ttbr0_switch_and_trap:
	msr	ttbr0_el1, x0
	isb
	tlbi	vmalle1			// nothing stale may keep the old mapping alive
	dsb	nsh
	isb
	.globl	ttbr0_after_switch
ttbr0_after_switch:
	brk	#BRK_SELFTEST
	ret
