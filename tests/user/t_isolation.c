/*
 * Isolation between relatives: one attack (or one hazard) per test, each in
 * its own child environment.  They state the kernel's rules on who may map
 * what, and on what an ended environment leaves behind:
 *
 *   R1  a page or link in a table owned by U is judged against U: frames of
 *       U or its descendants, or what a proper ancestor shared.  A thread
 *       may write its ancestor's tables and allocate for it, but a table the
 *       thread owns gets nothing from the ancestor it runs for.
 *   R2  the caller of EXO_PT_WRITE must reach the frame too (act on its
 *       owner, or hold a share of it from a proper ancestor).
 *   R3  the frames of an ended environment that live on stay its own (a
 *       husk) and its children stay its children: a share reaches only the
 *       sharer's descendants, before and after the sharer ends.
 *   R4  svc #0 records and exceptions with no fault address carry far 0.
 *   R5  a word wait ends when the frame holding the word is freed.
 *
 * As everywhere in the user tests, the harness also requires every frame
 * back and a clean isolation checker after each test.  Threads run in the
 * test child's image and share its globals: they report through globals
 * and their exit status, never by printing.
 */
#include "tests/user/rt/rt.h"

#define DATA_VA 0x0000020000000000ull
#define RESULT_VA 0x0000030000000000ull
#define CHAIN_VA 0x0000040000000000ull
#define THREAD_STACK_VA 0x0000050000000000ull
#define UNMAPPED_VA 0x0000012345678000ull

#define CANARY 0xca7a11ca7a11ull
#define CANARY2 0x5ec0d5ec0dull
#define WAIT_MS 5000ull
/* What a wait that timed out gives instead of a value. */
#define NOTHING 0x7e57dead7e57deadll

static u64 stall_bound_ms; /* stall_bound_ms= on the command line, read by main (children get a copy) */

/* --- events: several relatives report at once, so keep what is not asked for yet --- */

static struct exo_event stash[24];
static u32 nstash;

static void keep(const struct exo_event *event)
{
	if (nstash < ARRAY_LEN(stash))
		stash[nstash++] = *event;
}

/* The next event of kind from env (in arrival order), waiting at most timeout_ms; false if none. */
static bool await_event(u64 kind, u64 env, struct exo_event *out, u64 timeout_ms)
{
	for (u32 i = 0; i < nstash; i++)
		if (stash[i].kind == kind && stash[i].env == env) {
			*out = stash[i];
			memmove(&stash[i], &stash[i + 1], (nstash - i - 1) * sizeof(stash[0]));
			nstash--;
			return true;
		}
	i64 deadline = exo_clock() + (i64)(timeout_ms * 1000000);
	for (;;) {
		i64 now = exo_clock();
		if (now >= deadline)
			return false;
		struct exo_event event;
		if (exo_recv(&event, 0, (u64)(deadline - now)) < 0)
			continue;
		if (event.kind == kind && event.env == env) {
			*out = event;
			return true;
		}
		keep(&event);
	}
}

/* A message from env, or NOTHING. */
static i64 message_from(u64 env)
{
	struct exo_event event;
	return await_event(EXO_EVENT_MESSAGE, env, &event, WAIT_MS) ? (i64)event.value : NOTHING;
}

/* A child's exit status, or NOTHING. */
static i64 exit_within(u64 child, u64 timeout_ms)
{
	struct exo_event event;
	return await_event(EXO_EVENT_EXIT, child, &event, timeout_ms) ? (i64)event.value : NOTHING;
}

static i64 exit_of(u64 child) { return exit_within(child, WAIT_MS); }

/* Wait until *word is no longer 0 (someone wakes it), at most WAIT_MS; false if it stayed 0. */
static bool await_word(volatile u32 *word)
{
	i64 deadline = exo_clock() + (i64)(WAIT_MS * 1000000);
	while (*word == 0) {
		i64 now = exo_clock();
		if (now >= deadline)
			return false;
		struct exo_event event;
		if (exo_recv_word(&event, 0, (u64)(deadline - now), word, 0) == 0 && event.kind != EXO_EVENT_WORD)
			keep(&event);
	}
	return true;
}

static u64 isolation_problems(void)
{
	u64 problems;
	rt_free_frames(&problems);
	return problems;
}

/* --- threads: a child environment on our root, on one stack page at THREAD_STACK_VA --- */

static u64 thread_stack;

/* A thread on one stack page at THREAD_STACK_VA, with a quota of its own. */
static i64 spawn_thread(int (*fn)(u64), u64 arg, u64 quota)
{
	if (!thread_stack && !(thread_stack = rt_map_fresh(THREAD_STACK_VA)))
		return -EXO_ENOMEM;
	return rt_spawn_thread_quota(fn, arg, THREAD_STACK_VA + 4096, quota);
}

static void free_thread_stack(void)
{
	struct aspace self;
	as_self(&self);
	as_unmap(&self, THREAD_STACK_VA);
	exo_frame_free(&thread_stack, 1);
	thread_stack = 0;
}

/* What threads found, for the test child to judge once they have ended. */
static volatile i64 found[4];
/* The test child's frame, and its (not the thread's) level-3 and level-2 tables over DATA_VA. */
static u64 private_frame, own_l3, own_l2;

/*
 * 1. A thread maps its ancestor's private frame into a table it owns
 * itself (R1): refused.  The same entry in a table it allocates for the
 * ancestor is fine.
 */
static int map_into_tables(u64 parent)
{
	i64 mine = exo_pt_alloc((u64)exo_self(), 3), theirs = exo_pt_alloc(parent, 3);
	u64 page = private_frame | PAGE_RW, zero = 0;
	found[0] = mine < 0 ? mine : exo_pt_write((u64)mine, 0, 1, &page);
	found[1] = theirs < 0 ? theirs : exo_pt_write((u64)theirs, 0, 1, &page);
	struct exo_check check;
	exo_debug_check(&check);
	found[2] = (i64)check.problems;
	u64 tables[2] = { (u64)mine, (u64)theirs };
	for (u32 i = 0; i < 2; i++)
		if ((i64)tables[i] > 0 && (exo_pt_write(tables[i], 0, 1, &zero) < 0 || exo_frame_free(&tables[i], 1) < 0))
			return 1;
	return 0;
}

static int thread_table_cannot_map_ancestor_frame(u64 arg)
{
	(void)arg;
	private_frame = rt_map_fresh(DATA_VA);
	T_CHECK(private_frame, "no frame");
	*(volatile u64 *)DATA_VA = CANARY;
	i64 thread = spawn_thread(map_into_tables, rt_id, 1);
	T_CHECK(thread > 0, "thread %ld", thread);
	i64 status = rt_wait((u64)thread);
	free_thread_stack();
	T_EQ(status, 0);
	i64 own_table_write = found[0], parent_table_write = found[1], problems = found[2];
	T_EQ(own_table_write, -EXO_EPERM);
	T_EQ(parent_table_write, 0);
	T_EQ(problems, 0);
	T_EQ(*(volatile u64 *)DATA_VA, CANARY);
	return 0;
}

