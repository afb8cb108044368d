/*
 * Start-up: upcalls first, then memory, then the initial stack musl's
 * _start expects (argc, argv, envp, auxv), as Linux would build it.
 */
#include "libos/tree.h"
#include "libos/libos.h"
#include "libos/proctab.h"
#include "libos/fork/fork.h"
#include <string.h>

struct libos libos;
/* musl's entry in an app; absent (weak, 0) in the loader, which starts the program it loads instead. */
void _start(void) __attribute__((weak));
u64 libos_program_entry; /* where start.S goes once the initial stack is built */
extern const char __ehdr_start[]; /* the ELF header, which the first segment maps */
extern char _end[];

#define UPCALL_STACK_TOP LIBOS_UPCALL_STACK_TOP
_Static_assert(UPCALL_STACK_TOP % UPCALL_TOP_ALIGN == 0, "libos_upcall_top");
#define MAX_ARGS 256

/* Linux auxiliary vector keys. */
enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_ENTRY = 9,
       AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17,
       AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51 };
#define MINSIGSTKSZ_L 5120 /* Linux's arm64 signal frame with FP/SIMD state, rounded up: what sigframe.c writes */
#define HWCAP_FP 1
#define HWCAP_ASIMD 2

void as_self(struct aspace *as) { *as = libos.self; }

static u64 counter_now(void)
{
	u64 value;
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(value));
	return value;
}

int libos_safe_init(void)
{
	return as_lookup_self(LIBOS_SAFE_VA) & EXO_PTE_VALID || as_map_fresh(&libos.self, LIBOS_SAFE_VA) ? 0 : -1;
}

/* Our own loadable segments, as exec mapped them, become regions with their rights. */
static void add_image_regions(void)
{
	const u8 *ehdr = (const u8 *)__ehdr_start;
	u64 phoff = ((const u64 *)ehdr)[4];
	u16 phnum = ((const u16 *)ehdr)[28];
	for (u16 i = 0; i < phnum; i++) {
		const u8 *phdr = ehdr + phoff + i * 56u;
		u32 type = ((const u32 *)phdr)[0], flags = ((const u32 *)phdr)[1];
		u64 vaddr = ((const u64 *)phdr)[2], memsz = ((const u64 *)phdr)[5];
		if (type != 1 /* PT_LOAD */ || memsz == 0)
			continue;
		u32 prot = (flags & 4 ? EXO_R : 0) | (flags & 2 ? EXO_W : 0) | (flags & 1 ? EXO_X : 0);
		mm_add_image(vaddr & ~4095ull, (vaddr + memsz + 4095) & ~4095ull, prot);
	}
}

/* Alerts (a kill) are held until start-up has taken over the descriptors: then it can end cleanly. */
static void init_upcalls(u64 held)
{
	if (mm_map_stack(UPCALL_STACK_TOP, UPCALL_PAGES) < 0)
		libos_exit(127);
	exo_env_set_upcalls(libos.env, (u64)libos_fault_entry, (u64)libos_syscall_entry, UPCALL_STACK_TOP,
	                    LIBOS_UPCALL_FLAGS | held);
}

/*
 * The command line: init=NAME for the program; words NAME=VALUE starting
 * with a capital letter are its environment; words after "--" its arguments.
 */
struct words {
	char **argv, **envp; /* the command line's arrays below, or the exec block's own, whatever their length */
	u64 argc, envc;
};
static char *cmdline_argv[MAX_ARGS + 1], *cmdline_envp[MAX_ARGS + 1];

static char cmdline_copy[512];

