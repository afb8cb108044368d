/*
 * The file tree every process shares (tree.c): an in-memory file system
 * of directories, files, symbolic links and devices, with the boot
 * archive's entries in it from start-up.  Its records (nodes, directory
 * entries, names, open file descriptions) live in libos's shared slot and
 * its file data in frames of a pool, both the first process's, shared
 * read-write with every descendant (as the process table is).  Any process
 * of the system may change it, under one lock (tree_lock).
 *
 * A file of the archive keeps its bytes in the archive until something
 * writes it; it is then copied into pool pages (file.c).
 */
#ifndef LIBOS_TREE_H
#define LIBOS_TREE_H

#include "exo/types.h"

enum node_type { NODE_FREE, NODE_DIR, NODE_FILE, NODE_LINK, NODE_DEV };

/* A node (an inode).  Numbered from 1; 0 names nothing. */
struct node {
	u8 type;
	u8 in_archive; /* a file's or link's bytes are the archive's (at `archive_data`), not the pool's */
	u16 perm;      /* permission bits (07777) */
	u16 nlink;     /* names it has (a directory: 2 + its subdirectories, as Linux counts) */
	u16 mapped;    /* MAP_SHARED mappings of it (filemap.c): its pages are not freed while mapped */
	u32 opens;     /* open file descriptions on it: an unlinked file lives until the last goes */
	u32 parent;    /* a directory's parent (the root's is itself) */
	u64 size;      /* bytes; a directory's entries; a device's number */
	i64 mtime, ctime; /* ns of the one clock */
	u32 name;      /* a directory's entry (its one name), for getcwd */
	u32 block[4];  /* pool pages: [0], [1] direct, [2] one indirect, [3] double indirect */
	u32 generation; /* moves each time the number is given to a new node: a working directory checks it */
};
_Static_assert(sizeof(struct node) == 64, "a node is 64 bytes");
#define archive_data(n) (*(const u8 *const *)(const void *)&(n)->block[0])

/*
 * The tree's records, in a 2 MiB slot of their own, and the pool's pages
 * (page p at TREE_DATA_VA + p * 4096): each process maps them as it first
 * uses them, and no fork variant copies either (a child that never touches
 * a file pays nothing for them).
 */
#define TREE_DATA_VA 0x0000012000000000ull
#define TREE_VA (TREE_DATA_VA - (2ull << 20))
#define TREE_PAGES_MAX 500 /* TREE_FRAMES_VA's page names them after their count, the descriptions' last */
/*
 * The open file descriptions, in a slot of their own below the records,
 * mapped apart (8 pages): a fork or exit with a file open counts one
 * without mapping the records.
 */
#define TREE_OFDS_VA (TREE_VA - (2ull << 20))
#define TREE_OFDS_PAGES 8
#define TREE_OFDS_NAMED (512 - TREE_OFDS_PAGES) /* where the frames page names their frames */
#define TREE_POOL_MAX 32767 /* pages: 128 MiB */
#define TREE_DATA_END (TREE_DATA_VA + (TREE_POOL_MAX + 1) * 4096ull)
/* Then a view of one file's pages side by side, read-only, for exec to read a program written since start-up. */
#define TREE_VIEW_VA TREE_DATA_END
#define TREE_VIEW_PAGES 16384 /* 64 MiB: larger programs must be the archive's */
#define TREE_END (TREE_VIEW_VA + TREE_VIEW_PAGES * 4096ull) /* from TREE_OFDS_VA: what fork skips and exec's reclaim never frees */
#define TREE_POOL_DEFAULT 4096 /* pages: 16 MiB, unless EXO_TMPFS_KIB says otherwise */

#define TREE_ROOT 1
#define TREE_NAME_MAX 255
#define TREE_PATH_MAX 4096   /* longer paths are ENAMETOOLONG */
#define TREE_LINKS_MAX 40    /* as Linux: more is ELOOP */

/* Start-up: the first process builds the tree from the archive (0, or -1); the others find it. */
int tree_init(const void *archive, u64 size, u64 pool_pages);
/* exec: the page naming the tree's frames into a new address space (the records follow on first use). */
struct aspace;
int tree_map_into(struct aspace *to);
void tree_forked(void); /* a forked child: the records are not mapped here (fork skipped them) */

