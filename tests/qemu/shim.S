/*
 * A stand-in bootloader for the device-tree tests: it enters the kernel the
 * way QEMU's loader does, but with x0 = the 64-bit value a test stores at
 * 0x40000100 (0 for "no device tree", or the address of a corrupt one).
 * Loaded at 0x40000000 with QEMU's generic loader, which also sets the PC.
 */
	.text
	ldr	x1, =0x40000100
	ldr	x0, [x1]
	ldr	x1, =0x40080000
	br	x1