static void split_cmdline(struct words *words)
{
	words->argv = cmdline_argv;
	words->envp = cmdline_envp;
	for (u32 i = 0; i < sizeof(cmdline_copy) - 1 && libos.cmdline[i]; i++)
		cmdline_copy[i] = libos.cmdline[i];
	bool args = false;
	for (char *at = cmdline_copy; *at;) {
		while (*at == ' ')
			*at++ = 0;
		if (!*at)
			break;
		char *word = at;
		while (*at && *at != ' ')
			at++;
		if (*at)
			*at++ = 0;
		if (strcmp(word, "--") == 0)
			args = true;
		else if (args && words->argc < MAX_ARGS)
			words->argv[words->argc++] = word;
		else if (!args && strncmp(word, "init=", 5) == 0 && words->argc == 0)
			words->argv[words->argc++] = word + 5;
		else if (!args && word[0] >= 'A' && word[0] <= 'Z' && strchr(word, '=') && words->envc < MAX_ARGS)
			words->envp[words->envc++] = word;
	}
}

/* The program the initial stack describes: the app itself, or the one the loader loaded. */
static struct loaded_program program;
static const char *program_path; /* AT_EXECFN: as execve was given it */
static char exe_path[TREE_PATH_MAX]; /* the same from the root: /proc/self/exe */

const char *libos_exe_path(void) { return exe_path; }

static void set_exe_path(void)
{
	if (fs_real_path(program_path, exe_path, sizeof(exe_path)) < 0)
		exe_path[0] = 0; /* an app whose file is gone (the archive never changes: not reached) */
}

/* Strings at the top, then the vectors below them, 16-byte aligned. */
static u64 *push_stack(u64 sp, const struct words *words)
{
	char *strings = (char *)(sp - 1024);
	u64 *auxv_random = (u64 *)(strings - 32);
	auxv_random[0] = counter_now() * 0x9e3779b97f4a7c15ull;
	auxv_random[1] = auxv_random[0] ^ (u64)libos.env << 32;
	char *platform = (char *)(auxv_random + 2);
	memcpy(platform, "aarch64", 8);
	u64 auxv[][2] = {
		{ AT_PHDR, program.phdr }, { AT_PHENT, 56 }, { AT_PHNUM, program.phnum },
		{ AT_PAGESZ, 4096 }, { AT_BASE, 0 }, { AT_ENTRY, program.entry }, { AT_UID, 0 }, { AT_EUID, 0 },
		{ AT_GID, 0 }, { AT_EGID, 0 }, { AT_PLATFORM, (u64)platform }, { AT_HWCAP, HWCAP_FP | HWCAP_ASIMD },
		{ AT_HWCAP2, 0 }, { AT_CLKTCK, 100 }, { AT_SECURE, 0 }, { AT_RANDOM, (u64)auxv_random },
		{ AT_EXECFN, (u64)program_path }, { AT_MINSIGSTKSZ, MINSIGSTKSZ_L }, { AT_NULL, 0 },
	};
	u64 slots = 1 + words->argc + 1 + words->envc + 1 + 2 * ARRAY_LEN(auxv);
	u64 *stack = (u64 *)(((u64)auxv_random - slots * 8) & ~15ull);
	u64 *at = stack;
	*at++ = words->argc;
	for (u64 i = 0; i < words->argc; i++)
		*at++ = (u64)words->argv[i];
	*at++ = 0;
	for (u64 i = 0; i < words->envc; i++)
		*at++ = (u64)words->envp[i];
	*at++ = 0;
	memcpy(at, auxv, sizeof(auxv));
	return stack;
}

/* After exec: the arguments the caller passed, from the exec block (exec.c); who waits for us. */
static u64 words_from_block(struct words *words, const u64 *block, const char **path)
{
	u64 at = 1;
	words->argc = block[0];
	words->argv = (char **)&block[at];
	at = 1 + block[0] + 1;
	words->envp = (char **)&block[at];
	while (block[at])
		at++;
	words->envc = (u64)(&block[at] - (const u64 *)words->envp);
	sig_init(block[at + 2], block[at + 3]);
	sig_keep_pending(block[at + 4]);
	id_import(&block[at + 5]);
	fs_import(&block[at + 8], block[at + 7]);
	*path = (const char *)block[at + 8 + FS_PASS_WORDS * block[at + 7]];
	fs_cwd_import(block[at + 9 + FS_PASS_WORDS * block[at + 7]]);
	return block[at + 1];
}

