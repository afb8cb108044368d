/*
 * Files: the boot archive (a newc cpio, mapped read-only by the kernel) as a
 * read-only tree of directories, files and links (libos/archive.c), the
 * console as fds 0-2, pipes (libos/pipe.c), and the descriptor tables that
 * name them.
 */
#include "libos/libos.h"
#include "exo/cpio.h"
#include "libos/pipe.h"
#include "libos/signal.h"
#include "libos/tty.h"
#include "libos/archive.h"
#include "libos/dev.h"
#include <string.h>

#define MAX_FDS FS_MAX_FDS
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFLNK 0120000
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define AT_FDCWD (-100)
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_DIRECTORY 040000 /* arm64's (asm/fcntl.h), not the generic 0200000 */
#define FS_NAP_NS 10000000 /* 10 ms, a tick: how often a waiting read or write tries again */
#define L_EMFILE 24
#define L_ESPIPE 29


enum open_kind { OPEN_FREE, OPEN_CONSOLE, OPEN_FILE, OPEN_DIR, OPEN_PIPE, OPEN_DEV };

/*
 * An open file (what dup shares: the offset), and the descriptor tables
 * that point at open files.  Every environment running in this address
 * space has its own table (a vfork child gets a copy), all in this memory.
 */
struct open_file {
	u8 kind;
	bool write_end; /* pipes */
	u32 refs;
	u32 file; /* OPEN_FILE, OPEN_DIR, OPEN_DEV: the archive's node */
	u64 offset;
	struct pipe *pipe; /* pipe.c maps it */
	u64 pipe_frame;
};

struct fdtable {
	u64 env; /* 0: unused */
	u32 cwd; /* the working directory, a node of the archive's: a vfork child's own, as Linux copies it */
	struct open_file *fd[MAX_FDS];
	bool cloexec[MAX_FDS];
};

#define MAX_OPEN 128
#define MAX_TABLES 8
static struct open_file opens[MAX_OPEN];
static struct fdtable tables[MAX_TABLES];
static struct open_file console = { .kind = OPEN_CONSOLE, .refs = 1 };

static struct fdtable *current_table(void)
{
	u64 self = libos_process_of((u64)exo_self()); /* threads share their process's table */
	for (u32 i = 0; i < MAX_TABLES; i++)
		if (tables[i].env == self)
			return &tables[i];
	return &tables[0]; /* not reached: every environment here got one */
}

static struct open_file *new_open(u8 kind)
{
	for (u32 i = 0; i < MAX_OPEN; i++)
		if (opens[i].kind == OPEN_FREE) {
			opens[i] = (struct open_file){ .kind = kind, .refs = 1 };
			return &opens[i];
		}
	return NULL;
}

static void drop_open(struct open_file *open)
{
	if (--open->refs || open == &console)
		return;
	if (open->kind == OPEN_PIPE) {
		pipe_end_count(open->pipe, open->write_end, -1);
		pipe_hold(open->pipe, -1);
	}
	open->kind = OPEN_FREE;
}

static i64 install(struct fdtable *table, struct open_file *open, i64 from, bool cloexec)
{
	for (i64 fd = from; fd < (i64)libos_nofile(); fd++) /* RLIMIT_NOFILE (identity.c) */
		if (!table->fd[fd]) {
			table->fd[fd] = open;
			table->cloexec[fd] = cloexec;
			return fd;
		}
	return -L_EMFILE;
}

void fs_init(void)
{
	if (archive_index((const void *)libos.archive, libos.archive_size) < 0)
		libos_exit(127 << 8); /* no frame for the boot archive's index: nothing could be opened */
	tables[0].env = libos.env;
	for (int fd = 0; fd < 3; fd++) {
		tables[0].fd[fd] = &console;
		console.refs++;
	}
}

/* A vfork child's table: a copy of the creator's, each open file shared once more. */
int fs_fork_table(u64 child)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *parent = current_table();
	for (u32 i = 0; i < MAX_TABLES; i++)
		if (tables[i].env == 0) {
			tables[i] = *parent;
			tables[i].env = child;
			for (u32 fd = 0; fd < MAX_FDS; fd++)
				if (tables[i].fd[fd])
					tables[i].fd[fd]->refs++;
			return 0;
		}
	return -L_ENOMEM;
}

/*
 * fork: a table that is another process's in the copy of this memory is
 * forgotten here, its open files counted once less, no end closed (each
 * process keeps its own open files).
 */
