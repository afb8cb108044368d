/*
 * System V IPC: shared memory segments, message queues and semaphore
 * sets, each a file of the shared tree in a directory no path reaches
 * (tree_ipc_dir), named by its kind and key.  An object's id is its node's
 * number, its kind kept in the node's mode bits above the permissions, so
 * every process of the system finds it and fork shares it:
 *  - a segment is the file's bytes, attached as a MAP_SHARED mapping;
 *  - a queue is the file's records: a type, a length and the bytes;
 *  - a set is the file's array of semaphore values.
 * Everything happens under the tree lock; a call that must wait drops
 * both locks, yields the processor (then naps a tick at a time) and looks
 * again, and a signal for a handler ends the wait with EINTR.  Each
 * object's last uses (times, pids) are kept for IPC_STAT beside its node
 * (struct ipc_stamps), and SEM_UNDO's adjustments in a table of their own
 * (sem_undo.c), applied when the process ends.
 */
#include "libos/fs_internal.h"
#include "libos/file.h"
#include "libos/filemap.h"
#include "libos/signal.h"
#include "libos/sem_undo.h"
#include <string.h>

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_64 0x100
#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSGMNB 16384 /* bytes a queue holds, as Linux's default */
#define MSGMAX 8192  /* bytes a message holds */
#define SEMMSL 32000
#define SEMOPM 500
#define SEMVMX 32767
#define SHMLBA 4096
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SEM_UNDO 010000
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define L_E2BIG 7
#define L_ENOMSG 42

enum ipc_kind { IPC_SHM = 1, IPC_MSG = 2, IPC_SEM = 3 };
static const char kind_letter[] = { 0, 'm', 'q', 's' };

/* ---- Objects: found by key, checked by id. ---- */

/* "<kind><key in hex>", or for IPC_PRIVATE "<kind>#<node>". */
static u32 object_name(char *out, u8 kind, u64 value, bool private)
{
	u32 len = 0;
	out[len++] = kind_letter[kind];
	if (private)
		out[len++] = '#';
	for (int shift = 28; shift >= 0; shift -= 4)
		out[len++] = "0123456789abcdef"[(value >> shift) & 0xf];
	return len;
}

/*
 * An object's id: its node's number in the low 16 bits and 15 bits of the
 * node's generation above, so an id outlives its object: once the node is
 * given to something else, the old id names nothing.
 */
static i64 id_of(u32 node) { return (i64)((tree_node(node)->generation & 0x7fffu) << 16 | node); }

/* The live object of `kind` with id `id`, or NULL. */
static struct node *object(u64 id, u8 kind)
{
	struct node *node = id <= 0x7fffffffu ? tree_node((u32)(id & 0xffff)) : NULL;
	bool same = node && (node->generation & 0x7fffu) == id >> 16;
	return same && node->type == NODE_FILE && node->nlink && node->perm >> 12 == kind ? node : NULL;
}

static u32 node_of(u64 id) { return (u32)(id & 0xffff); }

/* ---- Last uses, for IPC_STAT: realtime seconds and Linux pids. ---- */

static i64 now_seconds(void) { return exo_clock() / 1000000000; }
static u32 my_pid(void) { return (u32)libos_process_of((u64)exo_self()); }
static struct ipc_stamps *stamps_of(u64 id) { return &IPC_STAMPS[node_of(id)]; } /* of a live object */

/* The `which` use of the object happened now, by us. */
static void stamp_use(u64 id, u32 which)
{
	struct ipc_stamps *stamps = stamps_of(id);
	stamps->used[which] = now_seconds();
	stamps->pid[which] = my_pid();
}

/* An id that names no object of the kind.  (A waiter that saw it turns this into EIDRM.) */
static i64 bad_id(u64 id, u8 kind)
{
	(void)id, (void)kind;
	return -L_EINVAL;
}

