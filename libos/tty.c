/*
 * The console as a terminal, as Linux's tty and its line discipline
 * behave: termios (canonical or raw, echo, the signal characters), the
 * window size, a controlling terminal with a session and a foreground
 * group, and job control (a background group that reads gets SIGTTIN, one
 * that sets the foreground group gets SIGTTOU).
 *
 * Its state is shared by every process (the process table's first page,
 * tty.h).  Input comes from the kernel by interrupt: a process about to
 * wait for it listens (EXO_CONS_LISTEN) and sleeps on input_seq; the
 * kernel's EXO_EVENT_INPUT makes whoever listens cook what was typed
 * (tty_pump, from libos_keep_event), which echoes it and sends the signal
 * characters' signals at once, even while no one reads (a shell waiting
 * for its foreground job listens), and wakes the readers.
 */
#include "libos/signal.h"
#include "libos/proctab.h"
#include <string.h>

#define L_EIO 5
#define L_ENOTTY_ 25
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VMIN = 6, VSUSP = 10 };
#define IGNCR 0x80u
#define ICRNL 0x100u
#define INLCR 0x40u
#define ISIG 0x1u
#define ICANON 0x2u
#define ECHO 0x8u
#define ECHOE 0x10u
#define ECHONL 0x40u
#define NOFLSH 0x80u
#define ECHOCTL 0x200u
enum {
	TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCSCTTY = 0x540E,
	TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541B,
	TIOCNOTTY = 0x5422, TIOCGSID = 0x5429, TCSBRK = 0x5409, TCXONC = 0x540A, TCFLSH = 0x540B,
};

static struct tty_state *const tty = &PROC_TABLE->tty;

void tty_defaults(struct tty_state *tty_now)
{
	tty_now->termios.iflag = ICRNL | 0x400; /* and IXON */
	tty_now->termios.oflag = 0x5;           /* OPOST | ONLCR */
	tty_now->termios.cflag = 0x4bf;         /* B38400 | CS8 | CREAD | HUPCL */
	tty_now->termios.lflag = ISIG | ICANON | ECHO | ECHOE | 0x20 | ECHOCTL | 0x800 | 0x8000; /* ECHOK ECHOKE IEXTEN */
	static const u8 cc[19] = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0 };
	memcpy(tty_now->termios.cc, cc, sizeof(cc));
	tty_now->rows = 24, tty_now->cols = 80;
	tty_now->sid = 0, tty_now->pgid = 0; /* init's session's: the boot console is its terminal */
}

/* --- The lock: one process cooks at a time; a holder that died is passed over. --- */

