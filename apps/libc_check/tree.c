/*
 * libc_check's file checks: a writable file system as a program sees it
 * through musl, in /tmp.  Each line must match what Linux prints.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

void tree_checks(const char *self);
int tree_child(const char *mode);

#define DIR_T "/tmp/lc"

static const char *err_of(int result) { return result < 0 ? strerror(errno) : "ok"; }

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		write(fd, text, strlen(text));
		close(fd);
	}
}

static const char *got(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? strerror(errno) : buf;
}

static void create_and_io(void)
{
	int fd = open(DIR_T "/a", O_RDWR | O_CREAT | O_EXCL, 0640);
	printf("check: tree: O_EXCL create %s, again %s\n", err_of(fd),
	       err_of(open(DIR_T "/a", O_RDWR | O_CREAT | O_EXCL, 0640)));
	write(fd, "hello world", 11);
	char buf[32] = { 0 };
	pread(fd, buf, 5, 6);
	pwrite(fd, "HELLO", 5, 0);
	printf("check: tree: end %ld, pread %s, after pwrite offset %ld\n", (long)lseek(fd, 0, SEEK_END), buf,
	       (long)lseek(fd, 0, SEEK_CUR));
	int app = open(DIR_T "/a", O_WRONLY | O_APPEND);
	write(app, "!", 1);
	close(app);
	ftruncate(fd, 5);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, sizeof(buf) - 1, 0);
	ftruncate(fd, 8192);
	struct stat st;
	fstat(fd, &st);
	char zero = 'x';
	pread(fd, &zero, 1, 5000);
	printf("check: tree: truncated %s, grown to %ld, reads zero %d, mode %o\n", buf, (long)st.st_size, zero == 0,
	       st.st_mode & 07777);
	close(fd);
	printf("check: tree: O_DIRECTORY on a file %s, a directory for writing %s, read of O_WRONLY %s\n",
	       err_of(open(DIR_T "/a", O_RDONLY | O_DIRECTORY)), err_of(open(DIR_T, O_WRONLY)),
	       err_of(read(open(DIR_T "/a", O_WRONLY), buf, 1)));
}

static unsigned sum_of(const unsigned char *bytes, size_t len)
{
	unsigned sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = sum * 31 + bytes[i];
	return sum;
}

static void large_and_sparse(void)
{
	size_t len = 300 * 1024;
	unsigned char *data = malloc(len), *back = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	int fd = open(DIR_T "/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ssize_t wrote = write(fd, data, len);
	ssize_t read_back = pread(fd, back, len, 0);
	printf("check: tree: 300 KiB written %ld, read %ld, same %d\n", (long)wrote, (long)read_back,
	       sum_of(data, len) == sum_of(back, len) && memcmp(data, back, len) == 0);
	pwrite(fd, "far", 3, 5 << 20); /* past the indirect page's reach */
	char at[4] = { 0 }, hole = 'x';
	pread(fd, at, 3, 5 << 20);
	pread(fd, &hole, 1, 1 << 20);
	struct stat st;
	fstat(fd, &st);
	printf("check: tree: sparse size %ld, far %s, hole reads zero %d\n", (long)st.st_size, at, hole == 0);
	close(fd);
	unlink(DIR_T "/big");
	free(data);
	free(back);
}