/* *get: the object for key (made if IPC_CREAT and missing, with `bytes` zeroed bytes), its id or an errno. */
static i64 get_object(u8 kind, i32 key, u64 flags, u64 bytes, bool *made)
{
	u32 dir = tree_ipc_dir();
	char name[16];
	*made = false;
	if (key != IPC_PRIVATE) {
		u32 found = tree_dentry_node(tree_lookup(dir, name, object_name(name, kind, (u32)key, false)));
		if (found) {
			if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
				return -L_EEXIST;
			return object((u64)id_of(found), kind) ? id_of(found) : -L_EINVAL;
		}
		if (!(flags & IPC_CREAT))
			return -L_ENOENT;
	}
	u32 node = tree_new_node(NODE_FILE, 0);
	if (!node)
		return -L_ENOSPC;
	tree_node(node)->perm = (u16)((flags & 0777) | (u32)kind << 12); /* the kind above the permissions */
	int err = file_truncate(tree_node(node), bytes);
	u32 len = object_name(name, kind, key == IPC_PRIVATE ? node : (u32)key, key == IPC_PRIVATE);
	if (!err)
		err = tree_link(dir, name, len, node);
	if (err) {
		file_drop_pages(tree_node(node));
		tree_node_release(node);
		return err;
	}
	*made = true;
	IPC_STAMPS[node] = (struct ipc_stamps){ .changed = now_seconds() }; /* nothing of the node's last object */
	return id_of(node);
}

/* IPC_RMID: the name goes now; the node, and its bytes, when nothing holds it (an attached segment). */
static void remove_object(u64 id, u8 kind)
{
	char name[16];
	struct node *node = object(id, kind);
	u32 dir = tree_ipc_dir();
	for (u64 pos = 0, entry; node && (entry = tree_next_entry(dir, &pos));)
		if (tree_dentry_node((u32)entry) == node_of(id)) {
			tree_unlink_entry((u32)entry);
			return;
		}
	(void)name;
}

/* struct ipc64_perm at the head of each *_ds (asm-generic): key, ids as root, mode, seq. */
static void fill_perm(u8 *out, u64 id, const struct node *node)
{
	memset(out, 0, 48);
	u32 dir = tree_ipc_dir(), key = 0;
	for (u64 pos = 0, entry; (entry = tree_next_entry(dir, &pos));)
		if (tree_dentry_node((u32)entry) == node_of(id)) {
			u32 len;
			const char *name = tree_dentry_name((u32)entry, &len);
			for (u32 i = 1; name[1] != '#' && i < len; i++)
				key = key << 4 | (u32)(name[i] <= '9' ? name[i] - '0' : name[i] - 'a' + 10);
		}
	u16 mode = node->perm & 0777;
	memcpy(out, &key, 4);
	memcpy(out + 20, &mode, 2);
}

/* ---- Waiting: both locks dropped, the processor yielded (then a tick's nap), EINTR for a handler. ---- */

/* limit_ns: the nap's longest (a timeout's rest), 0 for a tick. */
static i64 wait_a_little(u32 *round, u64 limit_ns)
{
	if ((*round)++ < 64) {
		exo_yield();
	} else {
		struct fs_wait nap = { FS_WAIT_NAP, NULL, 0 };
		fs_sleep(&nap, limit_ns);
	}
	return sig_ready(sig_here()) ? -L_EINTR : 0;
}

#define UNDER_LOCKS(body)                          \
	({                                         \
		HOLD_LIBOS_LOCK();                 \
		tree_lock();                       \
		i64 result_ = (body);              \
		tree_unlock();                     \
		result_;                           \
	})

/* ---- Shared memory. ---- */

i64 sysv_shmget(i32 key, u64 size, u64 flags)
{
	if (size > (1ull << 32))
		return -L_EINVAL;
	HOLD_LIBOS_LOCK();
	tree_lock();
	bool made;
	i64 id = get_object(IPC_SHM, key, flags, size, &made); /* its size as asked: mappings round up */
	if (id > 0 && (made ? size == 0 : size > tree_node(node_of((u64)id))->size))
		id = made ? (remove_object((u64)id, IPC_SHM), -L_EINVAL) : -L_EINVAL;
	if (id > 0 && made)
		stamps_of((u64)id)->pid[0] = my_pid(); /* shm_cpid */
	tree_unlock();
	return id;
}

#define MAP_SHARED_ 0x01
#define MAP_FIXED_ 0x10
#define MAP_FIXED_NOREPLACE_ 0x100000

/*
 * shmat's address as Linux takes it: 0 for anywhere (but not with
 * SHM_REMAP, which replaces what is there), else SHMLBA-aligned, or
 * rounded down to it under SHM_RND.  0, or EINVAL.
 */
