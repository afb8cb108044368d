/*
 * Console bytes for user space (EXO_CONS_WRITE / EXO_CONS_READ), and its
 * input as an event (EXO_CONS_LISTEN).  When the driver has an input
 * interrupt, bytes typed wait in a ring until read, and the listeners (up
 * to eight environments) get an EXO_EVENT_INPUT, so a reader sleeps until
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
/*
 * Who is told of input: a few environments, each until it stops or ends
 * (a shell waiting for its job, and the job reading, both hear a key).
 * A new one takes an ended one's place, else the oldest's.
 */
#define LISTENERS 8
static u64 listener_ids[LISTENERS];
static u32 next_replaced;

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

/* The i-th listener, if it is still there. */
static struct env *listener(u32 i)
{
	struct env *env = listener_ids[i] ? env_lookup(listener_ids[i]) : NULL;
	return env && !env_ended(env) ? env : NULL;
}

void console_input_done(void)
{
	for (u32 i = 0; i < LISTENERS; i++) {
		struct env *env = listener(i);
		if (env)
			tell(env);
	}
}

int console_listen(struct env *env, bool on)
{
	if (!input_interrupts)
		return -E_NOSYS; /* input is polled: nothing would ever tell it */
	u32 slot = LISTENERS;
	for (u32 i = 0; i < LISTENERS; i++)
		if (listener_ids[i] == env->id)
			slot = i;
	if (!on) {
		if (slot < LISTENERS)
			listener_ids[slot] = 0;
		return 0;
	}
	for (u32 i = 0; slot == LISTENERS && i < LISTENERS; i++)
		if (!listener(i))
			slot = i;
	if (slot == LISTENERS)
		slot = next_replaced++ % LISTENERS;
	listener_ids[slot] = env->id;
	if (ring_head != ring_tail)
		tell(env); /* typed before it listened: it hears of it at once */
	return 0;
}

bool console_may_wake(const struct env *env)
{
	for (u32 i = 0; input_interrupts && i < LISTENERS; i++)
		if (listener(i) == env)
			return true;
	return false;
}
