/*
 * EXO_STRACE=1 in a program's environment: every emulated system call is
 * printed with its decoded arguments and result, as strace would.
 */
#include "libos/libos.h"
#include "exo/printk.h"
#include <string.h>

bool libos_strace;

enum arg { NONE, INT, HEX, STR, BUF, PTR };

struct call_info {
	const char *name;
	u8 args[4];
};

/* Linux arm64 numbers; arguments shown with the kind that reads best. */
static const struct call_info infos[] = {
	[17] = { "getcwd", { PTR, INT } },
	[23] = { "dup", { INT } },
	[24] = { "dup3", { INT, INT, HEX } },
	[25] = { "fcntl", { INT, INT, HEX } },
	[29] = { "ioctl", { INT, HEX, PTR } },
	[49] = { "chdir", { STR } },
	[56] = { "openat", { INT, STR, HEX } },
	[57] = { "close", { INT } },
	[59] = { "pipe2", { PTR, HEX } },
	[61] = { "getdents64", { INT, PTR, INT } },
	[62] = { "lseek", { INT, INT, INT } },
	[63] = { "read", { INT, PTR, INT } },
	[64] = { "write", { INT, BUF, INT } },
	[65] = { "readv", { INT, PTR, INT } },
	[66] = { "writev", { INT, PTR, INT } },
	[79] = { "newfstatat", { INT, STR, PTR, HEX } },
	[80] = { "fstat", { INT, PTR } },
	[93] = { "exit", { INT } },
	[94] = { "exit_group", { INT } },
	[96] = { "set_tid_address", { PTR } },
	[98] = { "futex", { PTR, INT, INT, PTR } },
	[101] = { "nanosleep", { PTR, PTR } },
	[113] = { "clock_gettime", { INT, PTR } },
	[124] = { "sched_yield", { NONE } },
	[129] = { "kill", { INT, INT } },
	[134] = { "rt_sigaction", { INT, PTR, PTR } },
	[135] = { "rt_sigprocmask", { INT, PTR, PTR } },
	[160] = { "uname", { PTR } },
	[172] = { "getpid", { NONE } },
	[173] = { "getppid", { NONE } },
	[178] = { "gettid", { NONE } },
	[214] = { "brk", { HEX } },
	[215] = { "munmap", { HEX, INT } },
	[220] = { "clone", { HEX, PTR, PTR, PTR } },
	[221] = { "execve", { STR, PTR, PTR } },
	[222] = { "mmap", { HEX, INT, HEX, HEX } },
	[226] = { "mprotect", { HEX, INT, HEX } },
	[233] = { "madvise", { HEX, INT, INT } },
	[260] = { "wait4", { INT, PTR, HEX, PTR } },
	[278] = { "getrandom", { PTR, INT, HEX } },
};

static u32 put_arg(char *out, u32 size, u8 kind, u64 value, u64 length)
{
	if (kind == INT)
		return (u32)ksnprintf(out, size, "%ld", (i64)value);
	if (kind == HEX || kind == PTR)
		return (u32)ksnprintf(out, size, "0x%lx", value);
	/* A string, or the start of a buffer, shown printable. */
	const char *text = (const char *)value;
	u32 at = (u32)ksnprintf(out, size, "\"");
	u64 limit = kind == STR ? 48 : MIN(length, (u64)32);
	for (u64 i = 0; i < limit && text && (kind == BUF || text[i]) && at + 4 < size; i++) {
		char ch = text[i];
		if (ch == '\n')
			out[at++] = '\\', out[at++] = 'n';
		else
			out[at++] = ch >= ' ' && ch < 127 ? ch : '.';
	}
	return at + (u32)ksnprintf(out + at, size - at, "%s\"", kind == BUF && length > 32 ? "..." : "");
}

/* Linux errno names, as strace prints a failed call. */
static const char *const errno_names[] = {
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [7] = "E2BIG", [8] = "ENOEXEC",
	[9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES",
	[14] = "EFAULT", [17] = "EEXIST", [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL",
	[24] = "EMFILE", [25] = "ENOTTY", [29] = "ESPIPE", [30] = "EROFS", [32] = "EPIPE",
	[34] = "ERANGE", [38] = "ENOSYS", [110] = "ETIMEDOUT",
};

void libos_strace_call(const struct exo_upcall *up, i64 result)
{
	u64 number = up->regs.x[8];
	const struct call_info *info = number < ARRAY_LEN(infos) ? &infos[number] : NULL;
	char line[256];
	u32 at = (u32)ksnprintf(line, sizeof(line), "[pid %ld] ", exo_self());
	if (!info || !info->name) {
		at += (u32)ksnprintf(line + at, sizeof(line) - at, "syscall_%lu(...)", number);
	} else {
		at += (u32)ksnprintf(line + at, sizeof(line) - at, "%s(", info->name);
		for (u32 i = 0; i < 4 && info->args[i] != NONE && at < sizeof(line) - 8; i++) {
			if (i)
				at += (u32)ksnprintf(line + at, sizeof(line) - at, ", ");
			at += put_arg(line + at, sizeof(line) - at, info->args[i], up->regs.x[i], up->regs.x[2]);
		}
		at += (u32)ksnprintf(line + at, sizeof(line) - at, ")");
	}
	const char *name = result < 0 && -result < (i64)ARRAY_LEN(errno_names) ? errno_names[-result] : NULL;
	if (name)
		ksnprintf(line + at, sizeof(line) - at, " = -1 %s\n", name);
	else
		ksnprintf(line + at, sizeof(line) - at, " = %ld\n", result);
	console_write_all(line, strlen(line));
}