static void tty_lock(void)
{
	u32 me = (u32)exo_self();
	for (;;) {
		u32 holder = 0;
		if (__atomic_compare_exchange_n(&tty->lock, &holder, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		struct exo_env_info info;
		i64 err = exo_env_info(holder, &info);
		if ((err == -EXO_ENOENT || (err == 0 && info.status == EXO_ENV_ZOMBIE)) &&
		    __atomic_compare_exchange_n(&tty->lock, &holder, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		exo_yield();
	}
}

static void tty_unlock(void) { __atomic_store_n(&tty->lock, 0, __ATOMIC_RELEASE); }

/* --- The line discipline --- */

static void echo(const char *text, u64 len)
{
	if (tty->termios.lflag & ECHO)
		console_write_all(text, len);
}

static void echo_char(char ch)
{
	if ((u8)ch < ' ' && ch != '\n' && ch != '\t' && (tty->termios.lflag & ECHOCTL)) {
		char shown[2] = { '^', (char)(ch + '@') };
		echo(shown, 2);
	} else {
		echo(&ch, 1);
	}
}

static void put_cooked(const char *bytes, u32 count)
{
	for (u32 i = 0; i < count && tty->tail - tty->head < TTY_COOKED; i++)
		tty->cooked[tty->tail++ % TTY_COOKED] = bytes[i];
}

static void erase_one(void)
{
	if (!tty->line_len)
		return;
	tty->line_len--;
	if (tty->termios.lflag & ECHOE)
		echo("\b \b", 3);
}

/* Signals the cooking found (the signal characters), sent once the terminal's lock is let go. */
static u64 to_send;

/* The signal characters: true if ch was one (its signal, for the foreground group, noted in to_send). */
static bool signal_char(char ch)
{
	const u8 *cc = tty->termios.cc;
	if (!(tty->termios.lflag & ISIG) || !ch)
		return false;
	u32 sig = ch == (char)cc[VINTR] ? L_SIGINT : ch == (char)cc[VQUIT] ? L_SIGQUIT : ch == (char)cc[VSUSP] ? L_SIGTSTP : 0;
	if (!sig)
		return false;
	if (!(tty->termios.lflag & NOFLSH))
		tty->line_len = 0, tty->head = tty->tail, tty->eofs = 0;
	echo_char(ch);
	to_send |= SIG_BIT(sig);
	return true;
}

/* One byte typed; *ready when readers have something new. */
static void cook(char ch, bool *ready)
{
	const struct termios_l *t = &tty->termios;
	if (ch == '\r' && (t->iflag & IGNCR))
		return;
	ch = ch == '\r' && (t->iflag & ICRNL) ? '\n' : ch == '\n' && (t->iflag & INLCR) ? '\r' : ch;
	if (signal_char(ch))
		return;
	if (!(t->lflag & ICANON)) {
		put_cooked(&ch, 1);
		echo_char(ch);
		*ready = true;
		return;
	}
	if (tty->line_len >= TTY_LINE)
		tty->line_len = 0; /* not a length we wrote: whoever wrote it loses the line */
	if (ch == (char)t->cc[VERASE]) {
		erase_one();
	} else if (ch == (char)t->cc[VKILL]) {
		while (tty->line_len)
			erase_one();
	} else if (ch == (char)t->cc[VEOF]) {
		if (tty->line_len)
			put_cooked(tty->line, tty->line_len);
		else
			tty->eofs++;
		tty->line_len = 0;
		*ready = true;
	} else if (ch == '\n') {
		tty->line[tty->line_len++] = '\n';
		put_cooked(tty->line, tty->line_len);
		tty->line_len = 0;
		if (t->lflag & (ECHO | ECHONL))
			console_write_all("\n", 1);
		*ready = true;
	} else if (tty->line_len < TTY_LINE - 1) {
		tty->line[tty->line_len++] = ch;
		echo_char(ch);
	} else {
		console_write_all("\a", 1); /* the line is full: the bell, as Linux's n_tty */
	}
}

/*
 * Under the terminal's lock nothing takes the libos lock (a thread of ours
 * may hold it, waiting for this one): the signals go after it.
 */
void tty_pump(void)
{
	tty_lock();
	to_send = 0;
	bool ready = false;
	char bytes[64];
	for (i64 n; (n = exo_cons_read(bytes, sizeof(bytes))) > 0;)
		for (i64 i = 0; i < n; i++)
			cook(bytes[i], &ready);
	if (ready) {
		__atomic_add_fetch(&tty->input_seq, 1, __ATOMIC_RELEASE);
		exo_wake(&tty->input_seq, ~0ull);
	}
	u64 signals = to_send;
	u32 foreground = tty->pgid;
	tty_unlock();
	for (; signals; signals &= signals - 1)
		sig_group(foreground, (u64)__builtin_ctzll(signals) + 1);
}

/* --- Reading --- */

static struct proc_entry *own_entry(void) { return proctab_find(libos_process_of((u64)exo_self())); }

/*
 * Linux's job-control check for a process of the terminal's session in
 * its background: SIGTTIN before it reads (ignored or blocked: EIO),
 * SIGTTOU before it changes the terminal (ignored or blocked: the change
 * goes through); an orphaned group gets EIO instead.  0: go on.
 */
static i64 job_check(u32 sig)
{
	const struct proc_entry *own = own_entry();
	if (!own || own->sid != tty->sid || own->pgid == tty->pgid)
		return 0;
	struct sig_thread *t = sig_here();
	if (t->process->actions[sig - 1].handler == L_SIG_IGN || (t->mask & SIG_BIT(sig)))
		return sig == L_SIGTTIN ? -L_EIO : 0;
	if (proctab_orphaned(own->pgid))
		return -L_EIO;
	sig_group(own->pgid, sig);
	return TTY_SIGNALS_FIRST;
}

i64 tty_read_now(void *buf, u64 len, const volatile u32 **word, u32 *seq)
{
	i64 job = job_check(L_SIGTTIN);
	if (job)
		return job;
	*seq = __atomic_load_n(&tty->input_seq, __ATOMIC_ACQUIRE);
	tty_pump();
	if (sig_ready(sig_here()))
		return TTY_SIGNALS_FIRST; /* Ctrl-C typed for our own group: acted on before anything is read */
	char got[512];
	u64 n = 0;
	tty_lock();
	bool canonical = tty->termios.lflag & ICANON;
	while (n < MIN(len, sizeof(got)) && tty->head != tty->tail) {
		got[n] = tty->cooked[tty->head++ % TTY_COOKED];
		if (got[n++] == '\n' && canonical)
			break; /* a line at a time */
	}
	bool eof = n == 0 && tty->eofs;
	if (eof)
		tty->eofs--;
	bool no_wait = !canonical && tty->termios.cc[VMIN] == 0; /* raw with VMIN 0: what there is, maybe nothing */
	tty_unlock();
	if (n || eof || no_wait) {
		memcpy(buf, got, n); /* a bad buf faults here, outside the terminal's lock */
		return (i64)n;
	}
	/* Nothing yet: listen, so the kernel alerts us when something is typed (else nap and look again). */
	*word = exo_cons_listen(1) == 0 ? &tty->input_seq : NULL;
	return FS_WOULD_BLOCK;
}

/* poll: is input ready (a cooked line, or any byte raw; an end of input)?  If not, the word to sleep on. */
bool tty_poll_in(const volatile u32 **word, u32 *seq)
{
	*seq = __atomic_load_n(&tty->input_seq, __ATOMIC_ACQUIRE);
	tty_pump();
	tty_lock();
	bool ready = tty->head != tty->tail || tty->eofs;
	tty_unlock();
	if (!ready)
		*word = exo_cons_listen(1) == 0 ? &tty->input_seq : NULL;
	return ready;
}

void tty_listen(void)
{
	const struct proc_entry *own = own_entry();
	if (own && own->sid == tty->sid)
		exo_cons_listen(1);
}

/* --- ioctl --- */

/* Linux's tty_check_change. */
static i64 check_change(void) { return job_check(L_SIGTTOU); }

static i64 set_foreground(u32 pgid)
{
	const struct proc_entry *own = own_entry();
	i64 changing = check_change();
	if (changing)
		return changing == -L_EIO ? -L_ENOTTY_ : changing;
	if (!own || own->sid != tty->sid)
		return -L_ENOTTY_;
	i64 sid = proctab_group_sid(pgid);
	if (sid < 0)
		return sid; /* no such group: ESRCH */
	if ((u32)sid != own->sid)
		return -L_EPERM;
	tty->pgid = pgid;
	return 0;
}

static i64 set_controlling(u64 force)
{
	const struct proc_entry *own = own_entry();
	if (!own || own->sid != own->pid)
		return -L_EPERM; /* only a session leader takes a terminal */
	if (tty->sid == own->sid)
		return 0;
	if (tty->sid != TTY_NO_SESSION && force != 1)
		return -L_EPERM; /* another session's (root may steal it with 1) */
	tty->sid = own->sid, tty->pgid = own->pgid;
	return 0;
}

i64 tty_ioctl(u64 request, u64 arg)
{
	void *out = (void *)arg;
	const struct proc_entry *own = own_entry();
	bool controlling = own && own->sid == tty->sid;
	switch (request) {
	case TCGETS:
		memcpy(out, &tty->termios, sizeof(tty->termios));
		return 0;
	case TCSETS: case TCSETSW: case TCSETSF: {
		struct termios_l wanted;
		memcpy(&wanted, out, sizeof(wanted)); /* a bad pointer faults before anything changed */
		i64 changing = check_change();
		if (changing)
			return changing;
		tty_lock();
		if (request == TCSETSF)
			tty->line_len = 0, tty->head = tty->tail, tty->eofs = 0; /* input not yet read goes */
		if ((tty->termios.lflag & ICANON) && !(wanted.lflag & ICANON) && tty->line_len) {
			put_cooked(tty->line, tty->line_len); /* a half-typed line becomes raw input */
			tty->line_len = 0;
		}
		tty->termios = wanted;
		tty_unlock();
		return 0;
	}
	case TIOCGWINSZ: {
		u16 size[4] = { tty->rows, tty->cols, 0, 0 };
		memcpy(out, size, sizeof(size));
		return 0;
	}
	case TIOCSWINSZ: {
		u16 size[4];
		memcpy(size, out, sizeof(size));
		bool changed = size[0] != tty->rows || size[1] != tty->cols;
		tty->rows = size[0], tty->cols = size[1];
		if (changed)
			sig_group(tty->pgid, L_SIGWINCH);
		return 0;
	}
	case TIOCGPGRP:
		if (!controlling)
			return -L_ENOTTY_;
		*(i32 *)out = (i32)tty->pgid;
		return 0;
	case TIOCSPGRP: {
		i32 pgid = *(const i32 *)out;
		return pgid < 0 ? -L_EINVAL : set_foreground((u32)pgid);
	}
	case TIOCGSID:
		if (!controlling)
			return -L_ENOTTY_;
		*(i32 *)out = (i32)tty->sid;
		return 0;
	case TIOCSCTTY:
		return set_controlling(arg);
	case TIOCNOTTY:
		if (!controlling)
			return -L_ENOTTY_;
		if (own->sid == own->pid)
			tty->sid = TTY_NO_SESSION; /* its leader lets it go (Linux would hang up the session too) */
		return 0;
	case TCFLSH: { /* input (0) or both (2): what was typed and not read goes; output is never queued */
		i64 changing = check_change();
		if (changing)
			return changing;
		if (arg > 2)
			return -L_EINVAL;
		if (arg != 1) {
			tty_lock();
			tty->line_len = 0, tty->head = tty->tail, tty->eofs = 0;
			tty_unlock();
		}
		return 0;
	}
	case TCXONC: /* flow control: nothing to do, but a background group is stopped first */
		return check_change();
	case TCSBRK: /* tcdrain: output is written as it is asked for */
		return 0;
	case FIONREAD:
		*(i32 *)out = (i32)(tty->tail - tty->head);
		return 0;
	}
	return -L_ENOTTY_;
}
