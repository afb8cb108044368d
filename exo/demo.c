/*
 * What `ninja run` shows until there is a user space: the boot log above,
 * a few timer ticks, and a clean power-off.
 */
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"

noreturn void demo(void)
{
	kprintf("exo: demo: waiting for 3 timer ticks\n");
	for (unsigned tick = 1; tick <= 3; tick++) {
		if (!wait_for_ticks(1))
			panic("no timer tick for 5 s");
		kprintf("exo: tick %u\n", tick);
	}
	kprintf("exo: %lu frames free; nothing more to run yet\n", frame_count(&kernel_frames, FRAME_FREE));
	machine_exit(EXIT_OK);
}