static void names(void)
{
	put(DIR_T "/x", "x-data");
	put(DIR_T "/y", "y-data");
	printf("check: tree: rename over a file %s: y has %s, x %s\n", err_of(rename(DIR_T "/x", DIR_T "/y")),
	       got(DIR_T "/y"), got(DIR_T "/x"));
	mkdir(DIR_T "/d", 0755);
	mkdir(DIR_T "/d/e", 0755);
	put(DIR_T "/d/e/f", "f");
	printf("check: tree: into itself %s, file over a directory %s, directory over a file %s\n",
	       err_of(rename(DIR_T "/d", DIR_T "/d/e/g")), err_of(rename(DIR_T "/y", DIR_T "/d")),
	       err_of(rename(DIR_T "/d", DIR_T "/y")));
	mkdir(DIR_T "/m", 0755);
	printf("check: tree: over a non-empty directory %s, rmdir non-empty %s, rmdir a file %s, unlink a directory %s\n",
	       err_of(rename(DIR_T "/m", DIR_T "/d")), err_of(rmdir(DIR_T "/d")), err_of(rmdir(DIR_T "/y")),
	       err_of(unlink(DIR_T "/d")));
	printf("check: tree: mkdir again %s, directory moved %s, reads %s\n", err_of(mkdir(DIR_T "/d", 0755)),
	       err_of(rename(DIR_T "/d", DIR_T "/m")), got(DIR_T "/m/e/f"));
	struct stat st;
	link(DIR_T "/y", DIR_T "/y2");
	stat(DIR_T "/y", &st);
	int two = (int)st.st_nlink;
	unlink(DIR_T "/y2");
	stat(DIR_T "/y", &st);
	printf("check: tree: links %d then %d, directory links %d\n", two, (int)st.st_nlink,
	       stat(DIR_T "/m", &st) == 0 ? (int)st.st_nlink : -1);
	symlink("y", DIR_T "/s");
	symlink("loop", DIR_T "/loop");
	char target[16] = { 0 };
	readlink(DIR_T "/s", target, sizeof(target) - 1);
	lstat(DIR_T "/s", &st);
	printf("check: tree: symlink reads %s, target %s, lstat link %d, loop %s\n", got(DIR_T "/s"), target,
	       S_ISLNK(st.st_mode), err_of(open(DIR_T "/loop", O_RDONLY)));
	chmod(DIR_T "/y", 0600);
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 5 } };
	utimensat(AT_FDCWD, DIR_T "/y", times, 0);
	stat(DIR_T "/y", &st);
	printf("check: tree: chmod %o, mtime %ld.%ld\n", st.st_mode & 07777, (long)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);
}

/* Corners the review found: links with a trailing slash, removed directories, lock conversion. */
static void corners(void)
{
	mkdir(DIR_T "/target", 0755);
	symlink("target", DIR_T "/dirlink");
	printf("check: tree: rmdir link/ %s, unlink link/ %s, target still there %d\n",
	       err_of(rmdir(DIR_T "/dirlink/")), err_of(unlink(DIR_T "/dirlink/")), access(DIR_T "/target", F_OK) == 0);
	printf("check: tree: rmdir . %s, O_EXCL alone follows a link %s\n", err_of(rmdir(".")),
	       err_of(open(DIR_T "/s", O_RDONLY | O_EXCL)));
	mkdir(DIR_T "/gone", 0755);
	int dir = open(DIR_T "/gone", O_RDONLY | O_DIRECTORY);
	char cwd[256];
	getcwd(cwd, sizeof(cwd));
	chdir(DIR_T "/gone");
	rmdir(DIR_T "/gone");
	mkdir(DIR_T "/fresh", 0755); /* may be given the removed one's number */
	errno = 0;
	char *where = getcwd((char[256]){ 0 }, 256);
	printf("check: tree: removed cwd: getcwd %s, create in it %s, openat in a removed open directory %s\n",
	       where ? "a path" : strerror(errno), err_of(open("x", O_WRONLY | O_CREAT, 0644)),
	       err_of(openat(dir, "y", O_WRONLY | O_CREAT, 0644)));
	chdir(cwd);
	close(dir);
	struct stat st;
	stat(DIR_T "/fresh", &st);
	printf("check: tree: the fresh directory is empty: links %d\n", (int)st.st_nlink);
	int fd = open(DIR_T "/y", O_RDWR);
	printf("check: tree: flock shared then exclusive %s, then shared %s\n", err_of(flock(fd, LOCK_SH)),
	       err_of(flock(fd, LOCK_EX | LOCK_NB) < 0 ? -1 : flock(fd, LOCK_SH | LOCK_NB)));
	close(fd);
	int app = open(DIR_T "/y", O_WRONLY | O_APPEND);
	pwrite(app, "Z", 1, 0);
	close(app);
	printf("check: tree: pwrite on O_APPEND appends: %s\n", got(DIR_T "/y"));
	unlink(DIR_T "/dirlink");
	rmdir(DIR_T "/target");
	rmdir(DIR_T "/fresh");
}

