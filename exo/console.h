/* The console as the exokernel calls use it: bytes out, bytes in if any are waiting. */
#ifndef EXO_CONSOLE_H
#define EXO_CONSOLE_H

#include "exo/types.h"

/* Set by the console driver: the next received byte, or -1 if none is waiting. */
extern int (*console_getc)(void);

void console_write(const char *buf, u64 len);
u64 console_read(char *buf, u64 len);

#endif
