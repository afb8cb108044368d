/*
 * Timers: the real-time interval timer (setitimer/getitimer ITIMER_REAL,
 * and so musl's alarm) and POSIX timers (timer_create and the rest, and
 * so musl's SIGEV_THREAD timers, which it builds on SIGEV_THREAD_ID).
 * They share the one kernel alarm an environment has (EXO_ALARM), set for
 * whichever goes off first; it alerts us from environment 0, and libos
 * raises each due timer's signal and sets the alarm again.
 */
#include "libos/signal.h"

#define ITIMER_REAL 0
#define SIGEV_SIGNAL_L 0
#define SIGEV_NONE_L 1
#define SIGEV_THREAD_ID_L 4
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

bool sig_timers_armed(const struct sig_process *p)
{
	if (p->alarm_at)
		return true;
	for (u32 i = 0; i < SIG_TIMERS; i++)
		if (p->timers[i].used && p->timers[i].at)
			return true;
	return false;
}

/* The kernel's alarm for the first of p's timers to go off (none: cancelled). */
static void arm(const struct sig_process *p)
{
	i64 first = p->alarm_at;
	for (u32 i = 0; i < SIG_TIMERS; i++)
		if (p->timers[i].used && p->timers[i].at && (!first || p->timers[i].at < first))
			first = p->timers[i].at;
	i64 left = first ? first - exo_clock() : 0;
	exo_alarm(first ? (u64)(left > 0 ? left : 1) : 0, first ? SIG_BIT(L_SIGALRM) : 0);
}

/* A periodic deadline moved past now: the periods missed (overruns). */
static u32 next_period(i64 *at, u64 interval, i64 now)
{
	u64 missed = (u64)(now - *at) / interval;
	*at += (i64)((missed + 1) * interval);
	return missed > 0xffffffffull ? 0xffffffffu : (u32)missed;
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
	arm(p);
	if (old)
		*old = before;
	return 0;
}

/* A POSIX timer went off: its signal, to the process or one thread of it. */
static void timer_fired(struct sig_process *p, u32 id, struct sig_timer *timer)
{
	struct sig_origin from = { L_SI_TIMER, id, timer->value };
	if (timer->notify == SIGEV_NONE_L)
		return;
	struct sig_thread *t = timer->notify == SIGEV_THREAD_ID_L ? libos_thread_state(timer->tid, p) : NULL;
	if (((t ? t->pending : p->pending) & SIG_BIT(timer->signo))) {
		timer->overrun++; /* its signal still pending: one more overrun, not another signal (Linux) */
		return;
	}
	if (t)
		sig_raise_thread(t, timer->signo, from);
	else
		sig_raise_process(p, timer->signo, from);
}

/* The kernel's alarm went off (an alert from environment 0): each due timer's signal, and the next alarm. */
void sig_alarm_fired(struct sig_process *p)
{
	i64 now = exo_clock();
	for (u32 i = 0; i < SIG_TIMERS; i++) {
		struct sig_timer *timer = &p->timers[i];
		if (!timer->used || !timer->at || timer->at > now)
			continue;
		if (timer->interval)
			timer->overrun = next_period(&timer->at, timer->interval, now);
		else
			timer->at = 0, timer->overrun = 0;
		timer_fired(p, i, timer);
	}
	bool itimer_due = p->alarm_at && p->alarm_at <= now;
	if (itimer_due)
		p->alarm_interval ? (void)next_period(&p->alarm_at, p->alarm_interval, now) : (void)(p->alarm_at = 0);
	arm(p);
	if (itimer_due)
		sig_raise_process(p, L_SIGALRM, (struct sig_origin){ L_SI_KERNEL, 0, 0 });
}

/* --- POSIX timers --- */

struct sigevent_l {
	u64 value;
	i32 signo, notify;
	i32 tid;
};
struct timespec_l {
	i64 sec, nsec;
};
struct itimerspec_l {
	struct timespec_l interval, value;
};

static i64 ns_of_ts(const struct timespec_l *ts) { return ts->sec * NS + ts->nsec; }
static bool valid_ts(const struct timespec_l *ts) { return ts->sec >= 0 && ts->nsec >= 0 && ts->nsec < NS; }
static struct timespec_l ts_of(i64 ns) { return ns > 0 ? (struct timespec_l){ ns / NS, ns % NS } : (struct timespec_l){ 0, 0 }; }

