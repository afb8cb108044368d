/*
 * The system calls that change the file tree or read and write at an
 * offset (fs_paths.c and fs.c do the work), and System V IPC's (sysv.c):
 * their argument conventions.
 */
#include "libos/sys_files.h"
#include "libos/libos.h"

#define INT_ARG(reg) ((i64)(i32)(reg)) /* as syscall.c's: an int's low 32 bits */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000

i64 sys_mkdirat(const u64 *a) { return fs_mkdir(INT_ARG(a[0]), (const char *)a[1], a[2]); }
i64 sys_unlinkat(const u64 *a)
{
	return a[2] & ~(u64)AT_REMOVEDIR ? -L_EINVAL : fs_unlink(INT_ARG(a[0]), (const char *)a[1], a[2]);
}
i64 sys_symlinkat(const u64 *a) { return fs_symlink((const char *)a[0], INT_ARG(a[1]), (const char *)a[2]); }
i64 sys_linkat(const u64 *a)
{
	if (a[4] & ~(u64)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -L_EINVAL;
	return fs_link(INT_ARG(a[0]), (const char *)a[1], INT_ARG(a[2]), (const char *)a[3], a[4] & AT_SYMLINK_FOLLOW);
}
i64 sys_renameat(const u64 *a) { return fs_rename(INT_ARG(a[0]), (const char *)a[1], INT_ARG(a[2]), (const char *)a[3], 0); }
i64 sys_renameat2(const u64 *a)
{
	return fs_rename(INT_ARG(a[0]), (const char *)a[1], INT_ARG(a[2]), (const char *)a[3], (u32)a[4]);
}
i64 sys_truncate(const u64 *a) { return fs_truncate((const char *)a[0], (i64)a[1]); }
i64 sys_ftruncate(const u64 *a) { return fs_ftruncate(INT_ARG(a[0]), (i64)a[1]); }
i64 sys_fsync(const u64 *a) { return fs_fsync(INT_ARG(a[0])); }
i64 sys_sync(const u64 *a) { (void)a; return 0; }
i64 sys_pread64(const u64 *a) { return fs_pio(INT_ARG(a[0]), (void *)a[1], a[2], (i64)a[3], false); }
i64 sys_pwrite64(const u64 *a) { return fs_pio(INT_ARG(a[0]), (void *)a[1], a[2], (i64)a[3], true); }
i64 sys_fchmod(const u64 *a) { return fs_chmod(INT_ARG(a[0]), NULL, a[1], 0); }
i64 sys_fchmodat(const u64 *a) { return fs_chmod(INT_ARG(a[0]), (const char *)a[1], a[2], 0); }
i64 sys_fchown(const u64 *a) { return fs_chown(INT_ARG(a[0]), NULL, 0); }
i64 sys_fchownat(const u64 *a)
{
	if (a[4] & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -L_EINVAL;
	return fs_chown(INT_ARG(a[0]), (const char *)a[1], a[4]);
}
i64 sys_utimensat(const u64 *a)
{
	if (a[3] & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -L_EINVAL;
	return fs_utimensat(INT_ARG(a[0]), (const char *)a[1], (const i64 *)a[2], a[3]);
}
i64 sys_statfs(const u64 *a)
{
	char buf[128];
	i64 err = fs_stat(AT_FDCWD, (const char *)a[0], buf, false); /* the path must name something */
	return err ? err : fs_statfs((void *)a[1]);
}
i64 sys_fstatfs(const u64 *a)
{
	char buf[128];
	i64 err = fs_fstat(INT_ARG(a[0]), buf);
	return err ? err : fs_statfs((void *)a[1]);
}
i64 sys_flock(const u64 *a) { return fs_flock(INT_ARG(a[0]), a[1]); }

/* System V IPC: keys and ids are ints, semctl's fourth argument is its union by value. */
i64 sys_shmget(const u64 *a) { return sysv_shmget((i32)a[0], a[1], (u32)a[2]); }
i64 sys_shmat(const u64 *a) { return sysv_shmat((u32)a[0], a[1], (u32)a[2]); }
i64 sys_shmdt(const u64 *a) { return sysv_shmdt(a[0]); }
i64 sys_shmctl(const u64 *a) { return sysv_shmctl((u32)a[0], (u32)a[1], (void *)a[2]); }
i64 sys_msgget(const u64 *a) { return sysv_msgget((i32)a[0], (u32)a[1]); }
i64 sys_msgsnd(const u64 *a) { return sysv_msgsnd((u32)a[0], (const void *)a[1], a[2], (u32)a[3]); }
i64 sys_msgrcv(const u64 *a) { return sysv_msgrcv((u32)a[0], (void *)a[1], a[2], (i64)a[3], (u32)a[4]); }
i64 sys_msgctl(const u64 *a) { return sysv_msgctl((u32)a[0], (u32)a[1], (void *)a[2]); }
i64 sys_semget(const u64 *a) { return sysv_semget((i32)a[0], (u64)INT_ARG(a[1]), (u32)a[2]); }
i64 sys_semop(const u64 *a) { return sysv_semop((u32)a[0], (const void *)a[1], a[2], NULL); }
i64 sys_semtimedop(const u64 *a) { return sysv_semop((u32)a[0], (const void *)a[1], a[2], (const void *)a[3]); }
i64 sys_semctl(const u64 *a) { return sysv_semctl((u32)a[0], (u32)a[1], (u32)a[2], a[3]); }
