/*
 * A reader for "newc" cpio archives (the initrd format): a 110-byte ASCII
 * header ("070701" and thirteen 8-digit hex fields), the name and its NUL
 * padded so that header + name ends on a 4-byte boundary, then the data
 * padded to 4 bytes; the entry named "TRAILER!!!" ends the archive.  The
 * archive comes from outside the kernel, so every field is checked before
 * it is used and nothing outside [archive, archive + size) is ever read.
 * Nothing here touches hardware, so it is unit-tested on the host.
 */
#ifndef EXO_CPIO_H
#define EXO_CPIO_H

#include "exo/types.h"

/* File type bits of cpio_entry.mode (the st_mode encoding). */
#define CPIO_MODE_TYPE 0170000u
#define CPIO_MODE_FILE 0100000u
#define CPIO_MODE_DIR 0040000u

/* One entry; name and data point into the archive. */
struct cpio_entry {
	const char *name; /* as stored: may begin with "./" */
	const void *data;
	u64 size;
	u32 mode;
};

/*
 * The entry at *offset (start with 0).  Returns 1 and advances *offset past
 * the entry, 0 at the trailer (leaving *offset there), or -E_CORRUPT if the
 * entry is malformed or the archive ends without a trailer.
 */
int cpio_next(const void *archive, u64 size, u64 *offset, struct cpio_entry *entry);

/*
 * The regular file called name ("init" and "./init" are the same name).
 * The whole archive is checked first: a malformed one is -E_CORRUPT even if
 * the file comes before the damage.  If the name occurs more than once the
 * last one wins, as when the archive is unpacked.  Returns 0, -E_NOENT or
 * -E_CORRUPT.
 */
int cpio_find(const void *archive, u64 size, const char *name, const void **data,
              u64 *data_size);

#endif
