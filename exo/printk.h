/* Kernel console output. */
#ifndef EXO_PRINTK_H
#define EXO_PRINTK_H

#include <stdarg.h>
#include "exo/types.h"

/* printf subset: %c %s %d %i %u %x %p, l/ll/z sizes, width, '0' and '-' flags. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list args);
/* Format into buf (always NUL-terminated); returns the length written. */
size_t kvsnprintf(char *buf, size_t size, const char *fmt, va_list args);
size_t ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Where output goes; the arch code sets it when the UART is mapped. */
extern void (*console_putc)(char ch);

#endif
