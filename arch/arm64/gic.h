/* GICv2 distributor and CPU interface. */
#ifndef ARCH_ARM64_GIC_H
#define ARCH_ARM64_GIC_H

#include "exo/types.h"

#define GIC_MAX_INTID 256

typedef void (*irq_handler_t)(void);

bool gic_init(u64 dist_pa, u64 cpu_pa);
/* Route intid to handler and unmask it. */
void gic_enable(unsigned intid, irq_handler_t handler);
/* Acknowledge, dispatch and end every pending interrupt. */
void gic_handle_irq(void);
/* Interrupts taken that had no handler (reported once each). */
extern u64 gic_spurious;

#endif
