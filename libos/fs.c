/*
 * Descriptors: the tables that name open files, and what they name: files
 * and directories of the shared tree (libos/tree.c), the console as fds
 * 0-2, devices (libos/dev.c) and pipes (libos/pipe.c).  Reads, writes and
 * seeks are here; the calls that take a path are fs_paths.c's.
 */
#include "libos/fs_internal.h"
#include "libos/file.h"
#include "libos/pipe.h"
#include "libos/signal.h"
#include "libos/tty.h"
#include "libos/dev.h"
#include <string.h>

#define MAX_FDS FS_MAX_FDS
#define FS_NAP_NS 10000000 /* 10 ms, a tick: how often a waiting read or write tries again */
#define L_EMFILE 24
#define L_ESPIPE 29

/*
 * Every environment running in this address space has its own descriptor
 * table (a vfork child gets a copy), all in this memory.
 */
struct fdtable {
	u64 env; /* 0: unused */
	u32 cwd; /* the working directory, a node of the tree's: a vfork child's own, as Linux copies it */
	u32 cwd_generation; /* the node's when it became the working directory: a number given again is not it */
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

struct open_file *fs_new_open(u8 kind)
{
	for (u32 i = 0; i < MAX_OPEN; i++)
		if (opens[i].kind == OPEN_FREE) {
			opens[i] = (struct open_file){ .kind = kind, .refs = 1 };
			return &opens[i];
		}
	return NULL;
}

/* A shared description's count (the tree's lock only if it is the last). */
static void count_ofd(u32 ofd, int change) { tree_ofd_count(ofd, change); }

static bool has_ofd(const struct open_file *open) { return open->kind == OPEN_FILE || open->kind == OPEN_DIR; }

void fs_drop_open(struct open_file *open)
{
	if (--open->refs || open == &console)
		return;
	if (open->kind == OPEN_PIPE) {
		pipe_end_count(open->pipe, open->write_end, -1);
		pipe_hold(open->pipe, -1);
	}
	if (has_ofd(open))
		count_ofd(open->ofd, -1);
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

void fs_init(u64 pool_pages)
{
	if (tree_init((const void *)libos.archive, libos.archive_size, pool_pages) < 0)
		libos_exit(127 << 8); /* no frame for the file tree: nothing could be opened */
	tables[0].env = libos.env;
	tables[0].cwd = TREE_ROOT; /* the root's generation is 0: it is never given again */
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
			if (!open || (open->kind != OPEN_PIPE && !has_ofd(open)))
				continue;
			u32 index = (u32)(open - opens);
			if (counted[index / 64] & (1ull << (index % 64)))
				continue;
			counted[index / 64] |= 1ull << (index % 64);
			if (has_ofd(open))
				count_ofd(open->ofd, change);
			else
				pipe_end_count(open->pipe, open->write_end, change);
		}
	}
}

/*
 * The process that owns this address space ends, and the space with it:
 * if its table is the only one here (no vfork child's beside it), each
 * pipe end it holds is let go in the pipe's shared frame, and nothing in
 * this memory is written (a fork's copy-on-write pages stay shared); so
 * is each shared file description.
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
		if (!open || (open->kind != OPEN_PIPE && !has_ofd(open)))
			continue;
		u32 index = (u32)(open - opens);
		if (counted[index / 64] & (1ull << (index % 64)))
			continue;
		counted[index / 64] |= 1ull << (index % 64);
		if (has_ofd(open)) {
			count_ofd(open->ofd, -1);
			continue;
		}
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
				if (table->cloexec[fd] && table->fd[fd]->kind == OPEN_FILE) /* closed by exec: as close */
					fs_record_locks_drop(table->fd[fd]->node, libos_process_of(env));
				fs_drop_open(table->fd[fd]);
				table->fd[fd] = NULL;
			}
		if (!cloexec_only)
			table->env = 0;
	}
}


