/*
 * The calls that take a path (or name a node through a descriptor): the
 * working directory, stat, access, readlink, getdents, and the calls that
 * change the tree (mkdir, unlink, rmdir, rename, link, symlink, chmod,
 * utimensat, truncate).  Each walks and acts under the tree lock, so
 * another process's change comes wholly before or after it.
 */
#include "libos/fs_internal.h"
#include "libos/file.h"
#include <string.h>

#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFLNK 0120000
#define AT_REMOVEDIR 0x200
#define L_EXDEV 18
#define L_ENOTEMPTY 39
#define L_EBUSY 16
#define DT_DIR 4
#define DT_LNK 10

/* Under both locks: a walk from dirfd, and the call's work on what it found. */
#define TREE_CALL() HOLD_LIBOS_LOCK(); tree_lock()
#define TREE_DONE(value) do { i64 done_ = (value); tree_unlock(); return done_; } while (0)

static const struct node *dir_node(u32 node)
{
	const struct node *found = tree_node(node);
	return found && found->type == NODE_DIR ? found : NULL;
}

i64 fs_chdir(const char *path)
{
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(AT_FDCWD, path, 0, &end);
	if (!err && !dir_node(end.node))
		err = -L_ENOTDIR;
	if (!err)
		fs_set_cwd(end.node);
	TREE_DONE(err);
}

i64 fs_fchdir(i64 fd)
{
	TREE_CALL();
	struct open_file *open = fs_fd(fd);
	if (!open)
		TREE_DONE(-L_EBADF);
	if (open->kind != OPEN_DIR)
		TREE_DONE(-L_ENOTDIR);
	fs_set_cwd(open->node);
	TREE_DONE(0);
}

i64 fs_getcwd(char *buf, u64 size)
{
	TREE_CALL();
	char path[TREE_PATH_MAX];
	u64 len = tree_dir_path(fs_cwd(), path, sizeof(path));
	tree_unlock();
	if (!len)
		return -L_ENOENT; /* removed since (a path too long for TREE_PATH_MAX cannot be made) */
	if (len > size)
		return -L_ERANGE;
	memcpy(buf, path, len);
	return (i64)len;
}

/* Across exec: the node and its generation (0 if removed: the new image starts at the root). */
u64 fs_cwd_export(void)
{
	TREE_CALL();
	u32 dir = fs_cwd();
	u64 word = dir ? (u64)tree_node(dir)->generation << 32 | dir : 0;
	TREE_DONE((i64)word);
}

void fs_cwd_import(u64 word)
{
	TREE_CALL();
	u32 node = (u32)word;
	const struct node *dir = dir_node(node);
	fs_set_cwd(dir && dir->generation == (u32)(word >> 32) ? node : TREE_ROOT); /* exec: the new image's only table */
	tree_unlock();
}

/*
 * What a descriptor's entry in /proc/self/fd links to: the path its file
 * was opened by (if still its name), a pipe's name, the console.  Its
 * length with the terminator.  Under the tree lock.
 */
static u64 open_file_path(const struct open_file *open, char path[TREE_PATH_MAX])
{
	u64 len = 0;
	if (open->kind == OPEN_DIR) {
		len = tree_dir_path(open->node, path, TREE_PATH_MAX);
	} else if ((open->kind == OPEN_FILE || open->kind == OPEN_DEV) && tree_dentry_node(open->name) == open->node) {
		len = tree_dir_path(tree_dentry_dir(open->name), path, TREE_PATH_MAX - TREE_NAME_MAX - 2);
		u32 name_len;
		const char *name = tree_dentry_name(open->name, &name_len);
		if (len) {
			len -= len == 2 ? 1 : 0; /* "/" + name, not "//" + name */
			path[len - 1] = '/';
			memcpy(path + len, name, name_len);
			len += name_len + 1;
			path[len - 1] = 0;
		}
	}
	if (!len) {
		const char *kind = open->kind == OPEN_CONSOLE ? "/dev/console" : open->kind == OPEN_PIPE ? "pipe:" : "(deleted)";
		len = strlen(kind) + 1;
		memcpy(path, kind, len);
	}
	return len;
}

