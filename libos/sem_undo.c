/*
 * SEM_UNDO's adjustments (sem_undo.h): a table of entries, one per
 * process and semaphore whose adjustment is not 0 (an entry that comes
 * back to 0 is freed), so a process that never asks for SEM_UNDO costs
 * its exit one look at its process table entry.
 */
#include "libos/sem_undo.h"
#include "libos/proctab.h"

#define UNDOS ((struct sem_undo *)(TREE_VA + T->off_undos))

static struct sem_undo *entry_of(u32 pid, u32 set, u32 generation, u16 num)
{
	for (u32 i = 0; T->undos_used && i < T->undos_max; i++) { /* none anywhere (the usual case): no scan */
		struct sem_undo *undo = &UNDOS[i];
		if (undo->pid == pid && undo->node == set && undo->generation == generation && undo->num == num)
			return undo;
	}
	return NULL;
}

i32 sem_undo_of(u32 pid, u32 set, u32 generation, u16 num)
{
	const struct sem_undo *undo = entry_of(pid, set, generation, num);
	return undo ? undo->adjust : 0;
}

bool sem_undo_has(u32 pid, u32 set, u32 generation, u16 num) { return entry_of(pid, set, generation, num) != NULL; }

/* An entry whose process is gone without its exit (killed by the kernel) is free too: nobody will apply it. */
static bool free_entry(const struct sem_undo *undo) { return !undo->pid || !proctab_find(undo->pid); }

u32 sem_undo_room(void)
{
	u32 room = T->undos_max - T->undos_used;
	for (u32 i = 0; !room && i < T->undos_max; i++)
		room += UNDOS[i].pid && free_entry(&UNDOS[i]); /* only when the table is full: a scan of the pids */
	return room;
}

static void clear(struct sem_undo *undo)
{
	if (undo->pid)
		T->undos_used--;
	*undo = (struct sem_undo){ 0 };
}

void sem_undo_set(u32 pid, u32 set, u32 generation, u16 num, i32 adjust)
{
	struct sem_undo *undo = entry_of(pid, set, generation, num);
	for (u32 i = 0; !undo && adjust && i < T->undos_max; i++)
		if (free_entry(&UNDOS[i]))
			clear(&UNDOS[i]), undo = &UNDOS[i];
	if (!undo)
		return;
	if (!adjust) {
		clear(undo);
		return;
	}
	if (!undo->pid)
		T->undos_used++;
	*undo = (struct sem_undo){ pid, set, generation, num, (int16_t)adjust };
}

void sem_undo_forget(u32 set, i32 num)
{
	for (u32 i = 0; T->undos_used && i < T->undos_max; i++)
		if (UNDOS[i].pid && UNDOS[i].node == set && (num < 0 || UNDOS[i].num == (u32)num))
			clear(&UNDOS[i]);
}

bool sem_undo_take(u32 pid, struct sem_undo *out)
{
	for (u32 i = 0; T->undos_used && i < T->undos_max; i++)
		if (UNDOS[i].pid == pid) {
			*out = UNDOS[i];
			clear(&UNDOS[i]);
			return true;
		}
	return false;
}

void sem_undo_mark(u32 pid)
{
	struct proc_entry *entry = proctab_find(pid);
	if (entry && !(__atomic_load_n(&entry->job, __ATOMIC_RELAXED) & JOB_SEM_UNDO))
		proctab_job_change(entry, JOB_SEM_UNDO, 0);
}

bool sem_undo_marked(u32 pid)
{
	const struct proc_entry *entry = proctab_find(pid);
	return entry && (__atomic_load_n(&entry->job, __ATOMIC_RELAXED) & JOB_SEM_UNDO);
}
