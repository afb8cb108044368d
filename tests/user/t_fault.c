/*
 * The page-fault primitives from user space: EXO_PT_COW and EXO_PT_MAP_NEW
 * driven by real faults through a handler, EXO_FRAME_MAPS, EXO_QUOTA_TAKE,
 * and each call's refusals (which rule, and that nothing changed).
 */
#include "tests/user/rt/rt.h"

#define DATA_VA 0x0000020000000000ull
#define OTHER_VA (DATA_VA + 0x10000)
#define KERNEL_PA 0x40080000ull

static struct aspace self;

static u64 leaf_of(u64 va) { return (u64)as_table(&self, 3, va, true); }
static u64 index_of(u64 va) { return exo_pt_index(3, va); }

static bool why_is(u64 rule, u64 arg)
{
	struct exo_why why;
	return exo_why(&why) == 0 && why.rule == rule && why.arg == arg;
}

/* Write faults on copy-on-write pages (EXO_PTE_SW0) go to EXO_PT_COW; others are not ours. */
static u64 cows, cow_frame;
static int cow_handler(struct exo_upcall *up)
{
	if (up->kind != EXO_UPCALL_FAULT || !(as_lookup_self(up->far) & EXO_PTE_SW0))
		return 1;
	i64 frame = exo_pt_cow(leaf_of(up->far), index_of(up->far), 0);
	if (frame < 0) {
		struct exo_why why;
		exo_why(&why);
		rt_printf("utest:   copy-on-write at 0x%lx refused: %ld (rule %lu, argument %lu)\n", up->far, frame,
		          why.rule, why.arg);
		return 1;
	}
	cows++;
	cow_frame = (u64)frame;
	return 0; /* the store runs again */
}

/* One frame mapped read-only, copy-on-write, at two addresses: each write gets what it should. */
static int cow_fault_copies_then_writes_in_place(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "map");
	volatile u64 *a = (u64 *)DATA_VA, *b = (u64 *)OTHER_VA;
	a[3] = 1234;
	u64 cow = PAGE_RO | EXO_PTE_SW0;
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_map(&self, DATA_VA, frame, cow), 0);
	T_EQ(as_map(&self, OTHER_VA, frame, cow), 0);
	T_EQ(exo_frame_maps(frame), 2);
	rt_fault_hook = cow_handler;
	__asm__ volatile("" ::: "memory"); /* hooks are set before the accesses that fault */
	a[3] = 99; /* a copy for a */
	T_EQ(cows, 1);
	u64 copy = cow_frame;
	T_CHECK(copy != frame, "a private copy");
	T_EQ(a[3], 99);
	T_EQ(b[3], 1234);
	T_EQ(exo_frame_maps(frame), 1);
	T_EQ(exo_frame_maps(cow_frame), 1);
	b[3] = 7; /* the only mapping left: writable in place */
	T_EQ(cows, 2);
	T_EQ(cow_frame, frame);
	T_EQ(b[3], 7);
	T_EQ(a[3], 99);
	rt_fault_hook = NULL;
	T_EQ(as_lookup_self(DATA_VA) & EXO_PTE_ADDR_MASK, copy);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_unmap(&self, OTHER_VA), 0);
	u64 frames[2] = { frame, copy };
	T_EQ(exo_frame_free(frames, 2), 0);
	return 0;
}