/* File mappings: MAP_SHARED is the file's bytes (in this process, a forked child, another mapping); MAP_PRIVATE a copy. */
static void mappings(void)
{
	int fd = open(DIR_T "/mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ftruncate(fd, 8192);
	char *shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED) {
		printf("check: FAILED: mmap MAP_SHARED of a file: %s\n", strerror(errno));
		close(fd);
		return;
	}
	memcpy(shared + 4096, "through the mapping", 19);
	char buf[32] = { 0 };
	pread(fd, buf, 19, 4096);
	pwrite(fd, "by write", 8, 100);
	printf("check: tree: mmap shared: read sees %s, the mapping sees %.8s\n", buf, shared + 100);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(shared, "child", 5);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	char *again = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	printf("check: tree: after fork the parent sees %.5s; a second mapping at offset 4096 sees %.7s\n", shared,
	       again == MAP_FAILED ? "nothing" : again);
	char *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (private != MAP_FAILED) {
		memcpy(private, "PRIVATE", 7);
		printf("check: tree: mmap private: copy %.7s, file keeps %.5s\n", private, shared);
		munmap(private, 4096);
	}
	unlink(DIR_T "/mapped");
	printf("check: tree: unlinked while mapped still reads %.7s\n", again == MAP_FAILED ? "nothing" : again + 0);
	int readonly = open(DIR_T "/y", O_RDONLY), writeonly = open(DIR_T "/y", O_WRONLY), pipes[2];
	pipe(pipes);
	printf("check: tree: shared writable of a read-only fd %s\n",
	       mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, readonly, 0) == MAP_FAILED ? strerror(errno) : "ok");
	printf("check: tree: private of a write-only fd %s\n",
	       mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, writeonly, 0) == MAP_FAILED ? strerror(errno) : "ok");
	printf("check: tree: of a pipe %s\n",
	       mmap(NULL, 4096, PROT_READ, MAP_SHARED, pipes[0], 0) == MAP_FAILED ? strerror(errno) : "ok");
	printf("check: tree: at an unaligned offset %s\n",
	       mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, readonly, 100) == MAP_FAILED ? strerror(errno) : "ok");
	close(pipes[0]);
	close(pipes[1]);
	close(readonly);
	close(writeonly);
	munmap(shared, 8192);
	if (again != MAP_FAILED)
		munmap(again, 4096);
	close(fd);
}

/* Read-only data made writable (text patching, as some programs do): the page becomes the program's own copy. */
static const char constant_page[8192] __attribute__((aligned(4096))) = "read-only data";

static void constants_made_writable(void)
{
	char *page = (char *)constant_page;
	__asm__ volatile("" : "+r"(page)); /* the compiler no longer knows it points at a constant */
	int err = mprotect(page, 4096, PROT_READ | PROT_WRITE);
	if (err == 0)
		memcpy(page, "patched", 8);
	pid_t pid = fork();
	if (pid == 0)
		_exit(strcmp(page, "patched") == 0 ? 0 : 1);
	int status;
	waitpid(pid, &status, 0);
	printf("check: tree: mprotect of read-only data %s, reads %s, a child sees it %d\n", err ? strerror(errno) : "ok",
	       page, WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* fcntl's record locks between a parent and its child: ranges, conflicts, F_GETLK, release on close. */
static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &lock);
}

