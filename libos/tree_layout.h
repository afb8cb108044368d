/*
 * Where the shared tree's records lie (tree.c, tree_build.c): libos's own,
 * not for the rest of libos, which goes through tree.h.
 */
#ifndef LIBOS_TREE_LAYOUT_H
#define LIBOS_TREE_LAYOUT_H

#include "libos/tree.h"
#include "libos/proctab.h"

struct tree_header {
	u32 lock;  /* the holder's environment id, 0 if free */
	u32 pages; /* of the whole layout, from TREE_VA */
	u32 nodes_max, dentries_max, slot_mask, ofds_max, pool_pages, names_bytes;
	u32 node_free, dentry_free, ofd_free; /* free lists, chained through the first word */
	u32 page_free_top;                    /* PAGE_STACK[0, top) are free pool pages */
	u32 names_top, name_free[5];          /* the names heap: its bump point, a free list per size */
	u32 slots_live, slots_dead, nodes_free_count;
	u32 ipc_dir; /* System V IPC's objects: a directory no path reaches (sysv.c) */
	u32 proc_fd_dir; /* /proc/self/fd, whose listing is the reading process's descriptors (fs_paths.c) */
	u32 locks_max, off_locks, locks_used; /* fcntl's record locks (reclock.c): how many entries hold one */
	u32 off_lock_waits;                   /* what each process's F_SETLKW waits for (reclock.c), LOCK_WAITS */
	u32 off_ipc_stamps;                   /* System V IPC's times and pids, one per node (sysv.c) */
	u32 undos_max, off_undos, undos_used; /* SEM_UNDO's adjustments (sem_undo.c): how many entries hold one */
	u32 off_nodes, off_dentries, off_slots, off_names, off_frames, off_page_stack; /* bytes from TREE_VA */
};

/* A directory entry: its name in the names heap, or in the archive (an offset from its start). */
struct dentry {
	u32 dir, node, name, hash;
	u16 len;
	u8 archive_name;
	u8 spare[13];
};
_Static_assert(sizeof(struct dentry) == 32, "an entry is 32 bytes");

/*
 * A record lock (reclock.c): [start, end) of node's bytes, held by
 * `owner` (0: a free entry): a process's pid, or for an OFD lock
 * (by_description) the open file description's number.
 */
struct record_lock {
	u32 node, owner;
	u8 type;
	bool by_description;
	u64 start, end;
};

/* A process waiting in F_SETLKW (reclock.c) and the lock it asks for (waiter 0: a free entry). */
struct lock_wait {
	u32 waiter, node;
	u8 type;
	u64 start, end;
};
#define LOCK_WAITS 512 /* the process table's size: each process waits for one lock at most */

/*
 * A System V object's last uses (sysv.c), kept for its node: when it
 * changed (made, IPC_SET, SETVAL), when it was last used in two ways and
 * by whom, in realtime seconds and Linux pids:
 *   a set:     used[0] the last semop;
 *   a queue:   used[0]/pid[0] the last msgsnd, used[1]/pid[1] the last msgrcv;
 *   a segment: used[0] the last attach, used[1] the last detach,
 *              pid[0] its creator, pid[1] the last to attach or detach.
 */
struct ipc_stamps {
	i64 changed, used[2];
	u32 pid[2];
};
#define IPC_STAMPS ((struct ipc_stamps *)(TREE_VA + T->off_ipc_stamps))

/* SEM_UNDO's adjustment of process pid for semaphore num of the set (node, generation); pid 0: free. */
struct sem_undo {
	u32 pid, node, generation;
	u16 num;
	int16_t adjust;
};

#define SLOT_EMPTY 0u
#define SLOT_DEAD 0xffffffffu

#define T ((struct tree_header *)TREE_VA)
#define NODES ((struct node *)(TREE_VA + T->off_nodes))
#define DENTRIES ((struct dentry *)(TREE_VA + T->off_dentries))
#define SLOTS ((u32 *)(TREE_VA + T->off_slots))
#define NAMES ((u8 *)(TREE_VA + T->off_names))
#define OFDS ((struct ofd *)TREE_OFDS_VA) /* a slot of their own: tree_ofd maps it first */
#define OFDS_MAX (TREE_OFDS_PAGES * 4096 / sizeof(struct ofd)) /* entry 0 names none */
#define FRAMES ((u64 *)(TREE_VA + T->off_frames)) /* FRAMES[p]: pool page p's frame (p from 1) */
#define PAGE_STACK ((u32 *)(TREE_VA + T->off_page_stack))

int tree_link_name(u32 dir, const char *name, u32 len, u32 node, bool archive_name);
void tree_mark_ready(void);

#endif
