/*
 * The newc cpio reader against archives written here, against targeted
 * corruptions, against every truncation, and against seeded random
 * mutations under ASan/UBSan.  Each archive under test is copied into a
 * buffer of exactly its size, so any read past the end is caught.
 */
#include "exo/cpio.h"
#include "exo/errno.h"
#include "tests/host/check.h"
#include <stdlib.h>
#include <string.h>

#define HEADER_SIZE 110
#define MODE_FILE 0100644u
#define MODE_DIR 0040755u

/* A tiny newc writer. */
struct archive {
	unsigned char *bytes;
	size_t len, cap;
};

static void append(struct archive *a, const void *src, size_t len)
{
	if (a->len + len > a->cap) {
		a->cap = (a->len + len) * 2 + 64;
		a->bytes = realloc(a->bytes, a->cap);
	}
	memcpy(a->bytes + a->len, src, len);
	a->len += len;
}

static void pad_to(struct archive *a, size_t multiple)
{
	static const unsigned char zeros[512];
	append(a, zeros, (multiple - a->len % multiple) % multiple);
}

/* An entry whose header says namesize and filesize, whatever follows. */
static void add_raw(struct archive *a, const char *name, u32 mode, u32 name_size,
                    const void *data, u32 data_size)
{
	static u32 inode = 1;
	char header[HEADER_SIZE + 1];
	snprintf(header, sizeof(header),
	         "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", inode++, mode, 0, 0,
	         1, 0, data_size, 0, 0, 0, 0, name_size, 0);
	append(a, header, HEADER_SIZE);
	append(a, name, strlen(name) + 1);
	pad_to(a, 4);
	append(a, data, data_size);
	pad_to(a, 4);
}

static void add_file(struct archive *a, const char *name, const char *text)
{
	add_raw(a, name, MODE_FILE, (u32)strlen(name) + 1, text, (u32)strlen(text));
}

static void add_dir(struct archive *a, const char *name)
{
	add_raw(a, name, MODE_DIR, (u32)strlen(name) + 1, "", 0);
}

/* The trailer, then zeros to a 512-byte block as cpio(1) writes. */
static void finish(struct archive *a)
{
	add_raw(a, "TRAILER!!!", 0, 11, "", 0);
	pad_to(a, 512);
}

/* A heap copy of exactly len bytes (ASan then catches any overread). */
static unsigned char *exact_copy(const void *src, size_t len)
{
	unsigned char *copy = malloc(len ? len : 1);
	if (len)
		memcpy(copy, src, len);
	return copy;
}

static const char init_text[] = "\177ELF pretend this is a program";
static const char motd_text[] = "hello";

/*
 * ".", "./init", "./etc", "./etc/motd", "./empty", "odd3" (names and sizes
 * that exercise every padding length), then the trailer.  *trailer_end is
 * where the trailer's name ends: the shortest archive that is still whole.
 */
static struct archive sample(size_t *trailer_end)
{
	struct archive a = { 0 };
	add_dir(&a, ".");
	add_file(&a, "./init", init_text);
	add_dir(&a, "./etc");
	add_file(&a, "./etc/motd", motd_text);
	add_file(&a, "./empty", "");
	add_file(&a, "odd3", "abc");
	if (trailer_end)
		*trailer_end = a.len + HEADER_SIZE + 11;
	finish(&a);
	return a;
}

static int find_text(const struct archive *a, const char *name, const char **text, u64 *size)
{
	const void *data = *text; /* cpio_find leaves it alone on failure */
	int err = cpio_find(a->bytes, a->len, name, &data, size);
	*text = data;
	return err;
}

static void finds_files(void)
{
	struct archive a = sample(NULL);
	const char *text = NULL;
	u64 size;
	EXPECT(find_text(&a, "init", &text, &size) == 0);
	EXPECT(size == strlen(init_text) && memcmp(text, init_text, size) == 0);
	EXPECT(find_text(&a, "./init", &text, &size) == 0 && size == strlen(init_text));
	EXPECT(find_text(&a, "etc/motd", &text, &size) == 0);
	EXPECT(size == 5 && memcmp(text, motd_text, 5) == 0);
	EXPECT(find_text(&a, "odd3", &text, &size) == 0 && size == 3 && memcmp(text, "abc", 3) == 0);
	EXPECT(find_text(&a, "./odd3", &text, &size) == 0 && size == 3);
	EXPECT(find_text(&a, "empty", &text, &size) == 0 && size == 0);
	EXPECT((const unsigned char *)text >= a.bytes && (const unsigned char *)text <= a.bytes + a.len);
	free(a.bytes);
}

static void misses_names(void)
{
	struct archive a = sample(NULL);
	const char *text = NULL;
	u64 size = 99;
	EXPECT(find_text(&a, "missing", &text, &size) == -E_NOENT);
	EXPECT(find_text(&a, "ini", &text, &size) == -E_NOENT);   /* a prefix is not a match */
	EXPECT(find_text(&a, "init2", &text, &size) == -E_NOENT); /* nor is an extension */
	EXPECT(find_text(&a, "motd", &text, &size) == -E_NOENT);  /* nor a last component */
	EXPECT(find_text(&a, "etc", &text, &size) == -E_NOENT);   /* a directory is not a file */
	EXPECT(find_text(&a, "TRAILER!!!", &text, &size) == -E_NOENT);
	EXPECT(text == NULL && size == 99); /* untouched on failure */
	free(a.bytes);

	struct archive empty = { 0 };
	finish(&empty);
	EXPECT(find_text(&empty, "init", &text, &size) == -E_NOENT);
	free(empty.bytes);
}