static void record_locks(void)
{
	int fd = open(DIR_T "/records", O_RDWR | O_CREAT, 0644), other = open(DIR_T "/records", O_RDWR);
	printf("check: tree: fcntl write lock %s, read lock elsewhere %s\n", err_of(set_lock(fd, F_SETLK, F_WRLCK, 0, 10)),
	       err_of(set_lock(fd, F_SETLK, F_RDLCK, 20, 5)));
	int ready[2], go[2];
	pipe(ready);
	pipe(go);
	pid_t pid = fork();
	if (pid == 0) {
		struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
		fcntl(fd, F_GETLK, &probe);
		int seen = probe.l_type == F_WRLCK && probe.l_start == 0 && probe.l_len == 10 && probe.l_pid == getppid();
		int refused = set_lock(fd, F_SETLK, F_RDLCK, 5, 10) < 0 && (errno == EAGAIN || errno == EACCES);
		int beside = set_lock(fd, F_SETLK, F_WRLCK, 10, 10) == 0;
		int shared_read = set_lock(fd, F_SETLK, F_RDLCK, 22, 1) == 0;
		char c = 'r';
		write(ready[1], &c, 1);
		read(go[0], &c, 1);
		int after_close = set_lock(fd, F_SETLKW, F_WRLCK, 0, 10) == 0; /* the parent's went with its close */
		_exit(seen | refused << 1 | beside << 2 | shared_read << 3 | after_close << 4);
	}
	char c;
	read(ready[0], &c, 1);
	int blocked = set_lock(fd, F_SETLK, F_WRLCK, 12, 1) < 0; /* the child's [10, 20) */
	close(other); /* any close of the file: all our locks on it go */
	write(go[1], &c, 1);
	int status;
	waitpid(pid, &status, 0);
	int bits = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	printf("check: tree: the child sees our lock %d, is refused %d, locks beside it %d, shares a read lock %d; "
	       "we are refused its %d; after our close it locks %d\n",
	       bits & 1, bits >> 1 & 1, bits >> 2 & 1, bits >> 3 & 1, blocked, bits >> 4 & 1);
	printf("check: tree: a lock after the child ended %s, a bad type %s\n",
	       err_of(set_lock(fd, F_SETLK, F_WRLCK, 0, 0)), err_of(set_lock(fd, F_SETLK, 7, 0, 1)));
	close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
	close(fd);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void listing(void)
{
	DIR *dir = opendir(DIR_T);
	char *seen[32];
	int count = 0;
	struct dirent *entry;
	while (dir && (entry = readdir(dir)) && count < 32)
		seen[count++] = strdup(entry->d_name);
	if (dir)
		closedir(dir);
	qsort(seen, count, sizeof(seen[0]), by_name);
	printf("check: tree: %s has", DIR_T);
	for (int i = 0; i < count; i++) {
		printf(" %s", seen[i]);
		free(seen[i]);
	}
	printf("\n");
}

/* Names and types of an open directory's entries from where it stands, one line. */
static void print_entries(DIR *dir)
{
	struct dirent *entry;
	while ((entry = readdir(dir)))
		printf(" %s%s", entry->d_name, entry->d_type == DT_LNK ? "@" : entry->d_type == DT_DIR ? "/" : "?");
	printf("\n");
}

/*
 * /proc/self/fd as a directory (glibc's and busybox's close-all loops, ls):
 * ".", "..", then a link per open descriptor in increasing order.
 */
static void proc_fd_listing(void)
{
	mount("proc", "/proc", "proc", 0, NULL); /* Linux's /init has no /proc of its own; exo's libos answers for it */
	struct stat self, fds;
	printf("check: tree: /proc/self is a directory %d, /proc/self/fd %d\n",
	       stat("/proc/self", &self) == 0 && S_ISDIR(self.st_mode),
	       stat("/proc/self/fd", &fds) == 0 && S_ISDIR(fds.st_mode));
	/* Nothing is made in /proc, and nothing moves in or out of it (another file system on Linux). */
	int made = open("/proc/self/lc_new", O_WRONLY | O_CREAT, 0644);
	printf("check: tree: in /proc: create %s", made < 0 ? strerror(errno) : "ok");
	printf(", mkdir %s", mkdir("/proc/lc_dir", 0755) < 0 ? strerror(errno) : "ok");
	printf(", rename out %s\n", rename("/proc/self", DIR_T "/moved") < 0 ? strerror(errno) : "ok");
	int high = dup2(1, 41), mid = open(DIR_T "/y", O_RDONLY);
	DIR *dir = opendir("/proc/self/fd");
	if (!dir) {
		printf("check: FAILED: opendir /proc/self/fd: %s\n", strerror(errno));
		close(high), close(mid);
		return;
	}
	printf("check: tree: /proc/self/fd (fd %d %d, the listing's %d) has", high, mid, dirfd(dir));
	print_entries(dir);
	char name[16];
	snprintf(name, sizeof(name), "%d", mid);
	struct stat st;
	int again = openat(dirfd(dir), name, O_RDONLY);
	int terminal = fstatat(dirfd(dir), "41", &st, 0) == 0 && S_ISCHR(st.st_mode);
	printf("check: tree: named relative to it: open %s, 41 a terminal %d, 99 %s\n", err_of(again), terminal,
	       err_of(fstatat(dirfd(dir), "99", &st, 0)));
	close(again);
	struct stat link_high, link_mid;
	snprintf(name, sizeof(name), "/proc/self/fd/%d", mid);
	int lstat_high = lstat("/proc/self/fd/41", &link_high), lstat_mid = lstat(name, &link_mid);
	printf("check: tree: lstat of entries: links %d %d, rights %o %o\n",
	       lstat_high == 0 && S_ISLNK(link_high.st_mode), lstat_mid == 0 && S_ISLNK(link_mid.st_mode),
	       link_high.st_mode & 0777, link_mid.st_mode & 0777);
	close(high);
	rewinddir(dir);
	printf("check: tree: after a close it has");
	print_entries(dir);
	closedir(dir);
	close(mid);
}

static void unlinked_while_open(void)
{
	put(DIR_T "/gone", "still here");
	int fd = open(DIR_T "/gone", O_RDONLY);
	unlink(DIR_T "/gone");
	struct stat st;
	fstat(fd, &st);
	char buf[16] = { 0 };
	read(fd, buf, sizeof(buf) - 1);
	close(fd);
	printf("check: tree: unlinked while open: links %d, reads %s, path %s\n", (int)st.st_nlink, buf,
	       err_of(open(DIR_T "/gone", O_RDONLY)));
}

/* One open file description, one offset: a forked child's write and an exec'd program's come first. */
static void shared_offsets(const char *self)
{
	int fd = open(DIR_T "/shared", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid = fork();
	if (pid == 0) {
		write(fd, "child\n", 6);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	write(fd, "parent\n", 7);
	dup2(fd, 5);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "child", "tree-write", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	write(fd, "after\n", 6);
	close(fd);
	close(5);
	char text[64];
	snprintf(text, sizeof(text), "%s", got(DIR_T "/shared"));
	for (char *at = text; *at; at++)
		*at = *at == '\n' ? ',' : *at;
	printf("check: tree: one offset across fork and exec: %s (exec status %d)\n", text, WEXITSTATUS(status));
}

static void locks(void)
{
	int fd = open(DIR_T "/lock", O_RDWR | O_CREAT, 0644);
	flock(fd, LOCK_EX);
	pid_t pid = fork();
	if (pid == 0) {
		int own = open(DIR_T "/lock", O_RDWR);
		int other = flock(own, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		int shared_inherited = flock(fd, LOCK_EX | LOCK_NB) == 0; /* the same description: already its */
		_exit(other | shared_inherited << 1);
	}
	int status;
	waitpid(pid, &status, 0);
	flock(fd, LOCK_UN);
	int again = open(DIR_T "/lock", O_RDWR);
	printf("check: tree: flock: another description waits %d, the inherited one holds %d, after unlock %s\n",
	       WEXITSTATUS(status) & 1, WEXITSTATUS(status) >> 1 & 1, err_of(flock(again, LOCK_EX | LOCK_NB)));
	close(again);
	close(fd);
}

static void space_back(void)
{
	struct statfs before, after;
	statfs("/tmp", &before);
	int fd = open(DIR_T "/space", O_WRONLY | O_CREAT, 0644);
	static char block[65536];
	for (int i = 0; i < 16; i++)
		write(fd, block, sizeof(block));
	close(fd);
	unlink(DIR_T "/space");
	statfs("/tmp", &after);
	printf("check: tree: a 1 MiB file's blocks come back: %d\n", after.f_bfree == before.f_bfree);
	printf("~ tree: statfs type %lx, blocks %ld free %ld\n", (long)after.f_type, (long)after.f_blocks,
	       (long)after.f_bfree);
}

static void remove_all(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *dir = opendir(path);
		struct dirent *entry;
		char names[32][64];
		int count = 0;
		while (dir && (entry = readdir(dir)) && count < 32)
			if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
				snprintf(names[count++], 64, "%s", entry->d_name);
		if (dir)
			closedir(dir);
		for (int i = 0; i < count; i++) {
			char child[256];
			snprintf(child, sizeof(child), "%s/%s", path, names[i]);
			remove_all(child);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

int tree_child(const char *mode)
{
	if (strcmp(mode, "tree-write") == 0)
		return write(5, "exec\n", 5) == 5 ? 0 : 1;
	return 2;
}

void tree_checks(const char *self)
{
	printf("check: tree: mkdir %s\n", err_of(mkdir(DIR_T, 0755)));
	create_and_io();
	large_and_sparse();
	names();
	corners();
	mappings();
	constants_made_writable();
	record_locks();
	unlinked_while_open();
	shared_offsets(self);
	locks();
	space_back();
	listing();
	proc_fd_listing();
	remove_all(DIR_T);
	struct stat st;
	printf("check: tree: all removed %s\n", err_of(stat(DIR_T, &st)));
}
