/* The file tree's and System V IPC's system calls (sys_files.c), for syscall.c's table. */
#ifndef LIBOS_SYS_FILES_H
#define LIBOS_SYS_FILES_H

#include "exo/types.h"

enum {
	SYS_mkdirat = 34, SYS_unlinkat = 35, SYS_symlinkat = 36, SYS_linkat = 37, SYS_renameat = 38,
	SYS_statfs = 43, SYS_fstatfs = 44, SYS_truncate = 45, SYS_ftruncate = 46, SYS_fchmod = 52,
	SYS_fchmodat = 53, SYS_fchownat = 54, SYS_fchown = 55, SYS_pread64 = 67, SYS_pwrite64 = 68,
	SYS_sync = 81, SYS_fsync = 82, SYS_fdatasync = 83, SYS_utimensat = 88, SYS_renameat2 = 276, SYS_flock = 32,
	SYS_msgget = 186, SYS_msgctl = 187, SYS_msgrcv = 188, SYS_msgsnd = 189, SYS_semget = 190, SYS_semctl = 191,
	SYS_semtimedop = 192, SYS_semop = 193, SYS_shmget = 194, SYS_shmctl = 195, SYS_shmat = 196, SYS_shmdt = 197,
};

/* System V IPC (sysv.c). */
i64 sysv_shmget(i32 key, u64 size, u64 flags);
i64 sysv_shmat(u64 id, u64 addr, u64 flags);
i64 sysv_shmdt(u64 addr);
i64 sysv_shmctl(u64 id, u64 cmd, void *buf);
i64 sysv_msgget(i32 key, u64 flags);
i64 sysv_msgsnd(u64 id, const void *msgp, u64 len, u64 flags);
i64 sysv_msgrcv(u64 id, void *msgp, u64 size, i64 type, u64 flags);
i64 sysv_msgctl(u64 id, u64 cmd, void *buf);
i64 sysv_semget(i32 key, u64 nsems, u64 flags);
i64 sysv_semop(u64 id, const void *sops, u64 nops, const void *timeout); /* timeout: NULL, or a timespec */
i64 sysv_semctl(u64 id, u64 num, u64 cmd, u64 arg);
i64 sys_shmget(const u64 *a);
i64 sys_shmat(const u64 *a);
i64 sys_shmdt(const u64 *a);
i64 sys_shmctl(const u64 *a);
i64 sys_msgget(const u64 *a);
i64 sys_msgsnd(const u64 *a);
i64 sys_msgrcv(const u64 *a);
i64 sys_msgctl(const u64 *a);
i64 sys_semget(const u64 *a);
i64 sys_semop(const u64 *a);
i64 sys_semtimedop(const u64 *a);
i64 sys_semctl(const u64 *a);

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
	[SYS_statfs] = sys_statfs, [SYS_fstatfs] = sys_fstatfs, [SYS_flock] = sys_flock,                          \
	[SYS_shmget] = sys_shmget, [SYS_shmat] = sys_shmat, [SYS_shmdt] = sys_shmdt, [SYS_shmctl] = sys_shmctl,    \
	[SYS_msgget] = sys_msgget, [SYS_msgsnd] = sys_msgsnd, [SYS_msgrcv] = sys_msgrcv, [SYS_msgctl] = sys_msgctl,\
	[SYS_semget] = sys_semget, [SYS_semop] = sys_semop, [SYS_semtimedop] = sys_semtimedop,                     \
	[SYS_semctl] = sys_semctl,

#endif
