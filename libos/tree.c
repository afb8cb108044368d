/*
 * The shared file tree's records (tree.h): where they lie, the lock, and
 * the allocation of nodes, directory entries, names, open file
 * descriptions and pool pages.  The path walk is tree_walk.c's, building
 * the tree from the archive tree_build.c's, a file's bytes file.c's.
 *
 * Layout: one header page, then the sections it gives the offsets of, all
 * from TREE_VA, in a slot of their own.  The first process sizes them for
 * its archive (room for 2,048 more nodes than the archive has), allocates
 * the frames, shares them read-write, names them in a page of libos's
 * shared slot (TREE_FRAMES_VA: fork shares it, exec maps it) and builds
 * the tree; every other process maps the records from there the first
 * time it takes the lock.  Like the process table, it is policy shared by
 * cooperating processes: a process that scribbles on it can spoil files,
 * but readers bound every index they read, so nobody reaches outside it.
 *
 * A directory entry is found by hashing its directory and name into an
 * open-addressed table of entry numbers; a removed entry leaves a
 * tombstone, and the table is rebuilt when tombstones fill a quarter of it.
 */
#include "libos/tree.h"
#include "libos/tree_layout.h"
#include "libos/libos.h"
#include <string.h>

#define ready libos.tree_mapped /* kept in struct libos: a forked child's clearing it copies no page of its own */
static void map_records(void);
static void map_ofds(void);

struct node *tree_node(u32 node)
{
	return node && node < T->nodes_max ? &NODES[node] : NULL;
}

u32 tree_nodes_max(void) { return T->nodes_max; }
u32 tree_ipc_dir(void) { return T->ipc_dir; }
u32 tree_proc_fd_dir(void) { return T->proc_fd_dir; }

bool tree_in_proc(u32 node)
{
	u32 fd_dir = T->proc_fd_dir;
	if (!fd_dir || !node)
		return false;
	u32 self = NODES[fd_dir].parent, proc = NODES[self].parent;
	return node == fd_dir || node == self || node == proc;
}

bool tree_dir_live(u32 node)
{
	const struct node *dir = tree_node(node);
	return dir && dir->type == NODE_DIR && dir->nlink;
}

/* The lock: the holder's environment id.  A holder that ended holding it (killed) is passed over. */
static bool holder_gone(u32 holder)
{
	struct exo_env_info info;
	i64 err = exo_env_info(holder, &info);
	return err == -EXO_ENOENT || (err == 0 && info.status == EXO_ENV_ZOMBIE);
}

