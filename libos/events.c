/*
 * Waiting for events.  Events (exit notices, messages) that arrive while
 * libos waits for something else, such as console input, are kept here for
 * whoever waits for them later; threads of a process share the list, so it
 * changes under the libos lock.
 */
#include "libos/signal.h"
#include "libos/tty.h"

static struct exo_event stashed[256]; /* a wide fork's exit notices, while its parent waits for one */
static u32 nstashed;

/*
 * Every wait in libos runs inside a system call and outside the libos lock,
 * and every event it does not want comes here: an alert (signals) is
 * acted on right there, a safe point: a fatal signal ends the process, a
 * handled one ends the call (EINTR, or a restart: sigdeliver.c).
 */
void libos_keep_event(const struct exo_event *event)
{
	if (event->kind == EXO_EVENT_ALERT) {
		sig_alerted(event->value, event->env, SIG_WAIT_INTERRUPTIBLE);
		return;
	}
	if (event->kind == EXO_EVENT_INPUT) {
		/*
		 * Typed keys cooked now: echo, Ctrl-C's signal, readers woken.  A
		 * signal for ourselves stays pending: an interruptible wait sees it
		 * as it looks again, and some waits here may not be interrupted.
		 */
		tty_pump();
		return;
	}
	HOLD_LIBOS_LOCK();
	if (nstashed < ARRAY_LEN(stashed))
		stashed[nstashed++] = *event;
}

/*
 * An event in an interruptible wait (a sleep, a pipe's or the terminal's):
 * kept, and a signal it made ready for us (Ctrl-C cooked by ourselves)
 * ends the wait as an alert's would.
 */
static void keep_interruptible(const struct exo_event *event)
{
	libos_keep_event(event);
	if (event->kind == EXO_EVENT_INPUT)
		sig_alerted(0, 0, SIG_WAIT_INTERRUPTIBLE);
}

/* Sleep up to timeout_ns, or until an event arrives (kept for later). */
void libos_nap(u64 timeout_ns)
{
	struct exo_event event;
	if (exo_recv(&event, LIBOS_RECV, timeout_ns) == 0)
		keep_interruptible(&event);
}

void libos_wait_word(const volatile u32 *word, u32 expected, u64 timeout_ns)
{
	struct exo_event event;
	if (exo_recv_word(&event, LIBOS_RECV, timeout_ns, word, expected) == 0 && event.kind != EXO_EVENT_WORD)
		keep_interruptible(&event);
}

void libos_wait_words(const struct exo_word_wait *words, u32 count, u64 timeout_ns)
{
	struct exo_event event;
	if (exo_recv_words(&event, LIBOS_RECV, timeout_ns, words, count) == 0 && event.kind != EXO_EVENT_WORD)
		keep_interruptible(&event);
}

/* A forked child: the events its parent kept are not its own. */
void events_fork_child(void)
{
	if (nstashed)
		nstashed = 0;
}

static bool take_kept(struct exo_event *event)
{
	HOLD_LIBOS_LOCK();
	if (nstashed == 0)
		return false;
	*event = stashed[0];
	for (u32 i = 1; i < nstashed; i++)
		stashed[i - 1] = stashed[i];
	nstashed--;
	return true;
}

/*
 * With threads about, another thread may keep an event meant for us while
 * we sleep (the main thread parked by pthread_exit keeps its children's
 * exit notices): sleep in naps then, and -EXO_EAGAIN says look again.
 */
#define KEPT_POLL_NS 10000000

i64 libos_next_event(struct exo_event *event, u64 flags)
{
	if (take_kept(event))
		return 0;
	for (;;) {
		i64 err = libos_recv_event(event, flags | LIBOS_RECV);
		if (err != LIBOS_ALERTED)
			return err;
		sig_alerted(0, 0, SIG_WAIT_INTERRUPTIBLE); /* a handled signal ends the call here */
	}
}

