/* newc cpio reader: every header field checked before it is used. */
#include "exo/cpio.h"
#include "exo/errno.h"
#include "exo/string.h"

#define HEADER_SIZE 110u
#define MAGIC "070701"
#define MAGIC_SIZE 6u
#define FIELD_DIGITS 8u
#define TRAILER_NAME "TRAILER!!!"

/* The thirteen hex fields after the magic, in header order. */
enum header_field {
	FIELD_INO,
	FIELD_MODE,
	FIELD_UID,
	FIELD_GID,
	FIELD_NLINK,
	FIELD_MTIME,
	FIELD_FILESIZE,
	FIELD_DEVMAJOR,
	FIELD_DEVMINOR,
	FIELD_RDEVMAJOR,
	FIELD_RDEVMINOR,
	FIELD_NAMESIZE,
	FIELD_CHECK,
	FIELD_COUNT,
};

_Static_assert(MAGIC_SIZE + FIELD_COUNT * FIELD_DIGITS == HEADER_SIZE, "newc header layout");

/* The value of one hex digit, or -1 if it is not one. */
static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Eight hex digits; at most 0xffffffff, so no field can overflow a u32. */
static int parse_field(const char *digits, u32 *value)
{
	u32 result = 0;
	for (u32 i = 0; i < FIELD_DIGITS; i++) {
		int digit = hex_digit(digits[i]);
		if (digit < 0)
			return -E_CORRUPT;
		result = result << 4 | (u32)digit;
	}
	*value = result;
	return 0;
}

/* The magic and all thirteen fields of the header at header[0..HEADER_SIZE). */
static int parse_header(const char *header, u32 fields[FIELD_COUNT])
{
	if (memcmp(header, MAGIC, MAGIC_SIZE) != 0)
		return -E_CORRUPT;
	for (u32 i = 0; i < FIELD_COUNT; i++)
		if (parse_field(header + MAGIC_SIZE + i * FIELD_DIGITS, &fields[i]) < 0)
			return -E_CORRUPT;
	return 0;
}

/*
 * The offset just past the padding that brings off (<= size) to a multiple
 * of 4.  The padding must be inside the archive: a writer always puts it
 * there, and requiring it keeps every offset <= size, so nothing can wrap.
 */
static int skip_padding(u64 off, u64 size, u64 *padded)
{
	u64 padding = (4 - (off & 3)) & 3;
	if (padding > size - off)
		return -E_CORRUPT;
	*padded = off + padding;
	return 0;
}

int cpio_next(const void *archive, u64 size, u64 *offset, struct cpio_entry *entry)
{
	const char *base = archive;
	u64 header_off = *offset;
	u32 fields[FIELD_COUNT];
	/* No room for a header: the archive ended without a trailer. */
	if (header_off > size || size - header_off < HEADER_SIZE)
		return -E_CORRUPT;
	if (parse_header(base + header_off, fields) < 0)
		return -E_CORRUPT;

	/* namesize counts the NUL; the name must end inside it. */
	u64 name_off = header_off + HEADER_SIZE;
	u32 name_size = fields[FIELD_NAMESIZE];
	if (name_size == 0 || name_size > size - name_off)
		return -E_CORRUPT;
	const char *name = base + name_off;
	if (strnlen(name, name_size) == name_size)
		return -E_CORRUPT;
	/* The trailer's padding and (empty) data are never needed, so not required. */
	if (strcmp(name, TRAILER_NAME) == 0)
		return 0;

	u64 data_off, next_off;
	u32 data_size = fields[FIELD_FILESIZE];
	if (skip_padding(name_off + name_size, size, &data_off) < 0)
		return -E_CORRUPT;
	if (data_size > size - data_off)
		return -E_CORRUPT;
	if (skip_padding(data_off + data_size, size, &next_off) < 0)
		return -E_CORRUPT;

	entry->name = name;
	entry->data = base + data_off;
	entry->size = data_size;
	entry->mode = fields[FIELD_MODE];
	*offset = next_off;
	return 1;
}

/* A name without the "./" that find(1)-made archives put in front. */
/* "./bin/sh", "/bin/sh" and "bin/sh" name one entry. */
static const char *without_dot_slash(const char *name)
{
	if (name[0] == '.' && name[1] == '/')
		return name + 2;
	return name[0] == '/' ? name + 1 : name;
}

static bool is_regular_file(u32 mode) { return (mode & CPIO_MODE_TYPE) == CPIO_MODE_FILE; }

int cpio_find(const void *archive, u64 size, const char *name, const void **data,
              u64 *data_size)
{
	const char *wanted = without_dot_slash(name);
	struct cpio_entry entry, found = { 0 };
	bool have_found = false;
	u64 offset = 0;
	int status;
	/* Walk to the trailer even after a match: a damaged archive is refused whole. */
	while ((status = cpio_next(archive, size, &offset, &entry)) == 1) {
		if (is_regular_file(entry.mode) && strcmp(without_dot_slash(entry.name), wanted) == 0) {
			found = entry;
			have_found = true;
		}
	}
	if (status < 0)
		return status;
	if (!have_found)
		return -E_NOENT;
	*data = found.data;
	*data_size = found.size;
	return 0;
}