static i64 attach_address(u64 *addr, u64 flags)
{
	if (!*addr)
		return flags & SHM_REMAP ? -L_EINVAL : 0;
	if (!(*addr & (SHMLBA - 1)))
		return 0;
	if (!(flags & SHM_RND))
		return -L_EINVAL;
	*addr &= ~(u64)(SHMLBA - 1);
	return *addr ? 0 : -L_EINVAL; /* below SHMLBA: exo never maps page 0 */
}

/*
 * A segment's mapping made (an attach, or a fork's copy of one) or gone (a
 * detach, an exit, an exec): its shm_atime or shm_dtime, and shm_lpid, as
 * Linux's shm_open and shm_close keep them.  Under the tree lock, for any
 * file mapping (filemap.c): only a segment's is stamped.
 */
void sysv_segment_mapped(u32 node, bool made)
{
	const struct node *file = tree_node(node);
	if (!file || file->type != NODE_FILE || file->perm >> 12 != IPC_SHM)
		return;
	struct ipc_stamps *stamps = &IPC_STAMPS[node];
	stamps->used[made ? 0 : 1] = now_seconds();
	stamps->pid[1] = my_pid();
}

i64 sysv_shmat(u64 id, u64 addr, u64 flags)
{
	u64 size;
	{
		HOLD_LIBOS_LOCK();
		tree_lock();
		struct node *node = object(id, IPC_SHM);
		size = node ? node->size : 0;
		tree_unlock();
		if (!node)
			return bad_id(id, IPC_SHM);
	}
	i64 err = attach_address(&addr, flags);
	if (err)
		return err;
	u64 prot = flags & SHM_RDONLY ? 1 : 3;
	u64 fixed = !addr ? 0 : flags & SHM_REMAP ? MAP_FIXED_ : MAP_FIXED_NOREPLACE_;
	HOLD_LIBOS_LOCK();
	filemap_expect(node_of(id), (u32)(id >> 16), IPC_SHM << 12); /* still this segment when mapped, or EINVAL */
	u32 denied = flags & SHM_RDONLY ? 2 : 0; /* as Linux: a read-only attach cannot be mprotect'ed writable */
	i64 at = mm_map_node(addr, size, prot, MAP_SHARED_ | fixed, node_of(id), 0, denied);
	filemap_expect(0, 0, 0);
	return at == -L_EEXIST ? -L_EINVAL : at; /* an address in use: EINVAL without SHM_REMAP, as Linux */
}

i64 sysv_shmdt(u64 addr)
{
	HOLD_LIBOS_LOCK();
	u32 node = filemap_node_at(addr);
	tree_lock();
	bool segment = node && tree_node(node) && tree_node(node)->type == NODE_FILE && tree_node(node)->perm >> 12 == IPC_SHM;
	tree_unlock();
	return segment ? mm_unmap_file_at(addr) : -L_EINVAL;
}

/* IPC_STAT's struct shmid64_ds (asm-generic, 64-bit). */
static void segment_status(u8 *out, u64 id, const struct node *segment)
{
	const struct ipc_stamps *stamps = stamps_of(id);
	u64 nattch = segment->mapped;
	memset(out, 0, 112);
	fill_perm(out, id, segment);
	memcpy(out + 48, &segment->size, 8);
	memcpy(out + 56, &stamps->used[0], 8); /* shm_atime */
	memcpy(out + 64, &stamps->used[1], 8); /* shm_dtime */
	memcpy(out + 72, &stamps->changed, 8);
	memcpy(out + 80, &stamps->pid[0], 4);  /* shm_cpid */
	memcpy(out + 84, &stamps->pid[1], 4);  /* shm_lpid */
	memcpy(out + 88, &nattch, 8);
}

i64 sysv_shmctl(u64 id, u64 cmd, void *buf)
{
	cmd &= ~(u64)IPC_64;
	HOLD_LIBOS_LOCK();
	tree_lock();
	struct node *node = object(id, IPC_SHM);
	i64 result = node ? 0 : bad_id(id, IPC_SHM);
	if (node && cmd == IPC_RMID) {
		remove_object(id, IPC_SHM);
	} else if (node && cmd == IPC_STAT) {
		segment_status(buf, id, node);
	} else if (node && cmd == IPC_SET) {
		stamps_of(id)->changed = now_seconds();
	} else if (node && cmd != 11 && cmd != 12) { /* SHM_LOCK, SHM_UNLOCK: nothing to do */
		result = -L_EINVAL;
	}
	tree_unlock();
	return result;
}

