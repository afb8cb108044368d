/* The devices under /dev (dev.c), by their Linux device numbers (major << 8 | minor). */
#ifndef LIBOS_DEV_H
#define LIBOS_DEV_H

#include "exo/types.h"

enum {
	DEV_NULL = 0x103, DEV_ZERO = 0x105, DEV_FULL = 0x107, DEV_RANDOM = 0x108, DEV_URANDOM = 0x109,
	DEV_TTY = 0x500, DEV_CONSOLE = 0x501,
};

struct dev_spec {
	const char *path; /* from the root */
	u64 dev;
};
extern const struct dev_spec dev_specs[];
extern const u32 dev_count;

static inline bool dev_is_terminal(u64 dev) { return dev == DEV_TTY || dev == DEV_CONSOLE; }
i64 dev_read(u64 dev, void *buf, u64 len);
i64 dev_write(u64 dev, u64 len); /* bytes taken, or -ENOSPC (full) */
void dev_random_fill(u8 *out, u64 len);

#endif