static void iterates_entries(void)
{
	struct archive a = sample(NULL);
	static const char *const names[] = { ".", "./init", "./etc", "./etc/motd", "./empty", "odd3" };
	struct cpio_entry entry;
	u64 offset = 0;
	u32 count = 0;
	int status;
	while ((status = cpio_next(a.bytes, a.len, &offset, &entry)) == 1) {
		if (count < ARRAY_LEN(names))
			EXPECT(strcmp(entry.name, names[count]) == 0);
		EXPECT(offset % 4 == 0);
		count++;
	}
	EXPECT(status == 0 && count == ARRAY_LEN(names));
	u64 at_trailer = offset;
	EXPECT(cpio_next(a.bytes, a.len, &offset, &entry) == 0 && offset == at_trailer); /* stays */

	offset = 0;
	cpio_next(a.bytes, a.len, &offset, &entry);
	EXPECT((entry.mode & CPIO_MODE_TYPE) == CPIO_MODE_DIR);
	cpio_next(a.bytes, a.len, &offset, &entry);
	EXPECT(entry.mode == MODE_FILE && entry.size == strlen(init_text));
	free(a.bytes);
}

static void last_duplicate_wins(void)
{
	struct archive a = { 0 };
	add_file(&a, "init", "first");
	add_file(&a, "./init", "second");
	add_dir(&a, "init"); /* not a file: does not hide the file */
	finish(&a);
	const char *text = NULL;
	u64 size;
	EXPECT(find_text(&a, "init", &text, &size) == 0 && size == 6 && memcmp(text, "second", 6) == 0);
	free(a.bytes);
}

/* The archive needs no alignment in memory: offsets count from its start. */
static void reads_unaligned_archives(void)
{
	struct archive a = sample(NULL);
	unsigned char *shifted = malloc(a.len + 1);
	memcpy(shifted + 1, a.bytes, a.len);
	const void *data;
	u64 size;
	EXPECT(cpio_find(shifted + 1, a.len, "etc/motd", &data, &size) == 0);
	EXPECT(size == 5 && memcmp(data, motd_text, 5) == 0);
	free(shifted);
	free(a.bytes);
}

static int find_in_copy(const void *bytes, size_t len, const char *name)
{
	unsigned char *copy = exact_copy(bytes, len);
	const void *data;
	u64 size;
	int err = cpio_find(copy, len, name, &data, &size);
	free(copy);
	return err;
}

static void expect_corrupt(const struct archive *a, const char *what)
{
	if (find_in_copy(a->bytes, a->len, "init") != -E_CORRUPT) {
		printf("    not refused: %s\n", what);
		check_failed_now = 1;
	}
}

/* Overwrite the 8-digit field number index (0 = c_ino) of the entry at off. */
static void set_field(struct archive *a, size_t off, u32 index, u32 value)
{
	char digits[9];
	snprintf(digits, sizeof(digits), "%08X", value);
	memcpy(a->bytes + off + 6 + 8 * index, digits, 8);
}

enum { FIELD_FILESIZE = 6, FIELD_NAMESIZE = 11 };

static void refuses_corrupt_headers(void)
{
	struct archive a = sample(NULL);
	unsigned char *good = exact_copy(a.bytes, a.len);
	/* Entry 0 is "." (header + 2 + 0 padding = 112); entry 1 "./init" starts there. */
	const size_t init_off = 112;
	EXPECT(memcmp(a.bytes + init_off + HEADER_SIZE, "./init", 7) == 0);
#define RESET() memcpy(a.bytes, good, a.len)

	a.bytes[0] = '1', expect_corrupt(&a, "bad magic"), RESET();
	a.bytes[init_off + 5] = '2', expect_corrupt(&a, "070702 (crc) magic"), RESET();
	for (size_t digit = 6; digit < HEADER_SIZE; digit++) {
		a.bytes[init_off + digit] = 'g';
		expect_corrupt(&a, "non-hex digit");
		a.bytes[init_off + digit] = ' ';
		expect_corrupt(&a, "space for a digit");
		RESET();
	}
	set_field(&a, init_off, FIELD_NAMESIZE, 0), expect_corrupt(&a, "namesize 0"), RESET();
	/* namesize 6 stops just before the NUL: the name is not terminated. */
	set_field(&a, init_off, FIELD_NAMESIZE, 6), expect_corrupt(&a, "unterminated name"), RESET();
	a.bytes[init_off + HEADER_SIZE + 6] = 'x', expect_corrupt(&a, "NUL overwritten"), RESET();
	set_field(&a, init_off, FIELD_NAMESIZE, (u32)a.len), expect_corrupt(&a, "name past the end"), RESET();
	set_field(&a, init_off, FIELD_NAMESIZE, 0xffffffff), expect_corrupt(&a, "namesize huge"), RESET();
	set_field(&a, init_off, FIELD_FILESIZE, 0xffffffff), expect_corrupt(&a, "filesize huge"), RESET();
	set_field(&a, init_off, FIELD_FILESIZE, 0xfffffff0), expect_corrupt(&a, "filesize wraps"), RESET();
	set_field(&a, init_off, FIELD_FILESIZE, (u32)a.len), expect_corrupt(&a, "data past the end"), RESET();
	/* A wrong but in-bounds size lands the next header on data: not a header. */
	set_field(&a, init_off, FIELD_FILESIZE, 4), expect_corrupt(&a, "next header misplaced"), RESET();
#undef RESET
	EXPECT(find_in_copy(a.bytes, a.len, "init") == 0); /* and back to good */
	free(good);
	free(a.bytes);
}

