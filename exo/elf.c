/* ELF executable checks: validate the headers, then describe the segments. */
#include "exo/elf.h"
#include "exo/abi.h"
#include "exo/errno.h"
#include "exo/string.h"

/*
 * The file's structures (System V ABI, ELF-64).  Little-endian files only,
 * read by a little-endian CPU (the kernel, and the host tests), so a copy
 * of the bytes is the value.
 */
struct elf64_header {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_header) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr is 56 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "headers are copied, not decoded");

enum {
	EI_CLASS = 4,
	EI_DATA = 5,
	EI_VERSION = 6,
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	EV_CURRENT = 1,
	ET_EXEC = 2,
	ET_DYN = 3,
	EM_AARCH64 = 183,
	PT_LOAD = 1,
	PT_DYNAMIC = 2,
	PT_INTERP = 3,
	PT_NOTE = 4,
	PT_PHDR = 6,
	PF_X = 1,
	PF_W = 2,
	PF_R = 4,
};

static const u8 elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

static int fail(const char **why, int err, const char *reason)
{
	*why = reason;
	return err;
}

/* Is [off, off + len) inside a file of size bytes?  Written so nothing wraps. */
static bool inside_file(u64 off, u64 len, u64 size) { return off <= size && len <= size - off; }

static int check_header(const void *file, u64 size, struct elf64_header *header,
                        const char **why)
{
	if (size < sizeof(*header))
		return fail(why, -E_CORRUPT, "not an ELF file (too short for a header)");
	memcpy(header, file, sizeof(*header));
	if (memcmp(header->ident, elf_magic, sizeof(elf_magic)) != 0)
		return fail(why, -E_CORRUPT, "not an ELF file");
	if (header->ident[EI_CLASS] != ELFCLASS64)
		return fail(why, -E_CORRUPT, "not a 64-bit ELF file");
	if (header->ident[EI_DATA] != ELFDATA2LSB)
		return fail(why, -E_CORRUPT, "not a little-endian ELF file");
	if (header->ident[EI_VERSION] != EV_CURRENT || header->version != EV_CURRENT)
		return fail(why, -E_CORRUPT, "unknown ELF version");
	if (header->machine != EM_AARCH64)
		return fail(why, -E_CORRUPT, "not AArch64");
	/*
	 * ET_DYN without an interpreter is a static-pie: it relocates itself,
	 * wherever a loader puts it (libos's does; the kernel only reads it to
	 * start that loader).
	 */
	if (header->type != ET_EXEC && header->type != ET_DYN)
		return fail(why, -E_CORRUPT, "not an executable (ET_EXEC or static-pie)");
	if (header->phentsize != sizeof(struct elf64_phdr))
		return fail(why, -E_CORRUPT, "unexpected program header size");
	/* At most 65535 entries of 56 bytes: the product cannot overflow. */
	if (!inside_file(header->phoff, (u64)header->phnum * sizeof(struct elf64_phdr), size))
		return fail(why, -E_CORRUPT, "program headers outside the file");
	return 0;
}

static void read_phdr(const void *file, const struct elf64_header *header, u32 index,
                      struct elf64_phdr *phdr)
{
	memcpy(phdr, (const u8 *)file + header->phoff + (u64)index * sizeof(*phdr), sizeof(*phdr));
}

/* A PT_LOAD on its own: inside the file, below the limit, fillable by pages. */
static int check_load(const struct elf64_phdr *phdr, u64 size, u64 va_limit, const char **why)
{
	if (phdr->filesz > phdr->memsz)
		return fail(why, -E_CORRUPT, "segment larger in the file than in memory");
	/*
	 * Only the bytes read must be in the file: GNU ld gives a bss-only
	 * segment (filesz 0) an offset past the end of a small file.
	 */
	if (phdr->filesz != 0 && !inside_file(phdr->offset, phdr->filesz, size))
		return fail(why, -E_CORRUPT, "segment outside the file");
	/* The limit rounded down, so the segment's last whole page is below it too. */
	u64 page_limit = ALIGN_DOWN(va_limit, PAGE_SIZE);
	if (phdr->vaddr > page_limit || phdr->memsz > page_limit - phdr->vaddr)
		return fail(why, -E_RANGE, "segment above the user address limit");
	if (phdr->vaddr % PAGE_SIZE != phdr->offset % PAGE_SIZE)
		return fail(why, -E_CORRUPT, "segment address and file offset differ within a page");
	return 0;
}

static u32 exo_rights(u32 elf_flags)
{
	return ((elf_flags & PF_R) ? EXO_R : 0) | ((elf_flags & PF_W) ? EXO_W : 0) |
	       ((elf_flags & PF_X) ? EXO_X : 0);
}

/* The first page after the segment (which is non-empty and ends below the limit). */
static u64 end_page(const struct elf_segment *segment)
{
	return ALIGN_DOWN(segment->vaddr + segment->memsz - 1, PAGE_SIZE) + PAGE_SIZE;
}

