/*
 * Self-tests that need the architecture: the regression for the TTBR0
 * self-unmapping bug (../shared/seed/), and deliberate kernel faults that
 * must end in a decoded report.
 */
#include "arch/arm64/early.h"
#include "arch/arm64/esr.h"
#include "arch/arm64/sysreg.h"
#include "exo/errno.h"
#include "exo/frame.h"
#include "exo/printk.h"
#include "exo/selftest.h"
#include "exo/string.h"

#define TEST_ASID ((u64)1)

void ttbr0_switch_and_trap(u64 ttbr0);
extern char ttbr0_after_switch[];
extern char empty_ttbr0_table[];

/* Does a stage-1 EL1 read of va translate?  (AT S1E1R, PAR_EL1.F) */
static bool translates(u64 va)
{
	__asm__ volatile("at s1e1r, %0\n isb" ::"r"(va) : "memory");
	return (read_sysreg(par_el1) & 1) == 0;
}

static void restore_empty_ttbr0(void)
{
	write_sysreg(ttbr0_el1, virt_to_phys(empty_ttbr0_table).val);
	isb();
	tlb_flush_all();
}

/* With TTBR0 = root: an exception, interrupts, and nothing low reachable. */
static int run_on_empty_ttbr0(u64 ttbr0)
{
	u64 hits = selftest_brk_hits;
	ttbr0_switch_and_trap(ttbr0);
	CHECK(selftest_brk_hits == hits + 1, "the brk exception was not taken and returned from");
	CHECK(wait_for_ticks(3), "no timer interrupt for 5 s on the new TTBR0");
	CHECK(read_sysreg(ttbr0_el1) == ttbr0, "TTBR0 changed under us");
	CHECK(!translates(virt_to_phys(kmain).val), "kmain's physical address translates via TTBR0");
	CHECK(!translates(0), "address 0 translates via TTBR0");
	CHECK(translates((u64)(uintptr_t)kmain), "the kernel's own text does not translate");
	kprintf("exo: TTBR0 = 0x%lx (ASID %lu, maps nothing): took a brk and %d timer interrupts, "
	        "kernel still running in the high half\n", ttbr0, TEST_ASID, 3);
	return 0;
}

/*
 * The same switch, run through TTBR0: the boot identity map (TTBR0) is put
 * back and ttbr0_switch_and_trap is called at its physical address.  The
 * expected outcome is the decoded report of an instruction abort at
 * ttbr0_after_switch's physical address; returning is the failure.
 */
static int run_through_ttbr0(u64 ttbr0)
{
	u64 low = virt_to_phys(ttbr0_switch_and_trap).val;
	write_sysreg(ttbr0_el1, boot_idmap_root);
	isb();
	tlb_flush_all();
	kprintf("exo: calling ttbr0_switch_and_trap through TTBR0 at 0x%lx; a fetch after the "
	        "switch, before 0x%lx, must fault\n", low, virt_to_phys(ttbr0_after_switch).val + 8);
	((void (*)(u64))(uintptr_t)low)(ttbr0);
	restore_empty_ttbr0();
	CHECK(false, "code reached through TTBR0 survived switching TTBR0: the test is vacuous");
}

int arch_selftest_ttbr0(bool through_ttbr0)
{
	paddr_t root;
	CHECK(frame_alloc(&kernel_frames, FRAME_PAGETABLE, 0, 1, &root) == 0, "no frame for a root");
	memset(phys_to_kernel(root), 0, PAGE_SIZE);
	u64 free_after_alloc = frame_count(&kernel_frames, FRAME_FREE);
	u64 ttbr0 = root.val | TEST_ASID << TTBR_ASID_SHIFT;
	int result = through_ttbr0 ? run_through_ttbr0(ttbr0) : run_on_empty_ttbr0(ttbr0);
	restore_empty_ttbr0();
	CHECK(frame_free(&kernel_frames, root) == 0, "freeing the root");
	CHECK(frame_count(&kernel_frames, FRAME_FREE) == free_after_alloc + 1, "frame count");
	return result;
}

static u32 data_code[4] = { 0xd65f03c0 }; /* ret */

/* Recursion the compiler cannot flatten: each level keeps 256 bytes live. */
static volatile u64 recursion_limit = UINT64_MAX;

static u64 recurse(u64 depth)
{
	volatile u64 pad[32];
	pad[depth % 32] = depth;
	if (depth >= recursion_limit)
		return 0;
	return recurse(depth + 1) + pad[depth % 32];
}

/* Faults that must produce the decoded exception report. */
int arch_selftest_fault(const char *kind)
{
	if (strcmp(kind, "fault") == 0) {
		kprintf("exo: writing to unmapped kernel address 0xffff7fffdead0000\n");
		*(volatile u64 *)0xffff7fffdead0000ull = 1;
	} else if (strcmp(kind, "write-text") == 0) {
		kprintf("exo: writing to kernel text at %p\n", (void *)kmain);
		*(volatile u32 *)(uintptr_t)kmain = 0;
	} else if (strcmp(kind, "exec-data") == 0) {
		kprintf("exo: jumping to kernel data at %p\n", (void *)data_code);
		((void (*)(void))(uintptr_t)data_code)();
	} else if (strcmp(kind, "stack-overflow") == 0) {
		kprintf("exo: recursing until the kernel stack runs out\n");
		kprintf("exo: (unreachable) %lu\n", recurse(0));
	} else if (strcmp(kind, "undef") == 0) {
		kprintf("exo: executing an undefined instruction\n");
		__asm__ volatile(".word 0x00000000");
	} else {
		kprintf("exo: unknown selftest '%s'\n", kind);
		return -1;
	}
	CHECK(false, "the %s self-test did not fault", kind);
}
