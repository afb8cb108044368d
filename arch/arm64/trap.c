/*
 * Exception dispatch: EL0's exceptions go to user.c; at EL1 only IRQs and the
 * self-test breakpoint are expected, anything else gets a decoded report.
 */
#include "arch/arm64/esr.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/layout.h"
#include "arch/arm64/trap_frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/selftest.h"

static const char *vector_name(u64 vector)
{
	static const char *const sources[] = { "EL1 with SP_EL0", "EL1 with SP_EL1",
		                               "EL0 (AArch64)", "EL0 (AArch32)" };
	static const char *const types[] = { "synchronous", "IRQ", "FIQ", "SError" };
	static char name[48];
	ksnprintf(name, sizeof(name), "%s, %s", sources[(vector >> 2) & 3], types[vector & 3]);
	return name;
}

static void print_registers(const struct trap_frame *frame)
{
	for (unsigned reg = 0; reg < 31; reg++)
		kprintf("  x%-2u %016lx%s", reg, frame->x[reg], reg % 4 == 3 ? "\n" : "");
	kprintf("  sp  %016lx\n", frame->sp);
}

static void report(const struct trap_frame *frame, u64 vector)
{
	u64 esr = frame->esr;
	unsigned class = esr_class(esr);
	kprintf("\nexo: *** unexpected exception: %s (EC 0x%02x) ***\n", esr_class_name(class), class);
	kprintf("  vector: %s\n", vector_name(vector));
	kprintf("  ESR  0x%016lx  FAR 0x%016lx\n", esr, frame->far);
	print_code_address("  ELR  ", frame->elr);
	kprintf("  SPSR 0x%016lx (%s, DAIF 0x%lx)\n", frame->spsr,
	        (frame->spsr & 0xf) == 0 ? "EL0t" : (frame->spsr & 0xf) == 5 ? "EL1h" : "EL1t",
	        (frame->spsr >> 6) & 0xf);
	char detail[96];
	if (esr_describe(esr, detail, sizeof(detail)))
		kprintf("  %s\n", detail);
	if (frame->far >= DTB_WINDOW_VA && frame->far < DTB_WINDOW_VA + DTB_WINDOW_SIZE)
		kprintf("  note: the address is in the device-tree window: the device tree claims "
		        "memory that is not there\n");
	print_registers(frame);
	kprintf("  backtrace:\n");
	arch_backtrace(frame->elr, frame->x[29]);
}

/* Nested unexpected exceptions: report once, then stop without printing. */
static int reporting;

static void unexpected(struct trap_frame *frame, u64 vector)
{
	if (reporting++) {
		kprintf("\nexo: exception while reporting an exception (ELR 0x%lx); stopped\n", frame->elr);
		arch_halt();
	}
	report(frame, vector);
	kprintf("exo: stopped.\n");
	machine_fatal();
}

/* From the vectors, on the emergency stack: the kernel stack ran out. */
noreturn void kernel_stack_overflow(u64 elr, u64 far, u64 esr);
noreturn void kernel_stack_overflow(u64 elr, u64 far, u64 esr)
{
	kprintf("\nexo: *** kernel stack overflow: %s (EC 0x%02x) with SP below the stack ***\n",
	        esr_class_name(esr_class(esr)), esr_class(esr));
	kprintf("  ESR  0x%016lx  FAR 0x%016lx\n", esr, far);
	print_code_address("  ELR  ", elr);
	kprintf("exo: stopped.\n");
	machine_fatal();
}

void user_trap(struct trap_frame *frame, u64 vector);

void trap_dispatch(struct trap_frame *frame, u64 vector)
{
	if (vector & VEC_FROM_EL0) {
		user_trap(frame, vector);
		return;
	}
	if (vector == (VEC_EL1_SPX | VEC_IRQ)) {
		gic_handle_irq();
		return;
	}
	if (vector == (VEC_EL1_SPX | VEC_SYNC) && esr_class(frame->esr) == EC_BRK &&
	    (frame->esr & 0xffff) == BRK_SELFTEST) {
		selftest_brk_hits++;
		frame->elr += 4; /* resume after the brk */
		return;
	}
	unexpected(frame, vector);
}