static void forget_table(struct fdtable *table)
{
	for (u32 fd = 0; fd < MAX_FDS; fd++)
		if (table->fd[fd]) {
			struct open_file *open = table->fd[fd];
			table->fd[fd] = NULL;
			if (--open->refs || open == &console)
				continue;
			/* Only the other copy's table held it: its slot here is free (its end is counted there). */
			if (open->kind == OPEN_PIPE)
				pipe_hold(open->pipe, -1);
			open->kind = OPEN_FREE;
		}
	table->env = 0;
}

/*
 * A forked child: its parent's table (the forking process's) is its own
 * now, its open files counted right as they are; any other table (a vfork
 * child's of the parent) goes.
 */
void fs_fork_child(u64 self, u64 process)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < MAX_TABLES; i++)
		if (tables[i].env == process)
			tables[i].env = self;
		else if (tables[i].env)
			forget_table(&tables[i]);
}

/*
 * A forked child's pipe ends count across processes (in the pipe's shared
 * frame) from before it runs: one per open file of the table it takes
 * over, process's (change +1), or taken back (-1) if it never ran.
 */
void fs_fork_count_ends(u64 process, int change)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < MAX_TABLES; i++) {
		if (tables[i].env != process)
			continue;
		u64 counted[(MAX_OPEN + 63) / 64] = { 0 }; /* an open file on several descriptors counts once */
		for (u32 fd = 0; fd < MAX_FDS; fd++) {
			struct open_file *open = tables[i].fd[fd];
			if (!open || open->kind != OPEN_PIPE)
				continue;
			u32 index = (u32)(open - opens);
			if (counted[index / 64] & (1ull << (index % 64)))
				continue;
			counted[index / 64] |= 1ull << (index % 64);
			pipe_end_count(open->pipe, open->write_end, change);
		}
	}
}

/*
 * The process that owns this address space ends, and the space with it:
 * if its table is the only one here (no vfork child's beside it), each
 * pipe end it holds is let go in the pipe's shared frame, and nothing in
 * this memory is written (a fork's copy-on-write pages stay shared).
 * False, with nothing done, if another table is here.
 */
bool fs_exit_owner(u64 process)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *own = NULL;
	for (u32 i = 0; i < MAX_TABLES; i++) {
		if (tables[i].env == process)
			own = &tables[i];
		else if (tables[i].env)
			return false;
	}
	if (!own)
		return true;
	u64 counted[(MAX_OPEN + 63) / 64] = { 0 }; /* an open file on several descriptors counts once */
	for (u32 fd = 0; fd < MAX_FDS; fd++) {
		struct open_file *open = own->fd[fd];
		if (!open || open->kind != OPEN_PIPE)
			continue;
		u32 index = (u32)(open - opens);
		if (counted[index / 64] & (1ull << (index % 64)))
			continue;
		counted[index / 64] |= 1ull << (index % 64);
		pipe_sides_release(open->pipe, (u32)process);
		pipe_end_count(open->pipe, open->write_end, -1);
	}
	return true;
}

/* The environment leaves this address space (exec) or ends: its table goes. */
void fs_drop_table(u64 env, bool cloexec_only)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < MAX_TABLES; i++) {
		struct fdtable *table = &tables[i];
		if (table->env != env)
			continue;
		for (u32 fd = 0; fd < MAX_FDS; fd++)
			if (table->fd[fd] && (!cloexec_only || table->cloexec[fd])) {
				if (!cloexec_only && table->fd[fd]->kind == OPEN_PIPE)
					pipe_sides_release(table->fd[fd]->pipe, (u32)env);
				drop_open(table->fd[fd]);
				table->fd[fd] = NULL;
			}
		if (!cloexec_only)
			table->env = 0;
	}
}

static struct open_file *fd_at(i64 fd)
{
	return fd >= 0 && fd < MAX_FDS ? current_table()->fd[fd] : NULL;
}

#define O_CLOEXEC 02000000
#define O_NOFOLLOW 0100000 /* arm64's */
#define O_EXCL 0200

/* The directory a relative path starts from: the working directory, or an open directory's. */
static i64 base_dir(i64 dirfd, const char *path)
{
	if (path[0] == '/' || dirfd == AT_FDCWD)
		return current_table()->cwd;
	struct open_file *open = fd_at(dirfd);
	if (!open)
		return -L_EBADF;
	return open->kind == OPEN_DIR ? open->file : -L_ENOTDIR;
}

