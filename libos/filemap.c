/*
 * File mappings (filemap.h).  A MAP_SHARED mapping holds its file open
 * (the node's `opens`), so an unlinked file's pages stay until the last
 * mapping goes; the mappings of this address space are listed here for
 * that, and a forked child, which inherits them, counts them again.
 */
#include "libos/filemap.h"
#include "libos/fs_internal.h"
#include "libos/file.h"
#include <string.h>

#define PAGE 4096ull
#define MAPS_MAX FILEMAP_MAX
#define L_EACCES_ 13
#define PROT_WRITE_ 2

static struct file_map {
	u64 start, end; /* 0, 0: a free entry */
	u64 offset;     /* the file's offset mapped at start */
	u32 node;
} maps[MAPS_MAX];
static u32 maps_used; /* entries in use: a process that maps no file skips every scan (each fork and exit) */

i64 filemap_check(i64 fd, u64 offset, u32 prot, bool shared, u32 *node, u32 *denied)
{
	HOLD_LIBOS_LOCK();
	struct open_file *open = fs_fd(fd);
	if (!open)
		return -L_EBADF;
	if (offset & (PAGE - 1))
		return -L_EINVAL;
	if (open->kind != OPEN_FILE)
		return -L_ENODEV; /* pipes, the console, devices, directories */
	tree_lock();
	const struct ofd *shared_desc = tree_ofd(open->ofd);
	u32 mode = shared_desc ? shared_desc->flags & O_ACCMODE : 1;
	tree_unlock();
	if (mode == 1 || (shared && (prot & 2) && mode != 2))
		return -L_EACCES_; /* as Linux: readable always, writable for a shared writable mapping */
	*node = open->node;
	*denied = shared && mode != 2 ? PROT_WRITE_ : 0; /* as Linux's VM_MAYWRITE: a private copy may be written */
	return 0;
}

/* A free entry of maps, or MAPS_MAX. */
static u32 free_slot(void)
{
	u32 slot = 0;
	while (slot < MAPS_MAX && maps[slot].end)
		slot++;
	return slot;
}

static void hold(u32 node, int change)
{
	struct node *file = tree_node(node);
	if (!file)
		return;
	sysv_segment_mapped(node, change > 0); /* shmat, shmdt, and fork's, exit's and exec's: shm_atime, shm_dtime */
	if (change > 0) {
		file->opens++, file->mapped++;
	} else if (file->opens) {
		file->opens--, file->mapped -= file->mapped ? 1 : 0;
		tree_node_release(node);
	}
}

/* What shmat checked before it let the locks go (filemap_expect): the mapping checks it again under them. */
static struct {
	u32 node, generation, kind_bits;
} expected;

void filemap_expect(u32 node, u32 generation, u32 kind_bits)
{
	expected.node = node, expected.generation = generation, expected.kind_bits = kind_bits;
}

static bool as_expected(u32 node, const struct node *file)
{
	if (!expected.node)
		return true;
	return node == expected.node && file && file->type == NODE_FILE && file->nlink &&
	       (file->generation & 0x7fffu) == expected.generation && (file->perm & 0xf000u) == expected.kind_bits;
}

int filemap_shared(u32 node, u64 offset, u64 start, u64 size, u64 attrs)
{
	HOLD_LIBOS_LOCK();
	u32 slot = free_slot();
	if (slot == MAPS_MAX)
		return -L_ENOMEM;
	tree_lock();
	struct node *file = tree_node(node);
	int err = as_expected(node, file) ? 0 : -L_EINVAL;
	u64 pages = file ? (file->size + PAGE - 1) / PAGE : 0;
	/* Pages past the file's end stay unmapped: a touch there is SIGBUS (filemap_fault), unless the file grew. */
	for (u64 i = 0; !err && i < size / PAGE && offset / PAGE + i < pages; i++) {
		u32 page = file_page_at(file, offset / PAGE + i);
		u64 frame = page ? tree_page_frame(page) : 0;
		err = !frame ? -L_ENOMEM : as_map(&libos.self, start + i * PAGE, frame, attrs | FILEMAP_PTE) < 0 ? -L_ENOMEM : 0;
	}
	if (!err) {
		maps[slot] = (struct file_map){ start, start + size, offset, node };
		maps_used++;
		hold(node, +1);
	}
	tree_unlock();
	return err;
}

i64 filemap_private(u32 node, u64 offset, u64 start, u64 size)
{
	HOLD_LIBOS_LOCK();
	tree_lock();
	struct node *file = tree_node(node);
	u64 bytes = file && offset < file->size ? MIN(size, file->size - offset) : 0;
	int err = 0;
	for (u64 done = 0; !err && done < bytes; done += PAGE) {
		u64 va = start + done;
		err = as_map_new(&libos.self, va, EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_UXN) < 0 ? -L_ENOMEM : 0;
		if (!err)
			file_read(file, offset + done, (void *)va, MIN(PAGE, bytes - done));
	}
	tree_unlock();
	return err ? err : (i64)bytes;
}

