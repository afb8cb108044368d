/*
 * The first environment: the only one the kernel builds itself, from a
 * static ELF in the initrd named by init= on the command line.  It is built
 * through the same checked page-table calls user space uses, as if the new
 * environment had made them.  Everything after it is started by user space.
 */
#include "arch/pte.h"
#include "exo/boot_env.h"
#include "exo/cpio.h"
#include "exo/elf.h"
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include "exo/sched.h"
#include "exo/string.h"

#define ARGS_SPACE 512 /* bytes at the top of the stack for the command line */

static noreturn void load_error(const char *name, const char *why)
{
	kprintf("exo: cannot start init=%s: %s\n", name, why);
	machine_exit(EXIT_BOOT_ERROR);
}

/* The table under table[index] of the given level, made if missing. */
static int next_table(struct env *env, u64 table, u32 level, u64 va, u64 *next)
{
	u64 *entries = phys_to_kernel(pa(table));
	u32 index = pt_index(level, va);
	if (!pte_valid(entries[index])) {
		paddr_t fresh;
		int err = pt_alloc(env, level + 1, &fresh);
		u64 desc = fresh.val | EXO_PTE_TABLE;
		if (!err)
			err = pt_write(env, table, index, 1, &desc);
		if (err)
			return err;
	}
	*next = pte_addr(entries[index]).val;
	return 0;
}

static int map_page(struct env *env, u64 va, u64 frame, u32 rights)
{
	u64 table = env->root;
	for (u32 level = 0; level < PT_LEVELS - 1; level++) {
		int err = next_table(env, table, level, va, &table);
		if (err)
			return err;
	}
	u64 desc = frame | EXO_PTE_PAGE | EXO_PTE_USER | (rights & EXO_W ? 0 : EXO_PTE_RO) |
	           (rights & EXO_X ? 0 : EXO_PTE_UXN);
	return pt_write(env, table, pt_index(PT_LEVELS - 1, va), 1, &desc);
}

/* A fresh zeroed frame of env's, mapped at va; its kernel address in *kva. */
static int map_new_page(struct env *env, u64 va, u32 rights, void **kva)
{
	paddr_t frame;
	int err = frames_alloc(env, 1, &frame);
	if (!err)
		err = map_page(env, va, frame.val, rights);
	*kva = phys_to_kernel(frame);
	return err;
}

static int load_segment(struct env *env, const u8 *file, const struct elf_segment *seg)
{
	for (u64 page = ALIGN_DOWN(seg->vaddr, PAGE_SIZE); page < seg->vaddr + seg->memsz; page += PAGE_SIZE) {
		u8 *kva;
		int err = map_new_page(env, page, seg->flags, (void **)&kva);
		if (err)
			return err;
		u64 from = MAX(page, seg->vaddr), to = MIN(page + PAGE_SIZE, seg->vaddr + seg->filesz);
		if (from < to)
			memcpy(kva + (from - page), file + seg->offset + (from - seg->vaddr), to - from);
	}
	return 0;
}

/*
 * The boot archive: frames anyone may map readable and executable (a
 * program's text is mapped straight from it), never writable, never freed
 * (owner 0, shared R and X); and the public last-level tables that map it,
 * 2 MiB each, which every address space links read-only (pt_public.c).
 * Made before the accounting baseline: they are the kernel's for good.
 */
#define ARCHIVE_TABLES_MAX 512 /* 1 GiB of archive */
static u64 archive_tables[ARCHIVE_TABLES_MAX];
static u32 archive_table_count;

static void adopt_archive(const struct boot_info *boot, const char *name)
{
	u64 start = ALIGN_DOWN(boot->initrd_start, PAGE_SIZE);
	u64 pages = (boot->initrd_end - start + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > (u64)ARCHIVE_TABLES_MAX * EXO_PT_ENTRIES)
		load_error(name, "the initrd is larger than 1 GiB");
	u64 frames[EXO_PT_ENTRIES];
	for (u64 first = 0; first < pages; first += EXO_PT_ENTRIES) {
		u32 count = (u32)MIN(pages - first, (u64)EXO_PT_ENTRIES);
		for (u32 i = 0; i < count; i++) {
			frames[i] = start + (first + i) * PAGE_SIZE;
			struct frame *frame = frame_lookup(&kernel_frames, pa(frames[i]));
			frame_retype(&kernel_frames, frame, FRAME_USER);
			frame->owner = FRAME_NO_OWNER;
			frame->share = EXO_R | EXO_X;
		}
		paddr_t table;
		if (pt_public_table(frames, count, &table) < 0)
			load_error(name, "out of memory for the archive's tables");
		archive_tables[archive_table_count++] = table.val;
	}
}

