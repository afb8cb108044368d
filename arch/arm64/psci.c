/* PSCI calls (power-off) through hvc or smc, as the device tree says. */
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

noreturn void arch_poweroff(void)
{
	psci_call(PSCI_SYSTEM_OFF);
	arch_halt(); /* SYSTEM_OFF does not return; if it did, stop here */
}

noreturn void arch_halt(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf\n wfi" ::: "memory");
}