/* ---- Message queues: records of a type (i64), a length (u64) and the bytes, 8-byte aligned. ---- */

struct msg_head {
	i64 type;
	u64 len;
};
#define RECORD(len) (sizeof(struct msg_head) + (((len) + 7) & ~7ull))

i64 sysv_msgget(i32 key, u64 flags)
{
	bool made;
	return UNDER_LOCKS(get_object(IPC_MSG, key, flags, 0, &made));
}

/* The queue's bytes of messages (what MSGMNB bounds), from its records. */
static u64 queued_bytes(struct node *queue, u64 *count)
{
	u64 bytes = 0;
	*count = 0;
	for (u64 at = 0; at + sizeof(struct msg_head) <= queue->size;) {
		struct msg_head head;
		file_read(queue, at, &head, sizeof(head));
		if (head.len > MSGMAX)
			break; /* spoilt: what follows is not read */
		bytes += head.len, (*count)++;
		at += RECORD(head.len);
	}
	return bytes;
}

/* One try: 0 sent, 1 to wait, or an errno. */
static i64 msgsnd_now(u64 id, const struct msg_head *user, u64 len)
{
	struct node *queue = object(id, IPC_MSG);
	if (!queue)
		return bad_id(id, IPC_MSG);
	u64 count;
	if (queued_bytes(queue, &count) + len > MSGMNB || count + 1 > MSGMNB)
		return 1; /* full: its bytes, or its count (Linux's bound for empty messages) */
	struct msg_head head = { user->type, len };
	u64 at = queue->size;
	if (file_write(queue, at, &head, sizeof(head)) != sizeof(head) ||
	    file_write(queue, at + sizeof(head), (const u8 *)user + sizeof(i64), len) != (i64)len) {
		file_truncate(queue, at);
		return -L_ENOMEM;
	}
	file_truncate(queue, at + RECORD(len)); /* the padding */
	stamp_use(id, 0); /* msg_stime, msg_lspid */
	return 0;
}

/*
 * The message's pages touched first (under the libos lock only): a bad
 * pointer faults (EFAULT) before the queue is touched, so no half record
 * is left in it.
 */
static i64 msgsnd_touched(u64 id, const void *msgp, u64 len)
{
	HOLD_LIBOS_LOCK();
	const volatile u8 *bytes = msgp;
	u64 total = sizeof(i64) + len;
	for (u64 at = 0; at < total; at += 4096 - ((u64)(bytes + at) & 4095))
		(void)bytes[at];
	(void)bytes[total - 1];
	tree_lock();
	i64 result = msgsnd_now(id, (const struct msg_head *)msgp, len);
	tree_unlock();
	return result;
}

i64 sysv_msgsnd(u64 id, const void *msgp, u64 len, u64 flags)
{
	const struct msg_head *user = msgp;
	if (len > MSGMAX)
		return -L_EINVAL;
	if (user->type <= 0)
		return -L_EINVAL;
	for (u32 round = 0;;) {
		i64 result = msgsnd_touched(id, msgp, len);
		if (result == -L_EINVAL && round)
			return -L_EIDRM; /* removed while we waited */
		if (result != 1)
			return result;
		if (flags & IPC_NOWAIT)
			return -L_EAGAIN;
		i64 err = wait_a_little(&round, 0);
		if (err)
			return err;
	}
}

/*
 * Does a message of `type` answer msgrcv's `want`?  0: the first; > 0
 * that type (under MSG_EXCEPT, any other); < 0 the lowest up to -want.
 */
static bool answers(i64 type, i64 want, i64 best, bool except)
{
	if (want == 0)
		return best < 0;
	if (want > 0)
		return (except ? type != want : type == want) && best < 0;
	bool within = want == INT64_MIN || type <= -want; /* -LONG_MIN overflows: every type is within */
	return within && (best < 0 || type < best);
}

