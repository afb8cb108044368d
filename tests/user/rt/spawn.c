/* Spawning a copy of the running image into a new address space, and threads. */
#include "tests/user/rt/rt.h"

extern char __text_start[], __text_end[], __rodata_end[], __bss_end[];
void rt_child_start(void);
void rt_thread_start(void);

#define STACK_PAGES 8
#define UPCALL_PAGES 2

/* Text and read-only data: our own frames, shared with descendants, mapped read-only. */
static int map_shared(struct aspace *child, u64 start, u64 end, u64 attrs)
{
	for (u64 va = start; va < end; va += 4096) {
		u64 frame = as_lookup_self(va) & EXO_PTE_ADDR_MASK;
		exo_frame_share(frame, EXO_R | EXO_X); /* refused if an ancestor owns it: already shared */
		int err = as_map(child, va, frame, attrs);
		if (err)
			return err;
	}
	return 0;
}

/* Data and bss: the child's own frames, filled with a copy of ours through a scratch mapping. */
static int copy_private(struct aspace *child, u64 start, u64 end)
{
	struct aspace self;
	as_self(&self);
	for (u64 va = start; va < end; va += 4096) {
		u64 frame;
		i64 err = exo_frame_alloc(child->env, 1, &frame);
		if (err >= 0)
			err = as_map(&self, SCRATCH_VA, frame, PAGE_RW);
		if (err < 0)
			return (int)err;
		memcpy((void *)SCRATCH_VA, (const void *)va, 4096);
		err = as_unmap(&self, SCRATCH_VA);
		if (!err)
			err = as_map(child, va, frame, PAGE_RW);
		if (err)
			return (int)err;
	}
	return 0;
}

static int fresh_pages(struct aspace *child, u64 top, u32 pages)
{
	u64 frames[16];
	i64 err = exo_frame_alloc(child->env, pages, frames);
	for (u32 i = 0; err >= 0 && i < pages; i++)
		err = as_map(child, top - (pages - i) * 4096ull, frames[i], PAGE_RW);
	return (int)(err < 0 ? err : 0);
}

static int build_child(struct aspace *child, int (*fn)(u64), u64 arg)
{
	int err = map_shared(child, (u64)__text_start, (u64)__text_end, PAGE_RX);
	if (!err)
		err = map_shared(child, (u64)__text_end, (u64)__rodata_end, PAGE_RO);
	if (!err)
		err = copy_private(child, (u64)__rodata_end, (u64)__bss_end);
	if (!err)
		err = fresh_pages(child, CHILD_STACK_TOP, STACK_PAGES);
	if (!err)
		err = fresh_pages(child, CHILD_UPCALL_TOP, UPCALL_PAGES);
	if (err)
		return err;
	struct exo_regs regs = { .pc = (u64)rt_child_start, .sp = CHILD_STACK_TOP };
	regs.x[0] = (u64)fn;
	regs.x[1] = arg;
	regs.x[2] = child->root;
	i64 result = exo_env_set_upcalls(child->env, (u64)rt_fault_entry, (u64)rt_syscall_entry,
	                                 CHILD_UPCALL_TOP, 0);
	if (result >= 0)
		result = exo_env_set_regs(child->env, &regs);
	if (result >= 0)
		result = exo_env_set_root(child->env, child->root);
	return (int)result;
}

static i64 spawn(int (*fn)(u64), u64 arg, u64 quota, bool run)
{
	i64 id = exo_env_create(quota);
	if (id < 0)
		return id;
	struct aspace child;
	int err = as_new(&child, (u64)id);
	if (!err)
		err = build_child(&child, fn, arg);
	if (!err && run)
		err = (int)exo_env_run((u64)id);
	if (err) {
		rt_printf("utest:   spawn of env %ld failed: %d\n", id, err);
		exo_env_destroy((u64)id);
		return err;
	}
	return id;
}

i64 rt_spawn(int (*fn)(u64), u64 arg, u64 quota) { return spawn(fn, arg, quota, true); }
i64 rt_spawn_stopped(int (*fn)(u64), u64 arg, u64 quota) { return spawn(fn, arg, quota, false); }

i64 rt_spawn_thread(int (*fn)(u64), u64 arg, u64 stack_top) { return rt_spawn_thread_quota(fn, arg, stack_top, 0); }

i64 rt_spawn_thread_quota(int (*fn)(u64), u64 arg, u64 stack_top, u64 quota)
{
	i64 id = exo_env_create(quota);
	if (id < 0)
		return id;
	struct exo_regs regs = { .pc = (u64)rt_thread_start, .sp = stack_top };
	regs.x[0] = (u64)fn;
	regs.x[1] = arg;
	regs.x[2] = rt_root;
	i64 err = exo_env_set_root((u64)id, rt_root);
	if (err >= 0)
		err = exo_env_set_regs((u64)id, &regs);
	if (err >= 0)
		err = exo_env_run((u64)id);
	if (err < 0) {
		exo_env_destroy((u64)id);
		return err;
	}
	return id;
}