struct open_file *fs_fd(i64 fd)
{
	return fd >= 0 && fd < MAX_FDS ? current_table()->fd[fd] : NULL;
}
#define fd_at fs_fd

static u64 dev_of(const struct open_file *open)
{
	tree_lock();
	const struct node *node = tree_node(open->node);
	u64 dev = node && node->type == NODE_DEV ? node->size : DEV_NULL;
	tree_unlock();
	return dev;
}

i64 fs_install(struct open_file *open, bool cloexec) { return install(current_table(), open, 0, cloexec); }
/* The working directory's node, or 0 (which names nothing) if it was removed and its number given again. */
u32 fs_cwd(void)
{
	const struct fdtable *table = current_table();
	const struct node *dir = tree_node(table->cwd);
	return dir && dir->generation == table->cwd_generation ? table->cwd : 0;
}

void fs_set_cwd(u32 dir)
{
	struct fdtable *table = current_table();
	table->cwd = dir;
	table->cwd_generation = tree_node(dir) ? tree_node(dir)->generation : 0;
}

int fs_walk(i64 dirfd, const char *path, u32 flags, struct walk_end *end)
{
	u32 base = fs_cwd();
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		struct open_file *open = fd_at(dirfd);
		if (!open)
			return -L_EBADF;
		if (open->kind != OPEN_DIR)
			return -L_ENOTDIR;
		base = open->node;
	}
	return tree_walk(base, path, flags, end);
}

/* /dev/tty and /dev/console are the console (fds 0-2's open file); the others are answered by dev.c. */
static i64 open_device(const struct node *dev, u32 node, u64 flags)
{
	struct open_file *open = &console;
	if (dev_is_terminal(dev->size)) {
		console.refs++;
	} else {
		if (!(open = fs_new_open(OPEN_DEV)))
			return -L_EMFILE;
		open->node = node;
	}
	i64 fd = install(current_table(), open, 0, flags & O_CLOEXEC);
	if (fd < 0)
		fs_drop_open(open);
	return fd;
}

/* A missing name made a file (O_CREAT): its node, or an errno. */
static i64 create_file(const struct walk_end *end, u64 mode)
{
	if (end->trailing_slash)
		return -L_EISDIR;
	u32 node = tree_new_node(NODE_FILE, (u16)(mode & ~libos_umask & 07777));
	if (!node)
		return -L_ENOSPC;
	int err = tree_link(end->dir, end->name, end->name_len, node);
	if (err) {
		tree_node_release(node);
		return err;
	}
	return node;
}

/* What open finds or makes at path, checked against flags: the node (and the entry that named it), or an errno. */
static i64 open_node(i64 dirfd, const char *path, u64 flags, u64 mode, u32 *name, i64 *descriptor)
{
	struct walk_end end;
	bool create = flags & O_CREAT;
	bool nofollow = (flags & O_NOFOLLOW) || (create && (flags & O_EXCL)); /* O_EXCL: a link there exists */
	int err = fs_walk(dirfd, path, WALK_MISSING_OK | (nofollow ? WALK_NOFOLLOW : 0), &end);
	if (err)
		return err;
	*descriptor = fs_fd_entry(&end); /* "3" named relative to /proc/self/fd: the caller reopens it */
	if (*descriptor >= 0 && create && (flags & O_EXCL)) {
		*descriptor = -1;
		return -L_EEXIST;
	}
	if (!end.node && (!create || *descriptor >= 0))
		return -L_ENOENT;
	if (!end.node) {
		i64 made = create_file(&end, mode);
		*name = made > 0 ? tree_lookup(end.dir, end.name, end.name_len) : 0;
		return made;
	}
	*name = end.dentry;
	const struct node *found = tree_node(end.node);
	if (create && (flags & O_EXCL))
		return -L_EEXIST;
	if (found->type != NODE_DIR && (flags & O_DIRECTORY))
		return -L_ENOTDIR;
	if (found->type == NODE_LINK) /* O_NOFOLLOW on a link */
		return -L_ELOOP;
	if (found->type == NODE_DIR && ((flags & O_ACCMODE) || create))
		return -L_EISDIR;
	return end.node;
}

