/*
 * The ELF checker against executables written here (byte by byte, from the
 * ELF-64 layout, not from exo/elf.c's structures), against each error it
 * must report, against every truncation, and against seeded random
 * mutations under ASan/UBSan.  Each file under test is copied into a buffer
 * of exactly its size, so any read past the end is caught.
 * Usage: host_elf [AARCH64-EXECUTABLE]  (the file is optional)
 */
#include "exo/abi.h"
#include "exo/elf.h"
#include "exo/errno.h"
#include "tests/host/check.h"
#include <stdlib.h>
#include <string.h>

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_LOAD 1u
#define PT_DYNAMIC 2u
#define PT_INTERP 3u
#define PT_NOTE 4u
#define PT_TLS 7u
#define PT_GNU_STACK 0x6474e551u
#define PT_GNU_RELRO 0x6474e552u
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u
#define LIMIT EXO_USER_VA_END

/* What the writer puts in a file. */
struct phdr_spec {
	u32 type, flags;
	u64 offset, vaddr, filesz, memsz;
};

struct elf_spec {
	u8 class, data, ident_version;
	u16 type, machine, phentsize;
	u32 version;
	u64 entry, phoff;
	u32 phnum; /* written as e_phnum; ph[] holds the first MAX_PHDRS */
	struct phdr_spec ph[12];
	size_t file_size;
};

#define MAX_PHDRS ARRAY_LEN(((struct elf_spec *)0)->ph)

/*
 * The usual static executable: text (R+X) from offset 0, headers included,
 * at 0x400000; data (RW) on its own pages with bss beyond its file bytes;
 * and a PT_GNU_STACK as linkers add.
 */
static struct elf_spec good_spec(void)
{
	return (struct elf_spec){
		.class = 2, .data = 1, .ident_version = 1,
		.type = 2, .machine = 183, .phentsize = PHDR_SIZE, .version = 1,
		.entry = 0x400100, .phoff = EHDR_SIZE, .phnum = 3,
		.ph = {
			{ PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1200, 0x1200 },
			{ PT_LOAD, PF_R | PF_W, 0x2000, 0x412000, 0x100, 0x3000 },
			{ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0 },
		},
		.file_size = 0x2100,
	};
}

static void put16(u8 *at, u16 value) { at[0] = (u8)value, at[1] = (u8)(value >> 8); }
static void put32(u8 *at, u32 value) { put16(at, (u16)value), put16(at + 2, (u16)(value >> 16)); }
static void put64(u8 *at, u64 value) { put32(at, (u32)value), put32(at + 4, (u32)(value >> 32)); }

/* The file, in a heap buffer of exactly spec->file_size bytes. */
static u8 *write_elf(const struct elf_spec *spec)
{
	u8 *file = calloc(1, spec->file_size ? spec->file_size : 1);
	u8 header[EHDR_SIZE] = { 0x7f, 'E', 'L', 'F', spec->class, spec->data, spec->ident_version };
	put16(header + 16, spec->type);
	put16(header + 18, spec->machine);
	put32(header + 20, spec->version);
	put64(header + 24, spec->entry);
	put64(header + 32, spec->phoff);
	put16(header + 52, EHDR_SIZE);
	put16(header + 54, spec->phentsize);
	put16(header + 56, (u16)spec->phnum);
	memcpy(file, header, MIN(sizeof(header), spec->file_size));
	for (u32 i = 0; i < spec->phnum && i < MAX_PHDRS; i++) {
		u8 phdr[PHDR_SIZE] = { 0 };
		put32(phdr + 0, spec->ph[i].type);
		put32(phdr + 4, spec->ph[i].flags);
		put64(phdr + 8, spec->ph[i].offset);
		put64(phdr + 16, spec->ph[i].vaddr);
		put64(phdr + 24, spec->ph[i].vaddr); /* p_paddr */
		put64(phdr + 32, spec->ph[i].filesz);
		put64(phdr + 40, spec->ph[i].memsz);
		put64(phdr + 48, PAGE_SIZE);
		u64 at = spec->phoff + (u64)i * PHDR_SIZE;
		if (at >= spec->phoff && at < spec->file_size) /* not wrapped, not past the end */
			memcpy(file + at, phdr, MIN(sizeof(phdr), spec->file_size - at));
	}
	return file;
}