/* The archive's node for dirfd + path, links followed unless nofollow. */
static i64 walk(i64 dirfd, const char *path, bool nofollow)
{
	HOLD_LIBOS_LOCK();
	i64 base = base_dir(dirfd, path);
	return base < 0 ? base : archive_walk((u32)base, path, nofollow);
}

/* O_CREAT of a missing name: EROFS if its directory is there (creating is what fails), else its error. */
static bool parent_exists(i64 dirfd, const char *path)
{
	char parent[ARCHIVE_PATH_MAX];
	u64 len = strnlen(path, sizeof(parent) - 1);
	while (len && path[len - 1] == '/')
		len--;
	while (len && path[len - 1] != '/')
		len--;
	if (len == 0)
		return true; /* in the starting directory itself */
	memcpy(parent, path, len);
	parent[len] = 0;
	i64 node = walk(dirfd, parent, false);
	return node >= 0 && archive_node((u32)node)->type == ANODE_DIR;
}

/* /dev/tty and /dev/console are the console (fds 0-2's open file); the others are answered by dev.c. */
static i64 open_device(const struct anode *dev, u32 node, u64 flags)
{
	struct open_file *open = &console;
	if (dev_is_terminal(dev->size)) {
		console.refs++;
	} else {
		if (!(open = new_open(OPEN_DEV)))
			return -L_EMFILE;
		open->file = node;
	}
	i64 fd = install(current_table(), open, 0, flags & O_CLOEXEC);
	if (fd < 0)
		drop_open(open);
	return fd;
}

i64 fs_open(i64 dirfd, const char *path, u64 flags)
{
	HOLD_LIBOS_LOCK();
	i64 node = walk(dirfd, path, flags & O_NOFOLLOW);
	if (node < 0)
		return (flags & O_CREAT) && node == -L_ENOENT && parent_exists(dirfd, path) ? -L_EROFS : node;
	const struct anode *found = archive_node((u32)node);
	u8 type = found->type;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -L_EEXIST;
	if (type != ANODE_DIR && (flags & O_DIRECTORY))
		return -L_ENOTDIR;
	if (type == ANODE_LINK) /* O_NOFOLLOW on a link */
		return -L_ELOOP;
	if (type == ANODE_DEV)
		return open_device(found, (u32)node, flags);
	if ((flags & O_ACCMODE) != 0)
		return type == ANODE_DIR ? -L_EISDIR : -L_EROFS;
	struct open_file *open = new_open(type == ANODE_DIR ? OPEN_DIR : OPEN_FILE);
	if (!open)
		return -L_EMFILE;
	open->file = (u32)node;
	i64 fd = install(current_table(), open, 0, flags & O_CLOEXEC);
	if (fd < 0)
		drop_open(open);
	return fd;
}

i64 fs_close(i64 fd)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	current_table()->fd[fd] = NULL;
	drop_open(open);
	return 0;
}

/* F_DUPFD: the lowest free fd from `from` up. */
i64 fs_dup_from(i64 fd, i64 from, bool cloexec)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (from < 0 || from >= (i64)libos_nofile())
		return -L_EINVAL;
	i64 to = install(current_table(), open, from, cloexec);
	if (to >= 0)
		open->refs++;
	return to;
}

/* F_GETFD (set < 0) and F_SETFD. */
i64 fs_cloexec(i64 fd, int set)
{
	HOLD_LIBOS_LOCK();
	if (!fd_at(fd))
		return -L_EBADF;
	struct fdtable *table = current_table();
	if (set >= 0)
		table->cloexec[fd] = set;
	return set >= 0 ? 0 : table->cloexec[fd];
}

i64 fs_is_console(i64 fd)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	return open ? open->kind == OPEN_CONSOLE : -L_EBADF;
}

i64 fs_chdir(const char *path)
{
	HOLD_LIBOS_LOCK();
	i64 node = walk(AT_FDCWD, path, false);
	if (node < 0)
		return node;
	if (archive_node((u32)node)->type != ANODE_DIR)
		return -L_ENOTDIR;
	current_table()->cwd = (u32)node;
	return 0;
}

i64 fs_fchdir(i64 fd)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind != OPEN_DIR)
		return -L_ENOTDIR;
	current_table()->cwd = open->file;
	return 0;
}