/* N for "/proc/self/fd/N" and "/dev/fd/N", else -1. */
i64 fs_fd_named(const char *path)
{
	const char *rest = strncmp(path, "/proc/self/fd/", 14) == 0 ? path + 14 :
	                   strncmp(path, "/dev/fd/", 8) == 0 ? path + 8 : NULL;
	i64 fd = rest && *rest ? 0 : -1;
	for (; rest && *rest && fd >= 0; rest++)
		fd = *rest >= '0' && *rest <= '9' && fd < MAX_FDS ? fd * 10 + (*rest - '0') : -1;
	return fd;
}

/*
 * N for a walk that ended in /proc/self/fd at a name "N" the tree does not
 * hold (a name relative to the directory, "3" or "./3"), if descriptor N
 * is open; else -1.  Under the tree lock.
 */
i64 fs_fd_entry(const struct walk_end *end)
{
	if (end->node || !end->dir || end->dir != tree_proc_fd_dir() || !end->name_len)
		return -1;
	i64 fd = 0;
	for (u32 i = 0; i < end->name_len && fd >= 0; i++) {
		char c = end->name[i];
		fd = c >= '0' && c <= '9' && fd < MAX_FDS ? fd * 10 + (c - '0') : -1;
	}
	return fd >= 0 && fd_at(fd) ? fd : -1;
}

/*
 * /proc/self/fd/N and /dev/fd/N (bash's process substitution): a file or
 * directory opened again by its node, at offset 0 with the new flags, as
 * Linux reopens it; a pipe, the console or a device shared as by dup.
 * The node, 0 if done here (*fd says what), or an errno.
 */
static i64 reopen(i64 number, u64 flags, u32 *name, i64 *fd)
{
	struct open_file *open = fd_at(number);
	if (!open)
		return -L_ENOENT;
	if (has_ofd(open)) {
		*name = open->name;
		return open->node;
	}
	*fd = install(current_table(), open, 0, flags & O_CLOEXEC);
	if (*fd >= 0)
		open->refs++;
	return 0;
}

/* The node open found (or an errno), given an open file and a descriptor: under the tree lock, which it lets go. */
static i64 open_found(i64 node, u32 name, u64 flags)
{
	struct node *found = node > 0 ? tree_node((u32)node) : NULL;
	if (found && found->type == NODE_DEV) {
		u64 dev = found->size;
		tree_unlock();
		return open_device(&(struct node){ .size = dev }, (u32)node, flags);
	}
	if (found && found->type == NODE_FILE && (flags & O_TRUNC) && (flags & O_ACCMODE))
		node = file_truncate(found, 0) < 0 ? -L_ENOSPC : node;
	u32 ofd = node > 0 ? tree_ofd_new((u32)node, (u32)(flags & (O_ACCMODE | O_APPEND))) : 0;
	bool dir = found && found->type == NODE_DIR;
	tree_unlock();
	if (node < 0)
		return node;
	struct open_file *open = ofd ? fs_new_open(dir ? OPEN_DIR : OPEN_FILE) : NULL;
	if (!open) {
		if (ofd)
			count_ofd(ofd, -1);
		return ofd ? -L_EMFILE : -23; /* ENFILE: no description left */
	}
	open->node = (u32)node, open->ofd = ofd, open->name = name;
	i64 fd = install(current_table(), open, 0, flags & O_CLOEXEC);
	if (fd < 0)
		fs_drop_open(open);
	return fd;
}