/* Refusals: each says which rule and changes nothing. */
static int cow_refusals(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	u64 table = leaf_of(DATA_VA), index = index_of(DATA_VA);
	T_CHECK(frame && (i64)table > 0, "setup");
	T_EQ(exo_pt_cow(table, index + 1, 0), -EXO_EINVAL); /* nothing there */
	T_CHECK(why_is(EXO_RULE_EMPTY, 1), "empty entry");
	T_EQ(exo_pt_cow(table, 512, 0), -EXO_ERANGE);
	T_EQ(exo_pt_cow((u64)as_table(&self, 2, DATA_VA, false), 0, 0), -EXO_EINVAL);
	T_CHECK(why_is(EXO_RULE_FRAME_KIND, 0), "not a last-level table");
	T_EQ(exo_pt_cow(frame, 0, 0), -EXO_EINVAL);     /* a data frame is no table */
	T_EQ(exo_pt_cow(KERNEL_PA, 0, 0), -EXO_EINVAL);
	T_EQ(exo_pt_cow(0x09000000, 0, 0), -EXO_ERANGE); /* a device */
	/* A page table mapped (read-only) as a page is not copied. */
	T_EQ(as_map(&self, OTHER_VA, table, PAGE_RO), 0);
	T_EQ(exo_pt_cow(leaf_of(OTHER_VA), index_of(OTHER_VA), 0), -EXO_EINVAL);
	T_CHECK(why_is(EXO_RULE_FRAME_KIND, 1), "a table as a page");
	T_EQ(as_unmap(&self, OTHER_VA), 0);
	/* Already writable, the only mapping: nothing to do, the same frame. */
	u64 before = as_lookup_self(DATA_VA);
	T_EQ(exo_pt_cow(table, index, 0), (i64)frame);
	T_EQ(as_lookup_self(DATA_VA), before);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

static int cow_needs_quota(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "map");
	T_EQ(exo_frame_share(frame, EXO_R), 0);
	struct aspace child;
	i64 env = exo_env_create(4);
	T_CHECK(env > 0, "create");
	T_EQ(as_new(&child, (u64)env), 0);
	T_EQ(as_map(&child, DATA_VA, frame, PAGE_RO | EXO_PTE_SW0), 0); /* 4 tables: no spare left */
	i64 table = as_table(&child, 3, DATA_VA, false);
	T_EQ(exo_frame_maps(frame), 2);
	/* Its parent acts for it, with the child's quota: refused, nothing changed. */
	T_EQ(exo_pt_cow((u64)table, index_of(DATA_VA), 0), -EXO_EQUOTA);
	T_EQ(exo_frame_maps(frame), 2);
	T_EQ(exo_quota_give((u64)env, 1), 0);
	i64 copy = exo_pt_cow((u64)table, index_of(DATA_VA), 0);
	T_CHECK(copy > 0 && (u64)copy != frame, "copy %ld", copy);
	T_EQ(exo_frame_maps(frame), 1);
	/* The copy is the child's: ours to act on, but a sibling of the child cannot see it. */
	T_EQ(exo_frame_maps((u64)copy), 1);
	T_EQ(exo_env_destroy((u64)env), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/*
 * EXO_COW_GIVE_UP and EXO_FREE_WHEN_UNUSED on the real kernel: the
 * original of a copy goes as its child's mapping does; a frame given up
 * by EXO_FRAME_FREE goes with its last mapping too; a child gives up
 * nothing of its parent's.
 */
static int cow_gives_up_the_original(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "map");
	((volatile u64 *)DATA_VA)[5] = 4321;
	T_EQ(exo_frame_share(frame, EXO_R), 0);
	struct aspace child;
	i64 env = exo_env_create(16);
	T_CHECK(env > 0, "create");
	T_EQ(as_new(&child, (u64)env), 0);
	T_EQ(as_map(&child, DATA_VA, frame, PAGE_RO | EXO_PTE_SW0), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_map(&self, DATA_VA, frame, PAGE_RO | EXO_PTE_SW0), 0);
	i64 table = as_table(&self, 3, DATA_VA, false);
	T_EQ(exo_pt_cow((u64)table, index_of(DATA_VA), 6), -EXO_EINVAL); /* unknown flags */
	T_CHECK(why_is(EXO_RULE_FLAGS, 2), "flags refused as argument 2");
	i64 copy = exo_pt_cow((u64)table, index_of(DATA_VA), EXO_COW_GIVE_UP);
	T_CHECK(copy > 0 && (u64)copy != frame, "copy %ld", copy);
	T_EQ(((volatile u64 *)DATA_VA)[5], 4321);
	T_EQ(exo_frame_maps(frame), 1);                /* the child's mapping: still there */
	T_EQ(exo_frame_free(&frame, 1), -EXO_EBUSY);   /* given up, but in use */
	T_EQ(as_unmap(&child, DATA_VA), 0);            /* its last mapping: freed */
	T_EQ(exo_frame_maps(frame), -EXO_EINVAL);      /* a free frame now */
	/* EXO_FREE_WHEN_UNUSED: the same through EXO_FRAME_FREE, of a frame the child maps. */
	u64 second;
	T_EQ(exo_frame_alloc(rt_id, 1, &second), 1);
	T_EQ(exo_frame_share(second, EXO_R), 0);
	T_EQ(as_map(&child, OTHER_VA, second, PAGE_RO), 0);
	T_EQ(exo_frame_free(&second, 1 | EXO_FREE_WHEN_UNUSED), 0);
	T_EQ(exo_frame_maps(second), 1);
	T_EQ(as_unmap(&child, OTHER_VA), 0);
	T_EQ(exo_frame_maps(second), -EXO_EINVAL);
	/* Our root in use is never given up. */
	u64 root = self.root;
	T_EQ(exo_frame_free(&root, 1 | EXO_FREE_WHEN_UNUSED), -EXO_EBUSY);
	T_EQ(exo_env_destroy((u64)env), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	u64 mine = (u64)copy;
	T_EQ(exo_frame_free(&mine, 1), 0);
	return 0;
}

/* A child asks about, and copies, only what it reaches. */
static int child_reaches_only_its_own(u64 parent_frame)
{
	as_self(&self);
	if (exo_frame_maps(parent_frame) != -EXO_EPERM) /* not ours to count, shared or not */
		return 1;
	if (exo_frame_maps(KERNEL_PA) != -EXO_EINVAL || exo_frame_maps(0x09000000) != -EXO_ERANGE)
		return 2;
	return 0;
}

/* A last-level table's count: links to it, in our tree and in a child's. */
static int frame_maps_counts_links(u64 arg)
{
	(void)arg;
	as_self(&self);
	T_CHECK(rt_map_fresh(DATA_VA), "map");
	i64 leaf = as_table(&self, 3, DATA_VA, false);
	T_CHECK(leaf > 0, "our table");
	T_EQ(exo_frame_maps((u64)leaf), 1);
	T_EQ(exo_frame_share((u64)leaf, EXO_R), 0);
	struct aspace child;
	i64 env = exo_env_create(8);
	T_CHECK(env > 0, "create");
	T_EQ(as_new(&child, (u64)env), 0);
	i64 l2 = as_table(&child, 2, DATA_VA, true);
	T_CHECK(l2 > 0, "child's table");
	u64 link = (u64)leaf | EXO_PTE_TABLE | EXO_PTE_APT_RO | EXO_PTE_UXNT; /* shared R: read, not execute */
	i64 linked = exo_pt_write((u64)l2, exo_pt_index(2, DATA_VA), 1, &link);
	struct exo_why why;
	exo_why(&why);
	T_CHECK(linked == 0, "link: %ld rule %lu arg %lu", linked, why.rule, why.arg);
	T_EQ(exo_frame_maps((u64)leaf), 2);
	T_EQ(exo_env_destroy((u64)env), 0);
	T_EQ(exo_frame_maps((u64)leaf), 1);
	u64 frame = as_lookup_self(DATA_VA) & EXO_PTE_ADDR_MASK;
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

static int frame_maps_reach(u64 arg)
{
	(void)arg;
	u64 frame;
	T_EQ(exo_frame_alloc(rt_id, 1, &frame), 1);
	T_EQ(exo_frame_maps(frame), 0);
	i64 child = rt_spawn(child_reaches_only_its_own, frame, 256);
	T_CHECK(child > 0, "spawn");
	T_EQ(rt_wait((u64)child), 0);
	/* Shared with the child, it may map the frame, but not count who maps it. */
	T_EQ(exo_frame_share(frame, EXO_R), 0);
	child = rt_spawn(child_reaches_only_its_own, frame, 256);
	T_CHECK(child > 0, "spawn");
	T_EQ(rt_wait((u64)child), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* Faults on unmapped pages get fresh zeroed frames, one call each. */
static u64 zero_fills;
static int zero_handler(struct exo_upcall *up)
{
	if (up->kind != EXO_UPCALL_FAULT || as_lookup_self(up->far))
		return 1;
	u64 va = up->far & ~4095ull;
	u64 made = 0;
	if (exo_pt_map_new(leaf_of(va), index_of(va), 1, PAGE_RW, &made) != 0 || !made)
		return 1;
	zero_fills++;
	return 0;
}

static int map_new_on_demand(u64 arg)
{
	(void)arg;
	as_self(&self);
	(void)leaf_of(DATA_VA); /* the tables first: the handler only maps */
	rt_fault_hook = zero_handler;
	__asm__ volatile("" ::: "memory");
	volatile u64 *page = (u64 *)DATA_VA;
	T_EQ(page[10], 0);
	page[11] = 5;
	T_EQ(page[11], 5);
	volatile u64 *next = (u64 *)(DATA_VA + 4096);
	next[0] = 6;
	rt_fault_hook = NULL;
	T_EQ(zero_fills, 2);
	u64 frames[2] = { as_lookup_self(DATA_VA) & EXO_PTE_ADDR_MASK, as_lookup_self(DATA_VA + 4096) & EXO_PTE_ADDR_MASK };
	T_EQ(exo_frame_maps(frames[0]), 1);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_unmap(&self, DATA_VA + 4096), 0);
	T_EQ(exo_frame_free(frames, 2), 0);
	return 0;
}

static int map_new_refusals(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 table = leaf_of(DATA_VA), index = index_of(DATA_VA);
	struct exo_env_info info;
	T_EQ(exo_env_info(rt_id, &info), 0);
	u64 out[4];
	T_EQ(exo_pt_map_new(table, index, 1, PAGE_RW | 0x5000, out), -EXO_EINVAL); /* an address */
	T_CHECK(why_is(EXO_RULE_MALFORMED, 3), "attrs with an address");
	T_EQ(exo_pt_map_new(table, index, 1, EXO_PTE_TABLE, out), -EXO_EINVAL);
	T_EQ(exo_pt_map_new(table, index, 0, PAGE_RW, out), -EXO_ERANGE);
	T_EQ(exo_pt_map_new(table, 511, 2, PAGE_RW, out), -EXO_ERANGE);
	T_EQ(exo_pt_map_new(table, index, 2, PAGE_RW, (u64 *)(u64)map_new_refusals), -EXO_EFAULT);
	T_EQ(exo_pt_map_new(table, index, 2, PAGE_RW, (u64 *)0xffff000040080000ull), -EXO_EFAULT);
	T_EQ(exo_pt_map_new(table, index, 4, PAGE_RW, out), 0);
	T_EQ(exo_pt_map_new(table, index + 3, 2, PAGE_RW, out), -EXO_EEXIST);
	T_CHECK(why_is(EXO_RULE_NOT_EMPTY, 1), "in use");
	struct exo_env_info mid;
	T_EQ(exo_env_info(rt_id, &mid), 0);
	T_EQ(mid.used, info.used + 4); /* the failures took nothing */
	T_EQ(as_lookup_self(DATA_VA) & EXO_PTE_ADDR_MASK, out[0]);
	/* For a child, from the child's quota: 2 spare, then 1 once it has a table. */
	i64 child = exo_env_create(2);
	T_CHECK(child > 0, "create");
	i64 child_table = exo_pt_alloc((u64)child, 3);
	T_CHECK(child_table > 0, "table");
	T_EQ(exo_pt_map_new((u64)child_table, 0, 2, PAGE_RW, out), -EXO_EQUOTA);
	T_CHECK(why_is(EXO_RULE_QUOTA, 0), "quota");
	T_EQ(exo_pt_map_new((u64)child_table, 0, 1, PAGE_RW, out), 0);
	T_EQ(exo_frame_maps(out[0]), 1);
	T_EQ(exo_env_destroy((u64)child), 0);
	return 0;
}

/* A sibling's table is not ours to fill or copy into. */
static int sibling_tries(u64 table)
{
	u64 out;
	if (exo_pt_map_new(table, 0, 1, PAGE_RW, &out) != -EXO_EPERM || !why_is(EXO_RULE_OWNER, 0))
		return 1;
	return exo_pt_cow(table, 1, 0) == -EXO_EPERM ? 0 : 2;
}

static int not_for_siblings(u64 arg)
{
	(void)arg;
	i64 first = exo_env_create(8);
	T_CHECK(first > 0, "create");
	i64 table = exo_pt_alloc((u64)first, 3);
	u64 out;
	T_EQ(exo_pt_map_new((u64)table, 1, 1, PAGE_RW | EXO_PTE_RO, &out), 0);
	i64 second = rt_spawn(sibling_tries, (u64)table, 64);
	T_CHECK(second > 0, "spawn");
	T_EQ(rt_wait((u64)second), 0);
	T_EQ(exo_env_destroy((u64)first), 0);
	return 0;
}

/* Quota given to a child comes back, never more than it has spare, never from an ancestor. */
static int take_from_parent(u64 parent)
{
	if (exo_quota_take(parent, 1) != -EXO_EPERM || exo_quota_take(rt_id, 1) != -EXO_EINVAL)
		return 1;
	return exo_quota_take(12345, 1) == -EXO_ENOENT ? 0 : 2;
}

static int quota_take_back(u64 arg)
{
	(void)arg;
	struct exo_env_info before, child_info, after;
	T_EQ(exo_env_info(rt_id, &before), 0);
	i64 child = exo_env_create(10);
	T_CHECK(child > 0, "create");
	T_EQ(exo_quota_take((u64)child, 11), -EXO_EQUOTA); /* it has 10 spare (its record uses the 11th) */
	T_CHECK(why_is(EXO_RULE_QUOTA, 1), "too much");
	T_EQ(exo_quota_take((u64)child, 4), 0);
	T_EQ(exo_env_info((u64)child, &child_info), 0);
	T_EQ(child_info.quota, 7);
	T_EQ(exo_quota_take((u64)child, 6), 0);
	T_EQ(exo_quota_take((u64)child, 1), -EXO_EQUOTA);
	T_EQ(exo_env_destroy((u64)child), 0);
	T_EQ(exo_env_info(rt_id, &after), 0);
	T_EQ(after.quota - after.used, before.quota - before.used);
	i64 kid = rt_spawn(take_from_parent, rt_id, 64);
	T_CHECK(kid > 0, "spawn");
	T_EQ(rt_wait((u64)kid), 0);
	return 0;
}

/*
 * A child made with EXO_ENV_DRAWS takes what its quota lacks from its
 * parent's spare, and no more than that; one made without does not; bad
 * flags are refused.  Run in a child of ours with a small quota of its own.
 */
static int draws_within(u64 arg)
{
	(void)arg;
	T_EQ(exo_env_create_flags(0, 2), -EXO_EINVAL);
	T_CHECK(why_is(EXO_RULE_FLAGS, 1), "flags");
	i64 fixed = exo_env_create(0), drawing = exo_env_create_flags(0, EXO_ENV_DRAWS);
	T_CHECK(fixed > 0 && drawing > 0, "create");
	static u64 frames[512];
	T_EQ(exo_frame_alloc((u64)fixed, 1, frames), -EXO_EQUOTA);
	struct exo_env_info self, child;
	T_EQ(exo_env_info(rt_id, &self), 0);
	u64 spare = self.quota - self.used;
	T_CHECK(spare > 0 && spare <= 512, "a small spare");
	T_EQ(exo_frame_alloc((u64)drawing, spare, frames), (i64)spare);
	T_EQ(exo_env_info((u64)drawing, &child), 0);
	T_EQ(child.quota, 1 + spare);
	T_EQ(child.used, 1 + spare);
	T_EQ(exo_env_info(rt_id, &self), 0);
	T_EQ(self.quota, self.used); /* all of it drawn */
	T_EQ(exo_frame_alloc((u64)drawing, 1, frames), -EXO_EQUOTA); /* and not past us: we do not draw */
	T_CHECK(why_is(EXO_RULE_QUOTA, 0), "quota");
	T_EQ(exo_pt_alloc((u64)drawing, 3), -EXO_EQUOTA);
	T_EQ(exo_env_destroy((u64)drawing), 0);
	T_EQ(exo_env_info(rt_id, &self), 0);
	T_EQ(self.quota - self.used, spare + 1); /* its quota came back, its record's included */
	T_EQ(exo_env_destroy((u64)fixed), 0);
	return 0;
}

static int env_create_draws(u64 arg)
{
	(void)arg;
	i64 kid = rt_spawn(draws_within, 0, 96);
	T_CHECK(kid > 0, "spawn");
	T_EQ(rt_wait((u64)kid), 0);
	return 0;
}

/* Light faults: far and esr in registers, no record, everything else as the program left it. */
static u64 light_far, light_esr;
static int light_cow(u64 far, u64 esr)
{
	light_far = far;
	light_esr = esr;
	i64 frame = exo_pt_cow(leaf_of(far), index_of(far), 0);
	if (frame < 0)
		return 1;
	cows++;
	cow_frame = (u64)frame;
	return 0;
}

static int set_light_faults(u64 flags)
{
	return (int)exo_env_set_upcalls(rt_id, (u64)rt_light_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP,
	                                flags);
}

static int light_fault_keeps_every_register(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 frame = rt_map_fresh(DATA_VA);
	T_CHECK(frame, "map");
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(as_map(&self, DATA_VA, frame, PAGE_RO | EXO_PTE_SW0), 0);
	T_EQ(as_map(&self, OTHER_VA, frame, PAGE_RO | EXO_PTE_SW0), 0);
	T_EQ(exo_env_set_upcalls(rt_id, 0, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, EXO_UPCALL_LIGHT_FAULTS),
	     -EXO_EINVAL); /* no handler to enter */
	rt_light_fault_hook = light_cow;
	T_EQ(set_light_faults(EXO_UPCALL_LIGHT_FAULTS), 0);
	cows = 0;
	/* A store with x0, x1, x2 and the flags set just before: all must survive the fault. */
	register u64 x0 __asm__("x0") = 0x1111;
	register u64 x1 __asm__("x1") = 0x2222;
	register u64 x2 __asm__("x2") = 0x3333;
	register u64 x3 __asm__("x3") = DATA_VA + 24;
	u64 nzcv;
	__asm__ volatile("cmp %[a], %[a]\n\t"      /* Z and C set */
	                 "str %[v], [%[p]]\n\t"
	                 "mrs %[f], nzcv"
	                 : [f] "=r"(nzcv), "+r"(x0), "+r"(x1)
	                 : [a] "r"(x2), [v] "r"(x2), [p] "r"(x3)
	                 : "memory", "cc");
	T_EQ(x0, 0x1111);
	T_EQ(x1, 0x2222);
	T_EQ(nzcv >> 28, 0x6); /* Z and C */
	T_EQ(cows, 1);
	T_EQ(light_far, DATA_VA + 24);
	T_EQ(light_esr >> 26, 0x24); /* a data abort from EL0 */
	T_EQ(*(volatile u64 *)(DATA_VA + 24), 0x3333);
	T_EQ(*(volatile u64 *)(OTHER_VA + 24), 0);
	*(volatile u64 *)OTHER_VA = 8; /* in place this time */
	T_EQ(cows, 2);
	T_EQ(cow_frame, frame);
	T_EQ(set_light_faults(0), 0);
	rt_light_fault_hook = NULL;
	return 0;
}

/* A fault inside a light fault handler ends the environment, as with full upcalls. */
static int fault_again(u64 far, u64 esr)
{
	(void)far, (void)esr;
	return (int)*(volatile u64 *)(DATA_VA + 0x100000); /* unmapped */
}

static int faults_in_light_handler(u64 arg)
{
	(void)arg;
	rt_light_fault_hook = fault_again;
	if (set_light_faults(EXO_UPCALL_LIGHT_FAULTS) != 0)
		return 1;
	return (int)*(volatile u64 *)(DATA_VA + 0x200000); /* never returns: killed */
}

static int light_fault_in_handler_kills(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(faults_in_light_handler, 0, 64);
	T_CHECK(child > 0, "spawn");
	T_EQ(rt_wait((u64)child), -1);
	return 0;
}

/*
 * EXO_PT_COPY_TABLES from user space: a child gets copies of two of our
 * last-level tables (4 MiB apart: two level-2 entries, slots first and
 * first + 2), write-protected on both sides, and each refusal changes
 * nothing.
 */
#define TREE_VA 0x0000060000000000ull

static int copy_tables_for_child(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 a = rt_map_fresh(TREE_VA), b = rt_map_fresh(TREE_VA + (4ull << 20));
	T_CHECK(a && b, "map");
	*(volatile u64 *)TREE_VA = 11;
	u64 src = (u64)as_table(&self, 2, TREE_VA, false);
	u32 first = exo_pt_index(2, TREE_VA);
	i64 child = exo_env_create(16);
	T_CHECK(child > 0, "create");
	i64 dst = exo_pt_alloc((u64)child, 2), leaf = exo_pt_alloc((u64)child, 3);
	T_CHECK(dst > 0 && leaf > 0, "tables");
	u64 set = EXO_PTE_RO | EXO_PTE_SW0, flags = EXO_COPY_BOTH | EXO_COPY_SHARE;
	u32 end = first + 3;
	T_EQ(exo_pt_copy_tables(src, (u64)dst, 510, 513, set, flags), -EXO_ERANGE);
	T_CHECK(why_is(EXO_RULE_RANGE, 3), "end");
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, first, set, flags), -EXO_ERANGE);
	T_EQ(exo_pt_copy_tables(src, src, first, end, set, flags), -EXO_EINVAL);
	T_CHECK(why_is(EXO_RULE_OVERLAP, 1), "one owner");
	T_EQ(exo_pt_copy_tables((u64)leaf, (u64)dst, first, end, set, flags), -EXO_EINVAL);
	T_CHECK(why_is(EXO_RULE_FRAME_KIND, 0), "not a level-0..2 table");
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, end, EXO_PTE_TABLE, flags), -EXO_EINVAL);
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, end, set, 8), -EXO_EINVAL);
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, end, 0, 0), -EXO_EPERM); /* writable pages not shared */
	T_EQ(as_lookup_self(TREE_VA) & EXO_PTE_RO, 0);                   /* nothing changed */
	/* Where the source has no table, the destination may have one: it stays. Where it has, it may not. */
	u64 link = (u64)leaf | EXO_PTE_TABLE, zero = 0;
	T_EQ(exo_pt_write((u64)dst, first + 2, 1, &link), 0);
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, end, set, flags), -EXO_EEXIST);
	T_CHECK(why_is(EXO_RULE_NOT_EMPTY, 1), "in use");
	T_EQ(exo_pt_write((u64)dst, first + 2, 1, &zero), 0);
	T_EQ(exo_pt_write((u64)dst, first + 1, 1, &link), 0);
	struct exo_env_info info;
	T_EQ(exo_env_info((u64)child, &info), 0);
	T_EQ(exo_quota_take((u64)child, info.quota - info.used - 1), 0); /* room for one table, two needed */
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, end, set, flags), -EXO_EQUOTA);
	T_EQ(as_lookup_self(TREE_VA) & EXO_PTE_RO, 0);
	T_EQ(exo_quota_give((u64)child, 4), 0);
	T_EQ(exo_pt_copy_tables(src, (u64)dst, first, end, set, flags), end);
	T_EQ(exo_pt_write((u64)dst, first + 1, 1, &zero), 0); /* it stayed: unlinked */
	T_EQ(as_lookup_self(TREE_VA) & (EXO_PTE_RO | EXO_PTE_SW0), EXO_PTE_RO | EXO_PTE_SW0);
	T_EQ(exo_frame_maps(a), 2);
	T_EQ(exo_frame_maps(b), 2);
	/* Our write now faults: copy-on-write makes ours private again. */
	rt_fault_hook = cow_handler;
	cows = 0;
	__asm__ volatile("" ::: "memory"); /* the hook is set before the store that faults */
	*(volatile u64 *)TREE_VA = 12;
	__asm__ volatile("" ::: "memory");
	rt_fault_hook = NULL;
	T_EQ(cows, 1);
	T_EQ(exo_frame_maps(a), 1);
	T_EQ(exo_env_destroy((u64)child), 0);
	return 0;
}