/*
 * 2. A thread copies its ancestor's root entries (links to the ancestor's
 * level-1 tables) into a root it owns (R1): refused, by EXO_PT_COPY and by
 * EXO_PT_WRITE alike.
 */
static int copy_ancestor_root(u64 count)
{
	const u64 *theirs = exo_window_l0(); /* we run on the ancestor's root */
	i64 mine = exo_pt_alloc((u64)exo_self(), 0);
	if (mine < 0)
		return 1;
	found[0] = exo_pt_copy(rt_root, 0, (u64)mine, 0, count, 0, 0);
	u64 link = (theirs[0] & EXO_PTE_ADDR_MASK) | EXO_PTE_TABLE;
	found[1] = exo_pt_write((u64)mine, 300, 1, &link);
	u64 zero = 0;
	for (u32 i = 0; i < count; i++)
		if ((theirs[i] & EXO_PTE_VALID) && exo_pt_write((u64)mine, i, 1, &zero) < 0)
			return 2;
	if (exo_pt_write((u64)mine, 300, 1, &zero) < 0 || exo_frame_free((u64 *)&mine, 1) < 0)
		return 3;
	return 0;
}

static int thread_cannot_copy_ancestor_root(u64 arg)
{
	(void)arg;
	/* Entries 0..count of our root, the last valid one included (text, data, stacks). */
	u32 count = 0;
	for (u32 i = 0; i < 256; i++)
		if (exo_window_l0()[i] & EXO_PTE_VALID)
			count = i + 1;
	T_CHECK(count > 0 && (exo_window_l0()[0] & EXO_PTE_VALID), "root entries %u", count);
	i64 thread = spawn_thread(copy_ancestor_root, count, 1);
	T_CHECK(thread > 0, "thread %ld", thread);
	i64 status = rt_wait((u64)thread);
	free_thread_stack();
	T_EQ(status, 0);
	i64 copy = found[0], link = found[1];
	T_EQ(copy, -EXO_EPERM);
	T_EQ(link, -EXO_EPERM);
	return 0;
}

/*
 * 3. A thread maps frames into its ancestor's tables, and tries (R1 says
 * no) a table of its own under them mapping the ancestor's frame.  Then the
 * ancestor moves it to another root, so it is no longer a thread: nothing it
 * was allowed to do may become illegal (the checker stays clean).
 */
static int map_then_wait(u64 parent)
{
	u64 self = (u64)exo_self(), theirs, mine;
	i64 table = exo_pt_alloc(self, 3);
	if (exo_frame_alloc(parent, 1, &theirs) != 1 || exo_frame_alloc(self, 1, &mine) != 1 || table < 0)
		return 1;
	u64 pages[2] = { theirs | PAGE_RW, mine | PAGE_RW };
	found[0] = exo_pt_write(own_l3, 0, 2, pages); /* the ancestor's table: its frame and ours */
	u64 link = (u64)table | EXO_PTE_TABLE;
	found[1] = exo_pt_write(own_l2, exo_pt_index(2, DATA_VA) + 1, 1, &link);
	found[2] = exo_pt_write((u64)table, 0, 1, &pages[0]); /* ours, mapping the ancestor's frame */
	found[3] = exo_pt_write((u64)table, 1, 1, &pages[1]);
	exo_send(parent, 1);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* destroyed while waiting */
	return 2;
}

static int root_change_strands_nothing(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	own_l3 = (u64)as_table(&self, 3, DATA_VA, true);
	own_l2 = (u64)as_table(&self, 2, DATA_VA, false);
	i64 thread = spawn_thread(map_then_wait, rt_id, 4);
	T_CHECK(thread > 0, "thread %ld", thread);
	i64 ready = message_from((u64)thread);
	i64 root = exo_pt_alloc(rt_id, 0);
	i64 moved = exo_env_set_root((u64)thread, (u64)root);
	u64 problems_after_move = isolation_problems();
	/* Clean up: the thread, then every reference to what it owned or mapped. */
	i64 destroyed = exo_env_destroy((u64)thread);
	u64 zero[2] = { 0, 0 };
	i64 unmapped = exo_pt_write(own_l3, 0, 2, zero);
	i64 unlinked = exo_pt_write(own_l2, exo_pt_index(2, DATA_VA) + 1, 1, zero);
	i64 root_freed = exo_frame_free((u64 *)&root, 1);
	free_thread_stack();
	u64 problems_at_end = isolation_problems();
	i64 allowed_maps = found[0], allowed_link = found[1], own_page_of_ours = found[3];
	T_EQ(ready, 1);
	T_EQ(allowed_maps, 0);
	T_EQ(allowed_link, 0);
	T_EQ(own_page_of_ours, 0);
	T_CHECK(found[2] == 0 || found[2] == -EXO_EPERM, "own table mapping the ancestor's frame: %ld", found[2]);
	T_CHECK(root > 0 && moved == 0, "root %ld, set_root %ld", root, moved);
	T_CHECK(problems_after_move == 0, "%lu isolation problems after the root change (own-table map gave %ld)",
	        problems_after_move, found[2]);
	T_EQ(destroyed, 0);
	T_EQ(unmapped, 0);
	T_EQ(unlinked, 0);
	T_EQ(root_freed, 0);
	T_EQ(problems_at_end, 0);
	return 0;
}

/*
 * 4. A thread of P reaches for a frame of P's other child (R2): it may not
 * read that child's information, nor map the child's frame, even into P's
 * own table, although P itself may.
 */
static int hold_frame(u64 arg)
{
	(void)arg;
	if (!rt_map_fresh(DATA_VA))
		return 1;
	*(volatile u64 *)DATA_VA = CANARY;
	exo_send((u64)exo_parent(), as_lookup_self(DATA_VA) & EXO_PTE_ADDR_MASK);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* until told to end */
	return *(volatile u64 *)DATA_VA == CANARY ? 0 : 2;
}

static u64 other_child, other_frame;
static int reach_other_child(u64 arg)
{
	(void)arg;
	struct exo_env_info info;
	found[0] = exo_env_info(other_child, &info);
	u64 page = other_frame | PAGE_RW, zero = 0;
	found[1] = exo_pt_write(own_l3, 0, 1, &page);
	struct exo_why why;
	exo_why(&why);
	found[2] = (i64)why.rule;
	if (found[1] == 0 && exo_pt_write(own_l3, 0, 1, &zero) < 0)
		return 1;
	return 0;
}