/* readlink's answer from a path of len bytes with its terminator: as many as fit in size, no terminator. */
static i64 give_link(char *buf, u64 size, const char *path, u64 len)
{
	u64 n = MIN(size, len - 1);
	memcpy(buf, path, n);
	return (i64)n;
}

i64 fs_readlink(i64 dirfd, const char *path, char *buf, u64 size)
{
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(dirfd, path, WALK_MISSING_OK | WALK_NOFOLLOW, &end);
	i64 descriptor = err ? -1 : fs_fd_entry(&end); /* "3" in /proc/self/fd, named relative to it */
	if (descriptor >= 0) {
		char target[TREE_PATH_MAX];
		u64 len = open_file_path(fs_fd(descriptor), target);
		tree_unlock();
		return give_link(buf, size, target, len);
	}
	if (err || !end.node)
		TREE_DONE(err ? err : -L_ENOENT);
	const struct node *link = tree_node(end.node);
	const u8 *target = link->type == NODE_LINK ? file_link_target(link) : NULL;
	if (!target)
		TREE_DONE(-L_EINVAL);
	u64 n = MIN(size, link->size);
	memcpy(buf, target, n);
	TREE_DONE((i64)n);
}

/* faccessat, as root: R_OK and W_OK always; X_OK if anyone may execute (or search) it. */
i64 fs_access(i64 dirfd, const char *path, u64 mode, bool nofollow)
{
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(dirfd, path, nofollow ? WALK_NOFOLLOW : 0, &end);
	const struct node *node = err ? NULL : tree_node(end.node);
	if (node && (mode & 1) && node->type == NODE_FILE && !(node->perm & 0111))
		err = -L_EACCES;
	TREE_DONE(err);
}

/* The path from the root of what path names, links resolved ("/bin/sh" -> "/bin/busybox"): /proc/self/exe. */
i64 fs_real_path(const char *path, char *buf, u64 size)
{
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(AT_FDCWD, path, 0, &end);
	if (err)
		TREE_DONE(err);
	if (!end.dentry) /* a directory named by "." or "..", or the root */
		TREE_DONE(tree_dir_path(end.node, buf, size) ? 0 : -L_ENAMETOOLONG);
	u64 len = tree_dir_path(end.dir, buf, size);
	u32 name_len;
	const char *name = tree_dentry_name(end.dentry, &name_len);
	bool root = len == 2;
	if (!len || len + name_len + !root > size)
		TREE_DONE(-L_ENAMETOOLONG);
	char *at = buf + len - 1;
	if (!root)
		*at++ = '/';
	memcpy(at, name, name_len);
	at[name_len] = 0;
	TREE_DONE(0);
}

