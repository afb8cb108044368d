/*
 * Backtraces by the frame-pointer chain (the kernel keeps frame pointers).
 * Every record is checked to lie on the kernel stack before it is read, so
 * a corrupt chain ends the backtrace instead of faulting inside a report.
 */
#include "arch/arm64/layout.h"
#include "exo/kernel.h"
#include "exo/printk.h"

#define BACKTRACE_MAX 32

static void print_frame(unsigned depth, u64 addr)
{
	char prefix[16];
	ksnprintf(prefix, sizeof(prefix), "    #%-2u ", depth);
	print_code_address(prefix, addr);
}

void arch_backtrace(u64 pc, u64 fp)
{
	u64 stack_low = (u64)(uintptr_t)__stack_bottom, stack_high = (u64)(uintptr_t)__stack_top;
	print_frame(0, pc);
	for (unsigned depth = 1; depth < BACKTRACE_MAX; depth++) {
		if (fp % 16 || fp < stack_low || fp + 16 > stack_high)
			return;
		const u64 *record = (const u64 *)(uintptr_t)fp;
		u64 next_fp = record[0], return_addr = record[1];
		if (return_addr == 0)
			return;
		/* The call site is the instruction before the return address. */
		print_frame(depth, return_addr - 4);
		if (next_fp <= fp)
			return; /* the chain must climb the stack */
		fp = next_fp;
	}
}
