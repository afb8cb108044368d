/* The arch side of kmain's boot sequence (exo/kernel.h). */
#include "arch/arm64/drivers.h"
#include "arch/arm64/early.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/kmap.h"
#include "arch/arm64/platform.h"
#include "arch/arm64/sysreg.h"
#include "exo/errno.h"
#include "exo/kernel.h"

static struct platform plat;
u64 boot_entry_el; /* written by head.S */

u64 arch_entry_el(void) { return boot_entry_el; }

const void *arch_boot_dtb(u64 *readable)
{
	if (!boot_dtb_va)
		return NULL;
	*readable = DTB_WINDOW_VA + DTB_WINDOW_SIZE - boot_dtb_va;
	return (const void *)(uintptr_t)boot_dtb_va;
}

void arch_console_early(void)
{
	platform_defaults(&plat, boot_entry_el);
	psci_init(plat.psci_smc);
	if (!uart_init(plat.uart_pa))
		arch_halt(); /* nowhere to say anything */
}

void arch_console_init(const struct fdt *fdt)
{
	u64 early_uart = plat.uart_pa;
	platform_read_console(fdt, &plat);
	psci_init(plat.psci_smc);
	if (plat.uart_pa != early_uart && !uart_init(plat.uart_pa))
		plat.uart_pa = early_uart; /* keep talking where we can */
}

void *phys_to_kernel(paddr_t addr) { return phys_to_virt(addr); }
paddr_t kernel_to_phys(const void *kva) { return virt_to_phys(kva); }

void arch_kernel_image(u64 *start, u64 *end)
{
	*start = virt_to_phys(_head).val;
	*end = virt_to_phys(_end).val;
}

int arch_map_ram(const struct memmap *map) { return kmap_ram(map); }

int arch_devices_init(const struct fdt *fdt, const char **why)
{
	int err = platform_read_devices(fdt, &plat, why);
	if (err)
		return err;
	if (!gic_init(plat.gic_dist_pa, plat.gic_cpu_pa)) {
		*why = "out of boot page tables mapping the GIC";
		return -E_NOMEM;
	}
	timer_init(plat.timer_intid, TICK_HZ);
	uart_input_interrupts(plat.uart_intid);
	return 0;
}

void arch_irq_enable(void) { irq_enable(); }
void arch_irq_disable(void) { irq_disable(); }

void arch_wait_for_interrupt(void) { wfi(); }

u64 arch_ticks(void) { return timer_ticks(); }
