/*
 * What `ninja run` shows until there is a user space: the boot log above,
 * a few timer ticks, and a clean power-off.
 */
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"

noreturn void demo(void)
{
	u64 start = arch_ticks();
	kprintf("exo: demo: waiting for 3 timer ticks\n");
	for (u64 seen = start; seen < start + 3;) {
		arch_wait_for_interrupt();
		if (arch_ticks() != seen) {
			seen = arch_ticks();
			kprintf("exo: tick %lu\n", seen - start);
		}
	}
	kprintf("exo: %lu frames free; nothing more to run yet\n", frame_count(&kernel_frames, FRAME_FREE));
	machine_exit(EXIT_OK);
}
