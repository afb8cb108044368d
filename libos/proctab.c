/*
 * The process table shared by every process (proctab.h): process groups,
 * sessions, parents and job state, as POSIX defines them.  Entries are
 * claimed with compare-and-swap and written by the process they describe
 * or its parent; readers take what they see (a group being joined while
 * another process signals it may or may not be reached, as on Linux).
 * Scans go only as far as the highest entry ever used (`top`), so a
 * system of a few processes pays for a few entries.
 */
#include "libos/signal.h"
#include "libos/proctab.h"
#include <string.h>

#define L_ESRCH 3
#define PAGE 4096ull

static struct proc_table *const table = PROC_TABLE;
/* How far scans go; bounded here, whatever a process wrote there. */
static u32 top_seen(void)
{
	u32 top = __atomic_load_n(&table->top, __ATOMIC_ACQUIRE);
	return top < ARRAY_LEN(table->at) ? top : ARRAY_LEN(table->at);
}

int proctab_init(void)
{
	if (as_lookup_self(PROC_TABLE_VA) & EXO_PTE_VALID)
		return 0; /* inherited: fork and vfork share it, exec mapped it */
	u64 frames[PROC_TABLE_PAGES];
	if (exo_frame_alloc(libos.env, PROC_TABLE_PAGES, frames) != PROC_TABLE_PAGES)
		return -L_ENOMEM;
	for (u32 i = 0; i < PROC_TABLE_PAGES; i++) {
		exo_frame_share(frames[i], EXO_R | EXO_W); /* every descendant maps it */
		if (as_map(&libos.self, PROC_TABLE_VA + i * PAGE, frames[i], PAGE_RW) < 0)
			return -L_ENOMEM;
	}
	memset(table, 0, sizeof(*table));
	table->init = (u32)libos.env;
	tty_defaults(&table->tty);
	u32 me = (u32)libos.env;
	/* As Linux's init: in group 0 and session 0, which its children inherit, leading neither. */
	table->at[0] = (struct proc_entry){ .pid = me, .ppid = 0, .pgid = 0, .sid = 0 };
	table->count = 1;
	table->top = 1; /* top: entries [0, top) may be in use */
	return 0;
}

int proctab_map_into(struct aspace *to)
{
	for (u32 i = 0; i < PROC_TABLE_PAGES; i++) {
		u64 desc = as_lookup_self(PROC_TABLE_VA + i * PAGE);
		if (as_map(to, PROC_TABLE_VA + i * PAGE, desc & EXO_PTE_ADDR_MASK, PAGE_RW) < 0)
			return -L_ENOMEM;
	}
	return 0;
}

void proctab_execed(u64 self)
{
	struct proc_entry *entry = proctab_find(self);
	if (entry)
		proctab_job_change(entry, JOB_EXECED, 0);
}

struct proc_entry *proctab_find(u64 pid)
{
	if (!pid || pid > 0xffffffffull)
		return NULL;
	for (u32 i = 0, top = top_seen(); i < top; i++)
		if (__atomic_load_n(&table->at[i].pid, __ATOMIC_ACQUIRE) == (u32)pid)
			return &table->at[i];
	return NULL;
}

u32 proctab_pgid(u64 pid)
{
	const struct proc_entry *entry = proctab_find(pid);
	return entry ? entry->pgid : 0;
}

