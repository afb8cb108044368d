/*
 * A stand-in bootloader for the device-tree tests: it enters the kernel the
 * way QEMU's loader does, but with x0 = the 64-bit value a test stores at
 * 0x40200100 (0 for "no device tree", or the address of a corrupt one).
 * QEMU still loads the kernel (-kernel) and its own DTB; the generic
 * loader puts this shim at 0x40200000 (free RAM) and starts the CPU here.
 */
	.text
	ldr	x1, =0x40200100
	ldr	x0, [x1]
	ldr	x1, =0x40080000
	br	x1
