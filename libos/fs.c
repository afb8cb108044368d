/*
 * Files: the boot archive (a newc cpio, mapped read-only by the kernel) as a
 * read-only file system with one directory, and the console as fds 0-2.
 */
#include "libos/libos.h"
#include "exo/cpio.h"
#include <string.h>

#define MAX_FDS 64
#define MAX_FILES 128
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define DT_DIR 4
#define DT_REG 8
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_DIRECTORY 0200000
#define L_EROFS 30
#define L_EISDIR 21
#define L_ENOTDIR 20
#define L_EMFILE 24
#define L_ESPIPE 29

struct file {
	const char *name; /* without "./" */
	const u8 *data;
	u64 size;
};

enum fd_kind { FD_FREE, FD_CONSOLE, FD_FILE, FD_DIR };

struct fd {
	u8 kind;
	u32 file; /* FD_FILE: index in files */
	u64 offset;
};

static struct file files[MAX_FILES];
static u32 nfiles;
static struct fd fds[MAX_FDS];

void fs_init(void)
{
	u64 offset = 0;
	struct cpio_entry entry;
	while (libos.archive && nfiles < MAX_FILES &&
	       cpio_next((const void *)libos.archive, libos.archive_size, &offset, &entry) == 1) {
		if ((entry.mode & CPIO_MODE_TYPE) != CPIO_MODE_FILE)
			continue;
		const char *name = strncmp(entry.name, "./", 2) == 0 ? entry.name + 2 : entry.name;
		files[nfiles++] = (struct file){ name, entry.data, entry.size };
	}
	for (int fd = 0; fd < 3; fd++)
		fds[fd].kind = FD_CONSOLE;
}

/* "/hello", "hello", "./hello": a file; "/", ".", "": the directory. */
static int lookup(const char *path, u32 *file)
{
	while (*path == '/')
		path++;
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	if (*path == 0 || strcmp(path, ".") == 0)
		return 1;
	for (u32 i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, path) == 0) {
			*file = i;
			return 0;
		}
	return -L_ENOENT;
}

static struct fd *fd_at(i64 fd)
{
	return fd >= 0 && fd < MAX_FDS && fds[fd].kind != FD_FREE ? &fds[fd] : NULL;
}

i64 fs_open(const char *path, u64 flags)
{
	u32 file = 0;
	int found = lookup(path, &file);
	if (found < 0)
		return (flags & O_CREAT) ? -L_EROFS : found;
	if ((flags & O_ACCMODE) != 0 || (flags & O_CREAT))
		return -L_EROFS;
	if (found == 0 && (flags & O_DIRECTORY))
		return -L_ENOTDIR;
	for (i64 fd = 0; fd < MAX_FDS; fd++)
		if (fds[fd].kind == FD_FREE) {
			fds[fd] = (struct fd){ found ? FD_DIR : FD_FILE, file, 0 };
			return fd;
		}
	return -L_EMFILE;
}

i64 fs_close(i64 fd)
{
	struct fd *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	entry->kind = FD_FREE;
	return 0;
}

i64 fs_read(i64 fd, void *buf, u64 len)
{
	struct fd *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	if (entry->kind == FD_CONSOLE)
		return console_read_line(buf, len);
	if (entry->kind == FD_DIR)
		return -L_EISDIR;
	const struct file *file = &files[entry->file];
	u64 n = entry->offset < file->size ? MIN(len, file->size - entry->offset) : 0;
	memcpy(buf, file->data + entry->offset, n);
	entry->offset += n;
	return (i64)n;
}

i64 fs_write(i64 fd, const void *buf, u64 len)
{
	struct fd *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	return entry->kind == FD_CONSOLE ? console_write_all(buf, len) : -L_EBADF;
}

i64 fs_lseek(i64 fd, i64 offset, u64 whence)
{
	struct fd *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	if (entry->kind == FD_CONSOLE)
		return -L_ESPIPE;
	i64 base = whence == 0 ? 0 : whence == 1 ? (i64)entry->offset :
	           entry->kind == FD_FILE ? (i64)files[entry->file].size : (i64)nfiles;
	if (whence > 2 || base + offset < 0)
		return -L_EINVAL;
	entry->offset = (u64)(base + offset);
	return (i64)entry->offset;
}

/* struct stat as arm64 Linux lays it out (asm-generic). */
struct stat_l {
	u64 dev, ino;
	u32 mode, nlink, uid, gid;
	u64 rdev, pad1;
	i64 size;
	int32_t blksize, pad2;
	i64 blocks;
	i64 times[6];
	u32 unused[2];
};

static void fill_stat(struct stat_l *st, u8 kind, u32 file)
{
	memset(st, 0, sizeof(*st));
	st->nlink = 1;
	st->blksize = 4096;
	if (kind == FD_CONSOLE) {
		st->mode = S_IFCHR | 0620;
		st->rdev = 0x8800; /* a tty */
	} else if (kind == FD_DIR) {
		st->mode = S_IFDIR | 0555;
		st->ino = 1;
	} else {
		st->mode = S_IFREG | 0555;
		st->ino = file + 2;
		st->size = (i64)files[file].size;
		st->blocks = (st->size + 511) / 512;
	}
}

i64 fs_fstat(i64 fd, void *statbuf)
{
	struct fd *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	fill_stat(statbuf, entry->kind, entry->file);
	return 0;
}

i64 fs_stat(const char *path, void *statbuf)
{
	u32 file = 0;
	int found = lookup(path, &file);
	if (found < 0)
		return found;
	fill_stat(statbuf, found ? FD_DIR : FD_FILE, file);
	return 0;
}

/* struct linux_dirent64 records, one per file, offset = index. */
i64 fs_getdents(i64 fd, void *buf, u64 len)
{
	struct fd *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	if (entry->kind != FD_DIR)
		return -L_ENOTDIR;
	u8 *out = buf;
	u64 used = 0;
	while (entry->offset < nfiles) {
		const struct file *file = &files[entry->offset];
		u64 namelen = strlen(file->name) + 1;
		u64 reclen = (19 + namelen + 7) & ~7ull;
		if (used + reclen > len)
			return used ? (i64)used : -L_EINVAL;
		u8 *rec = out + used;
		memset(rec, 0, reclen);
		u64 ino = entry->offset + 2, next = entry->offset + 1;
		memcpy(rec, &ino, 8);
		memcpy(rec + 8, &next, 8);
		rec[16] = (u8)reclen;
		rec[17] = (u8)(reclen >> 8);
		rec[18] = DT_REG;
		memcpy(rec + 19, file->name, namelen);
		used += reclen;
		entry->offset++;
	}
	return (i64)used;
}
