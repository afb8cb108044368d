/* The file tree's system calls (sys_files.c), for syscall.c's table. */
#ifndef LIBOS_SYS_FILES_H
#define LIBOS_SYS_FILES_H

#include "exo/types.h"

enum {
	SYS_mkdirat = 34, SYS_unlinkat = 35, SYS_symlinkat = 36, SYS_linkat = 37, SYS_renameat = 38,
	SYS_statfs = 43, SYS_fstatfs = 44, SYS_truncate = 45, SYS_ftruncate = 46, SYS_fchmod = 52,
	SYS_fchmodat = 53, SYS_fchownat = 54, SYS_fchown = 55, SYS_pread64 = 67, SYS_pwrite64 = 68,
	SYS_sync = 81, SYS_fsync = 82, SYS_fdatasync = 83, SYS_utimensat = 88, SYS_renameat2 = 276, SYS_flock = 32,
};

i64 sys_mkdirat(const u64 *a);
i64 sys_unlinkat(const u64 *a);
i64 sys_symlinkat(const u64 *a);
i64 sys_linkat(const u64 *a);
i64 sys_renameat(const u64 *a);
i64 sys_renameat2(const u64 *a);
i64 sys_truncate(const u64 *a);
i64 sys_ftruncate(const u64 *a);
i64 sys_fsync(const u64 *a);
i64 sys_sync(const u64 *a);
i64 sys_pread64(const u64 *a);
i64 sys_pwrite64(const u64 *a);
i64 sys_fchmod(const u64 *a);
i64 sys_fchmodat(const u64 *a);
i64 sys_fchown(const u64 *a);
i64 sys_fchownat(const u64 *a);
i64 sys_utimensat(const u64 *a);
i64 sys_statfs(const u64 *a);
i64 sys_fstatfs(const u64 *a);
i64 sys_flock(const u64 *a);

#define SYS_FILES_TABLE                                                                                          \
	[SYS_mkdirat] = sys_mkdirat, [SYS_unlinkat] = sys_unlinkat, [SYS_symlinkat] = sys_symlinkat,               \
	[SYS_linkat] = sys_linkat, [SYS_renameat] = sys_renameat, [SYS_renameat2] = sys_renameat2,                 \
	[SYS_truncate] = sys_truncate, [SYS_ftruncate] = sys_ftruncate, [SYS_fsync] = sys_fsync,                   \
	[SYS_fdatasync] = sys_fsync, [SYS_sync] = sys_sync, [SYS_pread64] = sys_pread64,                           \
	[SYS_pwrite64] = sys_pwrite64, [SYS_fchmod] = sys_fchmod, [SYS_fchmodat] = sys_fchmodat,                   \
	[SYS_fchown] = sys_fchown, [SYS_fchownat] = sys_fchownat, [SYS_utimensat] = sys_utimensat,                 \
	[SYS_statfs] = sys_statfs, [SYS_fstatfs] = sys_fstatfs, [SYS_flock] = sys_flock,

#endif
