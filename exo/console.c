/* Console bytes for user space (EXO_CONS_WRITE / EXO_CONS_READ). */
#include "exo/console.h"
#include "exo/printk.h"

int (*console_getc)(void);

void console_write(const char *buf, u64 len)
{
	for (u64 i = 0; i < len && console_putc; i++)
		console_putc(buf[i]);
}

u64 console_read(char *buf, u64 len)
{
	u64 got = 0;
	while (got < len && console_getc) {
		int ch = console_getc();
		if (ch < 0)
			break;
		buf[got++] = (char)ch;
	}
	return got;
}
