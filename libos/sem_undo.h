/*
 * SEM_UNDO's adjustments (sem_undo.c): for each process and semaphore,
 * what its exit gives back, kept in a table of the tree's records (its
 * pid names the process, so exec keeps them and a forked child, a new
 * pid, starts with none).  A semaphore is named by its set's node and
 * generation, and its number.  Everything but sem_undo_mark is under the
 * tree lock.
 */
#ifndef LIBOS_SEM_UNDO_H
#define LIBOS_SEM_UNDO_H

#include "libos/tree_layout.h"

i32 sem_undo_of(u32 pid, u32 set, u32 generation, u16 num); /* 0 if none is kept */
bool sem_undo_has(u32 pid, u32 set, u32 generation, u16 num); /* an entry is kept for it */
u32 sem_undo_room(void);                                      /* free entries */
void sem_undo_set(u32 pid, u32 set, u32 generation, u16 num, i32 adjust); /* needs an entry or room (0 frees) */
void sem_undo_forget(u32 set, i32 num);                       /* every process's, num -1: the whole set's */
bool sem_undo_take(u32 pid, struct sem_undo *out);            /* one of pid's, removed; false if none is left */
void sem_undo_mark(u32 pid);                                  /* the process holds some: its exit looks */
bool sem_undo_marked(u32 pid);

#endif