/*
 * A subtree from our own root: every level under a 1 GiB range copied
 * into a child's empty root (its level-1 and level-2 tables made on the
 * way), then, for another child, the last-level tables linked read-only
 * instead of copied (on-demand fork's tables).
 */
static int copy_tables_from_the_root(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 va = TREE_VA + (1ull << 30);
	u64 a = rt_map_fresh(va), b = rt_map_fresh(va + (6ull << 20));
	T_CHECK(a && b, "map");
	u64 start = va >> 21, end = start + 512; /* 2 MiB slots of the level-0 table */
	u64 set = EXO_PTE_RO | EXO_PTE_SW0;
	i64 child = exo_env_create(16);
	T_CHECK(child > 0, "create");
	i64 root = exo_pt_alloc((u64)child, 0);
	T_CHECK(root > 0, "root");
	struct exo_env_info info;
	T_EQ(exo_env_info((u64)child, &info), 0);
	u64 used = info.used;
	T_EQ(exo_pt_copy_tables(rt_root, (u64)root, start, (511ull << 18) + 1, set, EXO_COPY_BOTH | EXO_COPY_SHARE),
	     -EXO_ERANGE); /* the window slot is the kernel's */
	T_EQ(exo_pt_copy_tables(rt_root, (u64)root, start, end, set, EXO_COPY_BOTH | EXO_COPY_SHARE), (i64)end);
	T_EQ(exo_env_info((u64)child, &info), 0);
	T_EQ(info.used, used + 4); /* a level-1 and a level-2 table, two last-level copies */
	T_EQ(exo_frame_maps(a), 2);
	T_EQ(exo_frame_maps(b), 2);
	T_EQ(as_lookup_self(va) & EXO_PTE_RO, EXO_PTE_RO);
	T_EQ(exo_env_destroy((u64)child), 0);
	T_EQ(exo_frame_maps(a), 1);
	/* Linked, read-only through the link: no page copied, no last-level table made. */
	child = exo_env_create(16);
	T_CHECK(child > 0, "create");
	root = exo_pt_alloc((u64)child, 0);
	T_CHECK(root > 0, "root");
	T_EQ(exo_env_info((u64)child, &info), 0);
	used = info.used;
	T_EQ(exo_pt_copy_tables(rt_root, (u64)root, start, end, EXO_PTE_APT_RO, EXO_COPY_LINK), -EXO_EPERM);
	T_EQ(exo_pt_copy_tables(rt_root, (u64)root, start, end, EXO_PTE_RO, EXO_COPY_LINK | EXO_COPY_SHARE),
	     -EXO_EINVAL); /* a page bit, not a table's */
	T_EQ(exo_pt_copy_tables(rt_root, (u64)root, start, end, EXO_PTE_APT_RO, EXO_COPY_LINK | EXO_COPY_SHARE),
	     (i64)end);
	T_EQ(exo_env_info((u64)child, &info), 0);
	T_EQ(info.used, used + 2);
	T_EQ(exo_frame_maps(a), 1);
	struct exo_check check;
	i64 checked = exo_debug_check(&check);
	T_CHECK(checked == 0 || checked == -EXO_EPERM, "the isolation checker: %ld", checked);
	T_EQ(exo_env_destroy((u64)child), 0);
	T_EQ(as_unmap(&self, va), 0);
	T_EQ(as_unmap(&self, va + (6ull << 20)), 0);
	T_EQ(exo_frame_free(&a, 1), 0);
	T_EQ(exo_frame_free(&b, 1), 0);
	return 0;
}