/* Does forgetting [start, end) leave the mapping's both ends, so that its record must become two? */
static bool punches_hole(const struct file_map *map, u64 start, u64 end)
{
	return map->end && map->start < start && map->end > end;
}

bool filemap_room_to_forget(u64 start, u64 end)
{
	if (!maps_used)
		return true;
	HOLD_LIBOS_LOCK();
	u32 holes = 0;
	for (u32 i = 0; i < MAPS_MAX; i++)
		holes += punches_hole(&maps[i], start, end);
	return holes <= MAPS_MAX - maps_used;
}

/*
 * The part of *map past end becomes a record of its own, holding the file
 * as the mapping did; the caller keeps the part before.  Under both locks.
 */
static void split_after(struct file_map *map, u64 end)
{
	u32 slot = free_slot();
	if (slot == MAPS_MAX)
		return; /* the caller asked filemap_room_to_forget: the record keeps the hole, and its file */
	maps[slot] = (struct file_map){ end, map->end, map->offset + (end - map->start), map->node };
	maps_used++;
	hold(map->node, +1);
	map->end = end;
}

void filemap_forget(u64 start, u64 end)
{
	if (!maps_used)
		return;
	HOLD_LIBOS_LOCK();
	bool locked = false;
	for (u32 i = 0; i < MAPS_MAX; i++) {
		struct file_map *map = &maps[i];
		if (!map->end || map->end <= start || map->start >= end)
			continue;
		if (punches_hole(map, start, end)) { /* two mappings now, each holding the file */
			if (!locked)
				tree_lock(), locked = true;
			split_after(map, end);
		}
		if (map->start < start && map->end <= end) {
			map->end = start;
		} else if (map->start >= start && map->end > end) {
			map->offset += end - map->start;
			map->start = end;
		} else if (map->start >= start) {
			if (!locked)
				tree_lock(), locked = true;
			hold(map->node, -1);
			*map = (struct file_map){ 0, 0, 0, 0 };
			maps_used--;
		}
	}
	if (locked)
		tree_unlock();
}

void filemap_fork_count(int change)
{
	HOLD_LIBOS_LOCK();
	if (!maps_used)
		return; /* no file mapped: the tree is not touched (a fork that maps none pays nothing) */
	tree_lock();
	for (u32 i = 0; i < MAPS_MAX; i++)
		if (maps[i].end)
			hold(maps[i].node, change);
	tree_unlock();
}

void filemap_forget_all(void)
{
	filemap_forget(0, ~0ull);
}

/* The mapping that starts at start, or NULL.  Under the libos lock. */
static const struct file_map *map_at(u64 start)
{
	for (u32 i = 0; i < MAPS_MAX; i++)
		if (maps[i].end && maps[i].start == start)
			return &maps[i];
	return NULL;
}

u32 filemap_pieces(u64 start, u64 *starts, u64 *ends)
{
	HOLD_LIBOS_LOCK();
	const struct file_map *first = map_at(start);
	if (!first)
		return 0;
	u64 file_start = first->start - first->offset; /* where the file's byte 0 would be */
	u32 count = 0;
	for (u32 i = 0; i < MAPS_MAX; i++) {
		const struct file_map *map = &maps[i];
		if (map->end && map->node == first->node && map->start >= start && map->start - map->offset == file_start)
			starts[count] = map->start, ends[count++] = map->end;
	}
	return count;
}

u32 filemap_node_at(u64 start)
{
	HOLD_LIBOS_LOCK();
	const struct file_map *map = map_at(start);
	return map ? map->node : 0;
}

/*
 * A touch of a MAP_SHARED mapping where nothing is mapped: the file's page
 * if the file reaches it now (it grew), else MM_FAULT_BUS (past its end,
 * or a hole the full pool has no page for).
 */
int filemap_fault(u64 page, u64 attrs)
{
	if (tree_lock_mine())
		return -1; /* a call copying to or from the mapping under the lock: EFAULT, not a wait on ourselves */
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < MAPS_MAX; i++) {
		const struct file_map *map = &maps[i];
		if (!map->end || page < map->start || page >= map->end)
			continue;
		tree_lock();
		struct node *file = tree_node(map->node);
		u64 index = map->offset / PAGE + (page - map->start) / PAGE;
		u32 pool_page = file && index < (file->size + PAGE - 1) / PAGE ? file_page_at(file, index) : 0;
		u64 frame = pool_page ? tree_page_frame(pool_page) : 0;
		int err = !frame ? MM_FAULT_BUS : as_map(&libos.self, page, frame, attrs | FILEMAP_PTE) < 0 ? -2 : 0;
		tree_unlock();
		return err;
	}
	return -1;
}