i64 fs_open(i64 dirfd, const char *path, u64 flags, u64 mode)
{
	HOLD_LIBOS_LOCK();
	u32 name = 0;
	i64 number = fs_fd_named(path), fd = -L_EMFILE, node;
	if (number < 0) {
		tree_lock();
		node = open_node(dirfd, path, flags, mode, &name, &number);
		if (number < 0)
			return open_found(node, name, flags);
		tree_unlock(); /* /proc/self/fd's entry for descriptor number, named relative to it */
	}
	node = reopen(number, flags, &name, &fd);
	if (node <= 0)
		return node < 0 ? node : fd;
	tree_lock();
	return open_found(node, name, flags);
}

/* A descriptor of ours closed: POSIX drops the process's record locks on the file at any close of it. */
static void close_open(struct open_file *open)
{
	if (open->kind == OPEN_FILE)
		fs_record_locks_drop(open->node, libos_process_of((u64)exo_self()));
	fs_drop_open(open);
}

i64 fs_close(i64 fd)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	current_table()->fd[fd] = NULL;
	close_open(open);
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

/* F_GETFL: the access mode and O_APPEND; F_SETFL (set >= 0): O_APPEND, the one flag kept that may change. */
i64 fs_status_flags(i64 fd, i64 set)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind == OPEN_PIPE)
		return set >= 0 ? 0 : open->write_end ? 1 : 0;
	if (!has_ofd(open))
		return set >= 0 ? 0 : 2;
	tree_lock();
	struct ofd *shared = tree_ofd(open->ofd);
	i64 flags = shared ? shared->flags : 0;
	if (shared && set >= 0)
		shared->flags = (shared->flags & ~(u32)O_APPEND) | ((u32)set & O_APPEND);
	tree_unlock();
	return set >= 0 ? 0 : flags;
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
		close_open(table->fd[to]); /* closed in passing, as by close */
	table->fd[to] = open;
	table->cloexec[to] = flags & O_CLOEXEC;
	return to;
}

static struct open_file *pipe_end(u64 frame, struct pipe *pipe, bool write_end)
{
	struct open_file *end = fs_new_open(OPEN_PIPE);
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
		fs_drop_open(reader);
		fs_drop_open(writer);
		return -L_EMFILE;
	}
	out[0] = (int)read_fd;
	out[1] = (int)write_fd;
	return 0;
}

/*
 * Descriptors across exec: the exec block carries, per inherited fd, its
 * kind and what names it (a node and its shared description, a pipe frame
 * and end).  Each pipe end and description passed on counts once more, so
 * the new image takes it over.
 */
enum { PASS_CONSOLE = 1, PASS_FILE = 2, PASS_PIPE_READ = 3, PASS_PIPE_WRITE = 4, PASS_DIR = 5, PASS_DEV = 6 };
static const u8 pass_kind[] = { [OPEN_FILE] = PASS_FILE, [OPEN_DIR] = PASS_DIR, [OPEN_DEV] = PASS_DEV };
static const u8 open_kind_passed[] = { [PASS_FILE] = OPEN_FILE, [PASS_DIR] = OPEN_DIR, [PASS_DEV] = OPEN_DEV };

/*
 * Each inherited descriptor in two words: its number, kind and the entry it
 * was opened by (fd | kind << 8 | name << 32), then what names it (node |
 * description << 32, or a pipe's frame).
 */
u32 fs_export(u64 *out)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = current_table();
	u32 count = 0;
	for (u32 fd = 0; fd < MAX_FDS; fd++) {
		struct open_file *open = table->fd[fd];
		if (!open || table->cloexec[fd])
			continue;
		u64 *record = out + FS_PASS_WORDS * count++;
		u64 kind = open->kind == OPEN_CONSOLE ? PASS_CONSOLE : open->kind == OPEN_PIPE ?
		           (open->write_end ? PASS_PIPE_WRITE : PASS_PIPE_READ) : pass_kind[open->kind];
		record[0] = fd | kind << 8 | (u64)open->name << 32;
		record[1] = open->kind == OPEN_PIPE ? open->pipe_frame : open->node | (u64)open->ofd << 32;
	}
	return count;
}