/* A program's bytes for exec: one run (the archive's, or the file's pages mapped side by side), or an errno. */
int fs_find(const char *path, const u8 **data, u64 *size)
{
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(AT_FDCWD, path, 0, &end);
	struct node *file = err ? NULL : tree_node(end.node);
	if (file && (file->type != NODE_FILE || !(file->perm & 0111)))
		err = -L_EACCES; /* as Linux's execve of a directory or of a file nobody may execute */
	else if (file && !(*data = file_contiguous(file)) && !(*data = file_view(file)))
		err = -L_ENOMEM; /* written since start-up, and larger than the view (or no memory) */
	else if (file)
		*size = file->size;
	TREE_DONE(err);
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

static void put_time(i64 *at, i64 ns)
{
	at[0] = ns / 1000000000;
	at[1] = ns % 1000000000;
}

static void fill_stat(struct stat_l *st, u8 kind, u32 number)
{
	memset(st, 0, sizeof(*st));
	st->nlink = 1;
	st->blksize = 4096;
	st->dev = 1;
	const struct node *node = kind == OPEN_PIPE || kind == OPEN_CONSOLE ? NULL : tree_node(number);
	if (kind == OPEN_PIPE) {
		st->mode = 0010000 | 0600; /* S_IFIFO */
	} else if (kind == OPEN_CONSOLE) {
		st->mode = S_IFCHR | 0620;
		st->rdev = 0x8800; /* a tty */
	} else if (node) {
		static const u32 type_bits[] = { [NODE_DIR] = S_IFDIR, [NODE_FILE] = S_IFREG, [NODE_LINK] = S_IFLNK,
			                         [NODE_DEV] = S_IFCHR, [NODE_FREE] = 0 };
		st->mode = type_bits[node->type % 5] | node->perm;
		st->ino = number;
		st->nlink = node->nlink;
		put_time(&st->times[0], node->mtime); /* atime: as mtime (nothing records reads) */
		put_time(&st->times[2], node->mtime);
		put_time(&st->times[4], node->ctime);
		if (node->type == NODE_DEV) {
			st->rdev = node->size; /* a device's node holds its number, not a size */
			return;
		}
		st->size = node->type == NODE_DIR ? 4096 : (i64)node->size;
		st->blocks = (st->size + 511) / 512;
	}
}

i64 fs_fstat(i64 fd, void *statbuf)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fs_fd(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind == OPEN_PIPE || open->kind == OPEN_CONSOLE) {
		fill_stat(statbuf, open->kind, 0); /* nothing of the tree's: its records stay unmapped in a child */
		return 0;
	}
	tree_lock();
	fill_stat(statbuf, open->kind, open->node);
	TREE_DONE(0);
}

/* O_RDONLY, O_WRONLY or O_RDWR: how descriptor open was opened.  Under the tree lock. */
static u32 access_of(const struct open_file *open)
{
	if (open->kind == OPEN_PIPE)
		return open->write_end ? 1 : 0;
	const struct ofd *shared = open->kind == OPEN_FILE || open->kind == OPEN_DIR ? tree_ofd(open->ofd) : NULL;
	return shared ? shared->flags & O_ACCMODE : 2; /* the console and devices: both ways */
}

/*
 * lstat of descriptor fd's entry in /proc/self/fd: a link (so find and ls
 * -l do not go through it), with the rights its access gives, as Linux's
 * (r-x for reading, -wx for writing), and Linux's size of 64.
 */
static void fill_link_stat(struct stat_l *st, i64 fd, const struct open_file *open)
{
	fill_stat(st, OPEN_PIPE, 0);
	u32 access = access_of(open);
	st->mode = S_IFLNK | (access != 1 ? 0500 : 0) | (access != 0 ? 0300 : 0);
	st->ino = 1ull << 32 | (u64)fd; /* as its listing says */
	st->size = 64;
}

/* stat (lstat if nofollow) of what path names, or of a descriptor's entry in /proc/self/fd (ENOENT if not open). */
i64 fs_stat(i64 dirfd, const char *path, void *statbuf, bool nofollow)
{
	TREE_CALL();
	i64 descriptor = fs_fd_named(path); /* "/proc/self/fd/3", "/dev/fd/3" */
	if (descriptor < 0) {
		struct walk_end end;
		int err = fs_walk(dirfd, path, WALK_MISSING_OK | (nofollow ? WALK_NOFOLLOW : 0), &end);
		if (err)
			TREE_DONE(err);
		if (end.node) {
			fill_stat(statbuf, OPEN_FILE, end.node);
			TREE_DONE(0);
		}
		descriptor = fs_fd_entry(&end); /* "3" named relative to /proc/self/fd */
	}
	const struct open_file *open = descriptor >= 0 ? fs_fd(descriptor) : NULL;
	if (!open)
		TREE_DONE(-L_ENOENT);
	if (nofollow)
		fill_link_stat(statbuf, descriptor, open);
	else
		fill_stat(statbuf, open->kind, open->node); /* what the descriptor is, as fstat */
	TREE_DONE(0);
}

