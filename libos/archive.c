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
#include <string.h>

#define L_ENOTDIR 20
#define L_ELOOP 40
#define L_ENAMETOOLONG 36
#define HASH_SLOTS (2 * ARCHIVE_MAX_NODES) /* a power of two, at most half full */

static struct anode nodes[ARCHIVE_MAX_NODES];
static u32 nnodes;
static u16 slots[HASH_SLOTS]; /* node + 1; 0 is empty */

static u32 hash_path(const char *path, u32 len)
{
	u32 hash = 2166136261u; /* FNV-1a */
	for (u32 i = 0; i < len; i++)
		hash = (hash ^ (u8)path[i]) * 16777619u;
	return hash;
}

static i64 find(const char *path, u32 len)
{
	for (u32 slot = hash_path(path, len) & (HASH_SLOTS - 1);; slot = (slot + 1) & (HASH_SLOTS - 1)) {
		if (!slots[slot])
			return -L_ENOENT;
		const struct anode *node = &nodes[slots[slot] - 1];
		if (node->path_len == len && memcmp(node->path, path, len) == 0)
			return slots[slot] - 1;
	}
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
	if (nnodes == ARCHIVE_MAX_NODES)
		return false;
	nodes[nnodes] = (struct anode){ path, len, type, perm, data, size };
	u32 slot = hash_path(path, len) & (HASH_SLOTS - 1);
	while (slots[slot])
		slot = (slot + 1) & (HASH_SLOTS - 1);
	slots[slot] = (u16)++nnodes;
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

void archive_index(const void *archive, u64 size)
{
	nnodes = 0;
	memset(slots, 0, sizeof(slots));
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
			             ARCHIVE_MAX_NODES);
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
			done_len = nodes[found].size && nodes[found].data[0] == '/' ? 0 : parent_len;
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
