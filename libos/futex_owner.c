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
#define L_ETIMEDOUT 110

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

/* May we read (and write) this aligned word without a fault we could not survive? */
static bool usable(u64 va, bool write, u64 align)
{
	if (va & (align - 1))
		return false;
	return mm_usable_at(va, write);
}

/*
 * The lock at word was held by tid, which is gone: marked dead and its
 * waiters woken (Linux's handle_futex_death).  The entry being unlocked as
 * it died (pending) may be free already with a waiter not yet woken: woken.
 */
static void owner_died(u64 word, u64 tid, bool pending)
{
	if (!usable(word, true, 4))
		return;
	volatile u32 *lock = (volatile u32 *)word;
	u32 value = *lock;
	if (pending && (value & FUTEX_TID_MASK) == 0) {
		exo_wake(lock, ~0u);
		return;
	}
	while ((value & FUTEX_TID_MASK) == tid) {
		u32 dead = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (__atomic_compare_exchange_n(lock, &value, dead, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			exo_wake(lock, ~0u); /* all: one that times out or is killed would strand the rest */
			return;
		}
	}
}

/* A thread (t) ends: every robust lock it holds is marked as its owner's death. */
void futex_robust_release(struct sig_thread *t)
{
	HOLD_LIBOS_LOCK(); /* the memory map, looked at for each entry */
	u64 head = t->robust_head;
	t->robust_head = 0;
	if (!head || !usable(head, false, 8) || !usable(head + 16, false, 8))
		return;
	const struct robust_list_head_l *list = (const struct robust_list_head_l *)head;
	i64 offset = list->offset;
	u64 pending = list->pending;
	u64 entry = list->next;
	for (u32 n = 0; (entry & ~1ull) != head && n < ROBUST_LIST_LIMIT && usable(entry & ~1ull, false, 8); n++) {
		entry &= ~1ull; /* the low bit tags a PI lock (glibc): the word is the same */
		u64 next = *(const u64 *)entry;
		if (entry != pending)
			owner_died(entry + (u64)offset, t->self, false);
		entry = next;
	}
	if (pending & ~1ull)
		owner_died((pending & ~1ull) + (u64)offset, t->self, true);
}

/* FUTEX_LOCK_PI: take the lock, or mark it waited for and sleep until it is let go (or the deadline). */
i64 futex_lock_pi(volatile u32 *lock, u64 timeout_ns, bool try_only)
{
	if ((u64)lock & 3)
		return -L_EINVAL;
	u32 tid = (u32)sig_here()->self;
	i64 now = exo_clock();
	i64 deadline = timeout_ns && timeout_ns < (1ull << 62) ? now + (i64)timeout_ns : 0;
	bool waited = false;
	for (;;) {
		u32 value = *lock;
		if ((value & FUTEX_TID_MASK) == 0) {
			/*
			 * Ours.  Others may still sleep on it (we slept, or its owner
			 * died and its waiters bit went): the bit stays, so that our
			 * unlock comes here and wakes them.
			 */
			bool others = waited || (value & (FUTEX_OWNER_DIED | FUTEX_WAITERS));
			u32 mine = tid | (value & FUTEX_OWNER_DIED) | (others ? FUTEX_WAITERS : 0);
			if (__atomic_compare_exchange_n(lock, &value, mine, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if ((value & FUTEX_TID_MASK) == tid)
			return -L_EDEADLK;
		if (try_only)
			return -L_EAGAIN; /* Linux's EWOULDBLOCK */
		if (!(value & FUTEX_WAITERS)) {
			if (!__atomic_compare_exchange_n(lock, &value, value | FUTEX_WAITERS, false, __ATOMIC_SEQ_CST,
			                                 __ATOMIC_RELAXED))
				continue;
			value |= FUTEX_WAITERS;
		}
		i64 left = deadline ? deadline - exo_clock() : 0;
		if (deadline && left <= 0)
			return -L_ETIMEDOUT;
		i64 err = libos_futex_wait((const int *)lock, (int)value, deadline ? (u64)left : 0);
		if (err < 0 && err != -L_ETIMEDOUT && err != -L_EAGAIN)
			return err;
		waited = true;
	}
}

/* FUTEX_UNLOCK_PI: only its owner may; the waiters wake and take it in turn. */
i64 futex_unlock_pi(volatile u32 *lock)
{
	if ((u64)lock & 3)
		return -L_EINVAL;
	u32 tid = (u32)sig_here()->self, value = *lock;
	do {
		if ((value & FUTEX_TID_MASK) != tid)
			return -L_EPERM;
	} while (!__atomic_compare_exchange_n(lock, &value, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	if (value & FUTEX_WAITERS)
		exo_wake(lock, ~0u);
	return 0;
}
