/* Counter time, and waiting for timer ticks with the CPU idle in between. */
#include "exo/kernel.h"

#define TICK_WAIT_LIMIT_S 5

/* Split so that neither the product overflows nor a slow counter divides by 0. */
u64 counter_to_us(u64 counts)
{
	u64 freq = arch_counter_freq();
	return counts / freq * 1000000 + counts % freq * 1000000 / freq;
}

u64 counter_to_ns(u64 counts)
{
	u64 freq = arch_counter_freq();
	return counts / freq * 1000000000 + counts % freq * 1000000000 / freq;
}

/* Saturates rather than wraps: a huge timeout is "practically never". */
u64 ns_to_counter(u64 ns)
{
	u64 freq = arch_counter_freq();
	u64 seconds = ns / 1000000000;
	if (seconds > UINT64_MAX / freq / 2)
		return UINT64_MAX / 2;
	return seconds * freq + ns % 1000000000 * freq / 1000000000;
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