/* One struct linux_dirent64 record at out; false if it does not fit in len. */
static bool put_dirent(u8 *out, u64 len, u64 *used, u64 ino, u64 next, u8 type, const char *name, u32 name_len)
{
	u64 reclen = (19 + name_len + 1 + 7) & ~7ull;
	if (*used + reclen > len)
		return false;
	u8 *rec = out + *used;
	memset(rec, 0, reclen);
	memcpy(rec, &ino, 8);
	memcpy(rec + 8, &next, 8);
	rec[16] = (u8)reclen;
	rec[17] = (u8)(reclen >> 8);
	rec[18] = type;
	memcpy(rec + 19, name, name_len);
	*used += reclen;
	return true;
}

/* value's decimal digits at out (no terminator); how many. */
static u32 decimal(char *out, u32 value)
{
	char digits[10];
	u32 count = 0;
	do
		digits[count++] = (char)('0' + value % 10);
	while (value /= 10);
	for (u32 i = 0; i < count; i++)
		out[i] = digits[count - 1 - i];
	return count;
}

/* "." or ".." (position 0 or 1) of the directory dir, whose parent is parent. */
static bool put_dot(u8 *out, u64 len, u64 *used, u64 pos, u32 dir, u32 parent)
{
	const char *name = pos == 0 ? "." : "..";
	return put_dirent(out, len, used, pos == 0 ? dir : parent, pos + 1, DT_DIR, name, (u32)pos + 1);
}

/*
 * /proc/self/fd's entries, made from the reader's own descriptors: "."
 * and "..", then one per open descriptor in increasing order (position 2 +
 * its number), each a link as Linux shows it.  Each gets an inode number
 * above every node's.  Under both locks.
 */
static i64 list_descriptors(struct ofd *shared, u32 dir, u32 parent, u8 *buf, u64 len)
{
	u64 used = 0;
	for (u64 pos = shared->offset; pos < 2 + FS_MAX_FDS; pos++) {
		u32 fd = (u32)pos - 2;
		if (pos >= 2 && !fs_fd(fd))
			continue;
		char name[12];
		u32 name_len = pos >= 2 ? decimal(name, fd) : 0;
		bool fits = pos < 2 ? put_dot(buf, len, &used, pos, dir, parent)
		                    : put_dirent(buf, len, &used, (1ull << 32) | fd, pos + 1, DT_LNK, name, name_len);
		if (!fits)
			return used ? (i64)used : -L_EINVAL;
		shared->offset = pos + 1;
	}
	return (i64)used;
}

/*
 * A directory's entries: "." and ".." (positions 0 and 1), then its
 * entries in the order of the entry table (position 2 + the entry's
 * number), so a read resumes where the last one ended, whatever was
 * added or removed meanwhile.
 */
i64 fs_getdents(i64 fd, void *buf, u64 len)
{
	TREE_CALL();
	struct open_file *dir = fs_fd(fd);
	if (!dir)
		TREE_DONE(-L_EBADF);
	if (dir->kind != OPEN_DIR)
		TREE_DONE(-L_ENOTDIR);
	struct ofd *shared = tree_ofd(dir->ofd);
	const struct node *node = dir_node(dir->node);
	if (!shared || !node)
		TREE_DONE(-L_EBADF);
	if (dir->node == tree_proc_fd_dir())
		TREE_DONE(list_descriptors(shared, dir->node, node->parent, buf, len));
	static const u8 dirent_type[] = { [NODE_DIR] = 4, [NODE_FILE] = 8, [NODE_LINK] = 10, [NODE_DEV] = 2, [NODE_FREE] = 0 };
	u64 used = 0;
	for (;;) {
		u64 pos = shared->offset, scan = pos >= 2 ? pos - 2 : 0;
		u32 entry = pos >= 2 ? tree_next_entry(dir->node, &scan) : 0;
		if (pos >= 2 && !entry)
			break;
		bool fits;
		if (pos < 2) {
			fits = put_dot(buf, len, &used, pos, dir->node, node->parent);
		} else {
			u32 name_len, child = tree_dentry_node(entry);
			const char *name = tree_dentry_name(entry, &name_len);
			const struct node *found = tree_node(child);
			fits = put_dirent(buf, len, &used, child, scan + 2, found ? dirent_type[found->type % 5] : 0, name,
			                  name_len);
		}
		if (!fits)
			TREE_DONE(used ? (i64)used : -L_EINVAL);
		shared->offset = pos < 2 ? pos + 1 : scan + 2;
	}
	TREE_DONE((i64)used);
}

