/*
 * The devices under /dev: null, zero, full, random and urandom are
 * answered here; tty and console are the terminal (fs.c opens them as the
 * console).  Each is a node of the archive's tree (archive.c adds them)
 * whose size field holds its Linux device number.
 */
#include "libos/dev.h"
#include "libos/libos.h"
#include <string.h>

const struct dev_spec dev_specs[] = {
	{ "dev/null", DEV_NULL }, { "dev/zero", DEV_ZERO }, { "dev/full", DEV_FULL },
	{ "dev/random", DEV_RANDOM }, { "dev/urandom", DEV_URANDOM }, { "dev/tty", DEV_TTY },
	{ "dev/console", DEV_CONSOLE },
};
const u32 dev_count = ARRAY_LEN(dev_specs);

/* Not cryptographic: a 64-bit LCG seeded from the counter, as getrandom has always been here. */
void dev_random_fill(u8 *out, u64 len)
{
	u64 state;
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(state));
	for (u64 i = 0; i < len; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (u8)(state >> 33);
	}
}

i64 dev_read(u64 dev, void *buf, u64 len)
{
	if (dev == DEV_NULL)
		return 0;
	if (dev == DEV_RANDOM || dev == DEV_URANDOM)
		dev_random_fill(buf, len);
	else
		memset(buf, 0, len); /* zero, full */
	return (i64)len;
}

i64 dev_write(u64 dev, u64 len)
{
	return dev == DEV_FULL ? -L_ENOSPC : (i64)len;
}