/* Just before exec switches: each pipe end and file description passed on counts once more (the new image's). */
void fs_pin_exports(void)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = current_table();
	for (u32 fd = 0; fd < MAX_FDS; fd++) {
		struct open_file *open = table->fd[fd];
		if (!open || table->cloexec[fd])
			continue;
		if (open->kind == OPEN_PIPE)
			pipe_end_count(open->pipe, open->write_end, +1);
		else if (has_ofd(open))
			count_ofd(open->ofd, +1);
	}
}

void fs_import(const u64 *records, u64 count)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = &tables[0];
	for (u32 fd = 0; fd < 3; fd++)
		if (table->fd[fd]) {
			fs_drop_open(table->fd[fd]);
			table->fd[fd] = NULL;
		}
	for (u64 i = 0; i < count && i < MAX_FDS; i++) {
		const u64 *record = records + FS_PASS_WORDS * i;
		u64 fd = record[0] & 0xff, kind = (record[0] >> 8) & 0xff;
		struct open_file *open = NULL;
		if (kind == PASS_CONSOLE) {
			open = &console;
			console.refs++;
		} else if (kind == PASS_FILE || kind == PASS_DIR || kind == PASS_DEV) {
			open = fs_new_open(open_kind_passed[kind]);
			if (open)
				open->node = (u32)record[1], open->ofd = (u32)(record[1] >> 32), open->name = (u32)(record[0] >> 32);
		} else if (kind == PASS_PIPE_READ || kind == PASS_PIPE_WRITE) {
			struct pipe *pipe = pipe_map(record[1]);
			open = pipe ? pipe_end(record[1], pipe, kind == PASS_PIPE_WRITE) : NULL;
		}
		if (open && fd < MAX_FDS)
			table->fd[fd] = open;
	}
}

/*
 * A file's read or write, at its shared offset (moved) or at `at` (pread
 * and pwrite: not moved).  Files of the tree never make anyone wait.
 */
static i64 file_io(struct open_file *open, void *buf, u64 len, i64 at, bool writing)
{
	tree_lock();
	struct ofd *shared = tree_ofd(open->ofd);
	struct node *node = tree_node(open->node);
	i64 result;
	if (!shared || !node || shared->node != open->node)
		result = -L_EBADF;
	else if ((shared->flags & O_ACCMODE) == (writing ? 0 : 1))
		result = -L_EBADF; /* not open for it */
	else {
		/* O_APPEND wins even over pwrite's offset, as on Linux (its documented bug). */
		u64 offset = writing && (shared->flags & O_APPEND) ? node->size : at >= 0 ? (u64)at : shared->offset;
		result = writing ? file_write(node, offset, buf, len) : file_read(node, offset, buf, len);
		if (result > 0 && at < 0)
			shared->offset = offset + (u64)result;
	}
	tree_unlock();
	return result;
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
		return dev_read(dev_of(open), buf, len);
	return file_io(open, buf, len, -1, false);
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
		return dev_write(dev_of(open), len);
	if (open->kind == OPEN_FILE)
		return file_io(open, (void *)buf, len, -1, true);
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

bool fs_sleep_any(const struct fs_wait *waits, u32 count, u64 limit_ns)
{
	if (count > EXO_RECV_WORDS_MAX)
		return false;
	struct exo_word_wait words[EXO_RECV_WORDS_MAX];
	u64 ns = limit_ns;
	for (u32 i = 0; i < count; i++) {
		if (waits[i].kind != FS_WAIT_WORD && waits[i].kind != FS_WAIT_INPUT)
			return false; /* a nap or a yield: no word says when */
		if (waits[i].kind == FS_WAIT_WORD)
			ns = ns ? MIN(ns, FS_WORD_BACKSTOP_NS) : FS_WORD_BACKSTOP_NS;
		words[i] = (struct exo_word_wait){ (u64)waits[i].word, waits[i].expected };
	}
	libos_wait_words(words, count, ns);
	return true;
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
	tree_lock();
	struct ofd *shared = tree_ofd(open->ofd);
	const struct node *node = tree_node(open->node);
	i64 base = !shared || !node ? 0 : whence == 0 ? 0 : whence == 1 ? (i64)shared->offset : (i64)node->size;
	i64 result = !shared || !node ? -L_EBADF : whence > 2 || base + offset < 0 ? -L_EINVAL : base + offset;
	if (result >= 0)
		shared->offset = (u64)result;
	tree_unlock();
	return result;
}


/* pread and pwrite: at an offset, the shared one left where it is. */
i64 fs_pio(i64 fd, void *buf, u64 len, i64 at, bool writing)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (at < 0)
		return -L_EINVAL;
	if (open->kind == OPEN_PIPE || open->kind == OPEN_CONSOLE)
		return -L_ESPIPE;
	if (open->kind == OPEN_DEV)
		return writing ? dev_write(dev_of(open), len) : dev_read(dev_of(open), buf, len);
	if (open->kind == OPEN_DIR)
		return -L_EISDIR;
	return file_io(open, buf, len, at, writing);
}

