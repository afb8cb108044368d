/*
 * execve: build the new program's address space beside the running one
 * (from the boot archive), then switch root and registers in one kernel
 * call.  The new image's libos frees the old address space if it was its
 * own (a vfork child runs in its parent's, which stays).
 */
#include "libos/signal.h"
#include "libos/proctab.h"
#include "exo/elf.h"
#include "libos/tree.h"
#include "libos/filemap.h"
#include <string.h>

#define STACK_TOP 0x0000800000000000ull
#define STACK_PAGES 16
#define SCRATCH_VA 0x0000010000000000ull
#define ARGS_MAX (2048 * 1024ull) /* the exec block's most, at the top of the new stack: Linux's (a quarter of 8 MiB of stack) */
#define PAGE 4096ull

/* The end of a run from va: at most RUN_PAGES pages, never across a last-level table. */
#define RUN_PAGES 64
static u64 run_end(u64 va, u64 end) { return MIN(MIN(end, va + RUN_PAGES * PAGE), (va | ((2ull << 20) - 1)) + 1); }

/* Pages [start, end) of `to`: fresh zeroed frames of its owner's, one EXO_PT_MAP_NEW a run. */
static int map_zeroed(struct aspace *to, u64 start, u64 end, u64 attrs)
{
	for (u64 va = start; va < end; va = run_end(va, end)) {
		i64 table = as_table(to, 3, va, true);
		if (table < 0 || exo_pt_map_new((u64)table, exo_pt_index(3, va), (run_end(va, end) - va) / PAGE, attrs, NULL) < 0)
			return -L_ENOMEM;
	}
	return 0;
}

/*
 * Pages [start, end) of `to`, fresh frames of its owner's holding `bytes`
 * at [from, to_end) and zeros elsewhere: a run's frames are allocated,
 * mapped at SCRATCH_VA in our space, filled, unmapped and mapped in `to`,
 * four calls a run of up to 64 pages.  (Four calls a page was a fifth of
 * a shell's exec.)  The batches are on the stack: in bss they would be
 * pages every exec fills and every eager fork copies.
 */
static int map_filled(struct aspace *to, u64 start, u64 end, u64 from, u64 to_end, const u8 *bytes, u64 attrs)
{
	u64 frames[RUN_PAGES], descs[RUN_PAGES];
	i64 scratch = as_table(&libos.self, 3, SCRATCH_VA, true);
	for (u64 va = start; va < end; va = run_end(va, end)) {
		u32 n = (u32)((run_end(va, end) - va) / PAGE);
		if (scratch < 0 || exo_frame_alloc(to->env, n, frames) != n)
			return -L_ENOMEM;
		for (u32 i = 0; i < n; i++)
			descs[i] = frames[i] | PAGE_RW;
		bool filled = exo_pt_write((u64)scratch, exo_pt_index(3, SCRATCH_VA), n, descs) == 0;
		u64 lo = MAX(va, from), hi = MIN(va + n * PAGE, to_end);
		if (filled && lo < hi)
			memcpy((u8 *)SCRATCH_VA + (lo - va), bytes + (lo - from), hi - lo);
		for (u32 i = 0; i < n; i++)
			descs[i] = 0;
		if (filled)
			exo_pt_write((u64)scratch, exo_pt_index(3, SCRATCH_VA), n, descs);
		for (u32 i = 0; i < n; i++)
			descs[i] = frames[i] | attrs;
		i64 table = filled ? as_table(to, 3, va, true) : -1;
		if (table < 0 || exo_pt_write((u64)table, exo_pt_index(3, va), n, descs) < 0) {
			exo_frame_free(frames, n); /* mapped nowhere now */
			return -L_ENOMEM;
		}
	}
	return 0;
}

/*
 * [start, end) of `to` mapped with attrs to the frames our own space maps
 * from `source` on, a run of up to 64 entries per EXO_PT_WRITE: a page at
 * a time cost about 1,500 instructions a page.
 */