/* Checks the file the spec describes; returns the error, *why the reason. */
static int load_spec(const struct elf_spec *spec, struct elf_image *image, const char **why)
{
	u8 *file = write_elf(spec);
	int err = elf_load_info(file, spec->file_size, LIMIT, image, why);
	free(file);
	return err;
}

static void accepts_two_segments(void)
{
	struct elf_spec spec = good_spec();
	struct elf_image image;
	const char *why = "unset";
	EXPECT(load_spec(&spec, &image, &why) == 0 && why == NULL);
	EXPECT(image.entry == 0x400100 && image.nsegments == 2);
	const struct elf_segment *text = &image.segments[0], *data = &image.segments[1];
	EXPECT(text->vaddr == 0x400000 && text->memsz == 0x1200);
	EXPECT(text->offset == 0 && text->filesz == 0x1200);
	EXPECT(text->flags == (EXO_R | EXO_X));
	EXPECT(data->vaddr == 0x412000 && data->memsz == 0x3000);
	EXPECT(data->offset == 0x2000 && data->filesz == 0x100);
	EXPECT(data->flags == (EXO_R | EXO_W));
}

static void maps_flags_and_ignores_other_headers(void)
{
	struct elf_spec spec = good_spec();
	spec.ph[0].flags = PF_X;
	spec.ph[1].flags = PF_W;
	spec.ph[2] = (struct phdr_spec){ PT_TLS, PF_R, 0x2000, 0x412000, 0x10, 0x20 };
	spec.ph[3] = (struct phdr_spec){ PT_NOTE, PF_R, 0x200, 0x400200, 0x20, 0x20 };
	spec.ph[4] = (struct phdr_spec){ PT_GNU_RELRO, PF_R, 0x2000, 0x412000, 0x100, 0x1000 };
	/* Nothing to map, so left out (and its odd address does not matter). */
	spec.ph[5] = (struct phdr_spec){ PT_LOAD, PF_R, 0x10, 0x999999, 0, 0 };
	spec.phnum = 6;
	struct elf_image image;
	const char *why;
	EXPECT(load_spec(&spec, &image, &why) == 0);
	EXPECT(image.nsegments == 2);
	EXPECT(image.segments[0].flags == EXO_X && image.segments[1].flags == EXO_W);
}

/* GNU ld's bss-only segment: no file bytes, and an offset past the end of the file. */
static void accepts_bss_offsets_past_the_end(void)
{
	struct elf_spec spec = good_spec();
	spec.ph[1].filesz = 0;
	spec.ph[1].offset = 0x10000;
	struct elf_image image;
	const char *why;
	EXPECT(load_spec(&spec, &image, &why) == 0);
	EXPECT(image.nsegments == 2 && image.segments[1].filesz == 0);
}

static void accepts_unaligned_files(void)
{
	struct elf_spec spec = good_spec();
	u8 *file = write_elf(&spec);
	u8 *shifted = malloc(spec.file_size + 3);
	memcpy(shifted + 3, file, spec.file_size);
	struct elf_image image;
	const char *why;
	EXPECT(elf_load_info(shifted + 3, spec.file_size, LIMIT, &image, &why) == 0);
	EXPECT(image.nsegments == 2 && image.segments[1].memsz == 0x3000);
	free(shifted);
	free(file);
}

/* Segments right up to the limit, and exactly ELF_MAX_SEGMENTS of them, are fine. */
static void accepts_the_limits(void)
{
	struct elf_spec spec = good_spec();
	struct elf_image image;
	const char *why;
	spec.ph[1].vaddr = LIMIT - 0x3000;
	EXPECT(load_spec(&spec, &image, &why) == 0);
	spec.ph[1].memsz = 0x3000 + 1;
	EXPECT(load_spec(&spec, &image, &why) == -E_RANGE);
	/* A limit inside a page counts as the page below: the whole last page must fit. */
	spec.ph[1].memsz = 0x2800;
	u8 *file = write_elf(&spec);
	EXPECT(elf_load_info(file, spec.file_size, LIMIT - 0x800, &image, &why) == -E_RANGE);
	EXPECT(elf_load_info(file, spec.file_size, LIMIT - 0x1000, &image, &why) == -E_RANGE);
	EXPECT(elf_load_info(file, spec.file_size, LIMIT + 0x800, &image, &why) == 0);
	free(file);

	spec = good_spec();
	spec.phnum = ELF_MAX_SEGMENTS;
	for (u32 i = 1; i < ELF_MAX_SEGMENTS; i++)
		spec.ph[i] = (struct phdr_spec){ PT_LOAD, PF_R, 0x2000, 0x500000 + i * 0x2000, 0x100, 0x1000 };
	EXPECT(load_spec(&spec, &image, &why) == 0 && image.nsegments == ELF_MAX_SEGMENTS);
}