/*
 * An app starts itself (musl's _start, its own headers).  The loader loads
 * the program it was started for, whose end is where brk begins; a
 * program it cannot load ends the process as Linux's failed exec would
 * (after the point of no return: SIGKILL's status; as init: 127).
 */
static void start_program(bool after_exec)
{
	if (_start) {
		const u8 *ehdr = (const u8 *)__ehdr_start;
		program = (struct loaded_program){ .entry = (u64)_start, .phdr = (u64)ehdr + ((const u64 *)ehdr)[4],
			                           .phnum = ((const u16 *)ehdr)[28] };
		program_path = program_path ? program_path : "";
	} else {
		if (!program_path || loader_load(program_path, &program) < 0)
			libos_exit(after_exec ? L_SIGKILL : 127 << 8);
		mm_move_heap(program.end);
	}
	set_exe_path();
	libos_program_entry = program.entry;
}

/*
 * The pool of file pages the first process gives the file tree: EXO_TMPFS_KIB
 * on the command line, else TREE_POOL_DEFAULT pages; at most a quarter of
 * the memory it may use.
 */
static u64 tmpfs_pages(void)
{
	const char *at = libos.cmdline;
	while (*at && strncmp(at, "EXO_TMPFS_KIB=", 14) != 0)
		at++;
	at = *at ? at : NULL;
	u64 pages = TREE_POOL_DEFAULT;
	if (at) {
		pages = 0;
		for (at += 14; *at >= '0' && *at <= '9'; at++)
			pages = pages * 10 + (u64)(*at - '0');
		pages = (pages + 3) / 4;
	}
	struct exo_env_info info;
	if (exo_env_info(libos.env, &info) == 0 && info.quota > info.used)
		pages = MIN(pages, (info.quota - info.used) / 4);
	return MIN(pages, (u64)TREE_POOL_MAX);
}

u64 libos_init(u64 env, u64 root, const char *cmdline, u64 archive, u64 archive_size, u64 sp,
               const u64 *exec_block, u64 old_root);
u64 libos_init(u64 env, u64 root, const char *cmdline, u64 archive, u64 archive_size, u64 sp,
               const u64 *exec_block, u64 old_root)
{
	libos = (struct libos){ .env = env, .root = root, .archive = archive, .archive_size = archive_size,
		                .cmdline = cmdline ? cmdline : "" };
	as_self_of(&libos.self, env, root);
	if (libos_safe_init() < 0)
		libos_exit(127);
	init_upcalls(EXO_UPCALL_HOLD_ALERTS);
	mm_init(((u64)_end + 4095) & ~4095ull);
	add_image_regions();
	fs_init(exec_block ? 0 : tmpfs_pages());
	if (proctab_init() < 0)
		libos_exit(127);
	static struct words words;
	u64 waiting_parent = 0;
	if (exec_block)
		waiting_parent = words_from_block(&words, exec_block, &program_path); /* maps inherited pipes before... */
	else
		split_cmdline(&words), sig_init(0, 0), program_path = words.argv[0];
	if (old_root)
		libos_reclaim_space(old_root); /* ...the old space (which may own them) is freed */
	start_program(exec_block != NULL);
	init_upcalls(0); /* ready: a kill may come now */
	libos_vfork_ready(waiting_parent);
	for (u64 i = 0; i < words.envc; i++) {
		if (strcmp(words.envp[i], "EXO_STRACE=1") == 0)
			libos_strace = true;
		if (strcmp(words.envp[i], "EXO_FORKSTAT=1") == 0)
			fork_stat = true;
		if (strncmp(words.envp[i], "EXO_FORK=", 9) == 0 && fork_choose_default(words.envp[i] + 9) < 0) {
			char names[64];
			fork_list_variants(names, sizeof(names));
			libos_report("libos: EXO_FORK=%s: no such fork variant (there are: %s)\n", words.envp[i] + 9, names);
			libos_exit(127 << 8);
		}
	}
	return (u64)push_stack(exec_block ? (u64)exec_block : sp, &words);
}