static struct sig_timer *timer_of(struct sig_process *p, i64 id)
{
	return id >= 0 && id < SIG_TIMERS && p->timers[id].used ? &p->timers[id] : NULL;
}

/* Every clock is the one clock (clock_gettime's): REALTIME, MONOTONIC, BOOTTIME, and their ALARM twins. */
static bool clock_known(u64 clock) { return clock == 0 || clock == 1 || clock == 7 || clock == 8 || clock == 9; }

i64 sig_timer_create(u64 clock, const struct sigevent_l *given, i32 *id_out)
{
	if (!clock_known(clock))
		return -L_EINVAL;
	struct sigevent_l sev = { 0, L_SIGALRM, SIGEV_SIGNAL_L, 0 };
	if (given)
		sev = *given; /* a bad pointer faults (EFAULT) before anything changed */
	struct sig_thread *t = sig_here();
	struct sig_process *p = t->process;
	if (sev.notify != SIGEV_SIGNAL_L && sev.notify != SIGEV_NONE_L && sev.notify != SIGEV_THREAD_ID_L)
		return -L_EINVAL;
	if (sev.notify != SIGEV_NONE_L && (sev.signo < 1 || sev.signo > SIG_COUNT))
		return -L_EINVAL;
	if (sev.notify == SIGEV_THREAD_ID_L && !libos_thread_state((u64)(u32)sev.tid, p))
		return -L_EINVAL; /* not a thread of ours */
	for (u32 id = 0; id < SIG_TIMERS; id++) {
		if (p->timers[id].used)
			continue;
		*id_out = (i32)id; /* a bad pointer faults before the timer is taken */
		p->timers[id] = (struct sig_timer){ .used = true, .notify = (u8)sev.notify, .signo = (u8)sev.signo,
			                            .tid = (u32)sev.tid, .value = given ? sev.value : id };
		return 0;
	}
	return -L_EAGAIN;
}

static void read_posix(const struct sig_timer *timer, struct itimerspec_l *out)
{
	i64 left = timer->at ? timer->at - exo_clock() : 0;
	out->interval = ts_of((i64)timer->interval);
	out->value = timer->at ? ts_of(left > 0 ? left : 1) : ts_of(0);
}

i64 sig_timer_settime(i64 id, u64 flags, const struct itimerspec_l *in, struct itimerspec_l *old)
{
	struct sig_process *p = sig_here()->process;
	struct sig_timer *timer = timer_of(p, id);
	if (!timer)
		return -L_EINVAL;
	struct itimerspec_l wanted = *in;
	if (!valid_ts(&wanted.value) || !valid_ts(&wanted.interval) || (flags & ~1ull))
		return -L_EINVAL;
	struct itimerspec_l before;
	read_posix(timer, &before);
	i64 value = ns_of_ts(&wanted.value), now = exo_clock();
	bool absolute = flags & 1; /* TIMER_ABSTIME: a time on the clock (already past: at once) */
	timer->at = !value ? 0 : absolute ? (value > now ? value : now) : now + value;
	timer->interval = value ? (u64)ns_of_ts(&wanted.interval) : 0;
	timer->overrun = 0;
	arm(p);
	if (old)
		*old = before;
	return 0;
}

i64 sig_timer_gettime(i64 id, struct itimerspec_l *out)
{
	struct sig_timer *timer = timer_of(sig_here()->process, id);
	if (!timer)
		return -L_EINVAL;
	struct itimerspec_l now;
	read_posix(timer, &now);
	*out = now;
	return 0;
}

i64 sig_timer_getoverrun(i64 id)
{
	struct sig_timer *timer = timer_of(sig_here()->process, id);
	return timer ? (i64)timer->overrun : -L_EINVAL;
}

i64 sig_timer_delete(i64 id)
{
	struct sig_process *p = sig_here()->process;
	struct sig_timer *timer = timer_of(p, id);
	if (!timer)
		return -L_EINVAL;
	*timer = (struct sig_timer){ 0 };
	arm(p);
	return 0;
}