struct refusal {
	const char *what;
	int err;
	const char *why;
	struct elf_spec spec;
};

/* Each spec is good_spec() with one thing wrong. */
static void expect_refused(const struct refusal *case_)
{
	struct elf_image image;
	const char *why = NULL;
	int err = load_spec(&case_->spec, &image, &why);
	if (err != case_->err || !why || strcmp(why, case_->why) != 0) {
		printf("    %s: got %d \"%s\", wanted %d \"%s\"\n", case_->what, err, why ? why : "(null)",
		       case_->err, case_->why);
		check_failed_now = 1;
	}
}

/* The change is a statement (or several) on s, the spec; variadic for its commas. */
#define REFUSE(what_, err_, why_, ...)                                         \
	do {                                                                   \
		struct refusal r = { what_, err_, why_, good_spec() };         \
		struct elf_spec *s = &r.spec;                                  \
		__VA_ARGS__;                                                   \
		expect_refused(&r);                                            \
	} while (0)

static void refuses_bad_headers(void)
{
	REFUSE("empty file", -E_CORRUPT, "not an ELF file (too short for a header)", s->file_size = 0);
	REFUSE("63 bytes", -E_CORRUPT, "not an ELF file (too short for a header)", s->file_size = 63);
	REFUSE("32-bit", -E_CORRUPT, "not a 64-bit ELF file", s->class = 1);
	REFUSE("big-endian", -E_CORRUPT, "not a little-endian ELF file", s->data = 2);
	REFUSE("ident version", -E_CORRUPT, "unknown ELF version", s->ident_version = 0);
	REFUSE("e_version", -E_CORRUPT, "unknown ELF version", s->version = 2);
	REFUSE("x86-64", -E_CORRUPT, "not AArch64", s->machine = 62);
	REFUSE("relocatable", -E_CORRUPT, "not an executable (ET_EXEC or static-pie)", s->type = 1);
	REFUSE("core file", -E_CORRUPT, "not an executable (ET_EXEC or static-pie)", s->type = 4);
	REFUSE("phentsize", -E_CORRUPT, "unexpected program header size", s->phentsize = 64);
	REFUSE("phoff past the end", -E_CORRUPT, "program headers outside the file",
	       s->phoff = s->file_size);
	REFUSE("phoff wraps", -E_CORRUPT, "program headers outside the file",
	       s->phoff = 0xffffffffffffffc0ull);
	REFUSE("phnum 65535", -E_CORRUPT, "program headers outside the file", s->phnum = 0xffff);
	REFUSE("last phdr cut", -E_CORRUPT, "program headers outside the file",
	       s->phoff = s->file_size - 3 * PHDR_SIZE + 1);
	REFUSE("no program headers", -E_CORRUPT, "no loadable segment", s->phnum = 0);
	REFUSE("only PT_GNU_STACK", -E_CORRUPT, "no loadable segment",
	       s->ph[0] = s->ph[2]; s->phnum = 1);

	/* Not an ELF file at all: the magic. */
	struct elf_spec spec = good_spec();
	u8 *file = write_elf(&spec);
	struct elf_image image;
	const char *why;
	file[1] = 'e';
	EXPECT(elf_load_info(file, spec.file_size, LIMIT, &image, &why) == -E_CORRUPT);
	EXPECT(strcmp(why, "not an ELF file") == 0);
	free(file);
}

