/* The kernel command line: space-separated "key" and "key=value" words. */
#ifndef EXO_CMDLINE_H
#define EXO_CMDLINE_H

#include "exo/types.h"

/* Copy key's value ("" for a bare key) into value; false if key is absent. */
bool cmdline_get(const char *cmdline, const char *key, char *value, size_t size);

#endif
