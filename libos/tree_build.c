/*
 * The shared tree made by the first process (tree.h): its records sized
 * for the boot archive, their frames and the pool's allocated, shared
 * read-write with every descendant, and the archive's entries put in,
 * with the devices under /dev.  A file of the archive keeps its bytes and
 * its name where the archive has them: building copies no file.
 */
#include "libos/tree_layout.h"
#include "libos/libos.h"
#include "libos/dev.h"
#include "exo/cpio.h"
#include <string.h>

#define PAGE 4096ull
#define SPARE_NODES 2048 /* beyond the archive's entries: what programs may create */
#define PROC_DIRS 3      /* /proc, /proc/self, /proc/self/fd */
#define NAME_BYTES_PER_ENTRY 24
#define RECORD_LOCKS 256
#define SEM_UNDOS 512

static u32 align_up(u32 bytes) { return (bytes + 63) & ~63u; }

/* The header's sizes and offsets for an archive of `entries` entries and a pool of pool_pages. */
static bool lay_out(struct tree_header *h, u32 entries, u32 pool_pages)
{
	u32 nodes = entries + dev_count + PROC_DIRS + SPARE_NODES, dentries = nodes + 256, slots = 256;
	while (slots < 4 * dentries) /* at most half full of live entries and tombstones */
		slots *= 2;
	*h = (struct tree_header){ .nodes_max = nodes + 1, .dentries_max = dentries + 1, .slot_mask = slots - 1,
		                   .ofds_max = (u32)OFDS_MAX, .pool_pages = pool_pages,
		                   .names_bytes = dentries * NAME_BYTES_PER_ENTRY };
	u32 at = (u32)PAGE; /* the header's page */
	h->off_nodes = at, at += align_up(h->nodes_max * (u32)sizeof(struct node));
	h->off_dentries = at, at += align_up(h->dentries_max * (u32)sizeof(struct dentry));
	h->off_slots = at, at += align_up(slots * 4);
	h->off_names = at, at += align_up(h->names_bytes);
	h->locks_max = RECORD_LOCKS;
	h->off_locks = at, at += align_up(RECORD_LOCKS * (u32)sizeof(struct record_lock));
	h->off_lock_waits = at, at += align_up(LOCK_WAITS * (u32)sizeof(struct lock_wait));
	h->off_ipc_stamps = at, at += align_up(h->nodes_max * (u32)sizeof(struct ipc_stamps));
	h->undos_max = SEM_UNDOS;
	h->off_undos = at, at += align_up(SEM_UNDOS * (u32)sizeof(struct sem_undo));
	h->off_frames = at, at += align_up((pool_pages + 1) * 8);
	h->off_page_stack = at, at += align_up(pool_pages * 4);
	h->pages = (u32)((at + PAGE - 1) / PAGE);
	h->names_top = 16; /* 0 means no block */
	return h->pages <= TREE_PAGES_MAX;
}

/* Frames of ours, shared read-write with every descendant; mapped at va (page by page) if va. */
static int shared_frames(u64 *frames, u32 count, u64 va)
{
	for (u32 done = 0; done < count;) {
		u32 n = MIN(count - done, 512u);
		if (exo_frame_alloc(libos.env, n, frames + done) != n)
			return -1;
		for (u32 i = 0; i < n; i++) {
			exo_frame_share(frames[done + i], EXO_R | EXO_W);
			if (va && as_map(&libos.self, va + (done + i) * PAGE, frames[done + i], PAGE_RW) < 0)
				return -1;
		}
		done += n;
	}
	return 0;
}

static void free_lists(void)
{
	for (u32 node = T->nodes_max - 1; node > TREE_ROOT; node--) {
		NODES[node].block[0] = T->node_free;
		T->node_free = node;
		T->nodes_free_count++;
	}
	for (u32 dentry = T->dentries_max - 1; dentry > 0; dentry--)
		DENTRIES[dentry].node = T->dentry_free, T->dentry_free = dentry;
	for (u32 ofd = T->ofds_max - 1; ofd > 0; ofd--)
		OFDS[ofd].node = T->ofd_free, T->ofd_free = ofd;
	for (u32 page = T->pool_pages; page > 0; page--)
		PAGE_STACK[T->page_free_top++] = page;
}

/* The directory named by the first len bytes of a path ("a/b"), made if missing (0 if it cannot be). */
static u32 directory_at(const char *path, u32 len, bool in_archive)
{
	u32 dir = TREE_ROOT;
	for (u32 start = 0; start < len;) {
		u32 end = start;
		while (end < len && path[end] != '/')
			end++;
		u32 dentry = tree_lookup(dir, path + start, end - start);
		u32 next = dentry ? tree_dentry_node(dentry) : 0;
		if (!next) {
			next = tree_new_node(NODE_DIR, 0755);
			if (!next || tree_link_name(dir, path + start, end - start, next, in_archive) < 0)
				return 0;
		}
		if (NODES[next].type != NODE_DIR)
			return 0; /* a file named where a directory must be: the later entry is left out */
		dir = next;
		start = end + 1;
	}
	return dir;
}