static int map_ours_into(struct aspace *to, u64 start, u64 end, u64 source, u64 attrs)
{
	u64 batch[RUN_PAGES];
	for (u64 va = start; va < end; va = run_end(va, end)) {
		u32 n = 0;
		for (u64 at = va; at < run_end(va, end); at += PAGE)
			batch[n++] = (as_lookup_self(source + (at - start)) & EXO_PTE_ADDR_MASK) | attrs;
		i64 table = as_table(to, 3, va, true);
		if (table < 0 || exo_pt_write((u64)table, exo_pt_index(3, va), n, batch) < 0)
			return -L_ENOMEM;
	}
	return 0;
}

/*
 * A read-only segment whose bytes lie page for page in the boot archive
 * (mkarchive aligns large files to pages, and a segment's file offset
 * matches its address modulo a page) is mapped straight from the
 * archive's frames, which anyone may map readable and executable: no
 * frame, no copy.  A run of up to 64 entries per EXO_PT_WRITE, never
 * across a last-level table.  A write to such a page (after mprotect)
 * copies it first (mm.c).
 */
static bool in_archive(const u8 *at, u64 len)
{
	return (u64)at >= libos.archive && (u64)at + len <= libos.archive + libos.archive_size;
}

static int map_from_archive(struct aspace *to, const u8 *file, const struct elf_segment *seg)
{
	u64 start = seg->vaddr & ~(PAGE - 1), end = seg->vaddr + seg->memsz;
	u64 source = (u64)(file + seg->offset) - (seg->vaddr - start); /* the archive's bytes for `start` */
	/* ARCHIVE_PTE: not this process's frame, so munmap and exec's reclaim never try to free it. */
	return map_ours_into(to, start, end, source, mm_page_attrs(seg->flags) | ARCHIVE_PTE);
}

static bool maps_from_archive(const u8 *file, const struct elf_segment *seg)
{
	const u8 *bytes = file + seg->offset;
	u64 first = (u64)bytes - (seg->vaddr & (PAGE - 1));
	return !(seg->flags & EXO_W) && seg->memsz == seg->filesz && ((u64)bytes - seg->vaddr) % PAGE == 0 &&
	       in_archive((const u8 *)first, ((seg->vaddr + seg->memsz + PAGE - 1) & ~(PAGE - 1)) - (seg->vaddr & ~(PAGE - 1)));
}

int exec_load_segment(struct aspace *to, const u8 *file, const struct elf_segment *seg)
{
	if (maps_from_archive(file, seg))
		return map_from_archive(to, file, seg);
	u64 start = seg->vaddr & ~(PAGE - 1), file_end = seg->vaddr + seg->filesz;
	u64 end = (seg->vaddr + seg->memsz + PAGE - 1) & ~(PAGE - 1), filled_end = MIN(end, (file_end + PAGE - 1) & ~(PAGE - 1));
	u64 attrs = mm_page_attrs(seg->flags); /* EXO_R/W/X are PROT_* */
	int err = map_filled(to, start, MAX(filled_end, start), seg->vaddr, file_end, file + seg->offset, attrs);
	return err ? err : map_zeroed(to, MAX(filled_end, start), end, attrs); /* the rest of bss */
}

/*
 * The boot archive: the kernel's public tables for it (owned by nobody,
 * linkable read-only by anyone), linked at the same place as in our own
 * space, one entry per 2 MiB.  Mapping its 2,048 pages one entry each was
 * two thirds of a shell pipeline's exec.
 */
static int link_archive(struct aspace *to)
{
	const u64 slot = 2ull << 20;
	for (u64 va = libos.archive & ~(slot - 1); va < libos.archive + libos.archive_size; va += slot) {
		u64 link = as_lookup_level_self(2, va);
		i64 table = link & EXO_PTE_VALID ? as_table(to, 2, va, true) : -L_ENOMEM;
		if (table < 0 || exo_pt_write((u64)table, exo_pt_index(2, va), 1, &link) < 0)
			return -L_ENOMEM;
	}
	return 0;
}

/*
 * The exec block, at the top of the new stack: argc, argv[], NULL, envp[],
 * NULL, who waits for the image, the signal mask, ignored and pending signals, the
 * file-creation mask and RLIMIT_NOFILE, the inherited descriptors, the
 * program's path (the loader loads it; an app's /proc/self/exe), the working
 * directory, then the strings, with pointers as the new program will see them.
 * It takes as many whole pages as it needs, up to ARGS_MAX (E2BIG beyond).
 */