static int thread_cannot_reach_other_child(u64 arg)
{
	(void)arg;
	nstash = 0;
	struct aspace self;
	as_self(&self);
	own_l3 = (u64)as_table(&self, 3, DATA_VA, true);
	i64 child = rt_spawn(hold_frame, 0, 128);
	T_CHECK(child > 0, "spawn %ld", child);
	other_child = (u64)child;
	other_frame = (u64)message_from((u64)child);
	i64 thread = spawn_thread(reach_other_child, 0, 0);
	if (thread < 0)
		exo_env_destroy((u64)child);
	T_CHECK(thread > 0, "thread %ld", thread);
	i64 thread_status = exit_of((u64)thread);
	free_thread_stack();
	/* P itself may map its child's frame. */
	u64 page = other_frame | PAGE_RW, zero = 0;
	i64 parent_write = exo_pt_write(own_l3, 1, 1, &page);
	u64 seen = parent_write == 0 ? *(volatile u64 *)(DATA_VA + 4096) : 0;
	i64 unmapped = exo_pt_write(own_l3, 1, 1, &zero);
	exo_send((u64)child, 1);
	i64 child_status = exit_of((u64)child);
	i64 info = found[0], thread_write = found[1], rule = found[2];
	T_EQ(thread_status, 0);
	T_EQ(info, -EXO_EPERM);
	T_EQ(thread_write, -EXO_EPERM);
	T_EQ(rule, EXO_RULE_CALLER_REACH); /* its process holds the frame; the thread does not */
	T_EQ(parent_write, 0);
	T_EQ(seen, CANARY);
	T_EQ(unmapped, 0);
	T_EQ(child_status, 0);
	return 0;
}

/*
 * 5 and 6. A share is for the sharer's descendants only, and stays so when
 * the sharer ends (R3).  R (the test child) has two children, E and S.  E
 * shares a frame (5) or a level-3 table (6) and hands it to its own child
 * C, which maps (links) it; then E ends without waiting for C.  S, E's
 * sibling, tries to map (link) the same thing, before and after E ended:
 * refused both times.  C keeps its mapping all along.  C reports to R
 * through a frame R shares with all its descendants (R3 says nothing about
 * whose child C is once E has ended, so no message or exit notice is
 * relied on).
 */
#define SHARE_FRAME 0
#define SHARE_TABLE 1

static u64 report_frame; /* R's, shared RW with its descendants, at RESULT_VA */
struct report {
	u32 done;
	u32 pad;
	u64 seen, seen_after_write;
};

/* Map (5) or link read-only (6) the shared thing at DATA_VA of our own tables. */
static i64 borrow(u64 kind, u64 shared)
{
	struct aspace self;
	as_self(&self);
	if (kind == SHARE_FRAME)
		return as_map(&self, DATA_VA, shared, PAGE_RW);
	i64 l2 = as_table(&self, 2, DATA_VA, true);
	u64 link = shared | EXO_PTE_TABLE | EXO_PTE_APT_RO | EXO_PTE_UXNT;
	return l2 < 0 ? l2 : exo_pt_write((u64)l2, exo_pt_index(2, DATA_VA), 1, &link);
}

static i64 unborrow(u64 kind)
{
	struct aspace self;
	as_self(&self);
	if (kind == SHARE_FRAME)
		return as_unmap(&self, DATA_VA);
	u64 zero = 0;
	return exo_pt_write((u64)as_table(&self, 2, DATA_VA, false), exo_pt_index(2, DATA_VA), 1, &zero);
}

/* C: borrows what E shared, says so, and when R asks (after E ended), looks again and writes (5). */
static int borrower(u64 arg)
{
	u64 kind = arg & 1, shared = arg & ~1ull;
	struct aspace self;
	as_self(&self);
	if (as_map(&self, RESULT_VA, report_frame, PAGE_RW) < 0)
		return 1;
	if (borrow(kind, shared) < 0 || *(volatile u64 *)DATA_VA != CANARY)
		return 2;
	exo_send((u64)exo_parent(), 1);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* R: E has ended */
	volatile struct report *report = (volatile struct report *)RESULT_VA;
	report->seen = *(volatile u64 *)DATA_VA;
	if (kind == SHARE_FRAME) {
		*(volatile u64 *)DATA_VA = CANARY2;
		report->seen_after_write = *(volatile u64 *)DATA_VA;
	}
	report->done = 1;
	exo_wake(&report->done, 1);
	exo_recv(&event, 0, 0); /* until destroyed */
	return 3;
}

/* E: shares a frame (or the table mapping it), starts C on it, tells R, and ends when told. */
static int sharer(u64 kind)
{
	struct aspace self;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	if (!frame)
		return 1;
	*(volatile u64 *)DATA_VA = CANARY;
	u64 shared = kind == SHARE_FRAME ? frame : (u64)as_table(&self, 3, DATA_VA, false);
	if (exo_frame_share(shared, kind == SHARE_FRAME ? EXO_R | EXO_W : EXO_R) < 0)
		return 2;
	i64 child = rt_spawn(borrower, shared | kind, 128);
	if (child < 0)
		return 3;
	struct exo_event event;
	if (exo_recv(&event, 0, 0) < 0 || event.kind != EXO_EVENT_MESSAGE || event.env != (u64)child)
		return 4; /* C could not borrow it */
	u64 parent = (u64)exo_parent();
	exo_send(parent, shared);
	exo_send(parent, (u64)child);
	exo_recv(&event, 0, 0); /* R: end now */
	return 0; /* without waiting for C */
}

/* S: tries to borrow it, reports, and again when R says E has ended. */
static int prober(u64 arg)
{
	u64 kind = arg & 1, shared = arg & ~1ull;
	for (int round = 0; round < 2; round++) {
		i64 got = borrow(kind, shared);
		if (got == 0)
			unborrow(kind);
		exo_send((u64)exo_parent(), (u64)got);
		struct exo_event event;
		if (round == 0)
			exo_recv(&event, 0, 0);
	}
	return 0;
}