/* ---- Changing the tree. ---- */

/* A new node of `type` named by the missing last name of path; its number, or an errno. */
static i64 make_at(i64 dirfd, const char *path, u8 type, u16 perm)
{
	struct walk_end end;
	int err = fs_walk(dirfd, path, WALK_MISSING_OK | WALK_NOFOLLOW | WALK_LAST_AS_IS, &end);
	if (err)
		return err;
	if (end.node)
		return -L_EEXIST;
	if (end.trailing_slash && type != NODE_DIR)
		return -L_ENOENT;
	u32 node = tree_new_node(type, perm);
	if (!node)
		return -L_ENOSPC;
	err = tree_link(end.dir, end.name, end.name_len, node);
	if (err) {
		tree_node_release(node);
		return err;
	}
	return node;
}

i64 fs_mkdir(i64 dirfd, const char *path, u64 mode)
{
	TREE_CALL();
	i64 node = make_at(dirfd, path, NODE_DIR, (u16)(mode & ~libos_umask & 07777));
	TREE_DONE(node < 0 ? node : 0);
}

i64 fs_symlink(const char *target, i64 dirfd, const char *path)
{
	u64 len = strnlen(target, 4096);
	if (len == 0)
		return -L_ENOENT;
	if (len >= 4096)
		return -L_ENAMETOOLONG;
	TREE_CALL();
	i64 node = make_at(dirfd, path, NODE_LINK, 0777);
	if (node < 0)
		TREE_DONE(node);
	struct node *link = tree_node((u32)node);
	if (file_write(link, 0, target, len) != (i64)len) {
		struct walk_end end;
		if (fs_walk(dirfd, path, WALK_NOFOLLOW, &end) == 0 && end.dentry)
			tree_unlink_entry(end.dentry);
		TREE_DONE(-L_ENOSPC);
	}
	TREE_DONE(0);
}

i64 fs_link(i64 old_dirfd, const char *old_path, i64 new_dirfd, const char *new_path, bool follow)
{
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(old_dirfd, old_path, follow ? 0 : WALK_NOFOLLOW, &end);
	if (err)
		TREE_DONE(err);
	u32 node = end.node;
	if (tree_node(node)->type == NODE_DIR)
		TREE_DONE(-L_EPERM);
	err = fs_walk(new_dirfd, new_path, WALK_MISSING_OK | WALK_NOFOLLOW | WALK_LAST_AS_IS, &end);
	if (!err && end.node)
		err = -L_EEXIST;
	if (!err && end.trailing_slash)
		err = -L_ENOENT;
	TREE_DONE(err ? err : tree_link(end.dir, end.name, end.name_len, node));
}

static bool dir_empty(u32 dir) { return tree_node(dir)->size == 0; }

i64 fs_unlink(i64 dirfd, const char *path, u64 flags)
{
	TREE_CALL();
	struct walk_end end;
	bool rmdir = flags & AT_REMOVEDIR;
	int err = fs_walk(dirfd, path, WALK_NOFOLLOW | WALK_LAST_AS_IS, &end);
	if (err)
		TREE_DONE(err);
	const struct node *node = tree_node(end.node);
	if (!end.dentry) { /* ".", "..", the root or where the walk began */
		bool dot = end.name_len == 1 && end.name[0] == '.', dots = end.name_len == 2 && end.name[0] == '.';
		TREE_DONE(!rmdir ? -L_EISDIR : dot ? -L_EINVAL : dots ? -L_ENOTEMPTY : -L_EBUSY);
	}
	if (rmdir && node->type != NODE_DIR)
		TREE_DONE(-L_ENOTDIR);
	if (!rmdir && node->type == NODE_DIR)
		TREE_DONE(-L_EISDIR);
	if (!rmdir && end.trailing_slash)
		TREE_DONE(-L_ENOTDIR);
	if (rmdir && !dir_empty(end.node))
		TREE_DONE(-L_ENOTEMPTY);
	if (tree_in_proc(end.node))
		TREE_DONE(-L_EBUSY); /* /proc's own directories stay (Linux's /proc refuses too) */
	tree_unlink_entry(end.dentry);
	TREE_DONE(0);
}

