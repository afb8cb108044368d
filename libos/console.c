/* The console's output: the app's (stdout, stderr) and libos's reports.  Its input is the terminal's (tty.c). */
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


