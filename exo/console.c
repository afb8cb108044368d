/*
 * Console bytes for user space (EXO_CONS_WRITE / EXO_CONS_READ), and its
 * input as an event (EXO_CONS_LISTEN).  When the driver has an input
 * interrupt, bytes typed wait in a ring until read, and the listener (one
 * environment at a time) gets an EXO_EVENT_INPUT, so a reader sleeps until
 * something is typed instead of polling.  Without the interrupt, reads
 * poll the device and EXO_CONS_LISTEN is refused.
 */
#include "exo/console.h"
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/printk.h"
#include "exo/sched.h"

int (*console_getc)(void);

#define INPUT_RING 1024 /* typed ahead of any reader; more is dropped, as a full UART FIFO drops */
static char ring[INPUT_RING];
static u32 ring_head, ring_tail; /* bytes ever taken, ever put */
static bool input_interrupts;
static u64 listener_id;

void console_write(const char *buf, u64 len)
{
	for (u64 i = 0; i < len && console_putc; i++)
		console_putc(buf[i]);
}

u64 console_read(char *buf, u64 len)
{
	u64 got = 0;
	while (got < len && ring_head != ring_tail)
		buf[got++] = ring[ring_head++ % INPUT_RING];
	while (got < len && console_getc) { /* what came since the last interrupt, in order after the ring */
		int ch = console_getc();
		if (ch < 0)
			break;
		buf[got++] = (char)ch;
	}
	return got;
}

void console_input_interrupts(void) { input_interrupts = true; }

void console_input(char ch)
{
	if (ring_tail - ring_head < INPUT_RING)
		ring[ring_tail++ % INPUT_RING] = ch;
}

/* Input for env: its next receive returns EXO_EVENT_INPUT (one for any number of bytes). */
static void tell(struct env *env)
{
	env->input_pending = true;
	if (env->recv_pending)
		sched_wake(env);
}

static struct env *listener(void)
{
	struct env *env = listener_id ? env_lookup(listener_id) : NULL;
	return env && !env_ended(env) ? env : NULL;
}

void console_input_done(void)
{
	struct env *env = listener();
	if (env)
		tell(env);
}

int console_listen(struct env *env, bool on)
{
	if (!input_interrupts)
		return -E_NOSYS; /* input is polled: nothing would ever tell it */
	if (on) {
		listener_id = env->id;
		if (ring_head != ring_tail)
			tell(env); /* typed before it listened: it hears of it at once */
	} else if (listener_id == env->id) {
		listener_id = 0;
	}
	return 0;
}

bool console_may_wake(const struct env *env) { return input_interrupts && listener() == env; }