/* One try: the length received, FS_WOULD_BLOCK to wait, or an errno. */
static i64 msgrcv_now(u64 id, void *msgp, u64 size, i64 want, u64 flags)
{
	struct node *queue = object(id, IPC_MSG);
	if (!queue)
		return bad_id(id, IPC_MSG);
	u64 found = ~0ull;
	struct msg_head head, chosen = { -1, 0 };
	for (u64 at = 0; at + sizeof(head) <= queue->size; at += RECORD(head.len)) {
		file_read(queue, at, &head, sizeof(head));
		if (head.len > MSGMAX)
			break; /* spoilt: what follows is not read */
		if (answers(head.type, want, chosen.type, flags & MSG_EXCEPT)) {
			found = at, chosen = head;
			if (want >= 0)
				break;
		}
	}
	if (found == ~0ull)
		return FS_WOULD_BLOCK;
	if (chosen.len > size && !(flags & MSG_NOERROR))
		return -L_E2BIG;
	u64 len = MIN(chosen.len, size);
	memcpy(msgp, &chosen.type, sizeof(i64));
	file_read(queue, found + sizeof(head), (u8 *)msgp + sizeof(i64), len);
	/* The record goes: what follows moves down over it. */
	u64 after = found + RECORD(chosen.len), rest = queue->size - after;
	u8 moving[256]; /* on the stack: in bss it would be a page every exec fills */
	for (u64 done = 0; done < rest; done += sizeof(moving)) {
		u64 part = MIN(sizeof(moving), rest - done);
		file_read(queue, after + done, moving, part);
		file_write(queue, found + done, moving, part);
	}
	file_truncate(queue, found + rest);
	stamp_use(id, 1); /* msg_rtime, msg_lrpid */
	return (i64)len;
}

i64 sysv_msgrcv(u64 id, void *msgp, u64 size, i64 type, u64 flags)
{
	if ((i64)size < 0)
		return -L_EINVAL;
	for (u32 round = 0;;) {
		i64 result = UNDER_LOCKS(msgrcv_now(id, msgp, size, type, flags));
		if (result == -L_EINVAL && round)
			return -L_EIDRM; /* removed while we waited */
		if (result != FS_WOULD_BLOCK)
			return result;
		if (flags & IPC_NOWAIT)
			return -L_ENOMSG;
		i64 err = wait_a_little(&round, 0);
		if (err)
			return err;
	}
}

/* IPC_STAT's struct msqid64_ds (asm-generic, 64-bit). */
static void queue_status(u8 *out, u64 id, struct node *queue)
{
	const struct ipc_stamps *stamps = stamps_of(id);
	u64 count, bytes = queued_bytes(queue, &count), limit = MSGMNB;
	memset(out, 0, 120);
	fill_perm(out, id, queue);
	memcpy(out + 48, &stamps->used[0], 8); /* msg_stime */
	memcpy(out + 56, &stamps->used[1], 8); /* msg_rtime */
	memcpy(out + 64, &stamps->changed, 8);
	memcpy(out + 72, &bytes, 8);
	memcpy(out + 80, &count, 8);
	memcpy(out + 88, &limit, 8);
	memcpy(out + 96, &stamps->pid[0], 4);  /* msg_lspid */
	memcpy(out + 100, &stamps->pid[1], 4); /* msg_lrpid */
}

i64 sysv_msgctl(u64 id, u64 cmd, void *buf)
{
	cmd &= ~(u64)IPC_64;
	HOLD_LIBOS_LOCK();
	tree_lock();
	struct node *queue = object(id, IPC_MSG);
	i64 result = queue ? 0 : bad_id(id, IPC_MSG);
	if (queue && cmd == IPC_RMID) {
		remove_object(id, IPC_MSG);
	} else if (queue && cmd == IPC_STAT) {
		queue_status(buf, id, queue);
	} else if (queue && cmd == IPC_SET) {
		stamps_of(id)->changed = now_seconds();
	} else if (queue) {
		result = -L_EINVAL;
	}
	tree_unlock();
	return result;
}

/* ---- Semaphore sets: an array of i32 values. ---- */

i64 sysv_semget(i32 key, u64 nsems, u64 flags)
{
	if (nsems > SEMMSL)
		return -L_EINVAL;
	HOLD_LIBOS_LOCK();
	tree_lock();
	bool made;
	i64 id = get_object(IPC_SEM, key, flags, nsems * 4, &made);
	if (id > 0 && (made ? nsems == 0 : nsems * 4 > tree_node(node_of((u64)id))->size))
		id = made ? (remove_object((u64)id, IPC_SEM), -L_EINVAL) : -L_EINVAL;
	tree_unlock();
	return id;
}

struct sembuf_l {
	u16 num;
	int16_t op, flags;
};

/* The last operation before ops[i] on the same semaphore, or -1. */
static i64 same_before(const struct sembuf_l *ops, u64 i)
{
	for (i64 j = (i64)i - 1; j >= 0; j--)
		if (ops[j].num == ops[i].num)
			return j;
	return -1;
}