static void refuses_short_archives(void)
{
	struct archive a = { 0 };
	expect_corrupt(&a, "empty archive");
	add_file(&a, "init", "no trailer follows");
	expect_corrupt(&a, "no trailer");
	const void *data;
	u64 size;
	/* The archive's real size is smaller than the caller says: cpio_find must not care. */
	EXPECT(cpio_find(a.bytes, 0, "init", &data, &size) == -E_CORRUPT);
	free(a.bytes);
}

/* Cut short anywhere, the archive is refused until its trailer's name is whole. */
static void survives_every_truncation(void)
{
	size_t trailer_end;
	struct archive a = sample(&trailer_end);
	u32 wrong = 0;
	for (size_t len = 0; len <= a.len; len++) {
		unsigned char *copy = exact_copy(a.bytes, len);
		const void *data = NULL;
		u64 size = 0;
		int err = cpio_find(copy, len, "etc/motd", &data, &size);
		bool whole = len >= trailer_end;
		if (whole ? (err != 0 || size != 5 || memcmp(data, motd_text, 5) != 0)
		          : err != -E_CORRUPT) {
			if (wrong++ < 5)
				printf("    truncated to %zu: %d\n", len, err);
		}
		struct cpio_entry entry;
		u64 offset = 0;
		while (cpio_next(copy, len, &offset, &entry) == 1)
			;
		free(copy);
	}
	EXPECT(wrong == 0);
	free(a.bytes);
}


/* Whatever was found lies inside the archive. */
static bool inside(const unsigned char *archive, size_t len, const void *data, u64 size)
{
	const unsigned char *start = data;
	return start >= archive && start <= archive + len && size <= (u64)(archive + len - start);
}

static void survives_mutations(void)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	static const char *const names[] = { "init", "etc/motd", "empty", "odd3" };
	struct archive a = sample(NULL);
	u32 seed = 0x5eedc910, state = seed;
	u32 bad = 0, found = 0, refused = 0;
	printf("    seed 0x%x, 20000 mutated archives\n", seed);
	for (int round = 0; round < 20000; round++) {
		unsigned char *copy = exact_copy(a.bytes, a.len);
		size_t len = a.len;
		for (int changes = 1 + round % 4; changes > 0 && len > 0; changes--) {
			size_t at = xorshift32(&state) % len;
			u32 kind = xorshift32(&state) % 4;
			if (kind == 0)
				copy[at] ^= (unsigned char)(1u << (xorshift32(&state) % 8));
			else if (kind == 1) /* a valid digit: a plausible but wrong size */
				copy[at] = (unsigned char)hex[xorshift32(&state) % (sizeof(hex) - 1)];
			else if (kind == 2)
				copy[at] = (unsigned char)xorshift32(&state);
			else /* a shorter buffer than the archive */
				len = at;
		}
		for (u32 i = 0; i < ARRAY_LEN(names); i++) {
			const void *data;
			u64 size;
			int err = cpio_find(copy, len, names[i], &data, &size);
			if (err == 0)
				found++, bad += !inside(copy, len, data, size);
			else
				refused += err == -E_CORRUPT, bad += err != -E_CORRUPT && err != -E_NOENT;
		}
		struct cpio_entry entry;
		u64 offset = 0;
		int status;
		while ((status = cpio_next(copy, len, &offset, &entry)) == 1)
			bad += !inside(copy, len, entry.data, entry.size) || offset > len;
		free(copy);
	}
	printf("    %u finds succeeded, %u refused as corrupt\n", found, refused);
	EXPECT(bad == 0);
	EXPECT(found > 0 && refused > 0); /* the mutations reach both outcomes */
	free(a.bytes);
}

int main(void)
{
	RUN("cpio", finds_files);
	RUN("cpio", misses_names);
	RUN("cpio", iterates_entries);
	RUN("cpio", last_duplicate_wins);
	RUN("cpio", reads_unaligned_archives);
	RUN("cpio", refuses_corrupt_headers);
	RUN("cpio", refuses_short_archives);
	RUN("cpio", survives_every_truncation);
	RUN("cpio", survives_mutations);
	return check_failures != 0;
}