/*
 * A kept exit notice that `take` accepts for a wait for `pid`
 * (and so takes), removed from the store; every other event stays, in
 * order.  wait4 looks here first, and keeps what it does not want here
 * too: none is lost however many arrive before the one it waits for.
 */
bool libos_take_kept_exit(i64 pid, bool (*take)(i64 pid, const struct exo_event *event), struct exo_event *event)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < nstashed; i++) {
		const struct exo_event *kept = &stashed[i];
		if (!take(pid, kept))
			continue;
		*event = *kept;
		for (u32 j = i + 1; j < nstashed; j++)
			stashed[j - 1] = stashed[j];
		nstashed--;
		return true;
	}
	return false;
}

/*
 * The kernel's next queued event, not waiting: alerts are absorbed and
 * input cooked on the way (this runs where no call is there to
 * interrupt); false when none is queued.
 */
static bool take_queued(struct exo_event *event)
{
	for (;;) {
		if (exo_recv(event, LIBOS_RECV | EXO_RECV_NOWAIT, 0) != 0)
			return false;
		if (event->kind == EXO_EVENT_ALERT)
			sig_absorb(event->value, event->env);
		else if (event->kind == EXO_EVENT_INPUT)
			tty_pump();
		else
			return true;
	}
}

static void stash(const struct exo_event *event)
{
	HOLD_LIBOS_LOCK();
	if (nstashed < ARRAY_LEN(stashed))
		stashed[nstashed++] = *event;
}

/*
 * SIGCHLD ignored (or SA_NOCLDWAIT): ended children are reaped as they
 * end, never zombies.  The kernel's notices are taken now and dropped
 * (`mine` says which are a child's and forgets it); kept ones stay: those
 * children ended before SIGCHLD was ignored, and wait4 still reports them.
 */
void libos_drop_exits(bool (*mine)(u64 child))
{
	struct exo_event event;
	while (take_queued(&event))
		if (!(event.kind == EXO_EVENT_EXIT && (mine(event.env) || !libos_is_child((i64)event.env))))
			stash(&event); /* else a child reaped by nobody, or a thread's end, which nobody waits for */
}

/* Every exit notice the kernel holds now, into the store (other events too, and alerts absorbed). */
void libos_keep_queued_exits(void)
{
	i64 status;
	libos_peek_exit(0, &status); /* pid 0 is nobody's: it takes in everything queued */
}

/* The next event from the kernel, the store not looked at (the caller has): as libos_next_event. */
i64 libos_recv_event(struct exo_event *event, u64 flags)
{
	i64 err = exo_recv(event, flags | EXO_RECV_TAKE_ALERTS, libos_nthreads ? KEPT_POLL_NS : 0);
	if (err == 0 && event->kind == EXO_EVENT_INPUT) {
		tty_pump(); /* the terminal's business (Ctrl-C for a shell's job): then look again */
		return LIBOS_ALERTED;
	}
	if (err != 0 || event->kind != EXO_EVENT_ALERT)
		return err;
	/* Signals: taken in; the caller decides whether they end its wait (wait4 reaps first). */
	sig_absorb(event->value, event->env);
	return LIBOS_ALERTED;
}

/*
 * The status in child pid's exit notice, left for wait4 (a SIGCHLD
 * handler's siginfo): a kept one, else the kernel's, taken into the store.
 * Alerts that come meanwhile are only absorbed: this runs on a signal's
 * way to its handler, where no call is there to interrupt.
 */
bool libos_peek_exit(u64 pid, i64 *status)
{
	for (;;) {
		{
			HOLD_LIBOS_LOCK();
			for (u32 i = 0; i < nstashed; i++)
				if ((stashed[i].kind == EXO_EVENT_EXIT || stashed[i].kind == EXO_EVENT_ORPHAN_EXIT) &&
				    stashed[i].env == pid) {
					*status = (i64)stashed[i].value < 0 ? L_SIGKILL : (i64)stashed[i].value;
					return true;
				}
		}
		struct exo_event event;
		if (!take_queued(&event))
			return false;
		stash(&event);
	}
}
