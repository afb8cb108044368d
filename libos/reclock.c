/*
 * fcntl's record locks: advisory byte-range locks on a file, kept in a
 * table of the shared tree's records so every process sees them.  Two
 * kinds of owner, as on Linux:
 *  - a process (F_GETLK, F_SETLK, F_SETLKW): as POSIX says, its locks on a
 *    file go when it closes any descriptor of that file, and all of them
 *    when it ends; a forked child inherits none; exec keeps them;
 *  - an open file description (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
 *    its locks go with its last reference, and a forked child shares them
 *    as it shares the description.
 * Locks of different owners conflict, whatever their kinds.  A lock that
 * conflicts waits (a tick at a time) under F_SETLKW and F_OFD_SETLKW, or
 * fails with EAGAIN.  A process that waits says for what (a lock_wait), so
 * that F_SETLKW can refuse with EDEADLK a wait that would never end.
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
#define F_OFD_GETLK 36 /* F_OFD_x - F_OFD_GETLK + F_GETLK is its process twin */
#define F_OFD_SETLKW 38
#define RANGE_END (~0ull) /* to the end of the file, however it grows */
#define DEADLOCK_HOPS 10  /* how far along a chain of waiters Linux looks (MAX_DEADLK_ITERATIONS) */

/* struct flock (asm-generic, 64-bit). */
struct flock_l {
	int16_t type, whence;
	i64 start, len;
	i32 pid;
};

/* Who asks: a process, or an open file description. */
struct lock_owner {
	u32 id;
	bool by_description;
};

#define LOCKS ((struct record_lock *)(TREE_VA + T->off_locks))
#define WAITS ((struct lock_wait *)(TREE_VA + T->off_lock_waits))

static u32 caller(void) { return (u32)libos_process_of((u64)exo_self()); }
static void clear_lock(struct record_lock *lock);

static bool overlaps(const struct record_lock *lock, u64 start, u64 end) { return lock->start < end && start < lock->end; }
static bool owned_by(const struct record_lock *lock, struct lock_owner owner)
{
	return lock->owner == owner.id && lock->by_description == owner.by_description;
}

/* Is the lock's owner still there?  A process may have ended without letting go (killed). */
static bool owner_alive(const struct record_lock *lock)
{
	if (!lock->by_description)
		return proctab_find(lock->owner);
	const struct ofd *description = tree_ofd(lock->owner);
	return description && description->refs && description->node == lock->node;
}

/* Another owner's lock on node that keeps a `type` lock off [start, end), or NULL. */
static struct record_lock *conflict(u32 node, struct lock_owner owner, u8 type, u64 start, u64 end)
{
	for (u32 i = 0; i < T->locks_max; i++) {
		struct record_lock *lock = &LOCKS[i];
		if (lock->node == node && lock->owner && !owned_by(lock, owner) && overlaps(lock, start, end) &&
		    (lock->type == F_WRLCK || type == F_WRLCK)) {
			if (owner_alive(lock))
				return lock;
			clear_lock(lock); /* its owner went without letting go: gone */
		}
	}
	return NULL;
}

/* An entry cleared, or filled: locks_used follows, so a process with none skips the table at close and exit. */
static void clear_lock(struct record_lock *lock)
{
	if (lock->owner)
		T->locks_used--;
	*lock = (struct record_lock){ 0 };
}

static struct record_lock *free_lock(void)
{
	for (u32 i = 0; i < T->locks_max; i++)
		if (!LOCKS[i].owner)
			return &LOCKS[i];
	return NULL;
}

/*
 * The owner's locks on node over [start, end) taken away (what lies
 * outside stays, a lock straddling the range split in two): 0, or -ENOLCK
 * with nothing changed if a split finds no free entry.
 */