struct exec_block {
	u8 *bytes;   /* one static page, or for more an anonymous mapping of ours (exec_block_done) */
	u64 size;    /* whole pages: it lies at [STACK_TOP - size, STACK_TOP) */
	u64 strings; /* where the next string goes */
};
#define BLOCK_MAP_PROT 3     /* PROT_READ | PROT_WRITE */
#define BLOCK_MAP_FLAGS 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */

/* The block's bytes in our space go (once copied into the new one, or on failure). */
static void exec_block_done(const struct exec_block *b)
{
	if (b->size > PAGE) {
		libos_lock(); /* the region map's (mm.c), as munmap's callers hold it */
		mm_munmap((u64)b->bytes, b->size);
		libos_unlock();
	}
}

static u64 put_string(struct exec_block *b, const char *string)
{
	u64 len = strlen(string) + 1;
	memcpy(b->bytes + b->strings, string, len); /* room counted by build_args */
	b->strings += len;
	return STACK_TOP - b->size + b->strings - len;
}

static u64 strings_bytes(char *const list[], u64 *count)
{
	u64 bytes = 0;
	for (*count = 0; list && list[*count]; (*count)++)
		bytes += strlen(list[*count]) + 1;
	return bytes;
}

static int build_args(struct exec_block *b, char *const argv[], char *const envp[], const char *program, u64 *out_sp)
{
	static u8 page[PAGE]; /* the common case: no mapping to make (a static 2 MiB would be bss every image maps) */
	u64 argc, envc, fds[FS_MAX_FDS * FS_PASS_WORDS];
	u64 nfds = fs_export(fds);
	/* counts, NULLs, parent, signals, identity, fds, the program's path, the working directory */
	u64 words_end = (12 + FS_PASS_WORDS * nfds) * 8;
	u64 text = strings_bytes(argv, &argc) + strings_bytes(envp, &envc) + strlen(program) + 1;
	u64 needed = words_end + (argc + envc) * 8 + text + 16;
	if (needed > ARGS_MAX)
		return -7; /* E2BIG */
	*b = (struct exec_block){ page, (needed + PAGE - 1) & ~(PAGE - 1), words_end + (argc + envc) * 8 };
	if (b->size > PAGE) {
		libos_lock(); /* the region map's: other threads may be mapping too */
		i64 mapped = mm_mmap(0, b->size, BLOCK_MAP_PROT, BLOCK_MAP_FLAGS, -1, 0);
		libos_unlock();
		if (mapped < 0)
			return -L_ENOMEM;
		b->bytes = (u8 *)mapped; /* zeroed */
	} else {
		memset(page, 0, PAGE);
	}
	u64 *words = (u64 *)b->bytes, at = 0;
	words[at++] = argc;
	for (int pass = 0; pass < 2; pass++) {
		char *const *list = pass ? envp : argv;
		for (u64 i = 0; i < (pass ? envc : argc); i++)
			words[at++] = put_string(b, list[i]);
		words[at++] = 0;
	}
	/* Who waits for this image to be ready (a vfork parent), the signal state kept, the descriptors. */
	words[at++] = libos_vfork_parent();
	sig_export(&words[at], &words[at + 1], &words[at + 2]);
	id_export(&words[at + 3]);
	at += 5;
	words[at++] = nfds;
	memcpy(&words[at], fds, nfds * FS_PASS_WORDS * 8);
	at += nfds * FS_PASS_WORDS;
	words[at++] = put_string(b, program);
	words[at++] = fs_cwd_export();
	*out_sp = STACK_TOP - b->size - 16;
	return 0;
}

/*
 * The block's pages at the top of the new stack, and zeroed pages below
 * them: STACK_PAGES in all for a one-page block, a page more for each page
 * more (the new image copies argv and envp's pointers below the block).
 */
static int build_stack(struct aspace *to, const struct exec_block *b)
{
	u64 bottom = STACK_TOP - b->size;
	int err = map_filled(to, bottom, STACK_TOP, bottom, STACK_TOP, b->bytes, PAGE_RW);
	return err ? err : map_zeroed(to, STACK_TOP - b->size * 2 - (STACK_PAGES - 2) * PAGE, bottom, PAGE_RW);
}