i64 fs_ftruncate(i64 fd, i64 size)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	if (size < 0)
		return -L_EINVAL;
	if (open->kind != OPEN_FILE)
		return -L_EINVAL;
	tree_lock();
	struct ofd *shared = tree_ofd(open->ofd);
	struct node *node = tree_node(open->node);
	i64 result = !shared || !node || (shared->flags & O_ACCMODE) == 0 ? -L_EINVAL : file_truncate(node, (u64)size);
	tree_unlock();
	return result;
}

i64 fs_fsync(i64 fd)
{
	HOLD_LIBOS_LOCK();
	return fd_at(fd) ? 0 : -L_EBADF; /* memory is where the bytes stay */
}

/*
 * flock: a lock on the file held by an open file description (its
 * ofd->spare: 1 shared, 2 exclusive), so it is shared across fork and exec
 * as the description is, and goes with its last reference.  A lock that
 * conflicts with another description's waits (a tick at a time) unless
 * LOCK_NB.
 */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

static bool flock_conflicts(u32 ofd, u32 node, u32 want)
{
	for (u32 other = 1; tree_ofd(other); other++) {
		const struct ofd *held = tree_ofd(other);
		if (other != ofd && held->refs && held->node == node && held->spare && (held->spare == 2 || want == 2))
			return true;
	}
	return false;
}

i64 fs_flock(i64 fd, u64 op)
{
	u32 want = (op & ~(u64)LOCK_NB) == LOCK_SH ? 1 : (op & ~(u64)LOCK_NB) == LOCK_EX ? 2 :
	           (op & ~(u64)LOCK_NB) == LOCK_UN ? 0 : 3;
	if (want == 3)
		return -L_EINVAL;
	for (;;) {
		{
			HOLD_LIBOS_LOCK();
			struct open_file *open = fd_at(fd);
			if (!open)
				return -L_EBADF;
			if (!has_ofd(open))
				return -L_EINVAL;
			tree_lock();
			struct ofd *shared = tree_ofd(open->ofd);
			bool wait = shared && want && flock_conflicts(open->ofd, open->node, want);
			if (shared && (!wait || shared->spare != want))
				shared->spare = wait ? 0 : want; /* a conversion lets the old lock go first, as Linux's */
			tree_unlock();
			if (!shared)
				return -L_EBADF;
			if (!wait)
				return 0;
			if (op & LOCK_NB)
				return -L_EWOULDBLOCK;
		}
		struct fs_wait nap = { FS_WAIT_NAP, NULL, 0 };
		fs_sleep(&nap, 0);
		if (sig_ready(sig_here()))
			return -L_EINTR;
	}
}