void tree_lock(void)
{
	if (__builtin_expect(!ready, 0)) {
		if (!(as_lookup_self(TREE_VA) & EXO_PTE_VALID))
			map_records(); /* under the libos lock: one thread maps them */
		ready = true; /* written only when it changes: after a fork each write copies a page */
	}
	u32 me = (u32)exo_self();
	for (u32 tries = 1;; tries++) {
		u32 free = 0;
		if (__atomic_compare_exchange_n(&T->lock, &free, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (tries % 64 == 0 && holder_gone(free))
			__atomic_compare_exchange_n(&T->lock, &free, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		exo_yield(); /* the holder may be waiting for the processor */
	}
}

void tree_unlock(void) { __atomic_store_n(&T->lock, 0, __ATOMIC_RELEASE); }

bool tree_lock_mine(void) { return ready && __atomic_load_n(&T->lock, __ATOMIC_RELAXED) == (u32)exo_self(); }

void tree_unlock_if_mine(void)
{
	if (ready && __atomic_load_n(&T->lock, __ATOMIC_RELAXED) == (u32)exo_self())
		tree_unlock();
}

void tree_touch(struct node *node) { node->mtime = node->ctime = exo_clock(); }

/* ---- Names: heap blocks of 16 to 256 bytes, a free list per size. ---- */

static u32 name_class(u32 len)
{
	u32 class = 0;
	while ((16u << class) < len)
		class++;
	return class;
}

static u32 name_alloc(u32 len)
{
	u32 class = name_class(len), bytes = 16u << class, block = T->name_free[class];
	if (block && block + 4 <= T->names_bytes) {
		memcpy(&T->name_free[class], NAMES + block, 4);
		return block;
	}
	if (T->names_top + bytes > T->names_bytes) {
		for (u32 larger = class + 1; larger < 5; larger++) /* a bigger free block rather than ENOSPC */
			if (T->name_free[larger] && T->name_free[larger] + 4 <= T->names_bytes) {
				block = T->name_free[larger];
				memcpy(&T->name_free[larger], NAMES + block, 4);
				return block;
			}
		return 0;
	}
	block = T->names_top;
	T->names_top += bytes;
	return block;
}

static void name_free(u32 block, u32 len)
{
	u32 class = name_class(len);
	memcpy(NAMES + block, &T->name_free[class], 4);
	T->name_free[class] = block;
}

/* ---- Directory entries. ---- */

static u32 hash_name(u32 dir, const char *name, u32 len)
{
	u32 hash = 2166136261u ^ dir; /* FNV-1a */
	for (u32 i = 0; i < len; i++)
		hash = (hash ^ (u8)name[i]) * 16777619u;
	return hash;
}

const char *tree_dentry_name(u32 dentry, u32 *len)
{
	const struct dentry *entry = &DENTRIES[dentry];
	*len = entry->len;
	return entry->archive_name ? (const char *)libos.archive + entry->name : (const char *)NAMES + entry->name;
}

u32 tree_dentry_node(u32 dentry) { return dentry && dentry < T->dentries_max ? DENTRIES[dentry].node : 0; }
u32 tree_dentry_dir(u32 dentry) { return dentry && dentry < T->dentries_max ? DENTRIES[dentry].dir : 0; }

u32 tree_lookup(u32 dir, const char *name, u32 len)
{
	u32 hash = hash_name(dir, name, len);
	for (u32 slot = hash & T->slot_mask, probes = 0; probes <= T->slot_mask; slot = (slot + 1) & T->slot_mask, probes++) {
		u32 at = SLOTS[slot];
		if (at == SLOT_EMPTY)
			return 0;
		if (at == SLOT_DEAD || at >= T->dentries_max)
			continue;
		const struct dentry *entry = &DENTRIES[at];
		u32 entry_len;
		const char *entry_name = tree_dentry_name(at, &entry_len);
		if (entry->hash == hash && entry->dir == dir && entry_len == len && memcmp(entry_name, name, len) == 0)
			return at;
	}
	return 0;
}

static void put_slot(u32 dentry)
{
	u32 slot = DENTRIES[dentry].hash & T->slot_mask;
	for (u32 probes = 0; SLOTS[slot] != SLOT_EMPTY && SLOTS[slot] != SLOT_DEAD && probes <= T->slot_mask; probes++)
		slot = (slot + 1) & T->slot_mask;
	T->slots_dead -= SLOTS[slot] == SLOT_DEAD;
	SLOTS[slot] = dentry;
	T->slots_live++;
}

/* Tombstones past a quarter of the table: every live entry put back into a clean one. */
static void rehash_if_worn(void)
{
	if (T->slots_dead * 4 < T->slot_mask + 1)
		return;
	memset(SLOTS, 0, (T->slot_mask + 1) * sizeof(u32));
	T->slots_live = T->slots_dead = 0;
	for (u32 at = 1; at < T->dentries_max; at++)
		if (DENTRIES[at].dir)
			put_slot(at);
}

/* An entry for a name the caller found missing: 0, -ENOSPC or -ENAMETOOLONG.  The name is copied unless archive_name. */
int tree_link_name(u32 dir, const char *name, u32 len, u32 node, bool archive_name)
{
	if (len > TREE_NAME_MAX)
		return -L_ENAMETOOLONG;
	if (!tree_node(dir) || NODES[dir].type != NODE_DIR || !NODES[dir].nlink || !tree_node(node))
		return -L_ENOENT; /* a directory removed while open (or from the working directory) takes no names */
	if (NODES[node].nlink == 0xffff)
		return -31; /* EMLINK */
	u32 dentry = T->dentry_free;
	if (!dentry || dentry >= T->dentries_max || (T->slots_live + T->slots_dead + 1) * 2 > T->slot_mask + 1)
		return -L_ENOSPC;
	u32 stored = archive_name ? (u32)((const u8 *)name - (const u8 *)libos.archive) : name_alloc(len);
	if (!archive_name && !stored)
		return -L_ENOSPC;
	T->dentry_free = DENTRIES[dentry].node;
	if (!archive_name)
		memcpy(NAMES + stored, name, len);
	DENTRIES[dentry] = (struct dentry){ .dir = dir, .node = node, .name = stored, .hash = hash_name(dir, name, len),
		                            .len = (u16)len, .archive_name = archive_name };
	put_slot(dentry);
	struct node *target = &NODES[node], *parent = &NODES[dir];
	target->nlink++;
	if (target->type == NODE_DIR) {
		target->parent = dir;
		target->name = dentry;
		parent->nlink++; /* its ".." */
	}
	parent->size++;
	tree_touch(parent);
	return 0;
}

int tree_link(u32 dir, const char *name, u32 len, u32 node)
{
	if (dir == T->proc_fd_dir)
		return -L_EACCES; /* its entries are the reader's descriptors: no name of the tree's goes in */
	if (tree_in_proc(dir))
		return -L_ENOENT; /* /proc and /proc/self hold only what libos makes, as Linux's procfs */
	return tree_link_name(dir, name, len, node, false);
}

static void clear_slot_of(u32 dentry)
{
	for (u32 slot = DENTRIES[dentry].hash & T->slot_mask, probes = 0; probes <= T->slot_mask;
	     slot = (slot + 1) & T->slot_mask, probes++) {
		if (SLOTS[slot] == SLOT_EMPTY)
			return;
		if (SLOTS[slot] == dentry) {
			SLOTS[slot] = SLOT_DEAD;
			T->slots_live--, T->slots_dead++;
			return;
		}
	}
}

/* A node's name count down by one (an empty directory's "." too): it goes when nothing holds it. */
static void node_unnamed(u32 node, u32 dir)
{
	struct node *target = &NODES[node];
	target->nlink--;
	if (target->type == NODE_DIR) {
		NODES[dir].nlink--; /* its ".." */
		if (target->nlink == 1)
			target->nlink = target->name = 0; /* only its "." was left: removed, no path any more */
	}
	target->ctime = exo_clock();
	tree_node_release(node);
}

void tree_unlink_entry(u32 dentry)
{
	struct dentry *entry = &DENTRIES[dentry];
	u32 node = entry->node, dir = entry->dir;
	clear_slot_of(dentry);
	if (!entry->archive_name)
		name_free(entry->name, entry->len);
	NODES[dir].size--;
	tree_touch(&NODES[dir]);
	*entry = (struct dentry){ .node = T->dentry_free };
	T->dentry_free = dentry;
	node_unnamed(node, dir);
	rehash_if_worn();
}

void tree_entry_retarget(u32 dentry, u32 node)
{
	struct dentry *entry = &DENTRIES[dentry];
	u32 old = entry->node;
	entry->node = node;
	NODES[node].nlink++;
	if (NODES[node].type == NODE_DIR) {
		NODES[node].parent = entry->dir;
		NODES[node].name = dentry;
		NODES[entry->dir].nlink++;
	}
	node_unnamed(old, entry->dir);
}

u32 tree_next_entry(u32 dir, u64 *pos)
{
	for (u64 at = *pos + 1; at < T->dentries_max; at++)
		if (DENTRIES[at].dir == dir && DENTRIES[at].node) {
			*pos = at;
			return (u32)at;
		}
	*pos = T->dentries_max;
	return 0;
}

u64 tree_dir_path(u32 dir, char *buf, u64 size)
{
	u64 len = 0; /* built from the end of buf, then moved to its start */
	if (size < 2)
		return 0;
	buf[size - 1] = 0;
	u64 at = size - 1;
	for (u32 node = dir, depth = 0; node != TREE_ROOT; node = NODES[node].parent, depth++) {
		u32 dentry = NODES[node].name, name_len;
		if (!dentry || dentry >= T->dentries_max || depth >= T->nodes_max)
			return 0; /* not in the tree any more (removed): as Linux, getcwd fails */
		const char *name = tree_dentry_name(dentry, &name_len);
		if (at < name_len + 1)
			return 0;
		at -= name_len;
		memcpy(buf + at, name, name_len);
		buf[--at] = '/';
	}
	if (at == size - 1)
		buf[--at] = '/';
	len = size - at;
	memmove(buf, buf + at, len);
	return len;
}

/* ---- Nodes. ---- */

u32 tree_new_node(u8 type, u16 perm)
{
	u32 node = T->node_free;
	if (!node || node >= T->nodes_max)
		return 0;
	T->node_free = NODES[node].block[0];
	T->nodes_free_count--;
	i64 now = exo_clock();
	u32 generation = NODES[node].generation + 1;
	NODES[node] = (struct node){ .type = type, .perm = perm & 07777, .mtime = now, .ctime = now,
		                     .generation = generation };
	if (type == NODE_DIR)
		NODES[node].nlink = 1; /* its "." (its name adds one) */
	return node;
}

void file_drop_pages(struct node *node); /* file.c */

void tree_node_release(u32 node)
{
	struct node *gone = &NODES[node];
	if (gone->nlink || gone->opens || node == TREE_ROOT)
		return;
	if (gone->type == NODE_FILE || gone->type == NODE_LINK)
		file_drop_pages(gone);
	*gone = (struct node){ .block = { T->node_free }, .generation = gone->generation };
	T->node_free = node;
	T->nodes_free_count++;
}

/* ---- Open file descriptions. ---- */

u32 tree_ofd_new(u32 node, u32 flags)
{
	u32 ofd = T->ofd_free;
	if (!ofd || !tree_ofd(ofd))
		return 0;
	T->ofd_free = OFDS[ofd].node;
	OFDS[ofd] = (struct ofd){ .refs = 1, .node = node, .flags = flags };
	NODES[node].opens++;
	return ofd;
}

struct ofd *tree_ofd(u32 ofd)
{
	if (!ofd || ofd >= OFDS_MAX)
		return NULL;
	if (__builtin_expect(!libos.ofds_mapped, 0))
		map_ofds(); /* under the libos lock, as every caller is */
	return &OFDS[ofd];
}

/*
 * A description's count moves without the tree's lock (the descriptions
 * lie in libos's shared slot, mapped everywhere), so a fork or an exit
 * with a file open maps no records; only the last reference's going takes
 * the lock, to free it and let its node go.  Whoever adds a reference
 * holds one, so the count never rises from 0.
 */
void tree_ofd_count(u32 ofd, int change)
{
	struct ofd *open = tree_ofd(ofd);
	if (!open)
		return;
	u32 refs = __atomic_load_n(&open->refs, __ATOMIC_RELAXED);
	do {
		if (!refs)
			return; /* spoilt, or gone already */
	} while (!__atomic_compare_exchange_n(&open->refs, &refs, refs + (u32)change, true, __ATOMIC_ACQ_REL,
	                                      __ATOMIC_RELAXED));
	if (refs + (u32)change)
		return;
	tree_lock();
	u32 node = open->node;
	fs_record_locks_drop_description(ofd); /* its F_OFD_ locks go with it */
	*open = (struct ofd){ .node = T->ofd_free };
	T->ofd_free = ofd;
	if (tree_node(node) && NODES[node].opens) {
		NODES[node].opens--;
		tree_node_release(node);
	}
	tree_unlock();
}

/* ---- The pool. ---- */

u8 *tree_page(u32 page)
{
	if (!page || page > T->pool_pages)
		return NULL;
	u64 va = TREE_DATA_VA + (u64)page * 4096;
	if (!(as_lookup_self(va) & EXO_PTE_VALID) && as_map(&libos.self, va, FRAMES[page], PAGE_RW) < 0)
		return NULL; /* no table for it: out of memory */
	return (u8 *)va;
}

u64 tree_page_frame(u32 page) { return page && page <= T->pool_pages ? FRAMES[page] : 0; }

u32 tree_page_new(void)
{
	while (T->page_free_top) {
		u32 page = PAGE_STACK[--T->page_free_top];
		if (!page || page > T->pool_pages)
			continue; /* a spoilt entry: not a page */
		u8 *at = tree_page(page);
		if (!at) {
			T->page_free_top++;
			return 0;
		}
		memset(at, 0, 4096);
		return page;
	}
	return 0;
}

void tree_page_free(u32 page)
{
	if (page && page <= T->pool_pages && T->page_free_top < T->pool_pages)
		PAGE_STACK[T->page_free_top++] = page;
}

void tree_usage(u64 *pages_total, u64 *pages_free, u64 *nodes_total, u64 *nodes_free)
{
	*pages_total = T->pool_pages;
	*pages_free = T->page_free_top;
	*nodes_total = T->nodes_max - 1;
	*nodes_free = T->nodes_free_count;
}

/* ---- Start-up and exec. ---- */

int tree_map_into(struct aspace *to)
{
	return as_map(to, TREE_FRAMES_VA, as_lookup_self(TREE_FRAMES_VA) & EXO_PTE_ADDR_MASK, PAGE_RW);
}

void tree_forked(void) { ready = false, libos.ofds_mapped = false; }

/* `pages` frames named in TREE_FRAMES_VA's page from `named` on, mapped read-write at va: one EXO_PT_WRITE per 64. */
static int map_named(u64 va, u32 named, u32 pages)
{
	const u64 *names = (const u64 *)TREE_FRAMES_VA;
	i64 table = as_table(&libos.self, 3, va, true);
	u64 batch[64];
	for (u32 first = 0; table >= 0 && first < pages; first += 64) {
		u32 n = MIN(64u, pages - first);
		for (u32 i = 0; i < n; i++)
			batch[i] = (names[named + first + i] & EXO_PTE_ADDR_MASK) | PAGE_RW;
		if (exo_pt_write((u64)table, exo_pt_index(3, va) + first, n, batch) < 0)
			table = -1;
	}
	if (table < 0) {
		libos_report("libos: no memory to map the file tree\n");
		libos_exit(127 << 8);
	}
	return 0;
}

/* The descriptions mapped here (a forked child or a new image: fork skips them, exec maps only the names). */
static void map_ofds(void)
{
	if (!(as_lookup_self(TREE_OFDS_VA) & EXO_PTE_VALID))
		map_named(TREE_OFDS_VA, TREE_OFDS_NAMED, TREE_OFDS_PAGES);
	libos.ofds_mapped = true;
}

/* The records mapped here, from the frames TREE_FRAMES_VA names. */
static void map_records(void)
{
	const u64 *names = (const u64 *)TREE_FRAMES_VA;
	map_named(TREE_VA, 1, (u32)MIN(names[0], (u64)TREE_PAGES_MAX));
	ready = true;
}

void tree_mark_ready(void) { ready = true; }
