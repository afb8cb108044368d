/*
 * Signal actions and masks, recorded as Linux keeps them (no signal is
 * delivered yet: kill ends a process, libos/syscall.c).  musl reads them
 * back (signal() returns the old handler, posix_spawn resets handled
 * signals in the child), so they must be right.  Actions belong to a
 * process: its threads share them, a vfork child gets a copy (it runs in
 * our memory but, as on Linux without CLONE_SIGHAND, not with our table).
 * Masks belong to each thread.  Across exec, the mask and the ignored
 * signals stay; handled signals go back to their defaults.
 */
#include "libos/libos.h"
#include <string.h>

#define NSIG 64
#define SIGKILL 9
#define SIGSTOP 19
#define SIG_IGN 1
#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))
#define MAX_ACTION_TABLES 8
#define MAX_MASKS 48
enum { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK };

/* The kernel's struct sigaction on arm64 (what rt_sigaction reads and writes). */
struct k_sigaction {
	u64 handler, flags, restorer, mask;
};

static struct action_table {
	u64 env; /* the process, 0 if free */
	struct k_sigaction actions[NSIG];
} tables[MAX_ACTION_TABLES];

static struct {
	u64 env; /* 0 if free */
	u64 mask;
} masks[MAX_MASKS];

static struct action_table *table_of(u64 process)
{
	for (u32 i = 0; i < MAX_ACTION_TABLES; i++)
		if (tables[i].env == process)
			return &tables[i];
	return NULL;
}

/* env's mask slot (a fresh one if make and it has none), or -1. */
static int mask_slot(u64 env, bool make)
{
	for (u32 i = 0; i < MAX_MASKS; i++)
		if (masks[i].env == env)
			return (int)i;
	for (u32 i = 0; make && i < MAX_MASKS; i++)
		if (!masks[i].env) {
			masks[i].env = env, masks[i].mask = 0;
			return (int)i;
		}
	return -1;
}

static u64 *mask_of(u64 env, bool make)
{
	int slot = mask_slot(env, make);
	return slot < 0 ? NULL : &masks[slot].mask;
}

void sig_init(u64 mask, u64 ignored)
{
	tables[0].env = libos.env;
	for (u32 sig = 1; sig <= NSIG; sig++)
		if (ignored & (1ull << (sig - 1)))
			tables[0].actions[sig - 1].handler = SIG_IGN;
	*mask_of(libos.env, true) = mask & ~UNBLOCKABLE;
}

/* A new thread's mask is its creator's; a vfork child also gets a copy of the actions. */
int sig_fork(u64 child, bool own_actions)
{
	HOLD_LIBOS_LOCK();
	u64 self = (u64)exo_self();
	u64 *child_mask = mask_of(child, true), *own = mask_of(self, false);
	if (!child_mask)
		return -L_ENOMEM;
	*child_mask = own ? *own : 0;
	if (!own_actions)
		return 0;
	struct action_table *from = table_of(libos_process_of(self)), *to = table_of(0);
	if (!to || !from)
		return -L_ENOMEM;
	memcpy(to->actions, from->actions, sizeof(to->actions));
	to->env = child;
	return 0;
}

void sig_drop(u64 env)
{
	HOLD_LIBOS_LOCK();
	int slot = mask_slot(env, false);
	if (slot >= 0)
		masks[slot].env = 0;
	struct action_table *table = table_of(env);
	if (table)
		table->env = 0;
}

/*
 * A forked child's copy of this memory holds everyone's masks and action
 * tables: the forking thread's mask and its process's actions become the
 * child's, the rest go.
 */
void sig_fork_child(u64 self, u64 forker, u64 process)
{
	HOLD_LIBOS_LOCK();
	for (u32 i = 0; i < ARRAY_LEN(masks); i++)
		if (masks[i].env == forker)
			masks[i].env = self; /* the forking thread's mask */
		else if (masks[i].env)
			masks[i].env = 0;
	for (u32 i = 0; i < ARRAY_LEN(tables); i++)
		if (tables[i].env == process)
			tables[i].env = self;
		else if (tables[i].env)
			tables[i].env = 0;
}

/* For exec: what the new image keeps (the caller's mask, the ignored signals). */
void sig_export(u64 *mask, u64 *ignored)
{
	HOLD_LIBOS_LOCK();
	u64 self = (u64)exo_self(), *own = mask_of(self, false);
	struct action_table *table = table_of(libos_process_of(self));
	*mask = own ? *own : 0;
	*ignored = 0;
	for (u32 sig = 1; table && sig <= NSIG; sig++)
		if (table->actions[sig - 1].handler == SIG_IGN)
			*ignored |= 1ull << (sig - 1);
}

bool sig_ignored(u64 sig)
{
	HOLD_LIBOS_LOCK();
	struct action_table *table = table_of(libos_process_of((u64)exo_self()));
	return table && sig >= 1 && sig <= NSIG && table->actions[sig - 1].handler == SIG_IGN;
}

i64 sig_action(u64 sig, const void *act, void *old, u64 setsize)
{
	if (sig < 1 || sig > NSIG || setsize != 8 || (act && (sig == SIGKILL || sig == SIGSTOP)))
		return -L_EINVAL;
	struct k_sigaction wanted;
	if (act)
		memcpy(&wanted, act, sizeof(wanted)); /* a bad act faults here, before anything changed */
	HOLD_LIBOS_LOCK();
	struct action_table *table = table_of(libos_process_of((u64)exo_self()));
	if (!table)
		return -L_EINVAL;
	if (old)
		memcpy(old, &table->actions[sig - 1], sizeof(wanted));
	if (act)
		table->actions[sig - 1] = wanted;
	return 0;
}

i64 sig_procmask(u64 how, const u64 *set, u64 *old, u64 setsize)
{
	if (setsize != 8 || (set && how > SIG_SETMASK))
		return -L_EINVAL;
	u64 change = set ? *set : 0; /* a bad set faults here, before anything changed */
	HOLD_LIBOS_LOCK();
	u64 *mask = mask_of((u64)exo_self(), true);
	if (!mask)
		return -L_ENOMEM;
	u64 before = *mask;
	if (old)
		*old = before;
	if (set)
		*mask = (how == SIG_BLOCK ? before | change : how == SIG_UNBLOCK ? before & ~change : change) &
		        ~UNBLOCKABLE;
	return 0;
}