/* Is `node` the directory `dir` or above it? (Moving a directory under itself is EINVAL.) */
static bool is_above(u32 node, u32 dir)
{
	for (u32 at = dir, depth = 0; depth < tree_nodes_max(); at = tree_node(at)->parent, depth++) {
		if (at == node)
			return true;
		if (at == TREE_ROOT)
			return false;
	}
	return false;
}

/* rename's checks of the name it replaces: 0, or the errno. */
static int replace_check(u32 moving, u32 replaced)
{
	const struct node *from = tree_node(moving), *to = tree_node(replaced);
	if (from->type == NODE_DIR && to->type != NODE_DIR)
		return -L_ENOTDIR;
	if (from->type != NODE_DIR && to->type == NODE_DIR)
		return -L_EISDIR;
	if (to->type == NODE_DIR && !dir_empty(replaced))
		return -L_ENOTEMPTY;
	if (tree_in_proc(replaced))
		return -L_EXDEV; /* another file system on Linux */
	return 0;
}

#define RENAME_NOREPLACE 1

i64 fs_rename(i64 old_dirfd, const char *old_path, i64 new_dirfd, const char *new_path, u64 flags)
{
	if (flags & ~(u64)RENAME_NOREPLACE)
		return -L_EINVAL;
	TREE_CALL();
	struct walk_end from, to;
	int err = fs_walk(old_dirfd, old_path, WALK_NOFOLLOW | WALK_LAST_AS_IS, &from);
	if (err)
		TREE_DONE(err);
	if (!from.dentry)
		TREE_DONE(-L_EBUSY); /* the root, where a walk began */
	if (tree_in_proc(from.node) || tree_in_proc(from.dir))
		TREE_DONE(-L_EXDEV); /* /proc is another file system on Linux: nothing moves in or out of it */
	u32 moving = from.node, old_entry = from.dentry;
	err = fs_walk(new_dirfd, new_path, WALK_MISSING_OK | WALK_NOFOLLOW | WALK_LAST_AS_IS, &to);
	if (err)
		TREE_DONE(err);
	if (to.node && !to.dentry)
		TREE_DONE(-L_EBUSY);
	if (tree_in_proc(to.dir))
		TREE_DONE(-L_EXDEV);
	if (tree_node(moving)->type == NODE_DIR && is_above(moving, to.dir))
		TREE_DONE(-L_EINVAL);
	if ((from.trailing_slash || to.trailing_slash) && tree_node(moving)->type != NODE_DIR)
		TREE_DONE(-L_ENOTDIR);
	if (to.node == moving)
		TREE_DONE((flags & RENAME_NOREPLACE) ? -L_EEXIST : 0); /* the same file: nothing to do */
	if (to.node) {
		if (flags & RENAME_NOREPLACE)
			TREE_DONE(-L_EEXIST);
		err = replace_check(moving, to.node);
		if (err)
			TREE_DONE(err);
		/* The new name points at the moving node first, so it is held while the old name goes. */
		tree_entry_retarget(to.dentry, moving);
		tree_unlink_entry(old_entry);
		tree_touch(tree_node(moving));
		TREE_DONE(0);
	}
	err = tree_link(to.dir, to.name, to.name_len, moving);
	if (!err)
		tree_unlink_entry(old_entry);
	TREE_DONE(err);
}