/*
 * The point of no return: the other threads end (as on Linux), the
 * descriptors are handed on, then root and registers switch at once.  The
 * switch cannot fail with what was built; if it did, the process cannot go
 * on without its descriptors.
 */
__attribute__((noreturn)) static void commit(u64 me, u64 root, const struct exo_regs *regs)
{
	libos_end_threads(me, me);
	futex_robust_release(sig_here()); /* ours too, as Linux's exec: robust locks in shared memory */
	fs_pin_exports();         /* the ends passed on stay counted for the new image */
	fs_drop_table(me, false); /* this table goes: the new image builds its own from the block */
	if (libos.env == me)
		filemap_forget_all(); /* and this address space, with its file mappings */
	sig_drop(me);
	proctab_execed(me); /* its parent may no longer move it to another group */
	exo_env_set_root_regs(me, root, regs); /* the new image tells a vfork parent when it is ready */
	libos_exit(L_SIGKILL);
}

/*
 * execve from a thread, as on Linux: every other thread ends and the new
 * image runs as the process (same pid).  The process's environment must
 * make the switch, so the thread hands it the exec (libos_exec_entry) and
 * waits to be ended with the others: the old space is freed by the new
 * image only once no thread runs in it.
 */
static struct {
	u64 root;
	struct exo_regs regs;
} handed;

__attribute__((noreturn)) static void exec_from_thread(u64 process, u64 root, const struct exo_regs *regs)
{
	handed.root = root;
	handed.regs = *regs;
	libos_redirect(process, (u64)libos_exec_entry, 0);
	for (;;) {
		struct exo_event event;
		exo_recv(&event, LIBOS_RECV, 0); /* until the process ends this thread */
	}
}

/* libos_exec_entry's C half, in the process's environment. */
void libos_exec_handed(void)
{
	if (handed.root) /* else nothing was handed over: a stray call, refused */
		commit((u64)exo_self(), handed.root, &handed.regs);
}

static i64 build_and_switch(const char *path, char *const argv[], char *const envp[]);
static i64 build_and_switch_at(const char *path, char *const argv[], char *const envp[], u32 depth);

/*
 * One exec builds at a time (the scratch mapping and the block are single):
 * a vfork child's runs under its parent's spawn lock already (the lock
 * knows).
 */
/* Every string the call names, read once: a bad pointer faults here (EFAULT) before any lock is taken. */
static void probe_strings(const char *path, char *const argv[], char *const envp[])
{
	volatile u64 sum = strlen(path);
	for (u64 i = 0; argv && argv[i]; i++)
		sum += strlen(argv[i]);
	for (u64 i = 0; envp && envp[i]; i++)
		sum += strlen(envp[i]);
	(void)sum;
}

i64 libos_execve(const char *path, char *const argv[], char *const envp[])
{
	probe_strings(path, argv, envp);
	libos_spawn_lock();
	i64 err = build_and_switch(path, argv, envp); /* only on failure, before the point of no return */
	libos_spawn_unlock();
	return err;
}

/*
 * A script ("#!interpreter [one argument]" on its first line, as Linux):
 * the interpreter runs with the argument, the script's path and the rest
 * of argv.  Under the spawn lock, so the new argv can be static; a script
 * may name a script, four deep at most (ELOOP beyond, as Linux).
 */
#define SCRIPT_LINE_MAX 256
#define SCRIPT_ARGS_MAX 256 /* on the upcall stack, one array a level: 2 KiB (bss would cost every exec its pages) */
#define SCRIPT_DEPTH_MAX 4