/* A node's path from the root, NUL-terminated: its length with the NUL, or 0 if it does not fit. */
static u64 node_path(u32 node, char *buf, u64 size)
{
	const struct anode *found = archive_node(node);
	if (size < found->path_len + 2)
		return 0;
	buf[0] = '/';
	memcpy(buf + 1, found->path, found->path_len);
	buf[found->path_len + 1] = 0;
	return found->path_len + 2;
}

i64 fs_getcwd(char *buf, u64 size)
{
	HOLD_LIBOS_LOCK();
	u64 len = node_path(current_table()->cwd, buf, size);
	return len ? (i64)len : -34; /* ERANGE */
}

u64 fs_cwd_export(void)
{
	HOLD_LIBOS_LOCK();
	return current_table()->cwd;
}

void fs_cwd_import(u64 node)
{
	if (node < archive_count() && archive_node((u32)node)->type == ANODE_DIR)
		tables[0].cwd = (u32)node; /* exec: the new image's only table */
}

i64 fs_readlink(i64 dirfd, const char *path, char *buf, u64 size)
{
	i64 node = walk(dirfd, path, true);
	if (node < 0)
		return node;
	const struct anode *link = archive_node((u32)node);
	if (link->type != ANODE_LINK)
		return -L_EINVAL;
	u64 n = MIN(size, link->size);
	memcpy(buf, link->data, n);
	return (i64)n;
}

/* faccessat: the archive is read-only (W_OK is EROFS); R_OK and X_OK from its permission bits, as root. */
i64 fs_access(i64 dirfd, const char *path, u64 mode, bool nofollow)
{
	i64 node = walk(dirfd, path, nofollow);
	if (node < 0)
		return node;
	const struct anode *file = archive_node((u32)node);
	if ((mode & 2) && file->type != ANODE_DEV)
		return -L_EROFS;
	if ((mode & 1) && file->type == ANODE_FILE && !(file->perm & 0111))
		return -L_EACCES;
	return 0;
}

/* F_GETFL: the access mode. */
i64 fs_status_flags(i64 fd)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind == OPEN_PIPE)
		return open->write_end ? 1 : 0;
	return open->kind == OPEN_CONSOLE || open->kind == OPEN_DEV ? 2 : 0;
}

i64 fs_dup(i64 fd, i64 to, u64 flags)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	struct fdtable *table = current_table();
	if (!open || to >= (i64)libos_nofile())
		return -L_EBADF;
	if (to < 0) {
		i64 got = install(table, open, 0, false);
		if (got >= 0)
			open->refs++;
		return got;
	}
	open->refs++;
	if (to == fd) {
		open->refs--;
		return -L_EINVAL;
	}
	if (table->fd[to])
		drop_open(table->fd[to]);
	table->fd[to] = open;
	table->cloexec[to] = flags & O_CLOEXEC;
	return to;
}

static struct open_file *pipe_end(u64 frame, struct pipe *pipe, bool write_end)
{
	struct open_file *end = new_open(OPEN_PIPE);
	if (end) {
		end->pipe = pipe;
		end->pipe_frame = frame;
		end->write_end = write_end;
		pipe_hold(pipe, +1);
	}
	return end;
}

i64 fs_pipe(int *out, u64 flags)
{
	HOLD_LIBOS_LOCK();
	/* A bad out faults here, before anything exists to leak (the fault makes it EFAULT). */
	((volatile int *)out)[0] = ((volatile int *)out)[1] = -1;
	u64 frame;
	if (exo_frame_alloc(libos.env, 1, &frame) != 1)
		return -L_ENOMEM;
	exo_frame_share(frame, EXO_R | EXO_W); /* for the children that inherit an end */
	struct pipe *pipe = pipe_map(frame);
	if (!pipe) {
		exo_frame_free(&frame, 1);
		return -L_EMFILE;
	}
	struct open_file *reader = pipe_end(frame, pipe, false);
	struct open_file *writer = reader ? pipe_end(frame, pipe, true) : NULL;
	if (!writer) {
		if (reader)
			reader->kind = OPEN_FREE, pipe_hold(pipe, -1);
		return -L_EMFILE; /* the slot, used by nothing, is reused later */
	}
	pipe_start(pipe);
	struct fdtable *table = current_table();
	i64 read_fd = install(table, reader, 0, flags & O_CLOEXEC);
	i64 write_fd = read_fd < 0 ? read_fd : install(table, writer, 0, flags & O_CLOEXEC);
	if (write_fd < 0) {
		if (read_fd >= 0)
			table->fd[read_fd] = NULL;
		drop_open(reader);
		drop_open(writer);
		return -L_EMFILE;
	}
	out[0] = (int)read_fd;
	out[1] = (int)write_fd;
	return 0;
}