static int share_after_sharer_ends(u64 kind)
{
	nstash = 0;
	report_frame = rt_map_fresh(RESULT_VA);
	T_CHECK(report_frame && exo_frame_share(report_frame, EXO_R | EXO_W) == 0, "report frame");
	i64 e = rt_spawn(sharer, kind, 384);
	T_CHECK(e > 0, "spawn E %ld", e);
	i64 shared = message_from((u64)e), c = message_from((u64)e);
	i64 s = shared == NOTHING ? -1 : rt_spawn(prober, (u64)shared | kind, 128);
	i64 before = s > 0 ? message_from((u64)s) : NOTHING;
	exo_send((u64)e, 1);
	i64 e_status = exit_of((u64)e);
	if (s > 0)
		exo_send((u64)s, 1);
	i64 after = s > 0 ? message_from((u64)s) : NOTHING;
	i64 s_status = s > 0 ? exit_of((u64)s) : NOTHING;
	/* C, now that E has ended: its mapping must still work. */
	volatile struct report *report = (volatile struct report *)RESULT_VA;
	i64 told = c == NOTHING ? NOTHING : exo_send((u64)c, 1);
	bool reported = told == 0 && await_word(&report->done);
	u64 seen = report->seen, seen_after_write = report->seen_after_write;
	i64 c_destroyed = c == NOTHING ? NOTHING : exo_env_destroy((u64)c);
	struct exo_env_info info;
	i64 c_info = c == NOTHING ? NOTHING : exo_env_info((u64)c, &info);
	struct aspace self;
	as_self(&self);
	as_unmap(&self, RESULT_VA);
	i64 report_freed = exo_frame_free(&report_frame, 1);
	T_CHECK(shared != NOTHING && c != NOTHING && s > 0, "E sent %ld and %ld, S %ld", shared, c, s);
	T_EQ(e_status, 0);
	T_EQ(s_status, 0);
	T_EQ(before, -EXO_EPERM);
	T_EQ(after, -EXO_EPERM);
	T_EQ(told, 0);
	T_CHECK(reported, "C did not report after E ended");
	T_EQ(seen, CANARY);
	if (kind == SHARE_FRAME)
		T_EQ(seen_after_write, CANARY2);
	T_EQ(c_destroyed, 0);
	T_EQ(c_info, -EXO_ENOENT);
	T_EQ(report_freed, 0);
	u64 problems = isolation_problems();
	T_EQ(problems, 0);
	return 0;
}

/*
 * 7. Stale fault addresses (R4): after a data abort at UNMAPPED_VA, the
 * record of a brk (no fault address) and of a full svc #0 must carry far
 * 0, in the environment that faulted and in the next one started: no
 * environment learns where another faulted.
 */
static volatile u64 fault_far, exception_far = 1, svc_far = 1;
static int skip_faulting(struct exo_upcall *up)
{
	if (up->kind == EXO_UPCALL_FAULT)
		fault_far = up->far;
	else if (up->kind == EXO_UPCALL_EXCEPTION)
		exception_far = up->far;
	else
		return -1;
	up->regs.pc += 4;
	return 0;
}

static int record_svc_far(struct exo_upcall *up)
{
	if (up->kind != EXO_UPCALL_SYSCALL)
		return -1;
	svc_far = up->far;
	up->regs.x[0] = 0;
	return 0;
}

static int far_after_fault(u64 fault_first)
{
	rt_fault_hook = skip_faulting;
	rt_syscall_hook = record_svc_far;
	if (fault_first) {
		__asm__ volatile("ldr x9, [%0]" : : "r"(UNMAPPED_VA) : "x9", "memory");
		T_EQ(fault_far, UNMAPPED_VA);
	}
	__asm__ volatile("brk #0x77" ::: "memory");
	register u64 x0 __asm__("x0") = 1;
	register u64 x8 __asm__("x8") = 172;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
	T_CHECK(svc_far == 0 && exception_far == 0, "svc #0 record far 0x%lx, brk record far 0x%lx (%s)", svc_far,
	        exception_far, fault_first ? "after its own fault" : "in the next environment");
	return 0;
}

static int svc_record_has_no_stale_far(u64 arg)
{
	(void)arg;
	i64 faulter = rt_spawn(far_after_fault, 1, 128);
	T_CHECK(faulter > 0, "spawn %ld", faulter);
	i64 faulter_status = rt_wait((u64)faulter);
	/* The next environment is started even if the first failed: it has a verdict of its own. */
	i64 next = rt_spawn(far_after_fault, 0, 128);
	T_CHECK(next > 0, "spawn %ld", next);
	i64 next_status = rt_wait((u64)next);
	T_EQ(faulter_status, 0);
	T_EQ(next_status, 0);
	return 0;
}

/*
 * 8. A word wait on a frame that is freed (R5): R frees the frame W waits
 * on; W's receive ends with {EXO_EVENT_WORD, 0, 0}.  Then W's sibling S
 * gets a fresh frame (LIFO free list: the same memory) and wakes the same
 * word: nobody is woken, least of all W.
 */
#define WORD_OFFSET 0x40
#define WORD_VALUE 0x1234

static int word_waiter(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	i64 table = as_table(&self, 3, DATA_VA, false);
	if (!frame || table < 0)
		return 1;
	volatile u32 *word = (volatile u32 *)(DATA_VA + WORD_OFFSET);
	*word = WORD_VALUE;
	u64 parent = (u64)exo_parent();
	exo_send(parent, frame);
	exo_send(parent, (u64)table);
	struct exo_event event = { 0x77, 0x77, 0x77 };
	i64 got = exo_recv_word(&event, 0, 0, word, WORD_VALUE);
	exo_send(parent, (u64)got); /* DATA_VA is gone by now: do not touch it */
	exo_send(parent, event.kind);
	exo_send(parent, event.env);
	exo_send(parent, event.value);
	exo_recv(&event, 0, 0); /* until R is done: our frames stay off the free list till then */
	return 0;
}

static int word_waker(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	/* Tables first, so that the next frame we take is the next one freed. */
	if (as_table(&self, 3, DATA_VA, true) < 0)
		return 1;
	u64 parent = (u64)exo_parent();
	exo_send(parent, 1);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* R: the waiter's frame is free */
	u64 frame;
	if (exo_frame_alloc((u64)exo_self(), 1, &frame) != 1 || as_map(&self, DATA_VA, frame, PAGE_RW) < 0)
		return 2;
	exo_send(parent, frame);
	exo_send(parent, (u64)exo_wake((volatile u32 *)(DATA_VA + WORD_OFFSET), 8));
	return 0;
}