i64 proctab_add(u64 child, u64 parent)
{
	const struct proc_entry *own = proctab_find(parent);
	struct proc_entry fresh = { .pid = (u32)child, .ppid = (u32)parent, .pgid = own ? own->pgid : (u32)parent,
		                    .sid = own ? own->sid : (u32)parent };
	for (u32 i = 0; i < ARRAY_LEN(table->at); i++) {
		u32 free_word = 0;
		struct proc_entry *entry = &table->at[i];
		/* Claimed, filled, then named: nobody sees the child's pid with the last occupant's group. */
		if (entry->pid || !__atomic_compare_exchange_n(&entry->pid, &free_word, PROC_CLAIMED, false,
		                                                 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		entry->ppid = fresh.ppid, entry->pgid = fresh.pgid, entry->sid = fresh.sid, entry->job = 0;
		__atomic_store_n(&entry->pid, (u32)child, __ATOMIC_RELEASE);
		u32 top = top_seen();
		while (top <= i && !__atomic_compare_exchange_n(&table->top, &top, i + 1, false, __ATOMIC_ACQ_REL,
		                                                 __ATOMIC_ACQUIRE))
			;
		__atomic_add_fetch(&table->count, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return -L_EAGAIN;
}

/* Free a record seen as `word` (posted): false if it changed meanwhile (taken, or freed by another). */
static bool free_record(struct sig_record *record, u32 word)
{
	u32 freed = (RECORD_GEN(word) + 1) << 2 | RECORD_FREE;
	return __atomic_compare_exchange_n(&record->word, &word, freed, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* The record's state word if it is posted to `to`, else 0 (a posted word is never 0). */
static u32 posted_word(const struct sig_record *record, u32 to)
{
	u32 word = __atomic_load_n(&record->word, __ATOMIC_ACQUIRE);
	return RECORD_STATE(word) == RECORD_POSTED && record->to == to ? word : 0;
}

/* Records still posted to pid (it ended before taking them) are freed. */
static void drop_posted(u32 pid, u32 job)
{
	if (!(job & JOB_POSTED))
		return; /* nothing was posted to it since it last looked */
	for (u32 i = 0; i < SIG_RING; i++) {
		u32 word = posted_word(&table->ring[i], pid);
		if (word)
			free_record(&table->ring[i], word);
	}
}

/*
 * Before sig is posted to `to`, in one look at its records: Linux's rule
 * at sending (SIGCONT undoes stop signals not yet taken, a stop signal
 * undoes a SIGCONT: STOP, CONT, STOP ends stopped), and whether the same
 * standard signal is posted already (then this one adds nothing: they do
 * not queue).
 */
static bool posted_already(u32 to, u32 sig)
{
	u64 stops = SIG_STOPS;
	u64 undone = sig == L_SIGCONT ? stops : (stops & SIG_BIT(sig)) ? SIG_BIT(L_SIGCONT) : 0;
	bool merged = false;
	for (u32 i = 0; i < SIG_RING; i++) {
		struct sig_record *record = &table->ring[i];
		u32 word = posted_word(record, to);
		if (!word || record->sig < 1 || record->sig > SIG_COUNT)
			continue;
		if (undone & SIG_BIT(record->sig))
			free_record(record, word);
		else if (record->sig == sig && sig < SIG_RT_FIRST)
			merged = true;
	}
	return merged;
}

i64 proctab_post(u64 to, u32 sig, const struct sig_origin *from)
{
	struct proc_entry *entry = proctab_find(to);
	if (!entry || (entry->job & JOB_EXITED))
		return -L_ENOENT;
	if (posted_already((u32)to, sig))
		return PROCTAB_MERGED;
	for (u32 i = 0; i < SIG_RING; i++) {
		struct sig_record *record = &table->ring[i];
		u32 word = __atomic_load_n(&record->word, __ATOMIC_ACQUIRE);
		u32 filling = (word & ~3u) | RECORD_FILLING;
		if (RECORD_STATE(word) != RECORD_FREE ||
		    !__atomic_compare_exchange_n(&record->word, &word, filling, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		record->to = (u32)to, record->from = from->pid, record->sig = sig;
		record->code = from->code, record->value = from->value;
		record->seq = __atomic_fetch_add(&table->post_seq, 1, __ATOMIC_RELAXED);
		u32 posted = (word & ~3u) | RECORD_POSTED;
		__atomic_store_n(&record->word, posted, __ATOMIC_RELEASE);
		proctab_job_change(entry, JOB_POSTED, 0);
		/* It may have been reaped meanwhile (its records already dropped): then this one goes too. */
		if (__atomic_load_n(&entry->pid, __ATOMIC_ACQUIRE) != (u32)to || (entry->job & JOB_EXITED)) {
			free_record(record, posted);
			return -L_ENOENT;
		}
		return (i64)i | (i64)posted << 32;
	}
	return -L_EAGAIN;
}

void proctab_retract(i64 token)
{
	if (token < 0 || token == PROCTAB_MERGED)
		return;
	free_record(&table->ring[token & 0xffffffff], (u32)(token >> 32));
}

/* The records for `me`, up to `max`, in the order they were posted: their slots. */
static u32 posted_to(u32 me, u32 *slots, u32 max)
{
	u32 count = 0;
	for (u32 i = 0; i < SIG_RING && count < max; i++) {
		const struct sig_record *record = &table->ring[i];
		if (!posted_word(record, me))
			continue;
		u32 at = count++;
		for (; at > 0 && (i32)(table->ring[slots[at - 1]].seq - record->seq) > 0; at--)
			slots[at] = slots[at - 1];
		slots[at] = i;
	}
	return count;
}

void proctab_take_posted(u64 me, void (*take)(u32 sig, const struct sig_origin *from))
{
	struct proc_entry *own = proctab_find(me);
	if (!own || !(__atomic_load_n(&own->job, __ATOMIC_ACQUIRE) & JOB_POSTED) ||
	    !(proctab_job_change(own, 0, JOB_POSTED) & JOB_POSTED))
		return; /* the flag is cleared before the look: a record posted after it sets it again */
	u32 slots[32], count;
	do {
		count = posted_to((u32)me, slots, ARRAY_LEN(slots));
		for (u32 i = 0; i < count; i++) {
			struct sig_record *record = &table->ring[slots[i]];
			u32 word = posted_word(record, (u32)me), sig = record->sig;
			struct sig_origin from = { record->code, record->from, record->value };
			if (word && free_record(record, word) && sig >= 1 && sig <= SIG_COUNT)
				take(sig, &from);
		}
	} while (count == ARRAY_LEN(slots));
}

void proctab_remove(u64 pid)
{
	struct proc_entry *entry = proctab_find(pid);
	if (!entry)
		return;
	drop_posted((u32)pid, entry->job);
	entry->job = 0;
	__atomic_store_n(&entry->pid, 0, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&table->count, 1, __ATOMIC_RELAXED);
}

u32 proctab_job_change(struct proc_entry *entry, u32 set, u32 clear)
{
	u32 before = __atomic_load_n(&entry->job, __ATOMIC_ACQUIRE);
	while (!__atomic_compare_exchange_n(&entry->job, &before, (before & ~clear) | set, false, __ATOMIC_ACQ_REL,
	                                    __ATOMIC_ACQUIRE))
		;
	return before;
}

/* A process's (a zombie's too), not free or being filled: its pid, else 0. */
static u32 in_use(const struct proc_entry *entry)
{
	u32 pid = __atomic_load_n(&entry->pid, __ATOMIC_ACQUIRE);
	return pid == PROC_CLAIMED ? 0 : pid;
}

/* In use and not ended: may be someone's parent, may be stopped or signalled. */
static bool live(const struct proc_entry *entry) { return in_use(entry) && !(entry->job & JOB_EXITED); }

/*
 * Linux's test: a group is orphaned when no member (but `ignored`, and
 * those whose parent is init) has a live parent in another group of the
 * same session.
 */
static bool orphaned_ignoring(u32 pgid, u32 ignored)
{
	for (u32 i = 0, top = top_seen(); i < top; i++) {
		const struct proc_entry *member = &table->at[i];
		if (!live(member) || member->pgid != pgid || member->pid == ignored || member->ppid == table->init)
			continue;
		const struct proc_entry *parent = proctab_find(member->ppid);
		if (parent && live(parent) && parent->pgid != pgid && parent->sid == member->sid)
			return false;
	}
	return true;
}

bool proctab_orphaned(u32 pgid) { return orphaned_ignoring(pgid, 0); }

static bool has_stopped(u32 pgid)
{
	for (u32 i = 0, top = top_seen(); i < top; i++)
		if (live(&table->at[i]) && table->at[i].pgid == pgid && (table->at[i].job & JOB_STOPPED))
			return true;
	return false;
}

/* POSIX: a group our end orphans, with a stopped member, gets SIGHUP then SIGCONT (one alert: lowest first). */
static void hangup_if_orphaned(u32 pgid, u32 me)
{
	if (!pgid || !has_stopped(pgid) || !orphaned_ignoring(pgid, me))
		return;
	for (u32 i = 0, top = top_seen(); i < top; i++)
		if (live(&table->at[i]) && table->at[i].pgid == pgid && table->at[i].pid != me) {
			sig_send(table->at[i].pid, L_SIGHUP);
			sig_send(table->at[i].pid, L_SIGCONT);
		}
}

void proctab_exiting(u64 me)
{
	struct proc_entry *own = proctab_find(me);
	if (!own)
		return;
	/* The groups that may lose their link to the session: ours (if our parent kept it), our children's. */
	u32 groups[32], ngroups = 0;
	const struct proc_entry *parent = proctab_find(own->ppid);
	if (parent && parent->pgid != own->pgid && parent->sid == own->sid && !orphaned_ignoring(own->pgid, 0))
		groups[ngroups++] = own->pgid;
	for (u32 i = 0, top = top_seen(); i < top; i++) {
		struct proc_entry *child = &table->at[i];
		if (!live(child) || child->ppid != (u32)me)
			continue;
		bool listed = false;
		for (u32 g = 0; g < ngroups; g++)
			listed |= groups[g] == child->pgid;
		if (!listed && child->pgid != own->pgid && child->sid == own->sid && ngroups < ARRAY_LEN(groups) &&
		    !orphaned_ignoring(child->pgid, 0))
			groups[ngroups++] = child->pgid;
		child->ppid = table->init; /* adopted by init, as the kernel's exit notices are */
	}
	/* Ended: no stop or continue is left to report (its parent hears of its end only). */
	proctab_job_change(own, JOB_EXITED, JOB_STOPPED | JOB_REPORT_STOP | JOB_REPORT_CONT | JOB_CONTINUED);
	for (u32 i = 0; i < ngroups; i++)
		hangup_if_orphaned(groups[i], (u32)me);
}

/* --- The calls --- */

static u32 me(void) { return (u32)libos_process_of((u64)exo_self()); }

i64 proctab_getpgid(i64 pid)
{
	if (pid < 0)
		return -L_ESRCH;
	const struct proc_entry *entry = proctab_find(pid ? (u64)pid : me());
	return entry ? (i64)entry->pgid : -L_ESRCH;
}

i64 proctab_getsid(i64 pid)
{
	if (pid < 0)
		return -L_ESRCH;
	const struct proc_entry *entry = proctab_find(pid ? (u64)pid : me());
	return entry ? (i64)entry->sid : -L_ESRCH;
}

/* Is some process (a zombie too, as Linux's) in group pgid of session sid? */
bool proctab_group_in_session(u32 pgid, u32 sid)
{
	for (u32 i = 0, top = top_seen(); i < top; i++)
		if (in_use(&table->at[i]) && table->at[i].pgid == pgid && table->at[i].sid == sid)
			return true;
	return false;
}

i64 proctab_group_sid(u32 pgid)
{
	for (u32 i = 0, top = top_seen(); i < top; i++)
		if (in_use(&table->at[i]) && table->at[i].pgid == pgid)
			return table->at[i].sid;
	return -L_ESRCH;
}

/* setpgid, with Linux's checks in Linux's order. */
i64 proctab_setpgid(i64 pid, i64 pgid)
{
	if (pgid < 0)
		return -L_EINVAL;
	u32 caller = me();
	struct proc_entry *own = proctab_find(caller), *target = pid < 0 ? NULL : proctab_find(pid ? (u64)pid : caller);
	if (!own || !target || (target != own && target->ppid != caller))
		return -L_ESRCH; /* only ourselves or a child of ours */
	u32 wanted = pgid ? (u32)pgid : target->pid;
	if (target != own && target->sid != own->sid)
		return -L_EPERM;
	if (target != own && (target->job & JOB_EXECED))
		return -L_EACCES;
	if (target->sid == target->pid)
		return -L_EPERM; /* a session leader stays in its group */
	if (wanted != target->pid && !proctab_group_in_session(wanted, own->sid))
		return -L_EPERM;
	__atomic_store_n(&target->pgid, wanted, __ATOMIC_RELEASE);
	return 0;
}

i64 proctab_setsid(void)
{
	u32 caller = me();
	struct proc_entry *own = proctab_find(caller);
	if (!own)
		return -L_EPERM;
	for (u32 i = 0, top = top_seen(); i < top; i++)
		if (in_use(&table->at[i]) && table->at[i].pgid == caller)
			return -L_EPERM; /* already a group's leader (or its id names a group) */
	own->sid = caller;
	__atomic_store_n(&own->pgid, caller, __ATOMIC_RELEASE);
	return caller;
}

/* Every process of group pgid (everyone: all but init and the caller) gets sig by send; ESRCH if none is there. */
static i64 signal_each(bool everyone, u32 pgid, u64 sig, i64 (*send)(u64 pid, u64 sig))
{
	u32 caller = me();
	bool found = false, reached = false;
	i64 err = 0;
	for (u32 i = 0, top = top_seen(); i < top; i++) {
		const struct proc_entry *entry = &table->at[i];
		u32 target = in_use(entry);
		bool wanted = everyone ? target != table->init && target != caller : entry->pgid == pgid;
		if (!target || !wanted)
			continue;
		found = true; /* a zombie counts, and the signal does nothing to it */
		if (entry->job & JOB_EXITED)
			continue;
		i64 sent = send(target, sig);
		reached |= sent >= 0;
		if (sent < 0 && sent != -L_ESRCH)
			err = sent;
	}
	return !found ? -L_ESRCH : reached ? 0 : err; /* as Linux: one reached is success */
}

i64 proctab_kill_group(i64 pid, u64 sig, i64 (*send)(u64 pid, u64 sig))
{
	u32 pgid = pid == 0 ? proctab_pgid(me()) : pid < -1 ? (u32)-pid : 0;
	return signal_each(pid == -1, pgid, sig, send);
}

i64 proctab_signal_group(u32 pgid, u64 sig, i64 (*send)(u64 pid, u64 sig))
{
	return signal_each(false, pgid, sig, send);
}