/* Append a checked PT_LOAD; it must start on a page after the previous one ends. */
static int add_segment(struct elf_image *image, const struct elf64_phdr *phdr, const char **why)
{
	if (image->nsegments == ELF_MAX_SEGMENTS)
		return fail(why, -E_RANGE, "too many segments");
	if (image->nsegments > 0) {
		const struct elf_segment *previous = &image->segments[image->nsegments - 1];
		if (phdr->vaddr < previous->vaddr)
			return fail(why, -E_CORRUPT, "segments not in address order");
		if (ALIGN_DOWN(phdr->vaddr, PAGE_SIZE) < end_page(previous))
			return fail(why, -E_CORRUPT, "overlapping segments");
	}
	image->segments[image->nsegments++] = (struct elf_segment){
		.vaddr = phdr->vaddr,
		.memsz = phdr->memsz,
		.offset = phdr->offset,
		.filesz = phdr->filesz,
		.flags = exo_rights(phdr->flags),
	};
	return 0;
}

static int check_program_headers(const void *file, u64 size, u64 va_limit,
                                 const struct elf64_header *header, struct elf_image *image,
                                 const char **why)
{
	for (u32 i = 0; i < header->phnum; i++) {
		struct elf64_phdr phdr;
		read_phdr(file, header, i, &phdr);
		/* Both would need a dynamic loader; a static-pie's PT_DYNAMIC is its own relocations. */
		if (phdr.type == PT_INTERP || (phdr.type == PT_DYNAMIC && header->type != ET_DYN))
			return fail(why, -E_CORRUPT, "not a static executable");
		/* Anything else (PT_GNU_STACK, PT_TLS, PT_NOTE...) is for user space. */
		if (phdr.type != PT_LOAD)
			continue;
		/* An empty PT_LOAD maps nothing, so its other fields mean nothing. */
		if (phdr.memsz == 0 && phdr.filesz == 0)
			continue;
		int err = check_load(&phdr, size, va_limit, why);
		if (err)
			return err;
		err = add_segment(image, &phdr, why);
		if (err)
			return err;
	}
	if (image->nsegments == 0)
		return fail(why, -E_CORRUPT, "no loadable segment");
	return 0;
}

/* One note header (System V ABI): the name and descriptor follow, each padded to 4 bytes. */
struct elf64_note {
	u32 namesz, descsz, type;
};

/* Does the PT_NOTE segment (inside the file) hold exo's libos note?  Each note is checked before it is read. */
static bool notes_say_libos(const void *file, const struct elf64_phdr *phdr)
{
	u64 at = 0, len = phdr->filesz;
	while (len - at >= sizeof(struct elf64_note)) {
		struct elf64_note note;
		memcpy(&note, (const u8 *)file + phdr->offset + at, sizeof(note));
		at += sizeof(note);
		u64 name_len = ALIGN_UP((u64)note.namesz, 4), desc_len = ALIGN_UP((u64)note.descsz, 4);
		if (name_len > len - at || desc_len > len - at - name_len)
			return false;
		if (note.type == ELF_NOTE_LIBOS && note.namesz == sizeof(ELF_NOTE_NAME) &&
		    memcmp((const u8 *)file + phdr->offset + at, ELF_NOTE_NAME, sizeof(ELF_NOTE_NAME)) == 0)
			return true;
		at += name_len + desc_len;
	}
	return false;
}

/*
 * What user space needs beyond the segments: the program headers' address
 * once loaded (PT_PHDR's, or the loaded segment's bytes that hold them) and
 * whether the program is linked with libos.
 */
static void describe_program(const void *file, u64 size, const struct elf64_header *header,
                             struct elf_image *image)
{
	image->phnum = header->phnum;
	for (u32 i = 0; i < header->phnum; i++) {
		struct elf64_phdr phdr;
		read_phdr(file, header, i, &phdr);
		if (phdr.type == PT_NOTE && inside_file(phdr.offset, phdr.filesz, size) && notes_say_libos(file, &phdr))
			image->libos = true;
		if (phdr.type == PT_PHDR)
			image->phdr_va = phdr.vaddr;
		else if (phdr.type == PT_LOAD && !image->phdr_va && phdr.filesz && header->phoff >= phdr.offset &&
		         header->phoff - phdr.offset < phdr.filesz)
			image->phdr_va = phdr.vaddr + (header->phoff - phdr.offset);
	}
}

static bool entry_is_executable(const struct elf_image *image)
{
	for (u32 i = 0; i < image->nsegments; i++) {
		const struct elf_segment *segment = &image->segments[i];
		if ((segment->flags & EXO_X) && image->entry >= segment->vaddr &&
		    image->entry - segment->vaddr < segment->memsz)
			return true;
	}
	return false;
}

int elf_load_info(const void *file, u64 size, u64 va_limit, struct elf_image *image,
                  const char **why)
{
	struct elf64_header header;
	memset(image, 0, sizeof(*image));
	*why = NULL;
	int err = check_header(file, size, &header, why);
	if (err)
		return err;
	err = check_program_headers(file, size, va_limit, &header, image, why);
	if (err)
		return err;
	image->entry = header.entry;
	image->pie = header.type == ET_DYN;
	describe_program(file, size, &header, image);
	if (image->pie && image->libos)
		return fail(why, -E_CORRUPT, "a program linked with libos must be ET_EXEC (it starts where it is linked)");
	if (!entry_is_executable(image))
		return fail(why, -E_CORRUPT, "entry point outside every executable segment");
	/* A misaligned pc faults on the first instruction; say so now instead. */
	if (image->entry % 4 != 0)
		return fail(why, -E_CORRUPT, "entry point not 4-byte aligned");
	return 0;
}