/*
 * Descriptors across exec: the exec block carries, per inherited fd, its
 * kind and what names it (a file and offset, a pipe frame and end).  Each
 * pipe end passed on counts once more, so the new image takes it over.
 */
enum { PASS_CONSOLE = 1, PASS_FILE = 2, PASS_PIPE_READ = 3, PASS_PIPE_WRITE = 4, PASS_DIR = 5, PASS_DEV = 6 };
static const u8 pass_kind[] = { [OPEN_FILE] = PASS_FILE, [OPEN_DIR] = PASS_DIR, [OPEN_DEV] = PASS_DEV };
static const u8 open_kind_passed[] = { [PASS_FILE] = OPEN_FILE, [PASS_DIR] = OPEN_DIR, [PASS_DEV] = OPEN_DEV };
#define PASS_FDS 16

u32 fs_export(u64 *out)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = current_table();
	u32 count = 0;
	for (u32 fd = 0; fd < PASS_FDS; fd++) {
		struct open_file *open = table->fd[fd];
		if (!open || table->cloexec[fd])
			continue;
		u64 *record = out + 4 * count++;
		record[0] = fd;
		if (open->kind == OPEN_CONSOLE) {
			record[1] = PASS_CONSOLE;
		} else if (open->kind == OPEN_FILE || open->kind == OPEN_DIR || open->kind == OPEN_DEV) {
			record[1] = pass_kind[open->kind];
			record[2] = open->file, record[3] = open->offset;
		} else {
			record[1] = open->write_end ? PASS_PIPE_WRITE : PASS_PIPE_READ;
			record[2] = open->pipe_frame;
		}
	}
	return count;
}

/* Just before exec switches: each pipe end passed on counts once more (the new image's). */
void fs_pin_exports(void)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = current_table();
	for (u32 fd = 0; fd < PASS_FDS; fd++) {
		struct open_file *open = table->fd[fd];
		if (!open || table->cloexec[fd] || open->kind != OPEN_PIPE)
			continue;
		pipe_end_count(open->pipe, open->write_end, +1);
	}
}

void fs_import(const u64 *records, u64 count)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = &tables[0];
	for (u32 fd = 0; fd < 3; fd++)
		if (table->fd[fd]) {
			drop_open(table->fd[fd]);
			table->fd[fd] = NULL;
		}
	for (u64 i = 0; i < count && i < PASS_FDS; i++) {
		const u64 *record = records + 4 * i;
		struct open_file *open = NULL;
		if (record[1] == PASS_CONSOLE) {
			open = &console;
			console.refs++;
		} else if ((record[1] == PASS_FILE || record[1] == PASS_DIR || record[1] == PASS_DEV) &&
		           record[2] < archive_count()) {
			open = new_open(open_kind_passed[record[1]]);
			if (open)
				open->file = (u32)record[2], open->offset = record[3];
		} else if (record[1] == PASS_PIPE_READ || record[1] == PASS_PIPE_WRITE) {
			struct pipe *pipe = pipe_map(record[2]);
			open = pipe ? pipe_end(record[2], pipe, record[1] == PASS_PIPE_WRITE) : NULL;
		}
		if (open && record[0] < MAX_FDS)
			table->fd[record[0]] = open;
	}
}

/* One attempt, under the lock: bytes read, 0 at the end, an error, or FS_WOULD_BLOCK (and *wait). */
static i64 read_now(i64 fd, void *buf, u64 len, struct fs_wait *wait)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind == OPEN_CONSOLE) {
		const volatile u32 *word = NULL;
		u32 seq = 0;
		i64 n = tty_read_now(buf, len, &word, &seq);
		if (n == FS_WOULD_BLOCK && word)
			*wait = (struct fs_wait){ FS_WAIT_INPUT, word, seq }; /* we listen: the kernel's alert wakes us */
		return n;
	}
	if (open->kind == OPEN_PIPE)
		return open->write_end ? -L_EBADF : pipe_read_now(open->pipe, buf, len, wait);
	if (open->kind == OPEN_DIR)
		return -L_EISDIR;
	if (open->kind == OPEN_DEV)
		return dev_read(archive_node(open->file)->size, buf, len);
	const struct anode *file = archive_node(open->file);
	u64 n = open->offset < file->size ? MIN(len, file->size - open->offset) : 0;
	memcpy(buf, file->data + open->offset, n);
	open->offset += n;
	return (i64)n;
}

