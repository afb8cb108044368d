/* Counter time, and waiting for timer ticks with the CPU idle in between. */
#include "exo/kernel.h"

#define TICK_WAIT_LIMIT_S 5

/* Split so that neither the product overflows nor a slow counter divides by 0. */
u64 counter_to_us(u64 counts)
{
	u64 freq = arch_counter_freq();
	return counts / freq * 1000000 + counts % freq * 1000000 / freq;
}

bool wait_for_ticks(u64 count)
{
	u64 target = arch_ticks() + count, start = arch_counter();
	u64 limit = TICK_WAIT_LIMIT_S * arch_counter_freq();
	while (arch_ticks() < target) {
		if (arch_counter() - start > limit)
			return false;
		arch_wait_for_interrupt();
	}
	return true;
}
