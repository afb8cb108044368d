/*
 * Futexes that name their owner: robust lists (set_robust_list: a dying
 * thread's locks are marked FUTEX_OWNER_DIED and a waiter woken, so the
 * next locker gets EOWNERDEAD) and the priority-inheritance operations
 * (FUTEX_LOCK_PI, _UNLOCK_PI, _TRYLOCK_PI) that musl's PTHREAD_PRIO_INHERIT
 * mutexes use.  exo has no priorities: a PI lock is an owner-tracked lock
 * whose unlock wakes its waiters to take it in turn.  The word holds the
 * owner's tid (our environment id), FUTEX_WAITERS and FUTEX_OWNER_DIED.
 */
#include "libos/signal.h"

#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048
#define L_EDEADLK 35
#define L_ETIMEDOUT 110
#define L_EBUSY 16

struct robust_list_head_l {
	u64 next;   /* the first entry (each entry points at the next), or the head itself */
	i64 offset; /* from an entry to its futex word */
	u64 pending; /* an entry being added or removed */
};

i64 futex_set_robust_list(u64 head, u64 len)
{
	if (len != sizeof(struct robust_list_head_l))
		return -L_EINVAL;
	sig_here()->robust_head = head;
	return 0;
}

i64 futex_get_robust_list(i64 tid, u64 *head, u64 *len)
{
	struct sig_thread *t = sig_here();
	if (tid != 0 && (u64)tid != t->self) {
		t = libos_thread_state((u64)tid, t->process);
		if (!t)
			return -3; /* ESRCH */
	}
	*head = t->robust_head;
	*len = sizeof(struct robust_list_head_l);
	return 0;
}

/* May we read (and write) these 8 bytes without a fault we could not survive? */
static bool usable(u64 va, bool write)
{
	if (va & 3)
		return false;
	u64 desc = as_lookup_self(va);
	bool present = (desc & EXO_PTE_VALID) && (desc & EXO_PTE_AF) && (!write || !(desc & EXO_PTE_RO));
	return present || (write ? mm_writable_at(va) : mm_readable_at(va));
}

/* The lock at word was held by tid, which is gone: marked dead, a waiter woken (Linux's handle_futex_death). */
static void owner_died(u64 word, u64 tid)
{
	if (!usable(word, true))
		return;
	volatile u32 *lock = (volatile u32 *)word;
	u32 value = *lock;
	while ((value & FUTEX_TID_MASK) == tid) {
		u32 dead = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (__atomic_compare_exchange_n(lock, &value, dead, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			exo_wake(lock, 1);
			return;
		}
	}
}

/* A thread (t) ends: every robust lock it holds is marked as its owner's death. */
void futex_robust_release(struct sig_thread *t)
{
	u64 head = t->robust_head;
	t->robust_head = 0;
	if (!head || !usable(head, false) || !usable(head + 16, false))
		return;
	const struct robust_list_head_l *list = (const struct robust_list_head_l *)head;
	i64 offset = list->offset;
	u64 pending = list->pending;
	u64 entry = list->next;
	for (u32 n = 0; entry != head && n < ROBUST_LIST_LIMIT && usable(entry, false); n++) {
		u64 next = *(const u64 *)entry;
		if (entry != pending)
			owner_died(entry + (u64)offset, t->self);
		entry = next;
	}
	if (pending)
		owner_died(pending + (u64)offset, t->self);
}

/* FUTEX_LOCK_PI: take the lock, or mark it waited for and sleep until it is let go (or the deadline). */
i64 futex_lock_pi(volatile u32 *lock, u64 timeout_ns, bool try_only)
{
	u32 tid = (u32)sig_here()->self;
	i64 deadline = timeout_ns ? exo_clock() + (i64)timeout_ns : 0;
	for (;;) {
		u32 value = *lock;
		if ((value & FUTEX_TID_MASK) == 0) {
			u32 mine = tid | (value & (FUTEX_OWNER_DIED | FUTEX_WAITERS));
			if (__atomic_compare_exchange_n(lock, &value, mine, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if ((value & FUTEX_TID_MASK) == tid)
			return -L_EDEADLK;
		if (try_only)
			return -L_EBUSY;
		if (!(value & FUTEX_WAITERS)) {
			if (!__atomic_compare_exchange_n(lock, &value, value | FUTEX_WAITERS, false, __ATOMIC_SEQ_CST,
			                                 __ATOMIC_RELAXED))
				continue;
			value |= FUTEX_WAITERS;
		}
		i64 left = deadline ? deadline - exo_clock() : 0;
		if (deadline && left <= 0)
			return -L_ETIMEDOUT;
		libos_futex_wait((const int *)lock, (int)value, deadline ? (u64)left : 0);
	}
}

/* FUTEX_UNLOCK_PI: only its owner may; the waiters wake and take it in turn. */
i64 futex_unlock_pi(volatile u32 *lock)
{
	u32 tid = (u32)sig_here()->self, value = *lock;
	if ((value & FUTEX_TID_MASK) != tid)
		return -L_EPERM;
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	if (value & FUTEX_WAITERS)
		exo_wake(lock, ~0u);
	return 0;
}