static int take_away(u32 node, struct lock_owner owner, u64 start, u64 end)
{
	u32 splits = 0, free = 0;
	for (u32 i = 0; i < T->locks_max; i++) {
		const struct record_lock *lock = &LOCKS[i];
		free += !lock->owner;
		splits += owned_by(lock, owner) && lock->node == node && lock->start < start && lock->end > end;
	}
	if (splits > free)
		return -L_ENOLCK;
	for (u32 i = 0; i < T->locks_max; i++) {
		struct record_lock *lock = &LOCKS[i];
		if (!owned_by(lock, owner) || lock->node != node || !overlaps(lock, start, end))
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

/* ---- Waiters, for EDEADLK. ---- */

static struct lock_wait *wait_of(u32 process)
{
	for (u32 i = 0; i < LOCK_WAITS; i++)
		if (WAITS[i].waiter == process)
			return &WAITS[i];
	return NULL;
}

/* The process waits (in F_SETLKW) for a `type` lock on node over [start, end); false if no entry is free. */
static bool note_wait(u32 process, u32 node, u8 type, u64 start, u64 end)
{
	struct lock_wait *wait = wait_of(process);
	for (u32 i = 0; !wait && i < LOCK_WAITS; i++)
		if (!WAITS[i].waiter || !proctab_find(WAITS[i].waiter)) /* free, or its process was killed */
			wait = &WAITS[i];
	if (wait)
		*wait = (struct lock_wait){ process, node, type, start, end };
	return wait != NULL;
}

static void end_wait(u32 process)
{
	struct lock_wait *wait = wait_of(process);
	if (wait)
		*wait = (struct lock_wait){ 0 };
}

/*
 * The process that the waiting process waits for, or 0: the owner of a
 * lock that still keeps it waiting (looked for afresh, so a lock let go
 * since its last try does not count), if a process owns it.
 */
static u32 waits_for(u32 process)
{
	const struct lock_wait *wait = process ? wait_of(process) : NULL;
	if (!wait)
		return 0;
	struct lock_owner waiter = { process, false };
	const struct record_lock *lock = conflict(wait->node, waiter, wait->type, wait->start, wait->end);
	return lock && !lock->by_description ? lock->owner : 0;
}

/*
 * Would `me` waiting for `blocker` never end?  Linux's rule
 * (posix_locks_deadlock): yes if the blocker's owner waits, directly or
 * through a chain of waiters, for a lock `me` holds.  A description's lock
 * waits for nobody's in particular, so a chain through one ends there.
 */
static bool would_deadlock(u32 me, const struct record_lock *blocker)
{
	u32 holder = blocker->by_description ? 0 : blocker->owner;
	for (u32 hops = 0; holder && hops <= DEADLOCK_HOPS; hops++) {
		holder = waits_for(holder);
		if (holder == me)
			return true;
	}
	return false;
}

/* ---- The calls. ---- */

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

/* F_GETLK's answer: the lock in the way, or F_UNLCK.  A description's lock has no pid to give: -1, as Linux. */
static void describe(struct flock_l *request, const struct record_lock *other)
{
	if (!other) {
		request->type = F_UNLCK;
		return;
	}
	request->type = other->type;
	request->whence = 0;
	request->start = (i64)other->start;
	request->len = other->end == RANGE_END ? 0 : (i64)(other->end - other->start);
	request->pid = other->by_description ? -1 : (i32)other->owner;
}

/* The owner's lock over [start, end) set (or, for F_UNLCK, taken away): 0 or an errno. */
static i64 set_lock(u32 node, struct lock_owner owner, u8 type, u64 start, u64 end)
{
	i64 result = take_away(node, owner, start, end);
	if (result || type == F_UNLCK)
		return result;
	struct record_lock *lock = free_lock();
	if (!lock)
		return -L_ENOLCK;
	*lock = (struct record_lock){ node, owner.id, type, owner.by_description, start, end };
	T->locks_used++;
	return 0;
}

/*
 * One try under both locks, `cmd` the process command (F_GETLK, F_SETLK,
 * F_SETLKW) and `owner` who asks: 0 done, 1 to wait, or an errno.
 */
static i64 try_lock(i64 fd, u64 cmd, bool by_description, struct flock_l *request)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fs_fd(fd);
	if (!open)
		return -L_EBADF;
	if (open->kind != OPEN_FILE)
		return -L_EINVAL;
	if (request->type != F_RDLCK && request->type != F_WRLCK && (request->type != F_UNLCK || cmd == F_GETLK))
		return -L_EINVAL; /* F_GETLK asks about a read or a write lock only, as Linux */
	tree_lock();
	const struct ofd *shared = tree_ofd(open->ofd);
	const struct node *file = tree_node(open->node);
	u64 start, end;
	i64 result = !shared || !file ? -L_EBADF : range_of(request, shared, file, &start, &end);
	u32 pid = caller(), mode = shared ? shared->flags & O_ACCMODE : 0;
	struct lock_owner owner = { by_description ? open->ofd : pid, by_description };
	if (!result && cmd != F_GETLK && ((request->type == F_RDLCK && mode == 1) || (request->type == F_WRLCK && mode == 0)))
		result = -L_EBADF; /* a read lock needs a readable descriptor, a write lock a writable one */
	struct record_lock *other = result ? NULL : conflict(open->node, owner, (u8)request->type, start, end);
	if (!result && cmd == F_GETLK)
		describe(request, other);
	else if (!result && request->type != F_UNLCK && other && cmd == F_SETLKW && !by_description)
		result = would_deadlock(pid, other) ? -L_EDEADLK :
		         note_wait(pid, open->node, (u8)request->type, start, end) ? 1 : -L_ENOLCK;
	else if (!result && request->type != F_UNLCK && other)
		result = 1;
	else if (!result)
		result = set_lock(open->node, owner, (u8)request->type, start, end);
	tree_unlock();
	return result;
}

/* A wait over (done, failed, interrupted): another process's chain no longer runs through us. */
static void stop_waiting(void)
{
	HOLD_LIBOS_LOCK();
	tree_lock();
	end_wait(caller());
	tree_unlock();
}

i64 fs_record_lock(i64 fd, u64 cmd, void *arg)
{
	bool by_description = cmd >= F_OFD_GETLK && cmd <= F_OFD_SETLKW;
	if (by_description)
		cmd = cmd - F_OFD_GETLK + F_GETLK;
	struct flock_l request;
	memcpy(&request, arg, sizeof(request)); /* a bad pointer faults here, outside the locks */
	if (by_description && request.pid != 0)
		return -L_EINVAL; /* Linux keeps l_pid for later use by these commands */
	i64 result;
	bool waited = false;
	while ((result = try_lock(fd, cmd, by_description, &request)) == 1 && cmd == F_SETLKW) {
		waited = true;
		struct fs_wait nap = { FS_WAIT_NAP, NULL, 0 };
		fs_sleep(&nap, 0);
		if (sig_ready(sig_here())) {
			result = -L_EINTR;
			break;
		}
	}
	if (waited && !by_description)
		stop_waiting();
	if (result == 1)
		return -L_EAGAIN;
	if (result == 0 && cmd == F_GETLK)
		memcpy(arg, &request, sizeof(request));
	return result;
}

/* A descriptor of node closed (node 0: the process ends): the process's locks on it go.  Under the libos lock. */
void fs_record_locks_drop(u32 node, u64 process)
{
	if (!libos.tree_mapped || !__atomic_load_n(&T->locks_used, __ATOMIC_RELAXED))
		return; /* no lock anywhere (or none this image could have taken): no lock taken, no scan */
	tree_lock();
	struct lock_owner owner = { (u32)process, false };
	for (u32 i = 0; i < T->locks_max; i++)
		if (owned_by(&LOCKS[i], owner) && (!node || LOCKS[i].node == node))
			clear_lock(&LOCKS[i]);
	if (!node)
		end_wait((u32)process); /* a wait a signal ended with the process */
	tree_unlock();
}

/* The description's last reference went: its locks go with it.  Under the tree lock. */
void fs_record_locks_drop_description(u32 ofd)
{
	if (!T->locks_used)
		return;
	struct lock_owner owner = { ofd, true };
	for (u32 i = 0; i < T->locks_max; i++)
		if (owned_by(&LOCKS[i], owner))
			clear_lock(&LOCKS[i]);
}