static bool last_on_its_semaphore(const struct sembuf_l *ops, u64 nops, u64 i)
{
	for (u64 j = i + 1; j < nops; j++)
		if (ops[j].num == ops[i].num)
			return false;
	return true;
}

/*
 * One try: all the operations at once, or none: 0, 1 to wait, or an
 * errno.  Each operation sees the ones before it, in its semaphore's
 * value and in the caller's adjustment for it, which SEM_UNDO moves the
 * other way (ERANGE past what an i16 holds, as Linux's SEMAEM).
 */
static i64 semop_now(u64 id, const struct sembuf_l *ops, u64 nops)
{
	struct node *set = object(id, IPC_SEM);
	if (!set)
		return bad_id(id, IPC_SEM);
	i32 values[SEMOPM], adjusts[SEMOPM];
	u64 nsems = set->size / 4;
	u32 pid = my_pid(), node = node_of(id), generation = set->generation, entries_needed = 0;
	for (u64 i = 0; i < nops; i++)
		if (ops[i].num >= nsems)
			return -L_EFBIG;
	for (u64 i = 0; i < nops; i++) {
		i64 j = same_before(ops, i);
		i32 now = j >= 0 ? values[j] : 0;
		if (j < 0)
			file_read(set, ops[i].num * 4ull, &now, 4);
		if ((ops[i].op == 0 && now != 0) || now + ops[i].op < 0)
			return (ops[i].flags & IPC_NOWAIT) ? -L_EAGAIN : 1;
		if (now + ops[i].op > SEMVMX)
			return -L_ERANGE;
		values[i] = now + ops[i].op;
		adjusts[i] = j >= 0 ? adjusts[j] : sem_undo_of(pid, node, generation, ops[i].num);
		adjusts[i] -= ops[i].flags & SEM_UNDO ? ops[i].op : 0;
		if (adjusts[i] < -SEMVMX - 1 || adjusts[i] > SEMVMX)
			return -L_ERANGE;
		entries_needed += last_on_its_semaphore(ops, nops, i) && adjusts[i] &&
		                  !sem_undo_has(pid, node, generation, ops[i].num);
	}
	if (entries_needed && entries_needed > sem_undo_room())
		return -L_ENOMEM; /* as Linux when it cannot allocate its undo record */
	bool undo = false;
	for (u64 i = 0; i < nops; i++) {
		file_write(set, ops[i].num * 4ull, &values[i], 4);
		if (ops[i].flags & SEM_UNDO)
			sem_undo_set(pid, node, generation, ops[i].num, adjusts[i]), undo = true;
	}
	if (undo)
		sem_undo_mark(pid);
	stamps_of(id)->used[0] = now_seconds(); /* sem_otime */
	return 0;
}

/*
 * semtimedop's timeout (NULL: none) as the exo_clock time it ends at in
 * *deadline: 0, or EINVAL for a bad timespec.
 */
static i64 deadline_of(const i64 *timeout, i64 *deadline)
{
	*deadline = 0;
	if (!timeout)
		return 0;
	i64 sec = timeout[0], nsec = timeout[1]; /* a bad pointer faults here, outside the locks */
	if (sec < 0 || nsec < 0 || nsec >= 1000000000)
		return -L_EINVAL;
	i64 ns = sec > (INT64_MAX / 4) / 1000000000 ? INT64_MAX / 4 : sec * 1000000000 + nsec; /* centuries: never */
	*deadline = exo_clock() + ns;
	return 0;
}

i64 sysv_semop(u64 id, const void *sops, u64 nops, const void *timeout)
{
	if (nops == 0)
		return -L_EINVAL;
	if (nops > SEMOPM)
		return -L_E2BIG;
	struct sembuf_l ops[SEMOPM];
	memcpy(ops, sops, nops * sizeof(ops[0])); /* a bad pointer faults here, outside the locks */
	i64 deadline, err = deadline_of(timeout, &deadline);
	if (err)
		return err;
	for (u32 round = 0;;) {
		i64 result = UNDER_LOCKS(semop_now(id, ops, nops));
		if (result == -L_EINVAL && round)
			return -L_EIDRM; /* removed while we waited */
		if (result != 1)
			return result;
		i64 left = timeout ? deadline - exo_clock() : 0;
		if (timeout && left <= 0)
			return -L_EAGAIN; /* the timeout passed, as Linux says it */
		err = wait_a_little(&round, (u64)left);
		if (err)
			return err;
	}
}

