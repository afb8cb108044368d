/* Stopping the machine: clean power-off, or a fatal stop after a report. */
#include "exo/kernel.h"
#include "exo/printk.h"

bool panic_halts;

noreturn void machine_exit(enum exit_status status)
{
	kprintf("exo: power off (status %d)\n", (int)status);
	arch_poweroff((u32)status);
}

noreturn void machine_fatal(void)
{
	if (panic_halts) {
		kprintf("exo: halted (panic=halt): attach a debugger, or quit QEMU with Ctrl-A x\n");
		arch_halt();
	}
	machine_exit(EXIT_PANIC);
}

noreturn void panic(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	kprintf("exo: panic: ");
	kvprintf(fmt, args);
	kprintf("\n");
	va_end(args);
	arch_backtrace((u64)(uintptr_t)__builtin_return_address(0), (u64)(uintptr_t)__builtin_frame_address(0));
	machine_fatal();
}