/* The archive's tables linked at BOOT_ARCHIVE_VA, read-only and not executable, as any process links them. */
static int link_archive(struct env *env)
{
	for (u32 i = 0; i < archive_table_count; i++) {
		u64 va = BOOT_ARCHIVE_VA + (u64)i * (EXO_PT_ENTRIES * PAGE_SIZE), table = env->root;
		for (u32 level = 0; level < PT_LEVELS - 2; level++) {
			int err = next_table(env, table, level, va, &table);
			if (err)
				return err;
		}
		u64 link = archive_tables[i] | EXO_PTE_TABLE | EXO_PTE_APT_RO | EXO_PTE_UXNT;
		int err = pt_write(env, table, pt_index(PT_LEVELS - 2, va), 1, &link);
		if (err)
			return err;
	}
	return 0;
}

static int build(struct env *env, const struct boot_info *boot, const u8 *file,
                 const struct elf_image *image, u64 *args_uva)
{
	paddr_t root;
	int err = pt_alloc(env, 0, &root);
	if (err)
		return err;
	pt_set_root(env, root.val);
	for (u32 i = 0; !err && i < image->nsegments; i++)
		err = load_segment(env, file, &image->segments[i]);
	u8 *top = NULL;
	for (u64 page = BOOT_STACK_TOP - BOOT_STACK_PAGES * PAGE_SIZE; !err && page < BOOT_STACK_TOP;
	     page += PAGE_SIZE)
		err = map_new_page(env, page, EXO_R | EXO_W, (void **)&top);
	if (!err)
		err = link_archive(env);
	if (err)
		return err;
	/* The command line, for the program to parse, at the top of its stack. */
	u64 len = MIN(strlen(boot->cmdline), (u64)ARGS_SPACE - 1);
	memcpy(top + PAGE_SIZE - ARGS_SPACE, boot->cmdline, len);
	*args_uva = BOOT_STACK_TOP - ARGS_SPACE;
	return 0;
}

void boot_first_env(const struct boot_info *boot, const char *name)
{
	const void *file;
	u64 size;
	struct elf_image image;
	const char *why = "";
	if (!boot->initrd_end)
		load_error(name, "no initrd (boot with -initrd)");
	const void *archive = phys_to_kernel(pa(boot->initrd_start));
	int err = cpio_find(archive, boot->initrd_end - boot->initrd_start, name, &file, &size);
	if (err)
		load_error(name, err == -E_NOENT ? "not in the initrd" : "the initrd is not a newc cpio archive");
	if (elf_load_info(file, size, BOOT_ARCHIVE_VA, &image, &why) < 0)
		load_error(name, why);
	/* A program not linked with libos starts through libos's loader, which reads init= itself. */
	if (!image.libos) {
		err = cpio_find(archive, boot->initrd_end - boot->initrd_start, BOOT_LOADER_NAME, &file, &size);
		if (err)
			load_error(name, "not linked with libos, and no loader (" BOOT_LOADER_NAME ") in the initrd");
		if (elf_load_info(file, size, BOOT_ARCHIVE_VA, &image, &why) < 0)
			load_error(BOOT_LOADER_NAME, why);
	}
	adopt_archive(boot, name);
	sched_baseline_free = frame_count(&kernel_frames, FRAME_FREE);
	struct env *env;
	env_create(NULL, sched_baseline_free, &env);
	u64 args_uva;
	if (build(env, boot, file, &image, &args_uva) < 0)
		load_error(name, "out of memory");
	struct exo_regs regs = { .pc = image.entry, .sp = args_uva - 16 };
	regs.x[0] = env->id;
	regs.x[1] = env->root;
	regs.x[2] = args_uva;
	regs.x[3] = boot->initrd_end ? BOOT_ARCHIVE_VA + boot->initrd_start % PAGE_SIZE : 0;
	regs.x[4] = boot->initrd_end - boot->initrd_start;
	arch_regs_write(env, &regs);
	env->status = EXO_ENV_RUNNABLE;
	kprintf("exo: starting %s as env %u (%lu frames free)\n", name, env->id, sched_baseline_free);
}
