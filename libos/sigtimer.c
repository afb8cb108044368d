/*
 * The real-time interval timer (setitimer/getitimer ITIMER_REAL, and so
 * musl's alarm): one kernel alarm per environment (EXO_ALARM), which
 * alerts us from environment 0 when it goes off; libos raises SIGALRM for
 * the process and sets the alarm again for a periodic timer.
 */
#include "libos/signal.h"

#define ITIMER_REAL 0
#define NS 1000000000ll

struct timeval_l {
	i64 sec, usec;
};
struct itimerval_l {
	struct timeval_l interval, value;
};

static i64 ns_of(const struct timeval_l *tv) { return tv->sec * NS + tv->usec * 1000; }

static struct timeval_l tv_of(i64 ns)
{
	if (ns <= 0)
		return (struct timeval_l){ 0, 0 };
	/* Rounded up to the microsecond: a timer that has not gone off never reads as 0. */
	ns += 999;
	return (struct timeval_l){ ns / NS, ns % NS / 1000 };
}

static bool valid(const struct timeval_l *tv)
{
	return tv->sec >= 0 && tv->usec >= 0 && tv->usec < 1000000;
}

static void read_timer(const struct sig_process *p, struct itimerval_l *out)
{
	i64 left = p->alarm_at ? p->alarm_at - exo_clock() : 0;
	out->interval = tv_of((i64)p->alarm_interval);
	out->value = p->alarm_at ? tv_of(left > 0 ? left : 1) : tv_of(0);
}

i64 sig_getitimer(u64 which, struct itimerval_l *out)
{
	if (which != ITIMER_REAL)
		return -L_EINVAL; /* ITIMER_VIRTUAL and ITIMER_PROF: no CPU-time accounting */
	struct itimerval_l now;
	read_timer(sig_here()->process, &now);
	*out = now;
	return 0;
}

i64 sig_setitimer(u64 which, const struct itimerval_l *in, struct itimerval_l *old)
{
	if (which != ITIMER_REAL)
		return -L_EINVAL;
	struct itimerval_l wanted = *in; /* a bad pointer faults (EFAULT) before anything changed */
	if (!valid(&wanted.value) || !valid(&wanted.interval))
		return -L_EINVAL;
	struct sig_process *p = sig_here()->process;
	struct itimerval_l before;
	read_timer(p, &before);
	i64 value = ns_of(&wanted.value);
	p->alarm_interval = value ? (u64)ns_of(&wanted.interval) : 0;
	p->alarm_at = value ? exo_clock() + value : 0;
	exo_alarm((u64)value, value ? SIG_BIT(L_SIGALRM) : 0);
	if (old)
		*old = before;
	return 0;
}

/* The kernel's alarm went off (an alert from environment 0): SIGALRM, and the next period. */
void sig_alarm_fired(struct sig_process *p)
{
	if (!p->alarm_at)
		return; /* cancelled as it went off */
	if (p->alarm_interval) {
		i64 now = exo_clock();
		p->alarm_at += (i64)p->alarm_interval;
		if (p->alarm_at <= now)
			p->alarm_at = now + (i64)p->alarm_interval; /* overruns are not counted */
		exo_alarm((u64)(p->alarm_at - now), SIG_BIT(L_SIGALRM));
	} else {
		p->alarm_at = 0;
	}
	sig_raise_process(p, L_SIGALRM, (struct sig_origin){ L_SI_KERNEL, 0, 0 });
}
