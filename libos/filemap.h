/*
 * File mappings (filemap.c): mmap of a file of the tree.  MAP_SHARED maps
 * the file's own pool pages, so every process that maps the file (and a
 * forked child, which keeps the mapping shared) sees one set of bytes;
 * MAP_PRIVATE gets a copy of the file's bytes in fresh pages.
 */
#ifndef LIBOS_FILEMAP_H
#define LIBOS_FILEMAP_H

#include "exo/types.h"

/*
 * Pages mapped into a program that are not the program's frames, marked so
 * that munmap and exec's reclaim unmap them but never free them: a pool
 * page of the tree's (EXO_PTE_SW1), or the boot archive's (EXO_PTE_SW2).
 */
#define FILEMAP_PTE EXO_PTE_SW1
/* A page of the boot archive's mapped as a program's text (exec.c): copy-on-write if it is ever made writable. */
#define ARCHIVE_PTE EXO_PTE_SW2
#define NOT_OURS_PTE (FILEMAP_PTE | ARCHIVE_PTE)

/* mmap's checks of fd and offset, the node to map and the rights its descriptor denies the mapping: 0 or an errno. */
i64 filemap_check(i64 fd, u64 offset, u32 prot, bool shared, u32 *node, u32 *denied);
/* The pages of [start, start + size), from the file's page offset / 4096 on: 0 or -ENOMEM/-ENOSPC. */
int filemap_shared(u32 node, u64 offset, u64 start, u64 size, u64 attrs);
/* The next filemap_shared must find this node still the object checked (shmat), or fail with EINVAL; 0: no check. */
void filemap_expect(u32 node, u32 generation, u32 kind_bits);
/* The file's bytes copied into fresh pages of [start, start + size): how many it had there, or -ENOMEM. */
i64 filemap_private(u32 node, u64 offset, u64 start, u64 size);
/*
 * [start, end) no longer mapped: the mappings there let their files go.  A
 * mapping left on both sides becomes two, each holding its file: ask
 * filemap_room_to_forget first (false: too many mappings, ENOMEM).
 */
void filemap_forget(u64 start, u64 end);
bool filemap_room_to_forget(u64 start, u64 end);
/* A forked child's copies (+1, or -1 if it never ran), and this address space's end (exit, exec). */
void filemap_fork_count(int change);
void filemap_forget_all(void);
/*
 * mm_fault's answer for a MAP_SHARED mapping's absent page: 0 mapped,
 * MM_FAULT_BUS (the file has no page there), -2 no memory.
 */
int filemap_fault(u64 page, u64 attrs);
/* The node of the mapping that starts at start (0 if none starts there). */
u32 filemap_node_at(u64 start);
/*
 * shmdt's pieces: the mapping that starts at start and those after it left
 * of the same attach by holes punched in it (the same file, placed as if
 * one mapping), FILEMAP_MAX at most; how many (0 if none starts there).
 */
#define FILEMAP_MAX 64
u32 filemap_pieces(u64 start, u64 *starts, u64 *ends);

#endif
