/* The console: output for the app (stdout, stderr) and libos's reports, and line-edited input. */
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


#define CTRL_D 4
#define BACKSPACE 8
#define DELETE 127

/*
 * The line being edited, kept until read.  Editing goes as far as the
 * console has input, then waits for more outside the libos lock (fs.c), so
 * a thread waiting for a line holds nothing up.
 */
static char line_buf[256];
static u32 line_len, line_pos;
static bool line_ready, line_eof; /* a whole line (or the end of input) waits to be read */

static void echo(const char *text, u64 len) { console_write_all(text, len); }

/* Take what has been typed into the line: echo, backspace, Enter; Ctrl-D ends input. */
static bool edit_line(void)
{
	char ch;
	while (!line_ready && exo_cons_read(&ch, 1) > 0) {
		if (ch == '\r' || ch == '\n') {
			echo("\n", 1);
			line_buf[line_len++] = '\n';
			line_ready = true;
		} else if (ch == CTRL_D) {
			line_ready = true; /* what is typed so far, or the end if nothing */
			line_eof = line_len == 0;
		} else if (ch == BACKSPACE || ch == DELETE) {
			if (line_len) {
				line_len--;
				echo("\b \b", 3);
			}
		} else if ((u8)ch >= ' ' && line_len < sizeof(line_buf) - 1) {
			line_buf[line_len++] = ch;
			echo(&ch, 1);
		}
	}
	return line_ready;
}

i64 console_read_now(void *buf, u64 len)
{
	if (!edit_line())
		return FS_WOULD_BLOCK;
	u64 n = line_eof ? 0 : MIN(len, (u64)(line_len - line_pos));
	for (u64 i = 0; i < n; i++)
		((char *)buf)[i] = line_buf[line_pos + i]; /* a bad buf faults before anything moved */
	line_pos += (u32)n;
	if (line_eof || line_pos == line_len)
		line_len = line_pos = 0, line_ready = line_eof = false;
	return (i64)n;
}
