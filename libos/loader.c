/*
 * The loader: libos linked as a program of its own (the boot archive's
 * /lib/exo/loader, linked at LOADER_BASE, out of any Linux program's way).
 * The kernel starts it for an `init=` program that is not linked with
 * libos, and execve runs it for such a program; either way it loads the
 * unmodified static executable into its own address space, as Linux's
 * binfmt_elf would, and libos answers the program's `svc #0` system calls
 * as it does an app's.  An app linked with libos never runs this.
 */
#include "libos/libos.h"
#include "exo/elf.h"
#include <string.h>

#define PAGE 4096ull

/*
 * Each segment's pages, as exec loads an app's (exec_load_segment): a
 * read-only segment lying page for page in the archive mapped from its
 * frames, any other copied into fresh frames (a writable segment's first
 * and last pages mix file bytes with zeroes); each a region of the
 * program's, with the segment's rights.
 */
static int load_segments(const u8 *file, const struct elf_image *image)
{
	for (u32 i = 0; i < image->nsegments; i++) {
		const struct elf_segment *seg = &image->segments[i];
		int err = exec_load_segment(&libos.self, file, seg);
		if (err)
			return err;
		mm_add_image(seg->vaddr & ~(PAGE - 1), (seg->vaddr + seg->memsz + PAGE - 1) & ~(PAGE - 1), seg->flags);
	}
	return 0;
}

/*
 * A static-pie's addresses are offsets: it goes at PIE_BASE (as Linux puts
 * one well away from 0), its segments, entry and program headers moved
 * there, and relocates itself (musl's rcrt1, glibc's static-pie start),
 * finding where it is from AT_PHDR; AT_BASE stays 0, as no interpreter ran.
 */
#define PIE_BASE 0x0000005555550000ull

static int place_pie(struct elf_image *image, const char **why)
{
	if (!image->pie)
		return 0;
	const struct elf_segment *last = &image->segments[image->nsegments - 1];
	if (last->vaddr + last->memsz > LOADER_PROGRAM_LIMIT - PIE_BASE) {
		*why = "a static-pie too large for its place";
		return -1;
	}
	for (u32 i = 0; i < image->nsegments; i++)
		image->segments[i].vaddr += PIE_BASE;
	image->entry += PIE_BASE;
	image->phdr_va += image->phdr_va ? PIE_BASE : 0;
	return 0;
}

int loader_load(const char *path, struct loaded_program *program)
{
	const u8 *file;
	u64 size;
	struct elf_image image;
	const char *why;
	int err = fs_find(path, &file, &size);
	if (err) {
		libos_report("libos: loader: %s: cannot open (error %d)\n", path, (int)-err);
		return err;
	}
	if (elf_load_info(file, size, LOADER_PROGRAM_LIMIT, &image, &why) < 0 || place_pie(&image, &why) < 0) {
		libos_report("libos: loader: %s: %s\n", path, why);
		return -8; /* ENOEXEC */
	}
	err = load_segments(file, &image);
	if (err)
		return err;
	const struct elf_segment *last = &image.segments[image.nsegments - 1];
	*program = (struct loaded_program){ .entry = image.entry, .phdr = image.phdr_va, .phnum = image.phnum,
		                            .end = (last->vaddr + last->memsz + PAGE - 1) & ~(PAGE - 1) };
	return 0;
}
