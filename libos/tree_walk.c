/*
 * The path walk (tree.h) every call that takes a path goes through, as
 * Linux's: ".", "..", symbolic links on the way (and at the end unless
 * WALK_NOFOLLOW), trailing slashes, ELOOP after 40 links, ENAMETOOLONG.
 *
 * The walk keeps what is left to walk in `rest`; a link met on the way
 * puts its target in front of what is left, walked from the root if
 * absolute, else from the link's directory.
 */
#include "libos/tree.h"
#include "libos/file.h"
#include "libos/libos.h"
#include <string.h>

static char rest[TREE_PATH_MAX]; /* under the tree lock: a walk never waits */

/* rest = target + rest[from..] (which is empty or starts with '/'). */
static int splice_link(const struct node *link, u64 from)
{
	const u8 *target = file_link_target(link);
	u64 left = strlen(rest + from);
	if (!target || link->size + left + 1 > sizeof(rest))
		return -L_ENAMETOOLONG;
	memmove(rest + link->size, rest + from, left + 1);
	memcpy(rest, target, link->size);
	return 0;
}

static bool only_slashes(const char *at)
{
	while (*at == '/')
		at++;
	return *at == 0;
}

static bool is_dir(u32 node)
{
	const struct node *found = tree_node(node);
	return found && found->type == NODE_DIR;
}

/* The next name: its node (0 if missing), and the entry that named it (0 for "." and ".."). */
static u32 step(u32 dir, const char *name, u32 len, u32 *dentry)
{
	*dentry = 0;
	if (len == 1 && name[0] == '.')
		return dir;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return tree_node(dir)->parent;
	*dentry = tree_lookup(dir, name, len);
	return tree_dentry_node(*dentry);
}

int tree_walk(u32 at, const char *path, u32 flags, struct walk_end *end)
{
	u64 len = strnlen(path, sizeof(rest));
	if (!len)
		return -L_ENOENT;
	if (len >= sizeof(rest))
		return -L_ENAMETOOLONG;
	memcpy(rest, path, len);
	rest[len] = 0; /* even if another thread changes the string meanwhile */
	u32 node = path[0] == '/' ? TREE_ROOT : at, links = 0;
	if (!tree_dir_live(node))
		return -L_ENOENT; /* a working or open directory removed since: as Linux, nothing is found in it */
	*end = (struct walk_end){ .node = node, .dir = node, .name = "." , .name_len = 1 };
	for (u64 pos = 0;;) {
		while (rest[pos] == '/')
			pos++;
		if (!rest[pos]) { /* "file/" names no directory */
			end->node = node;
			return pos && rest[pos - 1] == '/' && !is_dir(node) ? -L_ENOTDIR : 0;
		}
		if (!is_dir(node))
			return -L_ENOTDIR;
		const char *name = rest + pos;
		u32 name_len = 0;
		while (name[name_len] && name[name_len] != '/')
			name_len++;
		pos += name_len;
		if (name_len > TREE_NAME_MAX)
			return -L_ENAMETOOLONG;
		bool last = only_slashes(rest + pos), dir_wanted = rest[pos] == '/';
		u32 dentry, next = step(node, name, name_len, &dentry);
		if (!next) {
			if (!last || !(flags & WALK_MISSING_OK))
				return -L_ENOENT;
			*end = (struct walk_end){ 0, node, 0, name, name_len, dir_wanted };
			return 0;
		}
		const struct node *found = tree_node(next);
		bool follow = !last || !(flags & WALK_NOFOLLOW) || (dir_wanted && !(flags & WALK_LAST_AS_IS));
		if (found->type == NODE_LINK && follow) {
			if (++links > TREE_LINKS_MAX)
				return -L_ELOOP;
			if (found->size == 0)
				return -L_ENOENT; /* an empty target names nothing */
			int err = splice_link(found, pos);
			if (err)
				return err;
			pos = 0;
			node = rest[0] == '/' ? TREE_ROOT : node;
			continue;
		}
		*end = (struct walk_end){ next, node, dentry, name, name_len, dir_wanted };
		node = next;
	}
}
