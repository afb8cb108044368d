/* The console as the exokernel calls use it: bytes out, bytes in if any are waiting, input as an alert. */
#ifndef EXO_CONSOLE_H
#define EXO_CONSOLE_H

#include "exo/types.h"

struct env;

/* Set by the console driver: the next received byte, or -1 if none is waiting. */
extern int (*console_getc)(void);

void console_write(const char *buf, u64 len);
u64 console_read(char *buf, u64 len);
/* The driver's input interrupt works: bytes come through console_input, then console_input_done. */
void console_input_interrupts(void);
void console_input(char ch);
void console_input_done(void);
/* EXO_CONS_LISTEN: env gets EXO_EVENT_INPUT when input arrives (off: it stops listening); -E_NOSYS if polled. */
int console_listen(struct env *env, bool on);
/* May input wake env (it listens, and input comes by interrupt)?  For the deadlock check. */
bool console_may_wake(const struct env *env);

#endif
