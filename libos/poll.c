/*
 * ppoll and pselect6 over descriptors (pipes, the console, files): each
 * descriptor says whether it is ready now (fs_poll) or what word its
 * readiness moves; with none ready the thread sleeps on all such words
 * at once (pipes' counters, the console's input word: EXO_RECV_WORDS, up
 * to eight), so it is woken exactly when any of them moves.  Only beyond
 * eight waiting descriptors, or with one that names no word, does it
 * sleep on the first and look at them all again every POLL_BACKSTOP_NS.
 * A signal mask given holds while waiting, as sigsuspend's; a handler
 * that runs ends the call with EINTR.  (ppoll with no descriptors is
 * sig_pause, signal.c.)
 */
#include "libos/signal.h"
#include <string.h>

#define POLL_BACKSTOP_NS 10000000ull /* 10 ms, a tick */

struct pollfd_l {
	i32 fd;
	int16_t events, revents;
};

/*
 * The mask the call names, in place while it waits (sig_pause's way); put
 * back unless a handler runs.  Read (a bad pointer faults: EFAULT) before
 * anything changes.
 */
static void mask_in(struct sig_thread *t, const u64 *mask)
{
	if (!mask)
		return;
	u64 wanted = *mask;
	t->suspend_mask = t->mask, t->suspended = true, t->mask = wanted & ~SIG_UNBLOCKABLE;
	sig_route(t);
}

static void mask_out(struct sig_thread *t)
{
	if (t->suspended)
		t->mask = t->suspend_mask, t->suspended = false;
}

/*
 * The loop both calls share: look (fill revents, count the ready), and if
 * none is ready and there is time left, sleep and look again.  poll always
 * reports POLLERR, POLLHUP and POLLNVAL; select only the bits its sets ask
 * for (POLLNVAL is its EBADF).
 */
static i64 poll_loop(struct pollfd_l *fds, u64 nfds, u64 timeout_ns, const u64 *mask, bool select)
{
	struct sig_thread *t = sig_here();
	for (u64 i = 0; i < nfds; i++)
		fds[i].revents = 0; /* the array written once (a bad one faults: EFAULT) before the mask changes */
	mask_in(t, mask);
	bool forever = timeout_ns >= (u64)INT64_MAX;
	u32 always = select ? POLL_NVAL : POLL_ERR | POLL_HUP | POLL_NVAL;
	i64 deadline = forever || !timeout_ns ? 0 : exo_clock() + (i64)timeout_ns;
	for (;;) {
		struct fs_wait waits[EXO_RECV_WORDS_MAX + 1];
		u32 nwaits = 0;
		i64 ready = 0;
		for (u64 i = 0; i < nfds; i++) {
			struct fs_wait wait = { FS_WAIT_NAP, NULL, 0 };
			u32 wanted = (u16)fds[i].events | always;
			u32 now = fds[i].fd < 0 ? 0 : fs_poll(fds[i].fd, &wait) & wanted;
			fds[i].revents = (int16_t)now;
			ready += now != 0;
			if (!now && fds[i].fd >= 0 && nwaits < ARRAY_LEN(waits))
				waits[nwaits++] = wait; /* one past the kernel's most says: too many */
		}
		if (ready || (!forever && !timeout_ns)) {
			mask_out(t);
			return ready;
		}
		if (sig_settle(t))
			return -L_EINTR;
		i64 left = deadline ? deadline - exo_clock() : 0;
		if (deadline && left <= 0) {
			mask_out(t);
			return 0;
		}
		/* Every word at once is exact; else the first's, and all are looked at again every tick. */
		if (nwaits && fs_sleep_any(waits, nwaits, (u64)left))
			continue;
		struct fs_wait first = nwaits ? waits[0] : (struct fs_wait){ FS_WAIT_NAP, NULL, 0 };
		fs_sleep(&first, left && left < (i64)POLL_BACKSTOP_NS ? (u64)left : POLL_BACKSTOP_NS);
	}
}


i64 libos_ppoll(void *user_fds, u64 nfds, u64 timeout_ns, const u64 *mask, u64 setsize)
{
	if (mask && setsize != 8)
		return -L_EINVAL;
	if (nfds > libos_nofile()) /* RLIMIT_NOFILE, as Linux checks it */
		return -L_EINVAL;
	struct pollfd_l *fds = user_fds;
	return poll_loop(fds, nfds, timeout_ns, mask, false);
}

/* pselect6: the three sets made one poll, the sets rewritten with what is ready. */
i64 libos_pselect(u64 nfds, u64 *sets[3], u64 timeout_ns, const u64 *mask, u64 setsize)
{
	if (mask && setsize != 8)
		return -L_EINVAL;
	nfds = MIN(nfds, (u64)FS_MAX_FDS); /* as Linux clamps to the table's size */
	static const u16 events[3] = { POLL_IN | POLL_HUP | POLL_ERR, POLL_OUT | POLL_ERR, POLL_PRI };
	struct pollfd_l fds[FS_MAX_FDS];
	u64 count = 0;
	for (u64 fd = 0; fd < nfds; fd++) {
		u16 wanted = 0;
		for (int set = 0; set < 3; set++)
			if (sets[set] && (sets[set][fd / 64] >> (fd % 64) & 1))
				wanted |= events[set];
		if (wanted)
			fds[count++] = (struct pollfd_l){ .fd = (i32)fd, .events = (int16_t)wanted };
	}
	i64 ready = poll_loop(fds, count, timeout_ns, mask, true);
	if (ready < 0)
		return ready;
	for (u64 i = 0; i < count; i++)
		if (fds[i].revents & POLL_NVAL)
			return -L_EBADF;
	for (int set = 0; set < 3; set++)
		if (sets[set])
			memset(sets[set], 0, (nfds + 63) / 64 * 8); /* whole longs, as Linux writes them */
	i64 bits = 0;
	for (u64 i = 0; i < count; i++)
		for (int set = 0; set < 3; set++) {
			u64 fd = (u64)fds[i].fd;
			if (sets[set] && (fds[i].revents & events[set])) {
				sets[set][fd / 64] |= 1ull << (fd % 64);
				bits++;
			}
		}
	return bits;
}