static u8 node_type(u32 mode)
{
	u32 type = mode & CPIO_MODE_TYPE;
	return type == CPIO_MODE_FILE ? NODE_FILE : type == 0040000 ? NODE_DIR : type == 0120000 ? NODE_LINK : NODE_FREE;
}

/*
 * One entry of the archive.  A name the archive gives twice is the later
 * entry's (as the kernel's lookup and Linux's initramfs take the last); a
 * directory given again keeps what is in it.
 */
static bool put_entry(const char *path, u32 len, u8 type, u16 perm, const u8 *data, u64 size, bool in_archive)
{
	u32 base = len;
	while (base && path[base - 1] != '/')
		base--;
	u32 dir = directory_at(path, base ? base - 1 : 0, in_archive);
	if (!dir)
		return false;
	u32 dentry = tree_lookup(dir, path + base, len - base), node = dentry ? tree_dentry_node(dentry) : 0;
	if (node && NODES[node].type == NODE_DIR && type == NODE_DIR) {
		NODES[node].perm = perm;
		return true;
	}
	u32 made = tree_new_node(type, perm);
	if (!made)
		return false;
	if (type == NODE_DEV) {
		NODES[made].size = size;
	} else if (type != NODE_DIR) {
		NODES[made].in_archive = 1;
		NODES[made].size = size;
		memcpy(&NODES[made].block[0], &data, sizeof(data));
	}
	if (dentry) {
		tree_entry_retarget(dentry, made);
		return true;
	}
	return tree_link_name(dir, path + base, len - base, made, in_archive) == 0;
}

static void put_archive(const void *archive, u64 size)
{
	u64 offset = 0;
	struct cpio_entry entry;
	while (archive && cpio_next(archive, size, &offset, &entry) == 1) {
		const char *path = entry.name;
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		while (path[0] == '/')
			path++;
		u32 len = (u32)strlen(path);
		while (len && path[len - 1] == '/')
			len--;
		u8 type = node_type(entry.mode);
		if (len == 0 || (len == 1 && path[0] == '.') || type == NODE_FREE) /* the root, devices, fifos */
			continue;
		if (!put_entry(path, len, type, entry.mode & 07777, entry.data, entry.size, true))
			libos_report("libos: the boot archive's %.*s is left out (no room, or no directory for it)\n",
			             (int)len, path);
	}
	/* The devices, unless the archive put something of its own at their paths. */
	for (u32 i = 0; i < dev_count; i++) {
		const char *path = dev_specs[i].path;
		u32 len = (u32)strlen(path), base = len;
		while (base && path[base - 1] != '/')
			base--;
		u32 dir = directory_at(path, base ? base - 1 : 0, false);
		if (dir && !tree_lookup(dir, path + base, len - base))
			put_entry(path, len, NODE_DEV, 0666, NULL, dev_specs[i].dev, false);
	}
}

/*
 * /proc/self/fd, unless the archive put a file in its way: a directory of
 * the tree, so that walks, stat and opendir find it, whose listing
 * fs_getdents makes from the reader's descriptors.  Rights as Linux's.
 */
static void put_proc(void)
{
	static const char path[] = "proc/self/fd";
	u32 fd_dir = directory_at(path, sizeof(path) - 1, false);
	if (!fd_dir)
		return;
	NODES[fd_dir].perm = 0500;
	NODES[NODES[fd_dir].parent].perm = 0555;
	T->proc_fd_dir = fd_dir;
}

int tree_init(const void *archive, u64 size, u64 pool_pages)
{
	if (as_lookup_self(TREE_FRAMES_VA) & EXO_PTE_VALID)
		return 0; /* made by the first process: mapped at the first tree_lock */
	u32 entries = 0;
	u64 offset = 0;
	struct cpio_entry entry;
	while (archive && cpio_next(archive, size, &offset, &entry) == 1)
		entries++;
	struct tree_header header;
	if (!lay_out(&header, entries, (u32)MIN(pool_pages, (u64)TREE_POOL_MAX)))
		return -1;
	u64 named;
	if (shared_frames(&named, 1, TREE_FRAMES_VA) < 0)
		return -1;
	u64 *names = (u64 *)TREE_FRAMES_VA;
	if (shared_frames(names + TREE_OFDS_NAMED, TREE_OFDS_PAGES, TREE_OFDS_VA) < 0)
		return -1;
	libos.ofds_mapped = true;
	u64 *frames = (u64 *)TREE_FRAMES_VA; /* the count, then each page's frame */
	if (shared_frames(frames + 1, header.pages, TREE_VA) < 0)
		return -1;
	frames[0] = header.pages;
	*T = header;
	if (header.pool_pages && shared_frames(FRAMES + 1, header.pool_pages, 0) < 0)
		return -1;
	free_lists();
	tree_mark_ready();
	/* The root: its own parent, named by nothing. */
	NODES[TREE_ROOT] = (struct node){ .type = NODE_DIR, .perm = 0755, .nlink = 2, .parent = TREE_ROOT };
	T->ipc_dir = tree_new_node(NODE_DIR, 0700); /* its own "." holds it: nothing names it */
	NODES[T->ipc_dir].parent = T->ipc_dir;
	put_archive(archive, size);
	put_proc();
	return 0;
}
