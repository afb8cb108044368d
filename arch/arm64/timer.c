/*
 * The EL1 virtual timer as the periodic tick.  Each tick is scheduled from
 * the previous deadline (CVAL += interval), so ticks do not drift with
 * interrupt latency.
 */
#include "arch/arm64/drivers.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/sysreg.h"
#include "exo/kernel.h"
#include "exo/sched.h"

static u64 tick_interval, next_deadline;
static volatile u64 tick_count;

u64 arch_counter(void)
{
	isb(); /* do not let the read run ahead of earlier instructions */
	return read_sysreg(cntvct_el0);
}

u64 arch_counter_since_reset(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

u64 arch_counter_freq(void) { return read_sysreg(cntfrq_el0); }

#define CNTV_CTL_ISTATUS (1u << 2)

/*
 * The timer's interrupt is level-triggered: a stale acknowledgement after
 * the deadline moved must not count as a second tick, so check ISTATUS.
 */
static void timer_irq(void)
{
	if (!(read_sysreg(cntv_ctl_el0) & CNTV_CTL_ISTATUS))
		return;
	tick_count++;
	next_deadline += tick_interval;
	write_sysreg(cntv_cval_el0, next_deadline);
	isb(); /* the new deadline takes effect before the GIC sees our EOI */
	sched_tick();
}

void timer_init(unsigned intid, unsigned hz)
{
	tick_interval = arch_counter_freq() / hz;
	next_deadline = arch_counter() + tick_interval;
	write_sysreg(cntv_cval_el0, next_deadline);
	write_sysreg(cntv_ctl_el0, 1); /* enabled, not masked */
	gic_enable(intid, timer_irq);
}

u64 timer_ticks(void) { return tick_count; }