static i64 exec_script(const char *path, const u8 *file, u64 size, char *const argv[], char *const envp[], u32 depth)
{
	static char lines[SCRIPT_DEPTH_MAX][SCRIPT_LINE_MAX];
	char *args[SCRIPT_ARGS_MAX];
	if (depth >= SCRIPT_DEPTH_MAX)
		return -L_ELOOP;
	char *line = lines[depth];
	u64 len = 0;
	for (u64 at = 2; at < size && file[at] != '\n'; at++) {
		if (len + 1 >= SCRIPT_LINE_MAX)
			return -8; /* ENOEXEC: a line too long */
		line[len++] = file[at] == '\t' ? ' ' : (char)file[at];
	}
	line[len] = 0;
	char *interp = line;
	while (*interp == ' ')
		interp++;
	char *arg = interp;
	while (*arg && *arg != ' ')
		arg++;
	if (*arg)
		*arg++ = 0;
	while (*arg == ' ')
		arg++;
	for (char *end = arg + strlen(arg); end > arg && end[-1] == ' ';)
		*--end = 0; /* the one argument is the rest of the line, trailing blanks off */
	if (!*interp)
		return -8;
	char **out = args;
	u32 n = 0;
	out[n++] = interp;
	if (*arg)
		out[n++] = arg;
	out[n++] = (char *)path;
	for (u64 i = 1; argv && argv[0] && argv[i]; i++) {
		if (n + 1 >= SCRIPT_ARGS_MAX)
			return -7; /* E2BIG */
		out[n++] = argv[i];
	}
	out[n] = NULL;
	return build_and_switch_at(interp, out, envp, depth + 1);
}

static i64 build_and_switch(const char *path, char *const argv[], char *const envp[])
{
	return build_and_switch_at(path, argv, envp, 0);
}

static i64 build_and_switch_at(const char *path, char *const argv[], char *const envp[], u32 depth)
{
	const u8 *file;
	u64 size;
	struct elf_image image;
	const char *why;
	int err = fs_find(path, &file, &size);
	if (err)
		return err;
	if (size >= 2 && file[0] == '#' && file[1] == '!')
		return exec_script(path, file, size, argv, envp, depth);
	if (elf_load_info(file, size, libos.archive & ~(PAGE - 1), &image, &why) < 0)
		return -8; /* ENOEXEC */
	/* A program not linked with libos: the loader's image instead, which loads it (below its limit). */
	if (!image.libos) {
		const struct elf_segment *last = &image.segments[image.nsegments - 1];
		if (last->vaddr + last->memsz > LOADER_PROGRAM_LIMIT)
			return -8;
		if (fs_find(LOADER_PATH, &file, &size) < 0 ||
		    elf_load_info(file, size, libos.archive & ~(PAGE - 1), &image, &why) < 0 || !image.libos)
			return -8; /* no loader in the boot archive */
	}
	/* The block first: an argument list too long for it (E2BIG) builds nothing. */
	struct exec_block block;
	u64 sp = 0;
	err = build_args(&block, argv, envp, path, &sp);
	if (err)
		return err;
	/* A thread execs for its whole process: the image is the process's, with its pid. */
	u64 caller = (u64)exo_self(), me = libos_process_of(caller);
	struct aspace space;
	if (as_new(&space, me) < 0) {
		exec_block_done(&block);
		return -L_ENOMEM;
	}
	for (u32 i = 0; !err && i < image.nsegments; i++)
		err = exec_load_segment(&space, file, &image.segments[i]);
	if (!err)
		err = build_stack(&space, &block);
	exec_block_done(&block); /* copied, or no longer wanted */
	if (!err)
		err = link_archive(&space);
	if (!err)
		err = proctab_map_into(&space);
	if (!err && tree_map_into(&space) < 0)
		err = -L_ENOMEM;
	if (err) {
		/* What was built goes back (the pages it shares with our space stay: still mapped here). */
		libos_reclaim_space(space.root);
		return err;
	}
	struct exo_env_info info;
	exo_env_info(me, &info);
	bool own_space = libos.env == me;
	struct exo_regs regs = { .pc = image.entry, .sp = sp };
	regs.x[0] = me;
	regs.x[1] = space.root;
	regs.x[3] = libos.archive;
	regs.x[4] = libos.archive_size;
	regs.x[6] = STACK_TOP - block.size;     /* the exec block */
	regs.x[7] = own_space ? info.root : 0; /* the old space, for the new image to free */
	if (caller != me)
		exec_from_thread(me, space.root, &regs);
	commit(me, space.root, &regs);
}
