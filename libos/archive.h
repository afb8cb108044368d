/*
 * The boot archive as a tree (archive.c): directories, files and symbolic
 * links, named by path; and the path walk (".", "..", links, the working
 * directory) every call that takes a path goes through.
 */
#ifndef LIBOS_ARCHIVE_H
#define LIBOS_ARCHIVE_H

#include "exo/types.h"

enum anode_type { ANODE_DIR, ANODE_FILE, ANODE_LINK, ANODE_DEV };

struct anode {
	const char *path; /* from the root, without a leading '/': "" is the root, "bin/sh" */
	u32 path_len;
	u8 type;
	u16 perm; /* the archive's permission bits */
	const u8 *data; /* a file's bytes, a link's target (not NUL-terminated) */
	u64 size;       /* a device's: its number (dev.h) */
};

#define ARCHIVE_MAX_NODES 8192
#define ARCHIVE_PATH_MAX 1024 /* longer paths are ENAMETOOLONG */
#define ARCHIVE_LINKS_MAX 40  /* as Linux: more is ELOOP */
#define ARCHIVE_ROOT 0

/* The index: built by the first process (0, or -1 with no frame for it), found by the others. */
int archive_index(const void *archive, u64 size);
/* exec: the index's pages into a new address space, read-only. */
struct aspace;
int archive_map_into(struct aspace *to);
u32 archive_count(void);
const struct anode *archive_node(u32 node);

/*
 * The node a path names, from directory `at` for a relative path: links
 * followed on the way, and at the end unless nofollow.  Returns the node or
 * a negative errno (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG).
 */
i64 archive_walk(u32 at, const char *path, bool nofollow);

/* The next entry of directory dir from position *pos (0 first): its node, or -1 at the end. */
i64 archive_next_child(u32 dir, u64 *pos);

/* The last component of a node's path (the root's is ""). */
const char *archive_base_name(const struct anode *node, u32 *len);

#endif