static i64 write_now(i64 fd, const void *buf, u64 len, struct fs_wait *wait)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind == OPEN_PIPE)
		return open->write_end ? pipe_write_now(open->pipe, buf, len, wait) : -L_EBADF;
	if (open->kind == OPEN_DEV)
		return dev_write(archive_node(open->file)->size, len);
	return open->kind == OPEN_CONSOLE ? console_write_all(buf, len) : -L_EBADF;
}

u32 fs_poll(i64 fd, struct fs_wait *wait)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return POLL_NVAL;
	if (open->kind == OPEN_PIPE)
		return pipe_poll(open->pipe, open->write_end, wait);
	if (open->kind != OPEN_CONSOLE)
		return POLL_IN | POLL_OUT; /* files, directories and devices never make a reader or writer wait */
	const volatile u32 *word = NULL;
	u32 seq = 0;
	if (tty_poll_in(&word, &seq))
		return POLL_IN | POLL_OUT;
	if (word)
		*wait = (struct fs_wait){ FS_WAIT_INPUT, word, seq };
	return POLL_OUT;
}

/*
 * Reads and writes wait outside the lock, so the process's other threads go
 * on meanwhile.  A pipe's sleep also ends after FS_WORD_BACKSTOP_NS, in case
 * its peer died before it could wake us (killed by the kernel).
 */
#define FS_WORD_BACKSTOP_NS 100000000

void fs_sleep(const struct fs_wait *wait, u64 limit_ns)
{
	/* Each kind's own bound: a pipe's backstop, none for console input, a tick for a nap. */
	u64 own = wait->kind == FS_WAIT_WORD ? FS_WORD_BACKSTOP_NS : wait->kind == FS_WAIT_INPUT ? 0 : FS_NAP_NS;
	u64 ns = !limit_ns ? own : !own ? limit_ns : MIN(own, limit_ns);
	if (wait->kind == FS_WAIT_WORD || wait->kind == FS_WAIT_INPUT)
		libos_wait_word(wait->word, wait->expected, ns);
	else if (wait->kind == FS_WAIT_YIELD)
		exo_yield();
	else
		libos_nap(ns);
}

i64 fs_read(i64 fd, void *buf, u64 len)
{
	for (;;) {
		struct fs_wait wait = { FS_WAIT_NAP, NULL, 0 };
		i64 result = read_now(fd, buf, len, &wait);
		if (result == TTY_SIGNALS_FIRST) {
			sig_alerted(0, 0, SIG_WAIT_INTERRUPTIBLE); /* stopped by SIGTTIN here; a handler's: EINTR */
			continue;
		}
		if (result != FS_WOULD_BLOCK)
			return result;
		fs_sleep(&wait, 0);
	}
}

/*
 * A write that waits for room says how much it has written (sig_progress):
 * a signal that interrupts it then returns that much, as Linux does, and
 * is never restarted (the bytes would go twice).  A write to a pipe with
 * no reader raises SIGPIPE, which ends a program that does not handle it.
 */
i64 fs_write(i64 fd, const void *buf, u64 len)
{
	u64 done = 0;
	for (;;) {
		struct fs_wait wait = { FS_WAIT_NAP, NULL, 0 };
		i64 result = write_now(fd, (const u8 *)buf + done, len - done, &wait);
		if (result == FS_WOULD_BLOCK) {
			sig_progress(done);
			fs_sleep(&wait, 0);
			continue;
		}
		sig_progress(0);
		if (result == -L_EPIPE)
			sig_pipe();
		if (result < 0)
			return done ? (i64)done : result;
		done += (u64)result;
		if (done >= len)
			return (i64)done;
	}
}

i64 fs_lseek(i64 fd, i64 offset, u64 whence)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind == OPEN_CONSOLE || open->kind == OPEN_PIPE)
		return -L_ESPIPE;
	if (open->kind == OPEN_DEV)
		return 0; /* as Linux's null, zero and random */
	i64 base = whence == 0 ? 0 : whence == 1 ? (i64)open->offset :
	           open->kind == OPEN_FILE ? (i64)archive_node(open->file)->size : (i64)archive_count();
	if (whence > 2 || base + offset < 0)
		return -L_EINVAL;
	open->offset = (u64)(base + offset);
	return (i64)open->offset;
}