static int word_wait_ends_when_frame_freed(u64 arg)
{
	(void)arg;
	nstash = 0;
	i64 w = rt_spawn(word_waiter, 0, 128);
	T_CHECK(w > 0, "spawn %ld", w);
	u64 frame = (u64)message_from((u64)w), table = (u64)message_from((u64)w);
	i64 s = rt_spawn(word_waker, 0, 128);
	if (s < 0)
		exo_env_destroy((u64)w);
	T_CHECK(s > 0, "spawn %ld", s);
	i64 s_ready = message_from((u64)s);
	struct exo_env_info info = { 0 };
	for (int i = 0; i < 100 && (exo_env_info((u64)w, &info) < 0 || info.status != EXO_ENV_BLOCKED); i++)
		exo_yield();
	/* Take the frame away from under the waiter: unmap it (W's table, ours to write), free it. */
	u64 zero = 0;
	i64 unmapped = exo_pt_write(table, exo_pt_index(3, DATA_VA), 1, &zero);
	i64 freed = exo_frame_free(&frame, 1);
	exo_send((u64)s, 1);
	u64 reused = (u64)message_from((u64)s);
	i64 woken = message_from((u64)s);
	i64 got = message_from((u64)w), kind = message_from((u64)w), env = message_from((u64)w),
	    value = message_from((u64)w);
	if (got == NOTHING)
		exo_env_destroy((u64)w); /* still waiting: end it here */
	else
		exo_send((u64)w, 1);
	i64 s_status = exit_of((u64)s), w_status = got == NOTHING ? 0 : exit_of((u64)w);
	if (reused != frame)
		rt_printf("utest:   note: the waker's frame 0x%lx is not the freed 0x%lx\n", reused, frame);
	T_EQ(s_ready, 1);
	T_EQ(info.status, EXO_ENV_BLOCKED);
	T_EQ(unmapped, 0);
	T_EQ(freed, 0);
	T_CHECK(got == 0 && kind == EXO_EVENT_WORD && env == 0 && value == 0,
	        "the wait ended with %ld {kind %ld, env %ld, value %ld}, want 0 {%d, 0, 0} (the waker is env %ld)", got,
	        kind, env, value, EXO_EVENT_WORD, s);
	T_CHECK(woken == 0, "a wake on the reused memory woke %ld (the freed frame %s reused)", woken,
	        reused == frame ? "was" : "was not");
	T_EQ(s_status, 0);
	T_EQ(w_status, 0);
	return 0;
}

/*
 * 9. Ending an environment whose long chain of tables is kept alive from
 * outside must cost time linear in the chain.  X builds n level-3 tables,
 * each mapping the next read-only; R links the first into its own level-2
 * table; X ends.  Ending X with 800 tables must take less than 8 times as
 * long as with 200 (plus 50 ms of slack).
 */
static int chain_builder(u64 n)
{
	u64 self = (u64)exo_self();
	i64 first = exo_pt_alloc(self, 3), prev = first;
	for (u64 i = 1; i < n && prev > 0; i++) {
		i64 next = exo_pt_alloc(self, 3);
		u64 page = (u64)next | PAGE_RO;
		if (next < 0 || exo_pt_write((u64)prev, 0, 1, &page) < 0)
			return 1;
		prev = next;
	}
	if (prev < 0)
		return 2;
	exo_send((u64)exo_parent(), (u64)first);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* R: end now */
	return 0;
}

/* One round: X's end with n tables, in microseconds; negative on failure. */
static i64 chain_end_us(u64 n)
{
	struct aspace self;
	as_self(&self);
	i64 l2 = as_table(&self, 2, CHAIN_VA, true);
	i64 x = rt_spawn(chain_builder, n, n + 64);
	if (l2 < 0 || x < 0)
		return -1;
	i64 first = message_from((u64)x);
	u64 link = (u64)first | EXO_PTE_TABLE | EXO_PTE_APT_RO | EXO_PTE_UXNT;
	if (first == NOTHING || exo_pt_write((u64)l2, exo_pt_index(2, CHAIN_VA), 1, &link) < 0) {
		exo_env_destroy((u64)x);
		return -2;
	}
	u64 start = rt_counter();
	exo_send((u64)x, 1);
	i64 status = exit_within((u64)x, 50000); /* slow when quadratic */
	u64 ticks = rt_counter() - start;
	/* The chain outlived X: through T1, CHAIN_VA shows T2, whose entry 0 maps T3. */
	u64 still = *(volatile u64 *)CHAIN_VA;
	u64 zero = 0;
	if (exo_pt_write((u64)l2, exo_pt_index(2, CHAIN_VA), 1, &zero) < 0)
		return -3;
	if (status != 0 || !(still & EXO_PTE_VALID))
		return -4;
	return (i64)(ticks * 1000000 / rt_counter_freq());
}

static int long_table_chain_release_is_linear(u64 arg)
{
	(void)arg;
	nstash = 0;
	i64 short_us = chain_end_us(200), long_us = chain_end_us(800);
	rt_printf("utest:   end of a 200-table chain %ld.%03ld ms, of an 800-table chain %ld.%03ld ms\n",
	          short_us / 1000, short_us % 1000, long_us / 1000, long_us % 1000);
	T_CHECK(short_us >= 0 && long_us >= 0, "rounds failed: %ld, %ld", short_us, long_us);
	T_CHECK(long_us < 8 * short_us + 50000, "not linear: %ld us for 800 tables, %ld us for 200", long_us, short_us);
	u64 problems = isolation_problems();
	T_EQ(problems, 0);
	return 0;
}

/*
 * Environments cost quota, not slots: thousands exist at once, each
 * record charged to its creator (quota q costs q + 1), and an id is never
 * given to anyone else after its environment is gone.
 */
#define MANY_ENVS 4100
static u32 many_ids[MANY_ENVS];
static int thousands_of_environments(u64 arg)
{
	(void)arg;
	struct exo_env_info before, info;
	T_EQ(exo_env_info(rt_id, &before), 0);
	for (u32 i = 0; i < MANY_ENVS; i++) {
		i64 id = exo_env_create(0);
		T_CHECK(id > 0, "environment %u: %ld", i, id);
		T_CHECK(i == 0 || (u64)id > many_ids[i - 1], "ids count up: %ld after %u", id, many_ids[i - 1]);
		many_ids[i] = (u32)id;
	}
	T_EQ(exo_env_info(rt_id, &info), 0);
	T_EQ(before.quota - info.quota, MANY_ENVS); /* one frame each, for its record */
	T_EQ(exo_env_info(many_ids[MANY_ENVS / 2], &info), 0);
	T_EQ(info.parent, rt_id);
	T_EQ(info.quota, 1);
	T_EQ(info.used, 1);
	/* Every one of them is our child, in the order made. */
	u64 child = 0;
	for (u32 i = 0; i < MANY_ENVS; i++) {
		child = (u64)exo_env_child(rt_id, child);
		T_EQ(child, many_ids[i]);
	}
	T_EQ(exo_env_child(rt_id, child), 0);
	for (u32 i = 0; i < MANY_ENVS; i++)
		T_EQ(exo_env_destroy(many_ids[i]), 0);
	T_EQ(exo_env_info(rt_id, &info), 0);
	T_EQ(info.quota, before.quota);
	/* Gone ids stay gone: a new environment never takes one. */
	i64 fresh = exo_env_create(0);
	T_CHECK(fresh > many_ids[MANY_ENVS - 1], "id %ld reused", fresh);
	T_EQ(exo_env_info(many_ids[0], &info), -EXO_ENOENT);
	T_EQ(exo_env_destroy((u64)fresh), 0);
	return 0;
}