static void refuses_bad_segments(void)
{
	REFUSE("filesz > memsz", -E_CORRUPT, "segment larger in the file than in memory",
	       s->ph[1].filesz = 0x3001);
	REFUSE("past the end", -E_CORRUPT, "segment outside the file", s->ph[1].filesz = 0x101);
	REFUSE("offset past the end", -E_CORRUPT, "segment outside the file",
	       s->ph[1].offset = 0x3000; s->ph[1].vaddr = 0x413000);
	REFUSE("bss offset not page-congruent", -E_CORRUPT,
	       "segment address and file offset differ within a page",
	       s->ph[1].filesz = 0; s->ph[1].offset = 0x10000008);
	REFUSE("offset + filesz wraps", -E_CORRUPT, "segment outside the file",
	       s->ph[1].offset = 0xfffffffffffff000ull; s->ph[1].filesz = 0x1000;
	       s->ph[1].memsz = 0x1000);
	REFUSE("filesz wraps past the end", -E_CORRUPT, "segment outside the file",
	       s->ph[1].filesz = 0xfffffffffffff000ull; s->ph[1].memsz = 0xfffffffffffff000ull);
	REFUSE("above the limit", -E_RANGE, "segment above the user address limit",
	       s->ph[1].vaddr = LIMIT);
	REFUSE("ends above the limit", -E_RANGE, "segment above the user address limit",
	       s->ph[1].vaddr = LIMIT - 0x2000);
	REFUSE("vaddr + memsz wraps", -E_RANGE, "segment above the user address limit",
	       s->ph[1].vaddr = 0xfffffffffffff000ull; s->ph[1].memsz = 0x2000);
	REFUSE("memsz wraps from low", -E_RANGE, "segment above the user address limit",
	       s->ph[1].memsz = 0xffffffffffffff00ull);
	REFUSE("vaddr/offset page offsets differ", -E_CORRUPT,
	       "segment address and file offset differ within a page", s->ph[1].vaddr = 0x412008);
	REFUSE("shares the text's last page", -E_CORRUPT, "overlapping segments",
	       s->ph[1].vaddr = 0x401000; s->ph[1].offset = 0x1000; s->ph[1].filesz = 0);
	REFUSE("same page, different bytes", -E_CORRUPT, "overlapping segments",
	       s->ph[1].vaddr = 0x401800; s->ph[1].offset = 0x1800);
	REFUSE("out of order", -E_CORRUPT, "segments not in address order",
	       s->ph[1].vaddr = 0x300000; s->ph[1].offset = 0x2000);
	REFUSE("too many", -E_RANGE, "too many segments", {
		s->phnum = ELF_MAX_SEGMENTS + 1;
		for (u32 i = 1; i <= ELF_MAX_SEGMENTS; i++)
			s->ph[i] = (struct phdr_spec){ PT_LOAD, PF_R, 0x2000, 0x500000 + i * 0x2000,
			                              0x100, 0x1000 };
	});
	REFUSE("PT_INTERP", -E_CORRUPT, "not a static executable",
	       s->ph[2] = (struct phdr_spec){ PT_INTERP, PF_R, 0x200, 0x400200, 0x1b, 0x1b });
	REFUSE("PT_INTERP in a PIE", -E_CORRUPT, "not a static executable",
	       s->type = 3; s->ph[2] = (struct phdr_spec){ PT_INTERP, PF_R, 0x200, 0x400200, 0x1b, 0x1b });
	REFUSE("PT_DYNAMIC", -E_CORRUPT, "not a static executable",
	       s->ph[2] = (struct phdr_spec){ PT_DYNAMIC, PF_R | PF_W, 0x2000, 0x412000, 0x100, 0x100 });
}

static void refuses_bad_entries(void)
{
	const char *outside = "entry point outside every executable segment";
	REFUSE("entry in data", -E_CORRUPT, outside, s->entry = 0x412000);
	REFUSE("entry past text", -E_CORRUPT, outside, s->entry = 0x401200);
	REFUSE("entry below text", -E_CORRUPT, outside, s->entry = 0x3ffffc);
	REFUSE("entry 0", -E_CORRUPT, outside, s->entry = 0);
	REFUSE("text not executable", -E_CORRUPT, outside, s->ph[0].flags = PF_R);
	REFUSE("entry misaligned", -E_CORRUPT, "entry point not 4-byte aligned", s->entry = 0x400102);
	struct elf_spec spec = good_spec();
	struct elf_image image;
	const char *why;
	spec.entry = 0x4011fc; /* the last instruction */
	EXPECT(load_spec(&spec, &image, &why) == 0);
}

/* Cut short anywhere, the file is refused (its data segment runs to the end). */
static void survives_every_truncation(void)
{
	struct elf_spec spec = good_spec();
	u8 *file = write_elf(&spec);
	u32 wrong = 0;
	for (size_t len = 0; len <= spec.file_size; len++) {
		u8 *copy = malloc(len ? len : 1);
		memcpy(copy, file, len);
		struct elf_image image;
		const char *why = NULL;
		int err = elf_load_info(copy, len, LIMIT, &image, &why);
		bool whole = len == spec.file_size;
		if (whole ? err != 0 : (err != -E_CORRUPT || !why)) {
			if (wrong++ < 5)
				printf("    truncated to %zu: %d %s\n", len, err, why ? why : "");
		}
		free(copy);
	}
	EXPECT(wrong == 0);
	free(file);
}


