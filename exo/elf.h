/*
 * Checks a static ELF64 little-endian AArch64 executable held in memory and
 * describes what loading it means: its PT_LOAD segments and entry point.
 * The file comes from outside the kernel (the initrd), so every header is
 * checked before any of it is used, nothing outside [file, file + size) is
 * read, and the file need not be aligned.  Nothing here touches hardware,
 * so it is unit-tested on the host.
 */
#ifndef EXO_ELF_H
#define EXO_ELF_H

#include "exo/types.h"

#define ELF_MAX_SEGMENTS 8

/*
 * One PT_LOAD segment: memsz bytes at vaddr, the first filesz of them from
 * the file at offset, the rest zero.  vaddr and offset are equal modulo
 * PAGE_SIZE, so whole pages can be filled from the file.  When filesz is 0
 * nothing is read and offset may lie past the end of the file (GNU ld does
 * that for bss-only segments): do not form a pointer from it.
 */
struct elf_segment {
	u64 vaddr, memsz, offset, filesz;
	u32 flags; /* EXO_R / EXO_W / EXO_X (exo/abi.h), from PF_R / PF_W / PF_X */
};

/*
 * Segments in ascending vaddr order; no two share a page (vaddr rounded
 * down, vaddr + memsz rounded up, to PAGE_SIZE).  Empty (memsz 0) PT_LOAD
 * segments are left out: there is nothing to map.
 */
struct elf_image {
	u64 entry; /* inside an executable segment */
	u64 phdr_va; /* where the program headers are once loaded (AT_PHDR); 0 if no segment holds them */
	u16 phnum;
	bool libos; /* it carries exo's note (ELF_NOTE_LIBOS): linked with libos, it starts itself */
	bool pie;   /* a static-pie (ET_DYN, no interpreter): its addresses are offsets from where a loader puts it */
	u32 nsegments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/*
 * Fills *image from the ELF file at file[0..size).  Every segment must end
 * at or below va_limit (rounded down to a page).  Returns 0, -E_CORRUPT (not
 * a valid static AArch64 executable) or -E_RANGE (valid, but beyond what we
 * load: too many segments, or above va_limit), with *why a short reason
 * for the console (NULL on success).
 */
/*
 * The note a libos-linked program carries (a PT_NOTE named "exo", type 1,
 * no descriptor: libos/start.S): the kernel and execve start such a program
 * as it is; any other static executable starts through libos's loader.
 */
#define ELF_NOTE_NAME "exo"
#define ELF_NOTE_LIBOS 1

int elf_load_info(const void *file, u64 size, u64 va_limit, struct elf_image *image,
                  const char **why);

#endif
