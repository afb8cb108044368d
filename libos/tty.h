/*
 * The console as a terminal (libos/tty.c): one for the whole system, so
 * its state lives in the process table's first page, where every process
 * sees it: the termios settings, the window size, the session it is the
 * controlling terminal of and its foreground group, and the input line
 * discipline's buffers (whoever takes bytes from the kernel cooks them
 * for everyone: editing, echo, the signal characters).
 */
#ifndef LIBOS_TTY_H
#define LIBOS_TTY_H

#include "exo/types.h"
#include "libos/libos.h"

/* Linux's struct termios as the kernel's TCGETS gives it. */
struct termios_l {
	u32 iflag, oflag, cflag, lflag;
	u8 line, cc[19];
};

#define TTY_NO_SESSION 0xffffffffu
#define TTY_LINE 512    /* a line being edited, at most */
#define TTY_COOKED 2048 /* input ready for readers */

struct tty_state {
	u32 lock;  /* the process cooking input now (its id), 0 if none */
	u32 sid;   /* the session it is the controlling terminal of (TTY_NO_SESSION: none) */
	u32 pgid;  /* its foreground process group */
	u32 input_seq; /* moves when input is ready for readers: they sleep on it (EXO_WAKE) */
	u32 readers_waiting;
	u32 eofs;  /* Ctrl-D with nothing before it: reads returning 0 still owed */
	struct termios_l termios;
	u16 rows, cols;
	u32 line_len;
	u32 head, tail; /* cooked bytes ever read, ever put */
	char line[TTY_LINE];
	char cooked[TTY_COOKED];
};

void tty_defaults(struct tty_state *tty);
/* Take what the kernel has of the console's input through the line discipline (a console alert). */
void tty_pump(void);
/* read() of the console, one attempt: bytes, 0 at end of input, -errno, or FS_WOULD_BLOCK (*word, *seq). */
i64 tty_read_now(void *buf, u64 len, const volatile u32 **word, u32 *seq);
/* poll of the console's input: ready now, or *word (the input word, listened to; NULL if no listening) and *seq. */
bool tty_poll_in(const volatile u32 **word, u32 *seq);
/* ioctl on the console. */
i64 tty_ioctl(u64 request, u64 arg);
/*
 * Signals to act on before the call goes on: a background group's read or
 * tcsetpgrp sent SIGTTIN/SIGTTOU (it stops), or the input just cooked held
 * Ctrl-C for our own group; then the call tries again (or ends: EINTR).
 */
#define TTY_SIGNALS_FIRST (-1000002)
/* A wait (wait4) by a process of the terminal's session: it takes the input's alert (Ctrl-C for its job). */
void tty_listen(void);

#endif