/* SETVAL: one value, checked; the adjustments every process keeps for it go (Linux's semctl). */
static i64 set_value(struct node *set, u64 id, u64 num, i32 value)
{
	if (value < 0 || value > SEMVMX)
		return -L_ERANGE;
	if (file_write(set, num * 4, &value, 4) < 0)
		return -L_ENOMEM;
	sem_undo_forget(node_of(id), (i32)num);
	stamps_of(id)->changed = now_seconds();
	return 0;
}

/* GETALL and SETALL, through unsigned short values as Linux's; SETALL checks all before it sets any. */
static i64 all_values(struct node *set, u64 id, u64 cmd, u16 *user)
{
	u64 nsems = set->size / 4;
	for (u64 i = 0; cmd == SETALL && i < nsems; i++)
		if (user[i] > SEMVMX)
			return -L_ERANGE;
	for (u64 i = 0; i < nsems; i++) {
		i32 value;
		if (cmd == GETALL)
			file_read(set, i * 4, &value, 4), user[i] = (u16)value;
		else
			value = user[i], file_write(set, i * 4, &value, 4);
	}
	if (cmd == SETALL) {
		sem_undo_forget(node_of(id), -1);
		stamps_of(id)->changed = now_seconds();
	}
	return 0;
}

/* IPC_STAT's struct semid64_ds (asm-generic, 64-bit). */
static void set_status(u8 *out, u64 id, const struct node *set)
{
	const struct ipc_stamps *stamps = stamps_of(id);
	u64 nsems = set->size / 4;
	memset(out, 0, 88);
	fill_perm(out, id, set);
	memcpy(out + 48, &stamps->used[0], 8); /* sem_otime */
	memcpy(out + 56, &stamps->changed, 8); /* sem_ctime */
	memcpy(out + 64, &nsems, 8);
}

i64 sysv_semctl(u64 id, u64 num, u64 cmd, u64 arg)
{
	cmd &= ~(u64)IPC_64;
	HOLD_LIBOS_LOCK();
	tree_lock();
	struct node *set = object(id, IPC_SEM);
	u64 nsems = set ? set->size / 4 : 0;
	i64 result = set ? 0 : bad_id(id, IPC_SEM);
	i32 value = 0;
	bool one = cmd == GETVAL || cmd == SETVAL || cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT;
	if (set && one && num >= nsems) {
		result = -L_EINVAL;
	} else if (set && cmd == IPC_RMID) {
		sem_undo_forget(node_of(id), -1);
		remove_object(id, IPC_SEM);
	} else if (set && cmd == GETVAL) {
		file_read(set, num * 4, &value, 4);
		result = value;
	} else if (set && cmd == SETVAL) {
		result = set_value(set, id, num, (i32)arg);
	} else if (set && (cmd == GETALL || cmd == SETALL)) {
		result = all_values(set, id, cmd, (u16 *)arg);
	} else if (set && cmd == IPC_STAT) {
		set_status((u8 *)arg, id, set);
	} else if (set && cmd == IPC_SET) {
		stamps_of(id)->changed = now_seconds();
	} else if (set && !(cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT)) {
		result = -L_EINVAL; /* the others answer 0: no waiter or last pid is kept */
	}
	tree_unlock();
	return result;
}

/* One adjustment given back at the process's end: added, the value kept within [0, SEMVMX], as Linux. */
static void undo_one(const struct sem_undo *undo)
{
	u64 id = (u64)(undo->generation & 0x7fffu) << 16 | undo->node;
	struct node *set = object(id, IPC_SEM);
	if (!set || undo->num >= set->size / 4)
		return;
	i32 value;
	file_read(set, undo->num * 4ull, &value, 4);
	value = MAX(0, MIN(SEMVMX, value + undo->adjust));
	file_write(set, undo->num * 4ull, &value, 4);
}

void sysv_process_ends(u64 process)
{
	if (!sem_undo_marked((u32)process))
		return; /* never used SEM_UNDO: the tree is not touched */
	HOLD_LIBOS_LOCK();
	tree_lock();
	struct sem_undo undo;
	while (sem_undo_take((u32)process, &undo))
		undo_one(&undo);
	tree_unlock();
}
