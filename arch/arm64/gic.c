/* GICv2: one CPU, interrupts at a single priority, handlers by INTID. */
#include "arch/arm64/gic.h"
#include "arch/arm64/kmap.h"
#include "exo/printk.h"

#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define GIC_SPURIOUS 1020 /* INTIDs 1020-1023 are special */
#define IRQ_PRIORITY 0xa0

static volatile u32 *gicd, *gicc;
static irq_handler_t handlers[GIC_MAX_INTID];
u64 gic_spurious;

static void reg_write(volatile u32 *base, u32 offset, u32 value) { base[offset / 4] = value; }
static u32 reg_read(volatile u32 *base, u32 offset) { return base[offset / 4]; }

bool gic_init(u64 dist_pa, u64 cpu_pa)
{
	gicd = kmap_device(dist_pa, 0x1000);
	gicc = kmap_device(cpu_pa, 0x2000);
	if (!gicd || !gicc)
		return false;
	reg_write(gicd, GICD_CTLR, 0);
	for (unsigned word = 0; word < GIC_MAX_INTID / 32; word++)
		reg_write(gicd, GICD_ICENABLER + 4 * word, ~0u);
	reg_write(gicd, GICD_CTLR, 1);
	reg_write(gicc, GICC_PMR, 0xf0); /* let every priority above 0xf0 in */
	reg_write(gicc, GICC_CTLR, 1);
	return true;
}

void gic_enable(unsigned intid, irq_handler_t handler)
{
	if (intid >= GIC_MAX_INTID)
		return;
	handlers[intid] = handler;
	volatile u8 *priority = (volatile u8 *)gicd + GICD_IPRIORITYR;
	priority[intid] = IRQ_PRIORITY;
	reg_write(gicd, GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

void gic_handle_irq(void)
{
	for (;;) {
		u32 iar = reg_read(gicc, GICC_IAR);
		unsigned intid = iar & 0x3ff;
		if (intid >= GIC_SPURIOUS)
			return;
		if (intid < GIC_MAX_INTID && handlers[intid]) {
			handlers[intid]();
		} else if (gic_spurious++ == 0) {
			kprintf("exo: interrupt %u has no handler\n", intid);
		}
		reg_write(gicc, GICC_EOIR, iar);
	}
}