/* The node path (or, with an empty path and AT_EMPTY_PATH, dirfd) names: for chmod and utimensat. */
#define AT_EMPTY_PATH 0x1000
#define AT_SYMLINK_NOFOLLOW 0x100
static i64 target_of(i64 dirfd, const char *path, u64 flags)
{
	if (!path || (path[0] == 0 && (flags & AT_EMPTY_PATH))) {
		struct open_file *open = fs_fd(dirfd);
		if (!open)
			return -L_EBADF;
		return open->kind == OPEN_FILE || open->kind == OPEN_DIR || open->kind == OPEN_DEV ? (i64)open->node
		                                                                                     : -(i64)L_EPERM;
	}
	struct walk_end end;
	int err = fs_walk(dirfd, path, flags & AT_SYMLINK_NOFOLLOW ? WALK_NOFOLLOW : 0, &end);
	return err ? (i64)err : (i64)end.node;
}

i64 fs_chmod(i64 dirfd, const char *path, u64 mode, u64 flags)
{
	TREE_CALL();
	i64 node = target_of(dirfd, path, flags);
	if (node < 0)
		TREE_DONE(node);
	struct node *found = tree_node((u32)node);
	found->perm = (u16)(mode & 07777);
	found->ctime = exo_clock();
	TREE_DONE(0);
}

/* chown: everyone is root and the tree keeps no owners; the node must exist. */
i64 fs_chown(i64 dirfd, const char *path, u64 flags)
{
	TREE_CALL();
	i64 node = target_of(dirfd, path, flags);
	TREE_DONE(node < 0 ? node : 0);
}

#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* utimensat: the modification time (the access time is not kept apart); times NULL is now. */
i64 fs_utimensat(i64 dirfd, const char *path, const i64 *times, u64 flags)
{
	i64 mtime = exo_clock(), nsec = times ? times[3] : UTIME_NOW;
	if (times && nsec != UTIME_NOW && nsec != UTIME_OMIT) {
		if (nsec < 0 || nsec > 999999999 || times[2] < 0)
			return -L_EINVAL;
		mtime = times[2] * 1000000000 + nsec;
	}
	TREE_CALL();
	i64 node = target_of(dirfd, path, flags);
	if (node < 0)
		TREE_DONE(node);
	struct node *found = tree_node((u32)node);
	if (nsec != UTIME_OMIT)
		found->mtime = mtime;
	found->ctime = exo_clock();
	TREE_DONE(0);
}

i64 fs_truncate(const char *path, i64 size)
{
	if (size < 0)
		return -L_EINVAL;
	TREE_CALL();
	struct walk_end end;
	int err = fs_walk(AT_FDCWD, path, 0, &end);
	if (err)
		TREE_DONE(err);
	struct node *node = tree_node(end.node);
	TREE_DONE(node->type == NODE_DIR ? -L_EISDIR : node->type != NODE_FILE ? -L_EINVAL : file_truncate(node, (u64)size));
}

/* struct statfs (asm-generic, 64-bit): tmpfs's magic, pool pages as blocks, nodes as files. */
i64 fs_statfs(void *out)
{
	u64 pages, pages_free, nodes, nodes_free;
	TREE_CALL();
	tree_usage(&pages, &pages_free, &nodes, &nodes_free);
	tree_unlock();
	u64 *words = out;
	memset(out, 0, 120);
	words[0] = 0x01021994; /* TMPFS_MAGIC */
	words[1] = 4096;       /* f_bsize */
	words[2] = pages, words[3] = pages_free, words[4] = pages_free;
	words[5] = nodes, words[6] = nodes_free;
	words[8] = TREE_NAME_MAX; /* f_namelen (after f_fsid) */
	words[9] = 4096;          /* f_frsize */
	return 0;
}

/* readlink of /proc/self/fd/N. */
i64 fs_fd_path(i64 fd, char *buf, u64 size)
{
	TREE_CALL();
	struct open_file *open = fs_fd(fd);
	char path[TREE_PATH_MAX];
	if (!open)
		TREE_DONE(-L_ENOENT);
	u64 len = open_file_path(open, path);
	tree_unlock();
	return give_link(buf, size, path, len);
}