/* A child spends its whole quota on environments and exits: they come to us, and we can reap them. */
static int spend_on_children(u64 parent)
{
	u64 made = 0;
	while (exo_env_create(0) > 0)
		made++;
	exo_send(parent, made);
	return 0;
}

static int parent_finds_what_a_child_left(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(spend_on_children, rt_id, 300);
	T_CHECK(child > 0, "spawn %ld", child);
	i64 made = message_from((u64)child);
	T_CHECK(made > 200, "the child made %ld environments", made);
	i64 status = exit_of((u64)child);
	T_EQ(status, 0);
	/* Not starved: its spending came out of what we gave it. */
	i64 mine = exo_env_create(0);
	T_CHECK(mine > 0, "create after the child's spree: %ld", mine);
	T_EQ(exo_env_destroy((u64)mine), 0);
	/*
	 * Its leftovers are our children now, and orphans: find every one and
	 * end it.  Their exit notices go to the first environment (the test
	 * harness, which takes them before counting frames), so each stays in
	 * our list, ended, until then: the whole list is read before any
	 * ends (the first environment may take an ended one's notice, and
	 * so take it off the list, at any tick of the walk).
	 */
	static u64 found[1024];
	i64 found_count = 0;
	for (i64 next = exo_env_child(rt_id, 0); next > 0 && found_count < 1024; next = exo_env_child(rt_id, (u64)next))
		found[found_count++] = (u64)next;
	T_EQ(found_count, made);
	for (i64 i = 0; i < found_count; i++) {
		struct exo_env_info info;
		T_EQ(exo_env_info(found[i], &info), 0);
		T_EQ(info.parent, rt_id);
		T_CHECK(info.notice_to != rt_id && info.notice_to != 0, "an orphan's notice goes to %lu", info.notice_to);
		T_EQ(exo_env_destroy(found[i]), 0);
		T_EQ(exo_env_info(found[i], &info), -EXO_ENOENT); /* ended: a zombie till the first receives it */
	}
	T_EQ(exo_env_child(rt_id, (u64)child), -EXO_EINVAL); /* no longer a child of ours */
	return 0;
}

/*
 * An environment's end, however large, never holds the machine for long:
 * its frames are released in steps of bounded work, with the scheduler
 * (and interrupts) between them.  X maps one frame 512 times in each of
 * BIG_TABLES tables (a million entries to release); while it ends, a
 * bystander B, the only other environment that can run, looks at the clock
 * in a loop and reports the longest time between two looks.  With
 * stall_bound_ms=N on the command line (the deterministic run, where the
 * clock counts instructions), that gap must stay under N ms; in any run it
 * must be a small part of the whole release (a release in one piece would
 * be one gap as long as all of it).
 */
#define BIG_TABLES 2048
static int big_builder(u64 arg)
{
	(void)arg;
	static u64 descs[EXO_PT_ENTRIES];
	u64 frame = 0, self = (u64)exo_self();
	if (exo_frame_alloc(self, 1, &frame) != 1)
		return 1;
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++)
		descs[i] = frame | PAGE_RO;
	for (u32 t = 0; t < BIG_TABLES; t++) {
		i64 table = exo_pt_alloc(self, 3);
		if (table < 0 || exo_pt_write((u64)table, 0, EXO_PT_ENTRIES, descs) < 0)
			return 2;
	}
	exo_send((u64)exo_parent(), 1);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* R: end now */
	return 0;
}

static int bystander(u64 arg)
{
	(void)arg;
	u64 last = rt_counter(), longest = 0;
	exo_send((u64)exo_parent(), 1); /* running */
	for (;;) {
		u64 now = rt_counter();
		if (now - last > longest)
			longest = now - last;
		last = now;
		struct exo_event event;
		if (exo_recv(&event, EXO_RECV_NOWAIT, 0) == 0 && event.kind == EXO_EVENT_MESSAGE)
			break;
	}
	exo_send((u64)exo_parent(), longest);
	return 0;
}

static int release_does_not_stall(u64 arg)
{
	(void)arg;
	nstash = 0;
	i64 x = rt_spawn(big_builder, 0, BIG_TABLES + 64);
	T_CHECK(x > 0, "spawn %ld", x);
	T_EQ(message_from((u64)x), 1);
	i64 b = rt_spawn(bystander, 0, 64);
	T_CHECK(b > 0, "spawn %ld", b);
	T_EQ(message_from((u64)b), 1);
	u64 start = rt_counter();
	T_EQ(exo_send((u64)x, 1), 0);
	i64 status = exit_within((u64)x, 60000);
	u64 release = rt_counter() - start;
	T_EQ(status, 0);
	T_EQ(exo_send((u64)b, 1), 0);
	i64 longest = message_from((u64)b);
	i64 b_status = exit_of((u64)b);
	T_EQ(b_status, 0);
	u64 per_ms = rt_counter_freq() / 1000;
	rt_printf("utest:   release of %u tables: %lu us; the bystander's longest wait %lu us\n", BIG_TABLES,
	          release * 1000 / per_ms, (u64)longest * 1000 / per_ms);
	T_CHECK((u64)longest * 4 < release, "a wait of %ld ticks in a release of %lu", longest, release);
	if (stall_bound_ms)
		T_CHECK((u64)longest < stall_bound_ms * per_ms, "waited %lu us, bound %lu ms",
		        (u64)longest * 1000 / per_ms, stall_bound_ms);
	return 0;
}

/* A refused call says which rule refused it, and which argument and entry. */
static bool why_is(u64 call, i64 error, u64 rule, u64 arg, u64 index)
{
	struct exo_why why;
	if (exo_why(&why) != 0)
		return false;
	bool same = why.call == call && why.error == error && why.rule == rule && why.arg == arg && why.index == index;
	if (!same)
		rt_printf("utest:   why: call %lu error %ld rule %lu arg %ld index %ld\n", why.call, why.error, why.rule,
		          (i64)why.arg, (i64)why.index);
	return same;
}

