/*
 * What the kernel learns about the machine's devices from the device tree:
 * the console UART, the GIC, the timer's interrupt and how to call PSCI.
 * Reading it touches no hardware (host-tested); the drivers use the result.
 */
#ifndef ARCH_ARM64_PLATFORM_H
#define ARCH_ARM64_PLATFORM_H

#include "exo/fdt.h"

/* QEMU virt's PL011, used only when there is no usable device tree. */
#define FALLBACK_UART_PA 0x09000000ull

struct platform {
	u64 uart_pa;
	bool uart_from_dt;
	unsigned uart_intid;  /* its interrupt (an SPI), 0 if unknown: input is polled */
	u64 gic_dist_pa, gic_cpu_pa;
	unsigned timer_intid; /* EL1 virtual timer */
	bool psci_smc;        /* conduit: smc, else hvc */
};

/*
 * Defaults for the no-device-tree case: console and power-off only.  PSCI
 * goes by smc if we were entered at EL2 (QEMU then implements PSCI at EL3;
 * an hvc would trap to our own, empty, EL2), else by hvc.
 */
void platform_defaults(struct platform *plat, u64 entry_el);
/* The console and PSCI: needed before anything can be reported. */
void platform_read_console(const struct fdt *fdt, struct platform *plat);
/* The GIC and the timer; 0, or -E_NOENT/-E_CORRUPT with *why set. */
int platform_read_devices(const struct fdt *fdt, struct platform *plat, const char **why);

#endif
