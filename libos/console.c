/* Console output for the app (stdout, stderr) and libos's own reports. */
#include "libos/libos.h"
#include "exo/printk.h"
#include <stdarg.h>

i64 console_write_all(const void *buf, u64 len)
{
	u64 done = 0;
	while (done < len) {
		i64 n = exo_cons_write((const char *)buf + done, len - done);
		if (n <= 0)
			return done ? (i64)done : -L_EFAULT;
		done += (u64)n;
	}
	return (i64)done;
}

void libos_report(const char *fmt, ...)
{
	char line[192];
	va_list args;
	va_start(args, fmt);
	size_t len = kvsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	console_write_all(line, MIN(len, sizeof(line) - 1));
}


/*
 * Events (exit notices, messages) that arrive while libos waits for
 * something else, such as console input, are kept here for whoever waits
 * for them later.
 */
static struct exo_event stashed[32];
static u32 nstashed;

void libos_keep_event(const struct exo_event *event)
{
	if (nstashed < ARRAY_LEN(stashed))
		stashed[nstashed++] = *event;
}

/* Sleep up to timeout_ns, or until an event arrives (kept for later). */
void libos_nap(u64 timeout_ns)
{
	struct exo_event event;
	if (exo_recv(&event, 0, timeout_ns) == 0)
		libos_keep_event(&event);
}

i64 libos_next_event(struct exo_event *event, u64 flags)
{
	if (nstashed) {
		*event = stashed[0];
		for (u32 i = 1; i < nstashed; i++)
			stashed[i - 1] = stashed[i];
		nstashed--;
		return 0;
	}
	return exo_recv(event, flags, 0);
}

#define CTRL_D 4
#define BACKSPACE 8
#define DELETE 127
#define CONSOLE_POLL_NS 10000000 /* 10 ms: a tick */

/* The current input line, kept until read. */
static char line_buf[256];
static u32 line_len, line_pos;
static bool line_eof;

static void echo(const char *text, u64 len) { console_write_all(text, len); }

/* Edit one line from the console: echo, backspace, Enter; Ctrl-D ends input. */
static void read_line(void)
{
	line_len = line_pos = 0;
	line_eof = false;
	for (;;) {
		char ch;
		if (exo_cons_read(&ch, 1) <= 0) {
			libos_nap(CONSOLE_POLL_NS);
			continue;
		}
		if (ch == '\r' || ch == '\n') {
			echo("\n", 1);
			line_buf[line_len++] = '\n';
			return;
		}
		if (ch == CTRL_D) {
			line_eof = line_len == 0;
			return;
		}
		if (ch == BACKSPACE || ch == DELETE) {
			if (line_len) {
				line_len--;
				echo("\b \b", 3);
			}
			continue;
		}
		if ((u8)ch >= ' ' && line_len < sizeof(line_buf) - 1) {
			line_buf[line_len++] = ch;
			echo(&ch, 1);
		}
	}
}

i64 console_read_line(void *buf, u64 len)
{
	if (line_pos == line_len) {
		read_line();
		if (line_eof)
			return 0;
	}
	u64 n = MIN(len, (u64)(line_len - line_pos));
	for (u64 i = 0; i < n; i++)
		((char *)buf)[i] = line_buf[line_pos + i];
	line_pos += (u32)n;
	return (i64)n;
}
