/*
 * The boot archive (a newc cpio the kernel maps read-only at the same
 * address in every process) indexed as a tree: one node per entry, found
 * by its whole path through a hash table, so a lookup costs one hash per
 * component whatever the archive holds.  Directories an entry's path
 * passes through need no entry of their own.  Read-only: nothing here
 * changes after start-up.
 */
#include "libos/archive.h"
#include "libos/libos.h"
#include "exo/cpio.h"
#include "libos/dev.h"
#include "libos/proctab.h"
#include <string.h>

/*
 * The index lives in libos's shared slot (ARCHIVE_INDEX_VA, after the
 * process table), built once by the first process and mapped read-only by
 * every other (fork shares the slot, exec maps it: archive_map_into): the
 * archive never changes, and a per-process index would cost every exec its
 * building and every fork its pages.  Sized for the archive: room for
 * twice its entries (the directories their paths imply), and a hash table
 * of node numbers at most half full.
 */
struct index {
	u32 count, capacity, mask, pages;
	struct anode at[];
	/* then the slots: u16 node + 1 each, 0 empty */
};
#define INDEX ((struct index *)ARCHIVE_INDEX_VA)
_Static_assert(sizeof(struct index) + ARCHIVE_MAX_NODES * sizeof(struct anode) + 4 * ARCHIVE_MAX_NODES * sizeof(u16) <=
                   ARCHIVE_INDEX_PAGES_MAX * 4096ull, "the largest index fits its pages");
#define nodes (INDEX->at)
#define nnodes (INDEX->count)
#define slot_mask (INDEX->mask)
#define slots ((u16 *)&INDEX->at[INDEX->capacity])

static u32 hash_path(const char *path, u32 len)
{
	u32 hash = 2166136261u; /* FNV-1a */
	for (u32 i = 0; i < len; i++)
		hash = (hash ^ (u8)path[i]) * 16777619u;
	return hash;
}

static i64 find(const char *path, u32 len)
{
	for (u32 slot = hash_path(path, len) & slot_mask;; slot = (slot + 1) & slot_mask) {
		if (!slots[slot])
			return -L_ENOENT;
		const struct anode *node = &nodes[slots[slot] - 1];
		if (node->path_len == len && memcmp(node->path, path, len) == 0)
			return slots[slot] - 1;
	}
}

static void put_slot(u32 node)
{
	u32 slot = hash_path(nodes[node].path, nodes[node].path_len) & slot_mask;
	while (slots[slot])
		slot = (slot + 1) & slot_mask;
	slots[slot] = (u16)(node + 1);
}

/*
 * A node for path; false when the index is full.  An entry named again
 * replaces the earlier one (as the kernel's lookup and Linux's initramfs
 * take the last); a directory only implied by a path replaces nothing.
 */
static bool add(const char *path, u32 len, u8 type, u16 perm, const u8 *data, u64 size, bool implied)
{
	i64 known = find(path, len);
	if (known >= 0) {
		if (!implied)
			nodes[known] = (struct anode){ path, len, type, perm, data, size };
		return true;
	}
	if (nnodes == INDEX->capacity)
		return false;
	nodes[nnodes] = (struct anode){ path, len, type, perm, data, size };
	put_slot(nnodes++);
	return true;
}

/* The directories on the way to path ("a/b/c" adds "a" and "a/b" if the archive did not). */
static bool add_parents(const char *path, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (path[i] == '/' && !add(path, i, ANODE_DIR, 0755, NULL, 0, true))
			return false;
	return true;
}

static u8 node_type(u32 mode)
{
	u32 type = mode & CPIO_MODE_TYPE;
	return type == CPIO_MODE_FILE ? ANODE_FILE : type == 0040000 ? ANODE_DIR : type == 0120000 ? ANODE_LINK : 0xff;
}

/* The index's pages for an archive of `entries` entries, its header filled. */
static u32 index_layout(u32 entries, struct index *header)
{
	u32 capacity = MIN(2 * entries + 64, (u32)ARCHIVE_MAX_NODES), slot_count = 256;
	while (slot_count < 2 * capacity)
		slot_count *= 2;
	u64 bytes = sizeof(struct index) + capacity * sizeof(struct anode) + slot_count * sizeof(u16);
	*header = (struct index){ .capacity = capacity, .mask = slot_count - 1, .pages = (u32)((bytes + 4095) / 4096) };
	return header->pages;
}

/* Fresh frames for the index, mapped read-write here while it is built, shared read-only with descendants. */
static int index_pages(u32 pages, bool writable)
{
	for (u32 i = 0; i < pages; i++) {
		u64 va = ARCHIVE_INDEX_VA + i * 4096ull, frame = as_lookup_self(va) & EXO_PTE_ADDR_MASK;
		if (!frame) {
			if (exo_frame_alloc(libos.env, 1, &frame) != 1)
				return -1;
			exo_frame_share(frame, EXO_R);
		}
		if (as_map(&libos.self, va, frame, writable ? PAGE_RW : PAGE_RO) < 0)
			return -1;
	}
	return 0;
}

static void index_entries(const void *archive, u64 size)
{
	add("", 0, ANODE_DIR, 0755, NULL, 0, true);
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
		if (len == 0 || (len == 1 && path[0] == '.') || type == 0xff) /* the root, devices, fifos */
			continue;
		if (!add_parents(path, len) || !add(path, len, type, entry.mode & 07777, entry.data, entry.size, false)) {
			libos_report("libos: the boot archive has more than %u entries: the rest are not seen\n",
			             INDEX->capacity);
			return;
		}
	}
	/* The devices, unless the archive put something of its own at their paths. */
	for (u32 i = 0; i < dev_count; i++) {
		u32 dev_len = (u32)strlen(dev_specs[i].path);
		if (!add_parents(dev_specs[i].path, dev_len) ||
		    !add(dev_specs[i].path, dev_len, ANODE_DEV, 0666, NULL, dev_specs[i].dev, true))
			return;
	}
}