static int errors_say_which(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	i64 l3 = as_table(&self, 3, DATA_VA, true);
	u64 frames[3];
	T_EQ(exo_frame_alloc(rt_id, 3, frames), 3);
	u64 descs[5] = { frames[0] | PAGE_RW, frames[1] | PAGE_RW, frames[2] | PAGE_RW, 0x09000000 | PAGE_RW, 0 };
	T_EQ(exo_pt_write((u64)l3, 0, 5, descs), -EXO_ERANGE);
	T_CHECK(why_is(EXO_PT_WRITE, -EXO_ERANGE, EXO_RULE_NOT_RAM, 3, 3), "device page");
	descs[3] = frames[0] | PAGE_RW | (1ull << 5); /* NS set: malformed */
	T_EQ(exo_pt_write((u64)l3, 0, 5, descs), -EXO_EINVAL);
	T_CHECK(why_is(EXO_PT_WRITE, -EXO_EINVAL, EXO_RULE_MALFORMED, 3, 3), "malformed");
	descs[3] = (u64)l3 | PAGE_RW; /* a table, writable */
	T_EQ(exo_pt_write((u64)l3, 0, 5, descs), -EXO_EPERM);
	T_CHECK(why_is(EXO_PT_WRITE, -EXO_EPERM, EXO_RULE_TABLE_AS_PAGE, 3, 3), "table as page");
	T_EQ(exo_pt_write((u64)l3, 510, 5, descs), -EXO_ERANGE);
	T_CHECK(why_is(EXO_PT_WRITE, -EXO_ERANGE, EXO_RULE_RANGE, 2, EXO_WHY_NONE), "range");
	T_EQ(exo_pt_write((u64)frames[0], 0, 1, descs), -EXO_EINVAL);
	T_CHECK(why_is(EXO_PT_WRITE, -EXO_EINVAL, EXO_RULE_FRAME_KIND, 0, EXO_WHY_NONE), "not a table");
	/* A success in between does not hide the last failure. */
	T_EQ(exo_pt_write((u64)l3, 0, 3, descs), 0);
	T_CHECK(why_is(EXO_PT_WRITE, -EXO_EINVAL, EXO_RULE_FRAME_KIND, 0, EXO_WHY_NONE), "kept");
	/* Frees: entry 1 is mapped; then a frame listed twice. */
	u64 list[3] = { frames[2], frames[0], frames[2] };
	T_EQ(exo_frame_free(list, 3), -EXO_EBUSY);
	T_CHECK(why_is(EXO_FRAME_FREE, -EXO_EBUSY, EXO_RULE_IN_USE, 0, 0), "mapped");
	u64 zero[3] = { 0, 0, 0 };
	T_EQ(exo_pt_write((u64)l3, 0, 3, zero), 0);
	T_EQ(exo_frame_free(list, 3), -EXO_EINVAL);
	T_CHECK(why_is(EXO_FRAME_FREE, -EXO_EINVAL, EXO_RULE_TWICE, 0, 2), "twice");
	/* A copy onto an entry in use. */
	T_EQ(exo_pt_write((u64)l3, 7, 1, descs), 0);
	T_EQ(exo_pt_write((u64)l3, 20, 1, descs), 0);
	T_EQ(exo_pt_copy((u64)l3, 0, (u64)l3, 13, 10, 0, 0), -EXO_EEXIST);
	T_CHECK(why_is(EXO_PT_COPY, -EXO_EEXIST, EXO_RULE_NOT_EMPTY, 3, 7), "copy onto an entry in use");
	T_EQ(exo_pt_write((u64)l3, 7, 1, zero), 0);
	T_EQ(exo_pt_write((u64)l3, 20, 1, zero), 0);
	/* No such environment. */
	struct exo_env_info info;
	T_EQ(exo_env_info(0xfffffff0, &info), -EXO_ENOENT);
	T_CHECK(why_is(EXO_ENV_INFO, -EXO_ENOENT, EXO_RULE_ENV, 0, EXO_WHY_NONE), "no such environment");
	T_EQ(exo_why((struct exo_why *)0x10), -EXO_EFAULT);
	T_EQ(exo_frame_free(frames, 3), 0);
	return 0;
}

/*
 * The longest single call that is not split into steps: EXO_FRAME_FREE of
 * 512 tables, each with 512 entries to drop.  With stall_bound_ms (the
 * deterministic run) it must take less than that.
 */
static u64 big_tables[EXO_PT_ENTRIES];
static int free_of_full_tables_is_bounded(u64 arg)
{
	(void)arg;
	static u64 descs[EXO_PT_ENTRIES];
	u64 frame = 0;
	T_EQ(exo_frame_alloc(rt_id, 1, &frame), 1);
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++)
		descs[i] = frame | PAGE_RO;
	for (u32 t = 0; t < EXO_PT_ENTRIES; t++) {
		i64 table = exo_pt_alloc(rt_id, 3);
		T_CHECK(table > 0, "table %u: %ld", t, table);
		T_EQ(exo_pt_write((u64)table, 0, EXO_PT_ENTRIES, descs), 0);
		big_tables[t] = (u64)table;
	}
	u64 start = rt_counter();
	T_EQ(exo_frame_free(big_tables, EXO_PT_ENTRIES), 0);
	u64 took = rt_counter() - start, per_ms = rt_counter_freq() / 1000;
	rt_printf("utest:   freeing 512 full tables took %lu us\n", took * 1000 / per_ms);
	if (stall_bound_ms)
		T_CHECK(took < stall_bound_ms * per_ms, "took %lu us, bound %lu ms", took * 1000 / per_ms, stall_bound_ms);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/*
 * What fork's on-demand variant needs: a child that links its parent's
 * shared (R) last-level table takes a private, read-only copy of it without
 * any authority over the parent, also after the parent has ended; never
 * writable, never with EXO_COPY_BOTH (the source stays as it is), and
 * nobody outside the parent's family may.
 */
#define COPY_VA 0x0000060000000000ull
#define LINK_VA 0x0000070000000000ull
static u64 shared_l3; /* E's level-3 table over DATA_VA, shared R with its descendants */

/* A private read-only copy of the shared table, linked at va; 0, or what went wrong. */
static int private_copy(struct aspace *self, u64 va)
{
	i64 own = exo_pt_alloc((u64)exo_self(), 3), l2 = as_table(self, 2, va, true);
	u64 link = (u64)own | EXO_PTE_TABLE;
	if (own < 0 || l2 < 0 || exo_pt_copy(shared_l3, 0, (u64)own, 0, 4, EXO_PTE_RO, 0) != 0 ||
	    exo_pt_write((u64)l2, exo_pt_index(2, va), 1, &link) != 0)
		return 1;
	return *(volatile u64 *)va == CANARY ? 0 : 2;
}