/* The lock every use of the tree holds; taken after the libos lock. */
void tree_lock(void);
void tree_unlock(void);
void tree_unlock_if_mine(void); /* a call that faults on a user pointer gives it up */
bool tree_lock_mine(void);

struct node *tree_node(u32 node); /* NULL for 0 or out of range */
u32 tree_nodes_max(void);
u32 tree_ipc_dir(void); /* System V IPC's objects' directory, reached by no path */
u32 tree_proc_fd_dir(void); /* /proc/self/fd (0 if the archive put a file in its way) */
/* Is node /proc, /proc/self or /proc/self/fd? Nothing is made, removed or moved there, as in Linux's procfs. */
bool tree_in_proc(u32 node);

/* What a walk found: the node, and the directory and entry that named it last. */
struct walk_end {
	u32 node;      /* 0 if the last name is missing (then dir and name say where it would be) */
	u32 dir;       /* the directory the last name is in */
	u32 dentry;    /* the entry that named node, 0 for the starting directory or the root */
	const char *name; /* the last name (in the walk's buffer, until the next walk) */
	u32 name_len;
	bool trailing_slash;
};
#define WALK_NOFOLLOW 1 /* a link at the end is the answer, not followed */
#define WALK_MISSING_OK 2 /* a missing last name is no error: end->node = 0 */
#define WALK_LAST_AS_IS 4 /* with NOFOLLOW: a link at the end is the answer even with a trailing slash (unlink, rename) */
/*
 * The node a path names, from directory `at` for a relative path: links
 * followed on the way.  0, or a negative errno (ENOENT, ENOTDIR, ELOOP,
 * ENAMETOOLONG).  Under the tree lock.
 */
int tree_walk(u32 at, const char *path, u32 flags, struct walk_end *end);

/* Entries: find, add, remove.  Under the tree lock. */
u32 tree_lookup(u32 dir, const char *name, u32 len); /* the entry, 0 if none */
u32 tree_dentry_node(u32 dentry);
u32 tree_dentry_dir(u32 dentry);
const char *tree_dentry_name(u32 dentry, u32 *len);
int tree_link(u32 dir, const char *name, u32 len, u32 node); /* 0, -ENOSPC, -ENAMETOOLONG */
void tree_unlink_entry(u32 dentry); /* the name goes; the node goes too if nothing else holds it */
void tree_entry_retarget(u32 dentry, u32 node); /* rename over an existing name */
/* The next entry of dir from position *pos (0 first): the entry, 0 at the end. */
u32 tree_next_entry(u32 dir, u64 *pos);

/* Nodes: a fresh one (0 if none is left), and one let go when no name or open file holds it. */
u32 tree_new_node(u8 type, u16 perm);
bool tree_dir_live(u32 node); /* a directory still named in the tree */
void tree_node_release(u32 node);
void tree_touch(struct node *node); /* mtime and ctime: now */

/* A directory's path from the root, NUL-terminated: its length with the NUL, or 0 if it does not fit. */
u64 tree_dir_path(u32 dir, char *buf, u64 size);

/* Shared open file descriptions (what fork and exec keep shared: the offset). */
struct ofd {
	u32 refs;  /* open files that name it, across processes */
	u32 node;
	u32 flags; /* open's flags that stay: the access mode, O_APPEND */
	u32 spare;
	u64 offset;
};
u32 tree_ofd_new(u32 node, u32 flags); /* 0 if none is left */
struct ofd *tree_ofd(u32 ofd);
void tree_ofd_count(u32 ofd, int change); /* the last reference gone: it goes, and its node's open */

/* The pool: pages of file data.  The page's address here (mapped on first use), a fresh zeroed one, one let go. */
u8 *tree_page(u32 page);
u32 tree_page_new(void); /* 0 if the pool is empty */
u64 tree_page_frame(u32 page); /* its frame, 0 if no page */
void tree_page_free(u32 page);
void tree_usage(u64 *pages_total, u64 *pages_free, u64 *nodes_total, u64 *nodes_free);

#endif