/* A sibling cannot copy our tables, nor copy into ours. */
static int sibling_copies(u64 src)
{
	as_self(&self);
	i64 mine = exo_pt_alloc(rt_id, 2);
	if (exo_pt_copy_tables(src, (u64)mine, 0, 1, 0, 0) != -EXO_EPERM)
		return 1;
	return exo_pt_copy_tables((u64)mine, src, 0, 1, 0, 0) == -EXO_EPERM ? 0 : 2;
}

static int copy_tables_not_for_siblings(u64 arg)
{
	(void)arg;
	i64 first = exo_env_create(8);
	i64 table = exo_pt_alloc((u64)first, 2);
	T_CHECK(first > 0 && table > 0, "setup");
	i64 second = rt_spawn(sibling_copies, (u64)table, 64);
	T_CHECK(second > 0, "spawn");
	T_EQ(rt_wait((u64)second), 0);
	T_EQ(exo_env_destroy((u64)first), 0);
	return 0;
}

/*
 * A last-level table of ours linked by a child at the same address in its
 * own root (as an on-demand fork shares tables): when we change a page in
 * it, the child, which has read that page under its own ASID, sees the
 * change.  (QEMU drops its TLB when the ASID changes, so this cannot catch
 * a missing invalidation; core/shared_table_keeps_its_address checks that
 * the kernel invalidates the address in every ASID.)
 */
