/* Device discovery from the device tree. */
#include "arch/arm64/platform.h"
#include "exo/errno.h"
#include "exo/string.h"

void platform_defaults(struct platform *plat, u64 entry_el)
{
	*plat = (struct platform){ .uart_pa = FALLBACK_UART_PA, .psci_smc = entry_el == 2 };
}

/* interrupts = <type num flags>: an SPI's INTID (32 + num), 0 if it is none. */
static unsigned read_spi(const struct fdt *fdt, struct fdt_node *node)
{
	const void *cells;
	u32 len;
	if (fdt_get_prop(fdt, node, "interrupts", &cells, &len) < 0 || len < 3 * 4 || fdt_be32(cells) != 0 ||
	    fdt_be32((const u8 *)cells + 4) > 987)
		return 0;
	return 32 + fdt_be32((const u8 *)cells + 4);
}

void platform_read_console(const struct fdt *fdt, struct platform *plat)
{
	struct fdt_node node = { 0 };
	u64 addr, size;
	if (fdt_find_compatible(fdt, "arm,pl011", &node) == 0 &&
	    fdt_get_reg(fdt, &node, 0, &addr, &size) == 0 && addr % PAGE_SIZE == 0) {
		plat->uart_pa = addr;
		plat->uart_from_dt = true;
		plat->uart_intid = read_spi(fdt, &node);
	}
	const void *method;
	u32 len;
	node.off = 0;
	if (fdt_find_path(fdt, "/psci", &node) == 0 &&
	    fdt_get_prop(fdt, &node, "method", &method, &len) == 0)
		plat->psci_smc = len == 4 && memcmp(method, "smc", 4) == 0;
}

static int read_gic(const struct fdt *fdt, struct platform *plat, const char **why)
{
	struct fdt_node node = { 0 };
	u64 size;
	if (fdt_find_compatible(fdt, "arm,cortex-a15-gic", &node) < 0) {
		node.off = 0;
		if (fdt_find_compatible(fdt, "arm,gic-400", &node) < 0) {
			*why = "no GICv2 in the device tree (run QEMU with -M virt,gic-version=2)";
			return -E_NOENT;
		}
	}
	if (fdt_get_reg(fdt, &node, 0, &plat->gic_dist_pa, &size) < 0 ||
	    fdt_get_reg(fdt, &node, 1, &plat->gic_cpu_pa, &size) < 0) {
		*why = "GIC node without distributor and CPU interface registers";
		return -E_CORRUPT;
	}
	return 0;
}

/* interrupts = <type num flags> x4: secure, non-secure, virtual, hyp timers. */
static int read_timer(const struct fdt *fdt, struct platform *plat, const char **why)
{
	struct fdt_node node = { 0 };
	const void *cells;
	u32 len;
	if (fdt_find_compatible(fdt, "arm,armv8-timer", &node) < 0 ||
	    fdt_get_prop(fdt, &node, "interrupts", &cells, &len) < 0 || len < 3 * 3 * 4) {
		*why = "no arm,armv8-timer node with its interrupts";
		return -E_NOENT;
	}
	const u8 *virt = (const u8 *)cells + 2 * 3 * 4;
	if (fdt_be32(virt) != 1 || fdt_be32(virt + 4) > 15) {
		*why = "the virtual timer's interrupt is not a PPI";
		return -E_CORRUPT;
	}
	plat->timer_intid = 16 + fdt_be32(virt + 4);
	return 0;
}

int platform_read_devices(const struct fdt *fdt, struct platform *plat, const char **why)
{
	int err = read_gic(fdt, plat, why);
	return err ? err : read_timer(fdt, plat, why);
}
