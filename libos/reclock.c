/*
 * fcntl's record locks (F_GETLK, F_SETLK, F_SETLKW): advisory byte-range
 * locks on a file, owned by a process, kept in a table of the shared
 * tree's records so every process sees them.  As POSIX says, a process's
 * locks on a file go when it closes any descriptor of that file, and all
 * of them when it ends; a forked child inherits none; exec keeps them.
 * A lock that conflicts with another process's waits (a tick at a time)
 * under F_SETLKW, or fails with EAGAIN under F_SETLK.
 */
#include "libos/fs_internal.h"
#include "libos/tree_layout.h"
#include "libos/signal.h"
#include "libos/proctab.h"
#include <string.h>

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define RANGE_END (~0ull) /* to the end of the file, however it grows */

/* struct flock (asm-generic, 64-bit). */
struct flock_l {
	int16_t type, whence;
	i64 start, len;
	i32 pid;
};

#define LOCKS ((struct record_lock *)(TREE_VA + T->off_locks))

static u32 caller(void) { return (u32)libos_process_of((u64)exo_self()); }
static void clear_lock(struct record_lock *lock);

static bool overlaps(const struct record_lock *lock, u64 start, u64 end) { return lock->start < end && start < lock->end; }

/* Another process's lock on node that keeps a `type` lock off [start, end), or NULL. */
static struct record_lock *conflict(u32 node, u32 pid, u8 type, u64 start, u64 end)
{
	for (u32 i = 0; i < T->locks_max; i++) {
		struct record_lock *lock = &LOCKS[i];
		if (lock->node == node && lock->pid && lock->pid != pid && overlaps(lock, start, end) &&
		    (lock->type == F_WRLCK || type == F_WRLCK)) {
			if (proctab_find(lock->pid))
				return lock;
			clear_lock(lock); /* its process ended without letting go (killed): gone */
		}
	}
	return NULL;
}

/* An entry cleared, or filled: locks_used follows, so a process with none skips the table at close and exit. */
static void clear_lock(struct record_lock *lock)
{
	if (lock->pid)
		T->locks_used--;
	*lock = (struct record_lock){ 0 };
}

static struct record_lock *free_lock(void)
{
	for (u32 i = 0; i < T->locks_max; i++)
		if (!LOCKS[i].pid)
			return &LOCKS[i];
	return NULL;
}

/*
 * Our locks on node over [start, end) taken away (what lies outside stays,
 * a lock straddling the range split in two): 0, or -ENOLCK with nothing
 * changed if a split finds no free entry.
 */
static int take_away(u32 node, u32 pid, u64 start, u64 end)
{
	u32 splits = 0, free = 0;
	for (u32 i = 0; i < T->locks_max; i++) {
		const struct record_lock *lock = &LOCKS[i];
		free += !lock->pid;
		splits += lock->pid == pid && lock->node == node && lock->start < start && lock->end > end;
	}
	if (splits > free)
		return -37; /* ENOLCK */
	for (u32 i = 0; i < T->locks_max; i++) {
		struct record_lock *lock = &LOCKS[i];
		if (lock->pid != pid || lock->node != node || !overlaps(lock, start, end))
			continue;
		if (lock->start < start && lock->end > end) {
			struct record_lock *right = free_lock();
			*right = *lock;
			T->locks_used++;
			right->start = end;
			lock->end = start;
		} else if (lock->start < start) {
			lock->end = start;
		} else if (lock->end > end) {
			lock->start = end;
		} else {
			clear_lock(lock);
		}
	}
	return 0;
}

/* The byte range a struct flock names for an open file: 0, or -EINVAL. */
static int range_of(const struct flock_l *request, const struct ofd *shared, const struct node *file, u64 *start,
                    u64 *end)
{
	i64 base = request->whence == 0 ? 0 : request->whence == 1 ? (i64)shared->offset :
	           request->whence == 2 ? (i64)file->size : -1;
	if (base < 0)
		return -L_EINVAL;
	i64 from = base + request->start, len = request->len;
	if (len < 0) { /* the bytes before from */
		from += len;
		len = -len;
	}
	if (from < 0)
		return -L_EINVAL;
	*start = (u64)from;
	*end = len == 0 ? RANGE_END : (u64)from + (u64)len;
	return 0;
}

/* One try under both locks: 0 done, 1 to wait, or an errno. */
static i64 try_lock(i64 fd, u64 cmd, struct flock_l *request)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fs_fd(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind != OPEN_FILE)
		return -L_EINVAL;
	if (request->type != F_RDLCK && request->type != F_WRLCK && request->type != F_UNLCK)
		return -L_EINVAL;
	tree_lock();
	const struct ofd *shared = tree_ofd(open->ofd);
	const struct node *file = tree_node(open->node);
	u64 start, end;
	i64 result = !shared || !file ? -L_EBADF : range_of(request, shared, file, &start, &end);
	u32 pid = caller(), mode = shared ? shared->flags & O_ACCMODE : 0;
	if (!result && cmd != F_GETLK && ((request->type == F_RDLCK && mode == 1) || (request->type == F_WRLCK && mode == 0)))
		result = -L_EBADF; /* a read lock needs a readable descriptor, a write lock a writable one */
	struct record_lock *other = result ? NULL : conflict(open->node, pid, (u8)request->type, start, end);
	if (!result && cmd == F_GETLK) {
		if (other) {
			request->type = other->type;
			request->whence = 0;
			request->start = (i64)other->start;
			request->len = other->end == RANGE_END ? 0 : (i64)(other->end - other->start);
			request->pid = (i32)other->pid;
		} else {
			request->type = F_UNLCK;
		}
	} else if (!result && request->type != F_UNLCK && other) {
		result = 1;
	} else if (!result) {
		result = take_away(open->node, pid, start, end);
		struct record_lock *lock = !result && request->type != F_UNLCK ? free_lock() : NULL;
		if (lock) {
			*lock = (struct record_lock){ open->node, pid, (u8)request->type, start, end };
			T->locks_used++;
		}
		else if (!result && request->type != F_UNLCK)
			result = -37; /* ENOLCK */
	}
	tree_unlock();
	return result;
}

i64 fs_record_lock(i64 fd, u64 cmd, void *arg)
{
	struct flock_l request;
	memcpy(&request, arg, sizeof(request)); /* a bad pointer faults here, outside the locks */
	for (;;) {
		i64 result = try_lock(fd, cmd, &request);
		if (result == 1 && cmd == F_SETLKW) {
			struct fs_wait nap = { FS_WAIT_NAP, NULL, 0 };
			fs_sleep(&nap, 0);
			if (sig_ready(sig_here()))
				return -L_EINTR;
			continue;
		}
		if (result == 1)
			return -L_EAGAIN;
		if (result == 0 && cmd == F_GETLK)
			memcpy(arg, &request, sizeof(request));
		return result;
	}
}

/* A descriptor of node closed (node 0: the process ends): the process's locks on it go.  Under the libos lock. */
void fs_record_locks_drop(u32 node, u64 process)
{
	if (!libos.tree_mapped || !__atomic_load_n(&T->locks_used, __ATOMIC_RELAXED))
		return; /* no lock anywhere (or none this image could have taken): no lock taken, no scan */
	tree_lock();
	for (u32 i = 0; i < T->locks_max; i++)
		if (LOCKS[i].pid == (u32)process && (!node || LOCKS[i].node == node))
			clear_lock(&LOCKS[i]);
	tree_unlock();
}
