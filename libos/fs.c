/*
 * Files: the boot archive (a newc cpio, mapped read-only by the kernel) as a
 * read-only file system with one directory, the console as fds 0-2, pipes
 * (libos/pipe.c), and the descriptor tables that name them.
 */
#include "libos/libos.h"
#include "exo/cpio.h"
#include "libos/pipe.h"
#include "libos/signal.h"
#include "libos/tty.h"
#include <string.h>

#define MAX_FDS FS_MAX_FDS
#define MAX_FILES 128
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define DT_DIR 4
#define DT_REG 8
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_DIRECTORY 0200000
#define FS_NAP_NS 10000000 /* 10 ms, a tick: how often a waiting read or write tries again */
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

static struct file files[MAX_FILES];
static u32 nfiles;

enum open_kind { OPEN_FREE, OPEN_CONSOLE, OPEN_FILE, OPEN_DIR, OPEN_PIPE };

/*
 * An open file (what dup shares: the offset), and the descriptor tables
 * that point at open files.  Every environment running in this address
 * space has its own table (a vfork child gets a copy), all in this memory.
 */
struct open_file {
	u8 kind;
	bool write_end; /* pipes */
	u32 refs;
	u32 file; /* OPEN_FILE: index in files */
	u64 offset;
	struct pipe *pipe; /* pipe.c maps it */
	u64 pipe_frame;
};

struct fdtable {
	u64 env; /* 0: unused */
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
	u64 offset = 0;
	struct cpio_entry entry;
	while (libos.archive && nfiles < MAX_FILES &&
	       cpio_next((const void *)libos.archive, libos.archive_size, &offset, &entry) == 1) {
		if ((entry.mode & CPIO_MODE_TYPE) != CPIO_MODE_FILE)
			continue;
		const char *name = strncmp(entry.name, "./", 2) == 0 ? entry.name + 2 : entry.name;
		files[nfiles++] = (struct file){ name, entry.data, entry.size };
	}
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

/* "/hello", "hello", "./hello": a file; "/", ".", "": the directory. */
static int lookup(const char *path, u32 *file)
{
	if (*path == 0)
		return -L_ENOENT;
	while (*path == '/')
		path++;
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	if (*path == 0 || strcmp(path, ".") == 0)
		return 1;
	/* "name/" names a directory: a file by that name is ENOTDIR. */
	u64 len = strlen(path);
	bool as_dir = path[len - 1] == '/';
	for (u32 i = 0; i < nfiles; i++)
		if (strncmp(files[i].name, path, len - as_dir) == 0 && files[i].name[len - as_dir] == 0) {
			*file = i;
			return as_dir ? -L_ENOTDIR : 0;
		}
	return -L_ENOENT;
}

static struct open_file *fd_at(i64 fd)
{
	return fd >= 0 && fd < MAX_FDS ? current_table()->fd[fd] : NULL;
}

#define O_CLOEXEC 02000000

i64 fs_open(const char *path, u64 flags)
{
	HOLD_LIBOS_LOCK();
	u32 file = 0;
	int found = lookup(path, &file);
	if (found < 0)
		return (flags & O_CREAT) ? -L_EROFS : found;
	if ((flags & O_ACCMODE) != 0 || (flags & O_CREAT))
		return -L_EROFS;
	if (found == 0 && (flags & O_DIRECTORY))
		return -L_ENOTDIR;
	struct open_file *open = new_open(found ? OPEN_DIR : OPEN_FILE);
	if (!open)
		return -L_EMFILE;
	open->file = file;
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

i64 fs_is_dir(const char *path)
{
	u32 file;
	return lookup(path, &file);
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
	return open->kind == OPEN_CONSOLE ? 2 : 0;
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
enum { PASS_CONSOLE = 1, PASS_FILE = 2, PASS_PIPE_READ = 3, PASS_PIPE_WRITE = 4 };
#define PASS_FDS 16

u32 fs_export(u64 *out)
{
	HOLD_LIBOS_LOCK();
	struct fdtable *table = current_table();
	u32 count = 0;
	for (u32 fd = 0; fd < PASS_FDS; fd++) {
		struct open_file *open = table->fd[fd];
		if (!open || table->cloexec[fd] || open->kind == OPEN_DIR)
			continue;
		u64 *record = out + 4 * count++;
		record[0] = fd;
		if (open->kind == OPEN_CONSOLE) {
			record[1] = PASS_CONSOLE;
		} else if (open->kind == OPEN_FILE) {
			record[1] = PASS_FILE, record[2] = open->file, record[3] = open->offset;
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
		} else if (record[1] == PASS_FILE && record[2] < nfiles) {
			open = new_open(OPEN_FILE);
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
	const struct file *file = &files[open->file];
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
	return open->kind == OPEN_CONSOLE ? console_write_all(buf, len) : -L_EBADF;
}

/*
 * Reads and writes wait outside the lock, so the process's other threads go
 * on meanwhile.  A pipe's sleep also ends after FS_WORD_BACKSTOP_NS, in case
 * its peer died before it could wake us (killed by the kernel).
 */
#define FS_WORD_BACKSTOP_NS 100000000

static void fs_wait(const struct fs_wait *wait)
{
	if (wait->kind == FS_WAIT_WORD)
		libos_wait_word(wait->word, wait->expected, FS_WORD_BACKSTOP_NS);
	else if (wait->kind == FS_WAIT_INPUT)
		libos_wait_word(wait->word, wait->expected, 0);
	else if (wait->kind == FS_WAIT_YIELD)
		exo_yield();
	else
		libos_nap(FS_NAP_NS);
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
		fs_wait(&wait);
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
			fs_wait(&wait);
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
	i64 base = whence == 0 ? 0 : whence == 1 ? (i64)open->offset :
	           open->kind == OPEN_FILE ? (i64)files[open->file].size : (i64)nfiles;
	if (whence > 2 || base + offset < 0)
		return -L_EINVAL;
	open->offset = (u64)(base + offset);
	return (i64)open->offset;
}

/* The archive's bytes for a path (exec reads programs from here). */
int fs_find(const char *path, const u8 **data, u64 *size)
{
	u32 file = 0;
	int found = lookup(path, &file);
	if (found != 0)
		return found < 0 ? found : -L_EISDIR;
	*data = files[file].data;
	*size = files[file].size;
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

static void fill_stat(struct stat_l *st, u8 kind, u32 file)
{
	memset(st, 0, sizeof(*st));
	st->nlink = 1;
	st->blksize = 4096;
	if (kind == OPEN_PIPE) {
		st->mode = 0010000 | 0600; /* S_IFIFO */
	} else if (kind == OPEN_CONSOLE) {
		st->mode = S_IFCHR | 0620;
		st->rdev = 0x8800; /* a tty */
	} else if (kind == OPEN_DIR) {
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
	HOLD_LIBOS_LOCK();
	struct open_file *open = fd_at(fd);
	if (!open)
		return -L_EBADF;
	fill_stat(statbuf, open->kind, open->file);
	return 0;
}

i64 fs_stat(const char *path, void *statbuf)
{
	u32 file = 0;
	int found = lookup(path, &file);
	if (found < 0)
		return found;
	fill_stat(statbuf, found ? OPEN_DIR : OPEN_FILE, file);
	return 0;
}

/* struct linux_dirent64 records, one per file, offset = index. */
i64 fs_getdents(i64 fd, void *buf, u64 len)
{
	HOLD_LIBOS_LOCK();
	struct open_file *entry = fd_at(fd);
	if (!entry)
		return -L_EBADF;
	if (entry->kind != OPEN_DIR)
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
