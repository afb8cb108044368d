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
#define MAPS_MAX 64
#define L_EACCES_ 13

static struct file_map {
	u64 start, end; /* 0, 0: a free entry */
	u64 offset;     /* the file's offset mapped at start */
	u32 node;
} maps[MAPS_MAX];
static u32 maps_used; /* entries in use: a process that maps no file skips every scan (each fork and exit) */

i64 filemap_check(i64 fd, u64 offset, u32 prot, bool shared, u32 *node)
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
	return 0;
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
	u32 slot = 0;
	while (slot < MAPS_MAX && maps[slot].end)
		slot++;
	if (slot == MAPS_MAX)
		return -L_ENOMEM;
	tree_lock();
	struct node *file = tree_node(node);
	int err = as_expected(node, file) ? 0 : -L_EINVAL;
	u64 pages = file ? (file->size + PAGE - 1) / PAGE : 0;
	/* Pages past the file's end stay unmapped: a touch there faults (SIGSEGV here, SIGBUS on Linux). */
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

int filemap_private(u32 node, u64 offset, u64 start, u64 size)
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
	return err;
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
		if (map->start < start && map->end > end) {
			continue; /* a hole punched in the middle: the mapping holds the file until the rest goes */
		} else if (map->start < start) {
			map->end = start;
		} else if (map->end > end) {
			map->offset += end - map->start;
			map->start = end;
		} else {
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

u64 filemap_end_of(u64 start)
{
	HOLD_LIBOS_LOCK();
	const struct file_map *map = map_at(start);
	return map ? map->end : 0;
}

u32 filemap_node_at(u64 start)
{
	HOLD_LIBOS_LOCK();
	const struct file_map *map = map_at(start);
	return map ? map->node : 0;
}

/* A touch of a MAP_SHARED mapping where nothing is mapped: the file's page if the file reaches it now (it grew). */
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
		int err = !frame ? -1 : as_map(&libos.self, page, frame, attrs | FILEMAP_PTE) < 0 ? -2 : 0;
		tree_unlock();
		return err;
	}
	return -1;
}
