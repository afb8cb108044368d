/* The arm64 drivers' entry points, for arch/arm64/init.c and self-tests. */
#ifndef ARCH_ARM64_DRIVERS_H
#define ARCH_ARM64_DRIVERS_H

#include "exo/types.h"

#define TICK_HZ 100

bool uart_init(u64 base);
/* Input by interrupt from now on (intid 0: none known, input stays polled). */
void uart_input_interrupts(unsigned intid);
void psci_init(bool use_smc);
void timer_init(unsigned intid, unsigned hz);
u64 timer_ticks(void);

#endif