/* An accepted image must keep every promise elf.h makes, checked independently. */
static bool image_is_sound(const struct elf_image *image, u64 file_size)
{
	bool entry_ok = false;
	if (image->nsegments == 0 || image->nsegments > ELF_MAX_SEGMENTS)
		return false;
	for (u32 i = 0; i < image->nsegments; i++) {
		const struct elf_segment *seg = &image->segments[i];
		bool reads_file = seg->filesz != 0;
		if (seg->memsz == 0 || seg->filesz > seg->memsz ||
		    (reads_file && (seg->offset > file_size || seg->filesz > file_size - seg->offset)) ||
		    seg->vaddr >= LIMIT ||
		    seg->memsz > LIMIT - seg->vaddr || seg->vaddr % PAGE_SIZE != seg->offset % PAGE_SIZE ||
		    (seg->flags & ~(u32)(EXO_R | EXO_W | EXO_X)))
			return false;
		if (i > 0) {
			const struct elf_segment *prev = &image->segments[i - 1];
			if (ALIGN_DOWN(seg->vaddr, PAGE_SIZE) < ALIGN_UP(prev->vaddr + prev->memsz, PAGE_SIZE))
				return false;
		}
		if ((seg->flags & EXO_X) && image->entry >= seg->vaddr &&
		    image->entry < seg->vaddr + seg->memsz)
			entry_ok = true;
	}
	return entry_ok && image->entry % 4 == 0;
}

static void survives_mutations(void)
{
	struct elf_spec spec = good_spec();
	spec.ph[2] = (struct phdr_spec){ PT_TLS, PF_R, 0x2000, 0x412000, 0x10, 0x20 };
	spec.ph[3] = (struct phdr_spec){ PT_LOAD, PF_R, 0x1000, 0x40a000, 0x80, 0x80 };
	spec.ph[4] = spec.ph[1];
	spec.ph[1] = (struct phdr_spec){ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0 };
	spec.phnum = 5;
	u8 *file = write_elf(&spec);
	size_t headers_end = EHDR_SIZE + spec.phnum * PHDR_SIZE;
	u32 seed = 0x5eede1f0, state = seed;
	u32 bad = 0, accepted = 0;
	printf("    seed 0x%x, 20000 mutated files\n", seed);
	for (int round = 0; round < 20000; round++) {
		size_t len = spec.file_size;
		u8 *copy = malloc(len);
		memcpy(copy, file, len);
		for (int changes = 1 + round % 4; changes > 0; changes--) {
			/* Mostly the headers: that is where the checks are. */
			u32 kind = xorshift32(&state) % 8;
			size_t at = xorshift32(&state) % (kind == 0 ? len : headers_end);
			if (kind < 5)
				copy[at] ^= (u8)(1u << (xorshift32(&state) % 8));
			else if (kind == 5)
				copy[at] = (u8)xorshift32(&state);
			else if (kind == 6) /* a small number: near misses of sizes and offsets */
				copy[at] = (u8)(xorshift32(&state) % 4);
			else
				copy[at] = (u8)(copy[at] + 1);
		}
		if (round % 16 == 0) /* and sometimes the file is cut short too */
			len = xorshift32(&state) % len;
		u8 *cut = malloc(len ? len : 1);
		memcpy(cut, copy, len);
		struct elf_image image;
		const char *why = NULL;
		int err = elf_load_info(cut, len, LIMIT, &image, &why);
		if (err == 0)
			accepted++, bad += why != NULL || !image_is_sound(&image, len);
		else
			bad += (err != -E_CORRUPT && err != -E_RANGE) || why == NULL;
		free(cut);
		free(copy);
	}
	printf("    %u of 20000 accepted\n", accepted);
	EXPECT(bad == 0);
	EXPECT(accepted > 0 && accepted < 20000);
	free(file);
}

