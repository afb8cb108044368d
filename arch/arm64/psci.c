/*
 * Powering off: PSCI SYSTEM_OFF through hvc or smc, as the device tree
 * says; or, with exit=semihosting on the command line (QEMU started with
 * -semihosting), the semihosting SYS_EXIT call, whose code QEMU exits with,
 * so that a script sees the kernel's status.
 */
#include "arch/arm64/drivers.h"
#include "exo/kernel.h"

#define PSCI_SYSTEM_OFF 0x84000008u

static bool psci_use_smc;

void psci_init(bool use_smc) { psci_use_smc = use_smc; }

static u64 psci_call(u64 function)
{
	register u64 x0 __asm__("x0") = function;
	if (psci_use_smc)
		__asm__ volatile("smc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	return x0;
}

bool arch_exit_semihosting;

#define SEMIHOST_SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

/* SYS_EXIT with the reason and the code in a two-word block: QEMU ends with that code. */
static void semihost_exit(u32 status)
{
	u64 block[2] = { ADP_STOPPED_APPLICATION_EXIT, status };
	register u64 x0 __asm__("x0") = SEMIHOST_SYS_EXIT;
	register u64 x1 __asm__("x1") = (u64)block;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}

noreturn void arch_poweroff(u32 status)
{
	if (arch_exit_semihosting)
		semihost_exit(status);
	psci_call(PSCI_SYSTEM_OFF);
	arch_halt(); /* SYSTEM_OFF does not return; if it did, stop here */
}

noreturn void arch_halt(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf\n wfi" ::: "memory");
}