#define SHARE_VA 0x0000070000000000ull

static u64 wait_value(void)
{
	struct exo_event event;
	while (exo_recv(&event, 0, 0) == 0)
		if (event.kind != EXO_EVENT_ALERT)
			return event.kind == EXO_EVENT_MESSAGE ? event.value : ~0ull; /* an exit: the other side failed */
	return ~0ull;
}

static int reads_shared_table(u64 table)
{
	as_self(&self);
	i64 l2 = as_table(&self, 2, SHARE_VA, true);
	u64 link = table | EXO_PTE_TABLE | EXO_PTE_APT_RO | EXO_PTE_UXNT; /* within the share: read only */
	if (l2 < 0 || exo_pt_write((u64)l2, exo_pt_index(2, SHARE_VA), 1, &link) != 0)
		return 1;
	u64 parent = (u64)exo_parent();
	exo_send(parent, *(volatile u64 *)SHARE_VA); /* now in our TLB */
	wait_value();                                 /* the parent has changed the entry */
	u64 now = *(volatile u64 *)SHARE_VA;
	exo_send(parent, now);
	wait_value(); /* until the parent has it (an exit notice would come before the message) */
	return 0;
}

static int shared_table_change_reaches_every_root(u64 arg)
{
	(void)arg;
	as_self(&self);
	u64 a = rt_map_fresh(SHARE_VA), b = rt_map_fresh(SHARE_VA + 4096);
	T_CHECK(a && b, "map");
	*(volatile u64 *)SHARE_VA = 0xaaaa;
	*(volatile u64 *)(SHARE_VA + 4096) = 0xbbbb;
	u64 table = leaf_of(SHARE_VA);
	T_EQ(exo_frame_share(table, EXO_R), 0);
	T_EQ(exo_frame_share(a, EXO_R), 0);
	T_EQ(exo_frame_share(b, EXO_R), 0);
	i64 child = rt_spawn(reads_shared_table, table, 64);
	T_CHECK(child > 0, "spawn");
	T_EQ(wait_value(), 0xaaaa);
	u64 moved = b | PAGE_RO;
	T_EQ(exo_pt_write(table, index_of(SHARE_VA), 1, &moved), 0);
	T_EQ(exo_send((u64)child, 1), 0);
	T_EQ(wait_value(), 0xbbbb); /* not the stale 0xaaaa */
	T_EQ(exo_send((u64)child, 2), 0);
	T_EQ(rt_wait((u64)child), 0);
	return 0;
}