static int copy_parents_table(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	i64 own = exo_pt_alloc((u64)exo_self(), 3), l2 = as_table(&self, 2, LINK_VA, true);
	u64 shared_link = shared_l3 | EXO_PTE_TABLE | EXO_PTE_APT_RO | EXO_PTE_UXNT;
	if (own < 0 || l2 < 0 || exo_pt_write((u64)l2, exo_pt_index(2, LINK_VA), 1, &shared_link) != 0)
		return 1;
	if (*(volatile u64 *)LINK_VA != CANARY) /* through the parent's table */
		return 2;
	if (exo_pt_copy(shared_l3, 0, (u64)own, 0, 4, 0, 0) != -EXO_EPERM) /* as writable as the parent's: no */
		return 3;
	struct exo_why why;
	if (exo_why(&why) != 0 || why.rule != EXO_RULE_SHARE || why.index != 0)
		return 4;
	if (exo_pt_copy(shared_l3, 0, (u64)own, 0, 4, EXO_PTE_RO, EXO_COPY_BOTH) != -EXO_EINVAL)
		return 5;
	if (private_copy(&self, COPY_VA) != 0)
		return 6;
	exo_send((u64)exo_parent(), 1);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* R: the parent has ended; its table lives on in its husk (we link it) */
	/* A husk's child sends no exit notice: the answer goes through R's shared report frame. */
	volatile struct report *report = (volatile struct report *)RESULT_VA;
	if (as_map(&self, RESULT_VA, report_frame, PAGE_RW) < 0)
		return 8;
	report->seen = (u64)private_copy(&self, COPY_VA + (1ull << 30));
	report->done = 1;
	exo_wake(&report->done, 1);
	exo_recv(&event, 0, 0); /* until destroyed */
	return 9;
}

static int share_then_end(u64 grandparent)
{
	if (!rt_map_fresh(DATA_VA))
		return 10;
	*(volatile u64 *)DATA_VA = CANARY;
	struct aspace self;
	as_self(&self);
	shared_l3 = (u64)as_table(&self, 3, DATA_VA, true);
	if (exo_frame_share(shared_l3, EXO_R) != 0)
		return 11;
	i64 child = rt_spawn(copy_parents_table, 0, 64);
	if (child < 0 || message_from((u64)child) != 1)
		return 12;
	exo_send(grandparent, (u64)child);
	exo_send(grandparent, shared_l3);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* R: end now; the child goes on */
	return 0;
}

static int outsider_copies(u64 table)
{
	i64 own = exo_pt_alloc((u64)exo_self(), 3);
	return own > 0 && exo_pt_copy(table, 0, (u64)own, 0, 4, EXO_PTE_RO, 0) == -EXO_EPERM ? 0 : 1;
}

static int child_copies_a_shared_table(u64 arg)
{
	(void)arg;
	nstash = 0;
	report_frame = rt_map_fresh(RESULT_VA);
	T_CHECK(report_frame && exo_frame_share(report_frame, EXO_R | EXO_W) == 0, "report frame");
	i64 e = rt_spawn(share_then_end, rt_id, 256);
	T_CHECK(e > 0, "spawn %ld", e);
	i64 c = message_from((u64)e), table = message_from((u64)e);
	T_CHECK(c != NOTHING && table != NOTHING, "no word from the sharer");
	/* The sharer's sibling is not of its family: no copy. */
	i64 s = rt_spawn(outsider_copies, (u64)table, 64);
	T_CHECK(s > 0, "spawn %ld", s);
	i64 s_status = exit_of((u64)s);
	T_EQ(s_status, 0);
	T_EQ(exo_send((u64)e, 1), 0);
	i64 e_status = exit_of((u64)e);
	T_EQ(e_status, 0);
	T_EQ(exo_send((u64)c, 1), 0); /* the child copies again, from the husk's table */
	volatile struct report *report = (volatile struct report *)RESULT_VA;
	T_CHECK(await_word(&report->done), "no word from the child");
	T_EQ(report->seen, 0);
	T_EQ(exo_env_destroy((u64)c), 0); /* our grandchild: its parent, a husk, goes with its table */
	struct aspace self;
	as_self(&self);
	as_unmap(&self, RESULT_VA);
	T_EQ(exo_frame_free(&report_frame, 1), 0);
	T_EQ(isolation_problems(), 0);
	return 0;
}

static const struct rt_test tests[] = {
	{ "isolation/child_copies_a_shared_table", child_copies_a_shared_table, 0 },
	{ "isolation/bounded_free_of_full_tables", free_of_full_tables_is_bounded, 0 },
	{ "isolation/errors_say_which", errors_say_which, 0 },
	{ "isolation/bounded_release_does_not_stall", release_does_not_stall, 0 },
	{ "isolation/thousands_of_environments", thousands_of_environments, 0 },
	{ "isolation/parent_finds_what_a_child_left", parent_finds_what_a_child_left, 0 },
	{ "isolation/thread_table_cannot_map_ancestor_frame", thread_table_cannot_map_ancestor_frame, 0 },
	{ "isolation/thread_cannot_copy_ancestor_root", thread_cannot_copy_ancestor_root, 0 },
	{ "isolation/root_change_strands_nothing", root_change_strands_nothing, 0 },
	{ "isolation/thread_cannot_reach_other_child", thread_cannot_reach_other_child, 0 },
	{ "isolation/share_does_not_widen_when_sharer_ends", share_after_sharer_ends, SHARE_FRAME },
	{ "isolation/shared_table_does_not_widen_when_sharer_ends", share_after_sharer_ends, SHARE_TABLE },
	{ "isolation/svc_record_has_no_stale_far", svc_record_has_no_stale_far, 0 },
	{ "isolation/word_wait_ends_when_frame_freed", word_wait_ends_when_frame_freed, 0 },
	{ "isolation/long_table_chain_release_is_linear", long_table_chain_release_is_linear, 0 },
};

/*
 * Booted without check=call (or check=exit), EXO_DEBUG_CHECK is closed: it
 * walks all of RAM with interrupts masked, so it is not for everyone.
 * (The test harness needs it, so this runs on its own, before any test.)
 */
static int debug_check_closed(void)
{
	struct exo_check check;
	i64 result = exo_debug_check(&check);
	struct exo_why why;
	exo_why(&why);
	bool ok = result == -EXO_EPERM && why.rule == EXO_RULE_DEBUG;
	rt_printf("utest: %s isolation/debug_check_closed_without_check_option\n", ok ? "PASS" : "FAIL");
	rt_printf("utest: %u passed, %u failed\n", ok ? 1 : 0, ok ? 0 : 1);
	return ok ? 0 : 1;
}

int main(void)
{
	char bound[16];
	if (rt_arg("debug_check_closed", bound, sizeof(bound)))
		return debug_check_closed();
	if (rt_arg("stall_bound_ms", bound, sizeof(bound)))
		for (const char *c = bound; *c >= '0' && *c <= '9'; c++)
			stall_bound_ms = stall_bound_ms * 10 + (u64)(*c - '0');
	return rt_run_tests(tests, ARRAY_LEN(tests));
}