int archive_index(const void *archive, u64 size)
{
	if (as_lookup_self(ARCHIVE_INDEX_VA) & EXO_PTE_VALID)
		return 0; /* built by the first process: fork shared it, exec mapped it */
	u32 entries = 0;
	u64 offset = 0;
	struct cpio_entry entry;
	while (archive && cpio_next(archive, size, &offset, &entry) == 1)
		entries++;
	struct index header;
	u32 pages = index_layout(entries, &header);
	if (index_pages(pages, true) < 0)
		return -1;
	*INDEX = header;
	index_entries(archive, size);
	return index_pages(pages, false); /* read-only from now on, for everyone */
}

int archive_map_into(struct aspace *to)
{
	for (u32 i = 0; i < INDEX->pages; i++) {
		u64 va = ARCHIVE_INDEX_VA + i * 4096ull;
		if (as_map(to, va, as_lookup_self(va) & EXO_PTE_ADDR_MASK, PAGE_RO) < 0)
			return -1;
	}
	return 0;
}

u32 archive_count(void) { return nnodes; }
const struct anode *archive_node(u32 node) { return &nodes[node]; }

const char *archive_base_name(const struct anode *node, u32 *len)
{
	u32 start = node->path_len;
	while (start && node->path[start - 1] != '/')
		start--;
	*len = node->path_len - start;
	return node->path + start;
}

/*
 * The walk keeps the directory reached so far in `done` (its path from the
 * root) and what is left to walk in `rest`.  A link met on the way puts
 * its target in front of what is left, walked from the root if absolute,
 * else from the link's directory; so `done` is always a real directory's
 * path, and ".." takes its last component off.
 */
static struct walk {
	char done[ARCHIVE_PATH_MAX];
	char rest[ARCHIVE_PATH_MAX];
} walk; /* under the libos lock: a walk never waits */

/* rest = target + rest[from..] (which is empty or starts with '/'). */
static int splice_link(const struct anode *link, u64 from)
{
	u64 left = strlen(walk.rest + from);
	if (link->size + left + 1 > sizeof(walk.rest))
		return -L_ENAMETOOLONG;
	memmove(walk.rest + link->size, walk.rest + from, left + 1);
	memcpy(walk.rest, link->data, link->size);
	return 0;
}

static bool only_slashes(const char *at)
{
	while (*at == '/')
		at++;
	return *at == 0;
}

i64 archive_walk(u32 at, const char *path, bool nofollow)
{
	HOLD_LIBOS_LOCK();
	u64 len = strlen(path);
	if (!len)
		return -L_ENOENT;
	if (len >= sizeof(walk.rest))
		return -L_ENAMETOOLONG;
	memcpy(walk.rest, path, len);
	walk.rest[len] = 0; /* even if another thread changes the string meanwhile */
	i64 node = path[0] == '/' ? ARCHIVE_ROOT : at;
	u32 done_len = nodes[node].path_len, links = 0;
	memcpy(walk.done, nodes[node].path, done_len);
	for (u64 pos = 0;;) {
		while (walk.rest[pos] == '/')
			pos++;
		if (!walk.rest[pos]) /* "file/" names no directory */
			return pos && walk.rest[pos - 1] == '/' && nodes[node].type != ANODE_DIR ? -L_ENOTDIR : node;
		if (nodes[node].type != ANODE_DIR)
			return -L_ENOTDIR;
		const char *name = walk.rest + pos;
		u32 name_len = 0;
		while (name[name_len] && name[name_len] != '/')
			name_len++;
		pos += name_len;
		if (name_len == 1 && name[0] == '.')
			continue;
		u32 parent_len = done_len;
		if (name_len == 2 && name[0] == '.' && name[1] == '.') {
			while (done_len && walk.done[done_len - 1] != '/')
				done_len--;
			done_len -= done_len ? 1 : 0;
		} else {
			if (done_len + 1 + name_len >= sizeof(walk.done))
				return -L_ENAMETOOLONG;
			if (done_len)
				walk.done[done_len++] = '/';
			memcpy(walk.done + done_len, name, name_len);
			done_len += name_len;
		}
		i64 found = find(walk.done, done_len);
		if (found < 0)
			return found;
		bool last = only_slashes(walk.rest + pos), dir_wanted = walk.rest[pos] == '/';
		if (nodes[found].type == ANODE_LINK && (!last || !nofollow || dir_wanted)) {
			if (++links > ARCHIVE_LINKS_MAX)
				return -L_ELOOP;
			if (nodes[found].size == 0)
				return -L_ENOENT; /* an empty target names nothing */
			int err = splice_link(&nodes[found], pos);
			if (err)
				return err;
			pos = 0;
			done_len = nodes[found].data[0] == '/' ? 0 : parent_len;
			found = find(walk.done, done_len);
		}
		node = found;
	}
}

i64 archive_next_child(u32 dir, u64 *pos)
{
	const struct anode *parent = &nodes[dir];
	for (; *pos < nnodes; (*pos)++) {
		const struct anode *node = &nodes[*pos];
		if (*pos == dir || node->path_len <= parent->path_len)
			continue;
		u32 skip = parent->path_len ? parent->path_len + 1 : 0;
		if (parent->path_len && (memcmp(node->path, parent->path, parent->path_len) != 0 ||
		                         node->path[parent->path_len] != '/'))
			continue;
		u32 at = skip;
		while (at < node->path_len && node->path[at] != '/')
			at++;
		if (at < node->path_len) /* deeper down */
			continue;
		return (*pos)++;
	}
	return -1;
}