/* The path from the root of what path names, links resolved ("/bin/sh" -> "/bin/busybox"): /proc/self/exe. */
i64 fs_real_path(const char *path, char *buf, u64 size)
{
	i64 node = walk(AT_FDCWD, path, false);
	if (node < 0)
		return node;
	return node_path((u32)node, buf, size) ? 0 : -L_ENAMETOOLONG;
}

/* The archive's bytes for a path (exec reads programs from here). */
int fs_find(const char *path, const u8 **data, u64 *size)
{
	i64 node = walk(AT_FDCWD, path, false);
	if (node < 0)
		return (int)node;
	const struct anode *file = archive_node((u32)node);
	if (file->type != ANODE_FILE || !(file->perm & 0111))
		return -L_EACCES; /* as Linux's execve of a directory or of a file nobody may execute */
	*data = file->data;
	*size = file->size;
	return 0;
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

static void fill_stat(struct stat_l *st, u8 kind, u32 node)
{
	memset(st, 0, sizeof(*st));
	st->nlink = 1;
	st->blksize = 4096;
	st->dev = 1;
	if (kind == OPEN_PIPE) {
		st->mode = 0010000 | 0600; /* S_IFIFO */
	} else if (kind == OPEN_CONSOLE) {
		st->mode = S_IFCHR | 0620;
		st->rdev = 0x8800; /* a tty */
	} else {
		const struct anode *file = archive_node(node);
		static const u32 type_bits[] = { [ANODE_DIR] = S_IFDIR, [ANODE_FILE] = S_IFREG, [ANODE_LINK] = S_IFLNK,
			                         [ANODE_DEV] = S_IFCHR };
		st->mode = type_bits[file->type] | file->perm;
		st->ino = node + 1;
		if (file->type == ANODE_DEV) {
			st->rdev = file->size; /* a device's node holds its number, not a size */
			return;
		}
		st->nlink = file->type == ANODE_DIR ? 2 : 1;
		st->size = file->type == ANODE_DIR ? 4096 : (i64)file->size;
		st->blocks = (st->size + 511) / 512;
	}
}

i64 fs_fstat(i64 fd, void *statbuf)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	fill_stat(statbuf, open->kind, open->file);
	return 0;
}

i64 fs_stat(i64 dirfd, const char *path, void *statbuf, bool nofollow)
{
	i64 node = walk(dirfd, path, nofollow);
	if (node < 0)
		return node;
	fill_stat(statbuf, OPEN_FILE, (u32)node);
	return 0;
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

/*
 * A directory's entries: "." and ".." (positions 0 and 1), then its
 * children in archive order (position 2 + the node after the last one
 * given), so a read resumes where the last one ended.
 */
i64 fs_getdents(i64 fd, void *buf, u64 len)
{
	HOLD_LIBOS_LOCK();
	struct open_file *dir = fd_at(fd);
	if (!dir)
		return -L_EBADF;
	if (dir->kind != OPEN_DIR)
		return -L_ENOTDIR;
	static const u8 dirent_type[] = { [ANODE_DIR] = DT_DIR, [ANODE_FILE] = DT_REG, [ANODE_LINK] = DT_LNK,
		                          [ANODE_DEV] = 2 /* DT_CHR */ };
	u64 used = 0;
	for (;;) {
		u64 pos = dir->offset, scan = pos >= 2 ? pos - 2 : 0;
		i64 child = pos >= 2 ? archive_next_child(dir->file, &scan) : -1;
		if (pos >= 2 && child < 0)
			break;
		bool fits;
		if (pos < 2) {
			fits = put_dirent(buf, len, &used, dir->file + 1, pos + 1, DT_DIR, pos == 0 ? "." : "..", pos + 1);
		} else {
			u32 name_len;
			const char *name = archive_base_name(archive_node((u32)child), &name_len);
			fits = put_dirent(buf, len, &used, (u64)child + 1, scan + 2,
			                  dirent_type[archive_node((u32)child)->type], name, name_len);
		}
		if (!fits)
			return used ? (i64)used : -L_EINVAL;
		dir->offset = pos < 2 ? pos + 1 : scan + 2;
	}
	return (i64)used;
}
