/*
 * What fs.c (descriptors, reads and writes) and fs_paths.c (the calls that
 * take a path, stat, getdents) share.
 */
#ifndef LIBOS_FS_INTERNAL_H
#define LIBOS_FS_INTERNAL_H

#include "libos/libos.h"
#include "libos/tree.h"

#define AT_FDCWD (-100)
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 040000 /* arm64's (asm/fcntl.h), not the generic 0200000 */
#define O_NOFOLLOW 0100000 /* arm64's */
#define O_CLOEXEC 02000000
#define O_PATH 010000000

enum open_kind { OPEN_FREE, OPEN_CONSOLE, OPEN_FILE, OPEN_DIR, OPEN_PIPE, OPEN_DEV };

/*
 * An open file of this process (what dup shares).  A file or directory's
 * offset and flags are in its shared description (tree.h's struct ofd),
 * which fork and exec keep shared between processes; this record counts
 * once in the description's refs however many descriptors name it.
 */
struct open_file {
	u8 kind;
	bool write_end; /* pipes */
	u32 refs;
	u32 node; /* OPEN_FILE, OPEN_DIR, OPEN_DEV: the tree's node */
	u32 ofd;  /* OPEN_FILE, OPEN_DIR: the shared description */
	u32 name; /* the directory entry it was opened by (a hint for /proc/self/fd: it may have moved since) */
	struct pipe *pipe; /* pipe.c maps it */
	u64 pipe_frame;
};

struct open_file *fs_fd(i64 fd);
i64 fs_fd_named(const char *path); /* N for /proc/self/fd/N and /dev/fd/N, else -1 */
i64 fs_fd_entry(const struct walk_end *end); /* N for a walk that ended at "N" in /proc/self/fd, else -1 */
struct open_file *fs_new_open(u8 kind);
void fs_drop_open(struct open_file *open);
i64 fs_install(struct open_file *open, bool cloexec);
u32 fs_cwd(void);
void fs_set_cwd(u32 dir);
/* The walk from dirfd (AT_FDCWD or an open directory): 0 or an errno.  Under the tree lock. */
int fs_walk(i64 dirfd, const char *path, u32 flags, struct walk_end *end);

#endif