static const struct rt_test tests[] = {
	{ "fault/shared_table_change_reaches_every_root", shared_table_change_reaches_every_root, 0 },
	{ "fault/copy_tables_for_child", copy_tables_for_child, 0 },
	{ "fault/copy_tables_not_for_siblings", copy_tables_not_for_siblings, 0 },
	{ "fault/copy_tables_from_the_root", copy_tables_from_the_root, 0 },
	{ "fault/light_fault_keeps_every_register", light_fault_keeps_every_register, 0 },
	{ "fault/light_fault_in_handler_kills", light_fault_in_handler_kills, 0 },
	{ "fault/cow_fault_copies_then_writes_in_place", cow_fault_copies_then_writes_in_place, 0 },
	{ "fault/cow_refusals", cow_refusals, 0 },
	{ "fault/cow_needs_quota", cow_needs_quota, 0 },
	{ "fault/cow_gives_up_the_original", cow_gives_up_the_original, 0 },
	{ "fault/frame_maps_reach", frame_maps_reach, 0 },
	{ "fault/map_new_on_demand", map_new_on_demand, 0 },
	{ "fault/map_new_refusals", map_new_refusals, 0 },
	{ "fault/not_for_siblings", not_for_siblings, 0 },
	{ "fault/quota_take_back", quota_take_back, 0 },
	{ "fault/env_create_draws", env_create_draws, 0 },
	{ "fault/frame_maps_counts_links", frame_maps_counts_links, 0 },
};

int main(void) { return rt_run_tests(tests, ARRAY_LEN(tests)); }