/* exo's libos note ("exo", type 1) in a PT_NOTE, and AT_PHDR's address; notes that lie are not believed. */
static void finds_the_libos_note_and_phdrs(void)
{
	struct elf_spec spec = good_spec();
	spec.ph[2] = (struct phdr_spec){ PT_NOTE, PF_R, 0x200, 0x400200, 0x30, 0x30 };
	spec.phnum = 3;
	struct elf_image image;
	const char *why;
	EXPECT(load_spec(&spec, &image, &why) == 0);
	EXPECT(!image.libos && image.phdr_va == 0x400000 + EHDR_SIZE && image.phnum == 3);
	u8 *file = write_elf(&spec);
	/* An unrelated note first (name "GNU", 4 bytes of descriptor), then exo's. */
	const u8 notes[] = { 4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0, 1, 2, 3, 4,
		             4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'e', 'x', 'o', 0 };
	memcpy(file + 0x200, notes, sizeof(notes));
	EXPECT(elf_load_info(file, spec.file_size, LIMIT, &image, &why) == 0 && image.libos);
	file[0x200 + 28] = 2; /* another type */
	EXPECT(elf_load_info(file, spec.file_size, LIMIT, &image, &why) == 0 && !image.libos);
	file[0x200 + 28] = 1;
	file[0x200] = 0xff; /* the first note's name runs past the segment: the walk stops */
	EXPECT(elf_load_info(file, spec.file_size, LIMIT, &image, &why) == 0 && !image.libos);
	free(file);
}

/* A static-pie (ET_DYN with its own PT_DYNAMIC, no interpreter) is described for a loader; never with libos's note. */
static void accepts_a_static_pie(void)
{
	struct elf_spec spec = good_spec();
	spec.type = 3;
	spec.ph[2] = (struct phdr_spec){ PT_DYNAMIC, PF_R | PF_W, 0x2000, 0x412000, 0x100, 0x100 };
	spec.phnum = 3;
	struct elf_image image;
	const char *why;
	EXPECT(load_spec(&spec, &image, &why) == 0 && image.pie && image.nsegments == 2);
	spec.type = 2;
	EXPECT(load_spec(&spec, &image, &why) == -E_CORRUPT && strcmp(why, "not a static executable") == 0);
	spec.type = 3;
	spec.ph[2] = (struct phdr_spec){ PT_NOTE, PF_R, 0x200, 0x400200, 0x30, 0x30 };
	u8 *file = write_elf(&spec);
	const u8 note[] = { 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'e', 'x', 'o', 0 };
	memcpy(file + 0x200, note, sizeof(note));
	EXPECT(elf_load_info(file, spec.file_size, LIMIT, &image, &why) == -E_CORRUPT);
	free(file);
}

static const char *real_path;

/* A real linker's output (given on the command line) loads. */
static void loads_a_real_executable(void)
{
	FILE *stream = fopen(real_path, "rb");
	EXPECT(stream != NULL);
	if (!stream)
		return;
	fseek(stream, 0, SEEK_END);
	size_t size = (size_t)ftell(stream);
	rewind(stream);
	u8 *file = malloc(size ? size : 1);
	EXPECT(fread(file, 1, size, stream) == size);
	fclose(stream);
	struct elf_image image;
	const char *why = NULL;
	int err = elf_load_info(file, size, LIMIT, &image, &why);
	printf("    %s: %d%s%s, entry 0x%llx\n", real_path, err, why ? " " : "", why ? why : "",
	       (unsigned long long)image.entry);
	for (u32 i = 0; i < image.nsegments; i++)
		printf("    vaddr 0x%llx memsz 0x%llx offset 0x%llx filesz 0x%llx flags %u\n",
		       (unsigned long long)image.segments[i].vaddr,
		       (unsigned long long)image.segments[i].memsz,
		       (unsigned long long)image.segments[i].offset,
		       (unsigned long long)image.segments[i].filesz, image.segments[i].flags);
	EXPECT(err == 0 && image_is_sound(&image, size));
	free(file);
}

int main(int argc, char **argv)
{
	RUN("elf", accepts_two_segments);
	RUN("elf", accepts_a_static_pie);
	RUN("elf", maps_flags_and_ignores_other_headers);
	RUN("elf", accepts_bss_offsets_past_the_end);
	RUN("elf", accepts_unaligned_files);
	RUN("elf", accepts_the_limits);
	RUN("elf", refuses_bad_headers);
	RUN("elf", refuses_bad_segments);
	RUN("elf", refuses_bad_entries);
	RUN("elf", survives_every_truncation);
	RUN("elf", survives_mutations);
	RUN("elf", finds_the_libos_note_and_phdrs);
	if (argc > 1) {
		real_path = argv[1];
		RUN("elf", loads_a_real_executable);
	}
	return check_failures != 0;
}
