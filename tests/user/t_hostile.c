/*
 * Hostile programs: one attack per test, each in its own child environment.
 * Every attack must get an error code (or, for the self-destructive ones,
 * end only the attacker) and leave a live kernel, frames all returned and
 * the isolation checker clean (the harness checks the last two).
 */
#include "tests/user/rt/rt.h"

#define DATA_VA 0x0000020000000000ull
#define KERNEL_VA 0xffff000040080000ull
#define KERNEL_PA 0x40080000ull
#define UART_PA 0x09000000ull

static u64 own_frame(void)
{
	u64 frame = 0;
	exo_frame_alloc(rt_id, 1, &frame);
	return frame;
}

static i64 own_table(u32 level, u64 va)
{
	struct aspace self;
	as_self(&self);
	return as_table(&self, level, va, true);
}

static int bad_pointers(u64 arg)
{
	(void)arg;
	struct exo_env_info info;
	u64 frame;
	T_EQ(exo_cons_write(NULL, 8), -EXO_EFAULT);
	T_EQ(exo_cons_write((void *)KERNEL_VA, 8), -EXO_EFAULT);
	T_EQ(exo_cons_write((void *)EXO_PT_WINDOW_BASE - 4, 8), -EXO_EFAULT); /* runs into the window */
	T_EQ(exo_env_info(rt_id, (struct exo_env_info *)KERNEL_VA), -EXO_EFAULT);
	T_EQ(exo_env_info(rt_id, (struct exo_env_info *)0x10), -EXO_EFAULT);
	/* Read-only memory is not writable by the kernel on our behalf either. */
	T_EQ(exo_env_info(rt_id, (struct exo_env_info *)(u64)bad_pointers), -EXO_EFAULT);
	T_EQ(exo_env_info(rt_id, (struct exo_env_info *)EXO_PT_WINDOW_L0), -EXO_EFAULT);
	u64 free_before = rt_free_frames(NULL);
	T_EQ(exo_frame_alloc(rt_id, 4, (u64 *)(u64)bad_pointers), -EXO_EFAULT);
	T_EQ(rt_free_frames(NULL), free_before); /* nothing allocated on a failed call */
	T_EQ(exo_pt_write((u64)own_table(3, DATA_VA), 0, 4, (const u64 *)0x1000), -EXO_EFAULT);
	T_EQ(exo_frame_free((const u64 *)KERNEL_VA, 1), -EXO_EFAULT);
	struct exo_event *event = (struct exo_event *)0x8;
	T_EQ(exo_recv(event, EXO_RECV_NOWAIT, 0), -EXO_EFAULT);
	T_EQ(exo_env_set_regs(rt_id, (struct exo_regs *)KERNEL_VA), -EXO_EINVAL); /* self first */
	T_EQ(exo_debug_check((struct exo_check *)KERNEL_VA), -EXO_EFAULT);
	(void)info;
	(void)frame;
	return 0;
}

static int bad_lengths(u64 arg)
{
	(void)arg;
	u64 frames[4];
	static u64 descs[600];
	i64 table = own_table(3, DATA_VA);
	T_CHECK(table > 0, "table %ld", table);
	T_EQ(exo_pt_write((u64)table, 0, 513, descs), -EXO_ERANGE);
	T_EQ(exo_pt_write((u64)table, 511, 2, descs), -EXO_ERANGE);
	T_EQ(exo_pt_write((u64)table, 512, 0, descs), -EXO_ERANGE);
	T_EQ(exo_pt_write((u64)table, ~0ull, 2, descs), -EXO_ERANGE);
	T_EQ(exo_pt_write((u64)table, 2, ~0ull - 1, descs), -EXO_ERANGE);
	T_EQ(exo_frame_alloc(rt_id, 0, frames), -EXO_ERANGE);
	T_EQ(exo_frame_alloc(rt_id, 513, frames), -EXO_ERANGE);
	T_EQ(exo_frame_alloc(rt_id, ~0ull, frames), -EXO_ERANGE);
	T_EQ(exo_frame_free(frames, 0), -EXO_ERANGE);
	T_EQ(exo_frame_free(frames, 1ull << 61), -EXO_ERANGE);
	T_EQ(exo_frame_free(frames, EXO_FREE_WHEN_UNUSED), -EXO_ERANGE); /* the flag alone counts no frame */
	T_EQ(exo_frame_free(frames, 513 | EXO_FREE_WHEN_UNUSED), -EXO_ERANGE);
	T_EQ(exo_pt_copy((u64)table, 0, (u64)table, 256, 257, 0, 0), -EXO_ERANGE);
	T_EQ(exo_pt_copy((u64)table, ~0ull, (u64)table, 0, 1, 0, 0), -EXO_ERANGE);
	/* A console write that runs off the end of our memory fails, without a kernel fault. */
	T_CHECK(exo_cons_write((void *)(CHILD_STACK_TOP - 16), ~0ull) <= 16, "wrote past the stack");
	T_EQ(exo_cons_write((void *)~0ull, 2), -EXO_EFAULT);
	return 0;
}

/* Frames nobody gave us: free RAM, the kernel, devices, nothing at all. */
static int frames_not_given(u64 arg)
{
	(void)arg;
	i64 table = own_table(3, DATA_VA);
	u64 mine = own_frame();
	u64 unknown = mine + (64ull << 20); /* RAM, but not ours (free, or someone else's) */
	u64 page = unknown | PAGE_RW;
	T_EQ(exo_pt_write((u64)table, 0, 1, &page), -EXO_EPERM);
	T_EQ(exo_frame_free(&unknown, 1), -EXO_EPERM);
	T_EQ(exo_frame_free(&unknown, 1 | EXO_FREE_WHEN_UNUSED), -EXO_EPERM); /* nor given up */
	T_EQ(exo_frame_share(unknown, EXO_R), -EXO_EPERM);
	u64 kernel = KERNEL_PA | PAGE_RO;
	T_EQ(exo_pt_write((u64)table, 0, 1, &kernel), -EXO_EPERM);
	u64 kernel_pa = KERNEL_PA;
	T_EQ(exo_frame_free(&kernel_pa, 1), -EXO_EPERM);
	T_EQ(exo_frame_free(&kernel_pa, 1 | EXO_FREE_WHEN_UNUSED), -EXO_EPERM);
	T_EQ(exo_pt_write(KERNEL_PA, 0, 1, &page), -EXO_EINVAL); /* not a table */
	u64 device = UART_PA | PAGE_RW;
	T_EQ(exo_pt_write((u64)table, 0, 1, &device), -EXO_ERANGE);
	u64 beyond = 0x0000800000000000ull | PAGE_RW;
	T_EQ(exo_pt_write((u64)table, 0, 1, &beyond), -EXO_ERANGE); /* far past the end of RAM */
	u64 huge = 0x00000f0000000000ull | PAGE_RW;
	T_EQ(exo_pt_write((u64)table, 0, 1, &huge), -EXO_ERANGE);
	T_EQ(exo_frame_free(&mine, 1), 0);
	return 0;
}

/* A sibling's frames and tables: it tells the parent, the parent tells us (data copied at spawn). */
static u64 sibling_frame, sibling_table;
static int hold_frames(u64 parent)
{
	u64 frame = own_frame();
	i64 table = own_table(3, DATA_VA);
	struct aspace self;
	as_self(&self);
	if (!frame || table < 0 || as_map(&self, DATA_VA, frame, PAGE_RW) < 0)
		return 1;
	*(volatile u64 *)DATA_VA = 0xca7a11;
	exo_send(parent, frame);
	exo_send(parent, (u64)table);
	struct exo_event event;
	exo_recv(&event, 0, 0); /* until the attacker is done */
	return *(volatile u64 *)DATA_VA == 0xca7a11 ? 0 : 2;
}

static int attack_sibling(u64 arg)
{
	(void)arg;
	i64 table = own_table(3, DATA_VA);
	u64 page = sibling_frame | PAGE_RO;
	T_EQ(exo_pt_write((u64)table, 0, 1, &page), -EXO_EPERM);
	T_EQ(exo_frame_free(&sibling_frame, 1), -EXO_EPERM);
	T_EQ(exo_frame_free(&sibling_frame, 1 | EXO_FREE_WHEN_UNUSED), -EXO_EPERM); /* in use: not ours to give up */
	T_EQ(exo_frame_share(sibling_frame, EXO_R), -EXO_EPERM);
	u64 link = sibling_table | EXO_PTE_TABLE | EXO_PTE_APT_RO;
	T_EQ(exo_pt_write((u64)own_table(2, DATA_VA), 0, 1, &link), -EXO_EPERM);
	T_EQ(exo_pt_write(sibling_table, 0, 1, &page), -EXO_EPERM);
	T_EQ(exo_pt_copy(sibling_table, 0, (u64)table, 1, 1, EXO_PTE_RO, EXO_COPY_SHARE), -EXO_EPERM);
	T_EQ(exo_pt_write((u64)table, 0, 1, &(u64){ sibling_table | PAGE_RO }), -EXO_EPERM);
	return 0;
}

static int frames_of_a_sibling(u64 arg)
{
	(void)arg;
	i64 holder = rt_spawn(hold_frames, rt_id, 256);
	T_CHECK(holder > 0, "spawn %ld", holder);
	struct exo_event event;
	T_EQ(exo_recv(&event, 0, 0), 0);
	sibling_frame = event.value;
	T_EQ(exo_recv(&event, 0, 0), 0);
	sibling_table = event.value;
	i64 attacker = rt_spawn(attack_sibling, 0, 256);
	T_CHECK(attacker > 0, "spawn %ld", attacker);
	T_EQ(rt_wait((u64)attacker), 0);
	T_EQ(exo_send((u64)holder, 1), 0);
	T_EQ(rt_wait((u64)holder), 0); /* its data intact */
	return 0;
}

/* Page tables are never writable from EL0; read-only is fine. */
static int table_mapped_writable(u64 arg)
{
	(void)arg;
	i64 table = own_table(3, DATA_VA);
	u64 rw = (u64)table | PAGE_RW, rwx = (u64)table | (PAGE_RX & ~EXO_PTE_RO);
	T_EQ(exo_pt_write((u64)table, 5, 1, &rw), -EXO_EPERM);
	T_EQ(exo_pt_write((u64)table, 5, 1, &rwx), -EXO_EPERM);
	u64 rx = (u64)table | PAGE_RX;
	T_EQ(exo_pt_write((u64)table, 5, 1, &rx), -EXO_EPERM); /* nor executable */
	u64 root_rw = rt_root | PAGE_RW;
	T_EQ(exo_pt_write((u64)table, 5, 1, &root_rw), -EXO_EPERM);
	/* Copying a read-only mapping of a table cannot make it writable either. */
	u64 ro = (u64)table | PAGE_RO;
	T_EQ(exo_pt_write((u64)table, 5, 1, &ro), 0);
	T_EQ(exo_pt_copy((u64)table, 5, (u64)table, 6, 1, 0, 0), 0);
	T_EQ(*(volatile u64 *)(DATA_VA + 6 * 4096 + 5 * 8), ro); /* reads itself */
	u64 zero[2] = { 0, 0 };
	T_EQ(exo_pt_write((u64)table, 5, 2, zero), 0);
	return 0;
}

static int data_frame_as_table(u64 arg)
{
	(void)arg;
	u64 frame = own_frame();
	u64 link = frame | EXO_PTE_TABLE;
	T_EQ(exo_pt_write((u64)own_table(2, DATA_VA), 7, 1, &link), -EXO_EINVAL);
	T_EQ(exo_pt_write(frame, 0, 1, &(u64){ 0 }), -EXO_EINVAL); /* writing "entries" of a data frame */
	T_EQ(exo_env_set_root(rt_id, frame), -EXO_EINVAL);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

static int table_of_wrong_level(u64 arg)
{
	(void)arg;
	i64 l3 = own_table(3, DATA_VA), l2 = own_table(2, DATA_VA);
	i64 spare1 = exo_pt_alloc(rt_id, 1), spare3 = exo_pt_alloc(rt_id, 3);
	T_CHECK(l3 > 0 && l2 > 0 && spare1 > 0 && spare3 > 0, "tables");
	u64 link1 = (u64)spare1 | EXO_PTE_TABLE, link3 = (u64)spare3 | EXO_PTE_TABLE;
	T_EQ(exo_pt_write((u64)l2, 9, 1, &link1), -EXO_EINVAL); /* L1 under L2 */
	T_EQ(exo_pt_write(rt_root, 9, 1, &link3), -EXO_EINVAL); /* L3 under L0 */
	T_EQ(exo_pt_write((u64)l3, 9, 1, &link3), -EXO_EINVAL); /* a table entry in a last-level table */
	u64 root_link = rt_root | EXO_PTE_TABLE;
	T_EQ(exo_pt_write((u64)l2, 9, 1, &root_link), -EXO_EINVAL); /* a root anywhere */
	T_EQ(exo_pt_alloc(rt_id, 4), -EXO_EINVAL);
	u64 spares[2] = { (u64)spare1, (u64)spare3 };
	T_EQ(exo_frame_free(spares, 2), 0);
	return 0;
}

static int root_not_level0(u64 arg)
{
	(void)arg;
	i64 child = exo_env_create(8);
	i64 l1 = exo_pt_alloc((u64)child, 1);
	T_CHECK(child > 0 && l1 > 0, "child %ld table %ld", child, l1);
	T_EQ(exo_env_set_root((u64)child, (u64)l1), -EXO_EINVAL);
	T_EQ(exo_env_set_root((u64)child, KERNEL_PA), -EXO_EINVAL);
	T_EQ(exo_env_set_root((u64)child, UART_PA), -EXO_ERANGE);
	T_EQ(exo_env_run((u64)child), -EXO_EINVAL); /* no root: nothing to run */
	T_EQ(exo_env_destroy((u64)child), 0);
	return 0;
}

/* A table shared read-only may only be linked read-only, and not written by the borrower. */
static int raise_through_shared(u64 table)
{
	i64 l2 = own_table(2, DATA_VA);
	u64 link_rw = table | EXO_PTE_TABLE, link_x = table | EXO_PTE_TABLE | EXO_PTE_APT_RO;
	if (exo_pt_write((u64)l2, 0, 1, &link_rw) != -EXO_EPERM)
		return 1;
	if (exo_pt_write((u64)l2, 0, 1, &link_x) != 0) /* R+X was shared: fine */
		return 2;
	u64 page = own_frame() | PAGE_RW;
	if (exo_pt_write(table, 3, 1, &page) != -EXO_EPERM) /* it is not ours to change */
		return 3;
	u64 table_desc = 0;
	if (exo_pt_copy(table, 0, table, 1, 1, 0, 0) != -EXO_EPERM)
		return 4;
	(void)table_desc;
	u64 zero = 0;
	return exo_pt_write((u64)l2, 0, 1, &zero) == 0 ? 0 : 5;
}

static int raise_rights_through_shared_table(u64 arg)
{
	(void)arg;
	i64 table = own_table(3, DATA_VA);
	T_EQ(exo_frame_share((u64)table, EXO_R | EXO_X), 0);
	T_EQ(exo_frame_share((u64)table, EXO_W), -EXO_EINVAL); /* a table is never shared writable */
	i64 child = rt_spawn(raise_through_shared, (u64)table, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), 0);
	return 0;
}

/* The parent, a sibling: not ours to act on. */
static int act_on_others(u64 parent)
{
	struct exo_regs regs = { 0 };
	u64 frames[1];
	if (exo_env_destroy(parent) != -EXO_EPERM || exo_env_set_regs(parent, &regs) != -EXO_EPERM ||
	    exo_env_run(parent) != -EXO_EPERM || exo_frame_alloc(parent, 1, frames) != -EXO_EPERM ||
	    exo_env_set_root(parent, rt_root) != -EXO_EPERM || exo_pt_alloc(parent, 0) != -EXO_EPERM ||
	    exo_env_set_upcalls(parent, 0, 0, 0, 0) != -EXO_EPERM || exo_quota_give(parent, 1) != -EXO_EPERM)
		return 1;
	if (exo_env_destroy(1) != -EXO_EPERM || exo_env_destroy(0) != -EXO_ENOENT ||
	    exo_env_destroy(~0ull) != -EXO_ENOENT)
		return 2;
	/* Listing children needs the holding rule: never the parent's, nor the first environment's. */
	struct exo_why why;
	if (exo_env_child(parent, 0) != -EXO_EPERM || exo_why(&why) != 0 || why.rule != EXO_RULE_ENV ||
	    why.arg != 0 || exo_env_child(1, 0) != -EXO_EPERM)
		return 3;
	struct exo_env_info info;
	return exo_env_info(parent, &info) == -EXO_EPERM ? 0 : 4;
}

static int act_on_non_descendant(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(act_on_others, rt_id, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), 0);
	return 0;
}

static int exceed_quota(u64 arg)
{
	(void)arg;
	struct exo_env_info info;
	T_EQ(exo_env_info(rt_id, &info), 0);
	u64 spare = info.quota - info.used;
	T_EQ(exo_env_create(spare + 1), -EXO_EQUOTA);
	i64 child = exo_env_create(10);
	T_CHECK(child > 0, "create %ld", child);
	u64 frames[11];
	T_EQ(exo_frame_alloc((u64)child, 11, frames), -EXO_EQUOTA);
	T_EQ(exo_frame_alloc((u64)child, 10, frames), 10);
	T_EQ(exo_pt_alloc((u64)child, 0), -EXO_EQUOTA);
	T_EQ(exo_frame_alloc((u64)child, 1, frames), -EXO_EQUOTA);
	T_EQ(exo_quota_give((u64)child, ~0ull), -EXO_EQUOTA);
	T_EQ(exo_quota_give((u64)child, 1), 0);
	T_EQ(exo_pt_alloc((u64)child, 0) > 0, 1);
	T_EQ(exo_env_destroy((u64)child), 0); /* its frames come back with it */
	exo_env_info(rt_id, &info);
	T_EQ(info.quota - info.used, spare);
	return 0;
}

static int free_while_mapped(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	u64 frame = own_frame();
	T_EQ(as_map(&self, DATA_VA, frame, PAGE_RW), 0);
	T_EQ(exo_frame_free(&frame, 1), -EXO_EBUSY);
	i64 table = as_table(&self, 3, DATA_VA, false);
	T_EQ(exo_frame_free((u64 *)&table, 1), -EXO_EBUSY); /* linked */
	T_EQ(exo_frame_free(&rt_root, 1), -EXO_EBUSY);      /* our running root */
	T_EQ(exo_frame_free(&rt_root, 1 | EXO_FREE_WHEN_UNUSED), -EXO_EBUSY); /* never given up */
	u64 twice[2] = { own_frame(), 0 };
	twice[1] = twice[0];
	T_EQ(exo_frame_free(twice, 2), -EXO_EINVAL); /* the same frame twice in one batch */
	T_EQ(exo_frame_free(twice, 1), 0);
	T_EQ(as_unmap(&self, DATA_VA), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

static int destroy_self(u64 arg)
{
	(void)arg;
	own_frame(); /* something to reclaim */
	exo_env_destroy(exo_self());
	return 99; /* never reached */
}

static int destroying_itself_mid_call(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(destroy_self, 0, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), -1);
	return 0;
}

static int fault_again(struct exo_upcall *up)
{
	(void)up;
	return *(volatile int *)0x40; /* the handler faults itself */
}

static int faulting_handler(u64 arg)
{
	(void)arg;
	rt_fault_hook = fault_again;
	return *(volatile int *)0x80;
}

static int fault_handler_that_faults(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(faulting_handler, 0, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), -1); /* killed with a report */
	return 0;
}

/* No handlers at all: the environment is killed with a report, the kernel goes on. */
static int no_handlers_svc(u64 arg)
{
	(void)arg;
	exo_env_set_upcalls(exo_self(), 0, 0, 0, 0);
	__asm__ volatile("mov x8, #93\n svc #0" ::: "x8", "memory");
	return 98;
}

static int no_handlers_undef(u64 arg)
{
	(void)arg;
	exo_env_set_upcalls(exo_self(), 0, 0, 0, 0);
	__asm__ volatile(".word 0x00000000" ::: "memory"); /* udf */
	return 98;
}

static int no_handler_kills(u64 arg)
{
	(void)arg;
	i64 first = rt_spawn(no_handlers_svc, 0, 256), second = rt_spawn(no_handlers_undef, 0, 256);
	T_CHECK(first > 0 && second > 0, "spawn");
	T_EQ(rt_wait((u64)first), -1);
	T_EQ(rt_wait((u64)second), -1);
	return 0;
}

/*
 * Light system calls (EXO_UPCALL_LIGHT).  svc #EXO_SVC_SYSRET with no light
 * call to end is an error in x0 and nothing else: every register as it was.
 */
static int sysret_without_light_call(u64 arg)
{
	(void)arg;
	static struct svc_frame frame;
	for (u32 i = 0; i < 31; i++)
		frame.x_in[i] = 0x9e3779b97f4a7c15ull * (i + 1);
	frame.nzcv_in = 0x60000000;
	for (u32 i = 0; i < ARRAY_LEN(frame.q_in); i++)
		frame.q_in[i] = 0xdeadbeef00000000ull | i;
	rt_svc_sysret_all(&frame);
	char why[96];
	T_EQ(frame.x_out[0], -EXO_EINVAL);
	const char *changed = rt_svc_changed(&frame, why, sizeof(why));
	T_CHECK(!changed, "%s", changed);
	return 0;
}

/* Refused settings change nothing: svc #0 still reaches the full-record handler. */
static int answer_full(struct exo_upcall *up)
{
	up->regs.x[0] = 1234;
	return 0;
}

static int light_flags_checked(u64 arg)
{
	(void)arg;
	rt_syscall_hook = answer_full;
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_light_entry, CHILD_UPCALL_TOP, 16),
	     -EXO_EINVAL); /* the first unknown flag */
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_light_entry, CHILD_UPCALL_TOP, ~0ull),
	     -EXO_EINVAL);
	T_EQ(exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, 0, CHILD_UPCALL_TOP, EXO_UPCALL_LIGHT),
	     -EXO_EINVAL); /* the light way into no handler */
	register u64 x0 __asm__("x0") = 0;
	register u64 x8 __asm__("x8") = 172;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
	T_EQ(x0, 1234);
	struct exo_regs regs;
	T_EQ(exo_syscall_origin(&regs), -EXO_EINVAL);
	return 0;
}

static i64 light_then_svc0(struct exo_upcall *up)
{
	(void)up;
	__asm__ volatile("mov x8, #172\n svc #0" ::: "x0", "x8", "memory");
	return 0;
}

static int light_nesting_svc0(u64 arg)
{
	(void)arg;
	rt_light_hook = light_then_svc0;
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_light_entry, CHILD_UPCALL_TOP, EXO_UPCALL_LIGHT);
	__asm__ volatile("mov x8, #172\n svc #0" ::: "x0", "x8", "memory");
	return 98; /* not reached: killed in the handler */
}

static int light_with_bad_stack(u64 arg)
{
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_light_entry, arg, EXO_UPCALL_LIGHT);
	__asm__ volatile("mov x8, #172\n svc #0" ::: "x0", "x8", "memory");
	return 98;
}

/* Inside a fault nested in a light call, svc #EXO_SVC_SYSRET is refused: the fault comes first. */
static i64 sysret_in_fault;
static int fault_tries_sysret(struct exo_upcall *up)
{
	register i64 x0 __asm__("x0") = 0;
	__asm__ volatile("svc #2" : "+r"(x0) : : "memory");
	sysret_in_fault = x0;
	up->regs.pc += 4; /* skip the faulting load */
	return 0;
}

static i64 light_faults(struct exo_upcall *up)
{
	(void)up;
	__asm__ volatile("mov x9, #0x2000\n ldr x9, [x9]" ::: "x9", "memory");
	return 55;
}

static int sysret_inside_nested_fault(u64 arg)
{
	(void)arg;
	rt_fault_hook = fault_tries_sysret;
	rt_light_hook = light_faults;
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_light_entry, CHILD_UPCALL_TOP, EXO_UPCALL_LIGHT);
	register i64 x0 __asm__("x0") = 0;
	register u64 x8 __asm__("x8") = 172;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
	T_EQ(x0, 55);
	T_EQ(sysret_in_fault, -EXO_EINVAL);
	return 0;
}

static int light_calls_misused(u64 arg)
{
	(void)arg;
	i64 nesting = rt_spawn(light_nesting_svc0, 0, 256);
	i64 unmapped = rt_spawn(light_with_bad_stack, 0x1000, 256);
	i64 kernel = rt_spawn(light_with_bad_stack, 0, 256); /* sp 0: the record would wrap */
	i64 faulting = rt_spawn(sysret_inside_nested_fault, 0, 256);
	T_CHECK(nesting > 0 && unmapped > 0 && kernel > 0 && faulting > 0, "spawn");
	T_EQ(rt_wait((u64)nesting), -1); /* killed with a report */
	T_EQ(rt_wait((u64)unmapped), -1);
	T_EQ(rt_wait((u64)kernel), -1);
	T_EQ(rt_wait((u64)faulting), 0);
	return 0;
}

/*
 * EXO_ENV_ALERT: only on those one may act on, never 0 bits; an environment
 * with no fault handler is killed with a report when its alert comes due.
 */
static int spin_without_handlers(u64 parent)
{
	exo_env_set_upcalls(exo_self(), 0, 0, 0, 0);
	exo_send(parent, 1);
	for (;;)
		;
}

static int alert_misuse(u64 arg)
{
	(void)arg;
	T_EQ(exo_env_alert((u64)exo_parent(), 1), -EXO_EPERM);
	T_EQ(exo_env_alert(0, 1), -EXO_ENOENT);
	T_EQ(exo_env_alert(~0ull, 1), -EXO_ENOENT);
	T_EQ(exo_env_alert(rt_id, 0), -EXO_EINVAL); /* nothing pending: no upcall follows */
	i64 child = rt_spawn(spin_without_handlers, rt_id, 256);
	struct exo_event event;
	T_CHECK(child > 0, "spawn");
	T_EQ(exo_recv(&event, 0, 0), 0);
	T_EQ(exo_env_alert((u64)child, 0x2a), 0);
	T_EQ(rt_wait((u64)child), -1); /* killed: no handler for alert 0x2a */
	T_EQ(exo_env_alert((u64)child, 1), -EXO_ENOENT);
	return 0;
}

/* Word waits and wakes reach only memory the caller can read: never the kernel's, or the TTBR1 half. */
static int words_outside_own_memory(u64 arg)
{
	(void)arg;
	struct exo_event event;
	static const u64 words[] = { KERNEL_VA, KERNEL_VA + 0x1000, 0xffff000040000000ull, 0x10, EXO_USER_VA_END - 4,
		                     ~3ull };
	for (u32 i = 0; i < ARRAY_LEN(words); i++) {
		T_EQ(exo_wake((const volatile u32 *)words[i], 1), -EXO_EFAULT);
		T_EQ(exo_recv_word(&event, 0, 0, (const volatile u32 *)words[i], 0), -EXO_EFAULT);
	}
	T_EQ(exo_recv_word(&event, ~0ull, 0, (const volatile u32 *)KERNEL_VA, 0), -EXO_EINVAL); /* flags first */
	/* The same through a list: each word, and the list itself, must be the caller's to read. */
	struct exo_word_wait list[2] = { { 0, 0 }, { 0, 0 } };
	static volatile u32 own_word;
	for (u32 i = 0; i < ARRAY_LEN(words); i++) {
		list[0] = (struct exo_word_wait){ (u64)&own_word, 0 };
		list[1] = (struct exo_word_wait){ words[i], 0 };
		T_EQ(exo_recv_words(&event, 0, 0, list, 2), -EXO_EFAULT);
		T_EQ(exo_recv_words(&event, 0, 0, (const struct exo_word_wait *)words[i], 1), -EXO_EFAULT);
	}
	return 0;
}

/* Descriptors with reserved or forbidden bits are refused, one bit at a time. */
static int reserved_descriptor_bits(u64 arg)
{
	(void)arg;
	i64 table = own_table(3, DATA_VA);
	u64 frame = own_frame();
	u64 good = frame | PAGE_RW;
	T_EQ(exo_pt_write((u64)table, 0, 1, &good), 0);
	static const u64 bad_bits[] = {
		1ull << 5,  /* NS */
		1ull << 52, /* contiguous */
		1ull << 51, 1ull << 48, /* output address above 48 bits (and DBM) */
		1ull << 59, 1ull << 63, /* PBHA / ignored high bits */
	};
	for (u32 i = 0; i < ARRAY_LEN(bad_bits); i++) {
		u64 desc = good | bad_bits[i];
		T_CHECK(exo_pt_write((u64)table, 1, 1, &desc) == -EXO_EINVAL, "bit 0x%lx accepted", bad_bits[i]);
	}
	static const u64 cleared[] = { EXO_PTE_PXN, EXO_PTE_NG, EXO_PTE_EL0, EXO_PTE_SH_INNER, 2ull };
	for (u32 i = 0; i < ARRAY_LEN(cleared); i++) {
		u64 desc = good & ~cleared[i];
		T_CHECK(exo_pt_write((u64)table, 1, 1, &desc) == -EXO_EINVAL, "without 0x%lx accepted", cleared[i]);
	}
	u64 device = (good & ~(7ull << 2)) | (1ull << 2);
	T_EQ(exo_pt_write((u64)table, 1, 1, &device), -EXO_EINVAL);
	u64 block = (frame & ~0x1fffffull) | 1 | EXO_PTE_USER;
	T_EQ(exo_pt_write((u64)own_table(2, DATA_VA + (1ull << 30)), 0, 1, &block), -EXO_EINVAL);
	u64 junk = 0x40; /* an invalid entry must be all zero */
	T_EQ(exo_pt_write((u64)table, 1, 1, &junk), -EXO_EINVAL);
	T_EQ(exo_pt_copy((u64)table, 0, (u64)table, 2, 1, ~EXO_PTE_RO, 0), -EXO_EINVAL); /* copy may only take away */
	T_EQ(exo_pt_copy((u64)table, 0, (u64)table, 2, 1, 0, 4), -EXO_EINVAL);
	/* A batch with one bad entry changes nothing. */
	u64 batch[3] = { good, good | (1ull << 5), good };
	T_EQ(exo_pt_write((u64)table, 10, 3, batch), -EXO_EINVAL);
	T_EQ(as_lookup_self(DATA_VA + 10 * 4096), 0);
	u64 zero = 0;
	T_EQ(exo_pt_write((u64)table, 0, 1, &zero), 0);
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/*
 * The boot archive's frames: anyone may map them readable and executable
 * (programs run from them), never writable.  The test runs in a child,
 * which the kernel did not map the archive into: main looks its first
 * frame up first.
 */
static u64 archive_link; /* our level-2 entry linking the archive's first public table */
static u64 archive_frame;

static int archive_frames_read_execute(u64 arg)
{
	(void)arg;
	i64 table = own_table(3, DATA_VA);
	u64 frame = archive_frame;
	T_CHECK(frame != 0, "the archive is not mapped");
	u64 rx = frame | PAGE_RX, rw = frame | PAGE_RW, rwx = frame | (PAGE_RX & ~EXO_PTE_RO), zero = 0;
	T_EQ(exo_pt_write((u64)table, 0, 1, &rw), -EXO_EPERM);
	T_EQ(exo_pt_write((u64)table, 0, 1, &rwx), -EXO_EPERM);
	T_EQ(exo_pt_write((u64)table, 0, 1, &rx), 0);
	T_EQ(*(volatile const u32 *)(DATA_VA + (rt_archive & 4095)), 0x37303730u); /* "0707": a newc header's start */
	T_EQ(exo_frame_free(&frame, 1), -EXO_EPERM); /* nobody's: never freed */
	T_EQ(exo_frame_share(frame, EXO_W), -EXO_EPERM); /* nor shared any further */
	/* A batch whose second entry asks for W changes nothing, though its first alone would pass. */
	u64 batch[2] = { rx, rw };
	T_EQ(exo_pt_write((u64)table, 1, 2, batch), -EXO_EPERM);
	T_EQ(as_lookup_self(DATA_VA + 4096), 0);
	/* A verdict learnt on our own frame does not carry over to the archive's in the same batch. */
	u64 own = own_frame(), mixed[2] = { own | PAGE_RW, rw };
	T_EQ(exo_pt_write((u64)table, 1, 2, mixed), -EXO_EPERM);
	T_EQ(as_lookup_self(DATA_VA + 4096), 0);
	/* Copy-on-write of an archive page gives a frame of our own, never the archive's writable. */
	u64 cow = rx | EXO_PTE_SW0;
	T_EQ(exo_pt_write((u64)table, 0, 1, &zero), 0);
	T_EQ(exo_pt_write((u64)table, 0, 1, &cow), 0);
	i64 copy = exo_pt_cow((u64)table, 0, 0);
	T_CHECK(copy > 0 && (u64)copy != frame, "pt_cow gave %ld", copy);
	T_EQ(*(volatile const u32 *)(DATA_VA + (rt_archive & 4095)), 0x37303730u); /* the same bytes */
	T_EQ(exo_pt_write((u64)table, 0, 1, &zero), 0);
	u64 copied = (u64)copy;
	T_EQ(exo_frame_free(&copied, 1), 0);
	T_EQ(exo_frame_free(&own, 1), 0);
	return 0;
}

/*
 * The archive's public tables (made by the kernel at boot, owned by
 * nobody): linked read-only into every space.  Anyone may link one again,
 * read-only and not executable; nobody may write into one, link it with
 * more rights or at another level, map it as a page with W, free it, or
 * run a child on it as a root.
 */
static int archive_public_tables(u64 arg)
{
	(void)arg;
	u64 link = archive_link; /* the first environment's (a test runs in a child) */
	u64 public = link & EXO_PTE_ADDR_MASK, other_va = DATA_VA + (2ull << 20);
	T_CHECK((link & EXO_PTE_VALID) && (link & EXO_PTE_APT_RO) && (link & EXO_PTE_UXNT), "link 0x%lx", link);
	u64 page = own_frame() | PAGE_RO, zero = 0;
	T_EQ(exo_pt_write(public, 0, 1, &zero), -EXO_EPERM);
	T_EQ(exo_pt_write(public, 511, 1, &page), -EXO_EPERM);
	T_EQ(exo_pt_copy(public, 0, public, 1, 1, 0, 0), -EXO_EPERM);
	T_EQ(exo_frame_free(&public, 1), -EXO_EPERM);
	T_EQ(exo_frame_share(public, EXO_R | EXO_X), -EXO_EPERM);
	i64 l2 = own_table(2, other_va), l1 = own_table(1, other_va);
	u64 base = public | EXO_PTE_TABLE;
	u64 writable = base | EXO_PTE_UXNT, executable = base | EXO_PTE_APT_RO, ro = base | EXO_PTE_APT_RO | EXO_PTE_UXNT;
	T_EQ(exo_pt_write((u64)l2, exo_pt_index(2, other_va), 1, &writable), -EXO_EPERM);
	T_EQ(exo_pt_write((u64)l2, exo_pt_index(2, other_va), 1, &executable), -EXO_EPERM);
	T_EQ(exo_pt_write((u64)l1, exo_pt_index(1, other_va) + 1, 1, &ro), -EXO_EINVAL); /* a level-3 table at level 1 */
	u64 as_page_rw = public | PAGE_RW, as_page_ro = public | PAGE_RO;
	i64 leaf = own_table(3, DATA_VA);
	T_EQ(exo_pt_write((u64)leaf, 0, 1, &as_page_rw), -EXO_EPERM);
	/* Read-only and not executable, it links anywhere: the archive's first bytes seen there too. */
	T_EQ(exo_pt_write((u64)l2, exo_pt_index(2, other_va), 1, &ro), 0);
	T_EQ(*(volatile const u32 *)(other_va + (rt_archive & 4095)), 0x37303730u); /* "0707" */
	T_EQ(exo_pt_write((u64)l2, exo_pt_index(2, other_va), 1, &zero), 0);
	/* Its entries may be read as a page (what it maps is readable by all). */
	T_EQ(exo_pt_write((u64)leaf, 0, 1, &as_page_ro), 0);
	T_EQ(*(volatile const u64 *)DATA_VA & EXO_PTE_ADDR_MASK, archive_frame);
	T_EQ(exo_pt_write((u64)leaf, 0, 1, &zero), 0);
	i64 child = exo_env_create(8);
	T_CHECK(child > 0, "child %ld", child);
	T_EQ(exo_env_set_root((u64)child, public), -EXO_EPERM); /* nobody's: no one may install it */
	T_EQ(exo_env_destroy((u64)child), 0);
	u64 frame = page & EXO_PTE_ADDR_MASK;
	T_EQ(exo_frame_free(&frame, 1), 0);
	return 0;
}

/* The window slot is the kernel's, and the window is read-only. */
static int window_is_read_only(u64 arg)
{
	(void)arg;
	u64 link = (u64)exo_pt_alloc(rt_id, 1) | EXO_PTE_TABLE;
	T_EQ(exo_pt_write(rt_root, EXO_PT_WINDOW_SLOT, 1, &link), -EXO_EPERM);
	T_EQ(exo_pt_write(rt_root, 500, 12, (u64[12]){ 0 }), -EXO_EPERM);
	T_EQ(exo_pt_copy(rt_root, 0, rt_root, EXO_PT_WINDOW_SLOT, 1, 0, 0), -EXO_EPERM);
	T_EQ(exo_pt_copy(rt_root, EXO_PT_WINDOW_SLOT, rt_root, 300, 1, 0, 0), -EXO_EPERM);
	rt_fault_hook = NULL;
	u64 l1 = link & EXO_PTE_ADDR_MASK;
	T_EQ(exo_frame_free(&l1, 1), 0);
	return 0;
}

static int write_window(u64 arg)
{
	(void)arg;
	*(volatile u64 *)EXO_PT_WINDOW_L0 = 0; /* no handler: killed */
	return 97;
}

static int window_write_faults(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(write_window, 0, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), 100 + EXO_UPCALL_FAULT); /* the default handler's verdict */
	return 0;
}

/* A resumed state cannot claim EL1: pstate other than NZCV is ignored. */
static int forge_el1(struct exo_upcall *up)
{
	if (up->kind != EXO_UPCALL_SYSCALL)
		return -1;
	up->regs.pstate = 0x3c5; /* EL1h, interrupts masked */
	up->regs.x[0] = 0;
	return 0;
}

static int read_current_el(u64 arg)
{
	(void)arg;
	rt_syscall_hook = forge_el1;
	__asm__ volatile("svc #0" ::: "x0", "memory");
	u64 el;
	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el)); /* undefined at EL0: an exception upcall */
	return 96;
}

static int forged_pstate_stays_el0(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(read_current_el, 0, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), 100 + EXO_UPCALL_EXCEPTION);
	return 0;
}

/* Registers pointing into the kernel only hurt the environment that has them. */
static int spin(u64 arg)
{
	(void)arg;
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static int kernel_addresses_in_registers(u64 arg)
{
	(void)arg;
	i64 child = rt_spawn(spin, 0, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	struct exo_regs regs;
	T_EQ(exo_env_get_regs((u64)child, &regs), 0);
	regs.pc = KERNEL_VA;
	regs.sp = KERNEL_VA + 0x1000;
	regs.pstate = ~0ull;
	T_EQ(exo_env_set_regs((u64)child, &regs), 0);
	T_EQ(rt_wait((u64)child), 100 + EXO_UPCALL_FAULT);
	return 0;
}

/* Every other way to misuse a call: each gets its error and changes nothing. */
static i64 bad_return_result;
static int upcall_return_outside(struct exo_upcall *up)
{
	(void)up;
	bad_return_result = exo_upcall_return((struct exo_upcall *)KERNEL_VA);
	return -1; /* not handled: the runtime's default answers */
}

static int misuse_each_call(u64 arg)
{
	(void)arg;
	char buf[8];
	struct exo_regs regs;
	i64 child = exo_env_create(16);
	T_CHECK(child > 0, "create %ld", child);
	T_EQ(exo_cons_read((void *)KERNEL_VA, 8), -EXO_EFAULT);
	T_EQ(exo_cons_read(buf, 0), 0);
	T_EQ(exo_env_set_regs((u64)child, (struct exo_regs *)KERNEL_VA), -EXO_EFAULT);
	T_EQ(exo_env_get_regs((u64)child, (struct exo_regs *)KERNEL_VA), -EXO_EFAULT);
	T_EQ(exo_env_get_regs((u64)child, (struct exo_regs *)(u64)misuse_each_call), -EXO_EFAULT);
	T_EQ(exo_env_get_regs(12345, &regs), -EXO_ENOENT);
	T_EQ(exo_env_set_upcalls((u64)child, KERNEL_VA, 0, 0, 0), -EXO_ERANGE);
	T_EQ(exo_env_set_upcalls((u64)child, 0, EXO_USER_VA_END, 0, 0), -EXO_ERANGE);
	T_EQ(exo_env_set_upcalls((u64)child, 0, 0, ~0ull, 0), -EXO_ERANGE);
	T_EQ(exo_quota_give(rt_id, 1), -EXO_EINVAL);
	T_EQ(exo_send(12345, 1), -EXO_ENOENT);
	T_EQ(exo_env_child(12345, 0), -EXO_ENOENT);
	T_EQ(exo_env_child(0, 0), -EXO_ENOENT);
	T_EQ(exo_env_child(rt_id, 12345), -EXO_EINVAL);   /* not a child of rt_id */
	struct exo_why child_why;
	T_EQ(exo_why(&child_why), 0);
	T_CHECK(child_why.rule == EXO_RULE_ENV && child_why.arg == 1, "why: rule %lu arg %lu", child_why.rule,
	        child_why.arg); /* the second argument is the one at fault */
	T_EQ(exo_env_child(rt_id, rt_id), -EXO_EINVAL);
	T_EQ(exo_env_child((u64)child, 0), 0);            /* held, childless */
	T_EQ(exo_send(0, 1), -EXO_ENOENT);
	struct exo_event event;
	T_EQ(exo_recv(&event, 0x80, 0), -EXO_EINVAL);
	T_EQ(exo_frame_share(own_frame() , 8), -EXO_EINVAL);
	T_EQ(exo_frame_share(0, EXO_R), -EXO_ERANGE);
	i64 l3 = own_table(3, DATA_VA), l2 = own_table(2, DATA_VA);
	T_EQ(exo_pt_copy((u64)l3, 0, (u64)l2, 0, 1, 0, 0), -EXO_EINVAL);     /* levels differ */
	T_EQ(exo_pt_copy((u64)l3, 0, (u64)l3, 4, 8, 0, 0), -EXO_EINVAL);     /* overlapping */
	T_EQ(exo_pt_copy((u64)l3, 0, KERNEL_PA, 0, 1, 0, 0), -EXO_EINVAL);   /* not a table */
	T_EQ(exo_pt_copy((u64)l3, 0, UART_PA, 0, 1, 0, 0), -EXO_ERANGE);
	T_EQ(exo_upcall_return((struct exo_upcall *)&regs), -EXO_EINVAL);   /* not in an upcall */
	/* exec's form of SET_ROOT: bad registers change nothing, not even the root. */
	struct exo_env_info before, after;
	exo_env_info(rt_id, &before);
	T_EQ(exo_env_set_root_regs(rt_id, rt_root, (struct exo_regs *)KERNEL_VA), -EXO_EFAULT);
	T_EQ(exo_env_set_root_regs(rt_id, KERNEL_PA, &regs), -EXO_EINVAL);
	T_EQ(EXO_CALL1(EXO_SELF, 7), -EXO_EINVAL);
	exo_env_info(rt_id, &after);
	T_EQ(after.root, before.root);
	T_EQ(exo_env_destroy((u64)child), 0);
	T_EQ(exo_env_run((u64)child), -EXO_ENOENT); /* gone */
	/* In an upcall, a bad record is refused; the handler goes on. */
	rt_syscall_hook = upcall_return_outside;
	register u64 x0 __asm__("x0") = 0;
	__asm__ volatile("mov x8, #1\n svc #0" : "+r"(x0) : : "x8", "memory");
	T_EQ(bad_return_result, -EXO_EFAULT);
	T_EQ(x0, (u64)-38); /* the handler went on; the default answered ENOSYS */
	return 0;
}

/* Sharing by copy gives at most what a share can: never write through a parent's table. */
static int copy_share_cannot_give_write(u64 arg)
{
	(void)arg;
	i64 l1 = own_table(1, DATA_VA);
	i64 child = exo_env_create(16);
	i64 child_root = exo_pt_alloc((u64)child, 0);
	T_CHECK(l1 > 0 && child > 0 && child_root > 0, "setup");
	u32 index = exo_pt_index(0, DATA_VA);
	u64 rw = (u64)l1 | EXO_PTE_TABLE;
	T_EQ(exo_pt_write((u64)child_root, index, 1, &rw), -EXO_EPERM);
	T_EQ(exo_pt_copy(rt_root, index, (u64)child_root, index, 1, 0, EXO_COPY_SHARE), -EXO_EPERM);
	T_EQ(exo_pt_copy(rt_root, index, (u64)child_root, index, 1, EXO_PTE_APT_RO, EXO_COPY_SHARE), 0);
	u64 problems;
	rt_free_frames(&problems);
	T_EQ(problems, 0);
	T_EQ(exo_env_destroy((u64)child), 0);
	return 0;
}

/* Tables that map themselves (or each other) still go back when their owner ends. */
static int map_own_table(u64 arg)
{
	(void)arg;
	struct aspace self;
	as_self(&self);
	i64 table = as_table(&self, 3, DATA_VA, true);
	return table < 0 ? 1 : as_map(&self, DATA_VA + 4096, (u64)table, PAGE_RO);
}

static int nothing(u64 arg) { return (int)arg; }

static int self_mapped_table_reclaimed(u64 arg)
{
	(void)arg;
	i64 warm = rt_spawn(nothing, 0, 256); /* our scratch tables for spawning, made once */
	T_EQ(rt_wait((u64)warm), 0);
	u64 problems, before = rt_free_frames(NULL);
	i64 child = rt_spawn(map_own_table, 0, 256);
	T_CHECK(child > 0, "spawn %ld", child);
	T_EQ(rt_wait((u64)child), 0);
	T_EQ(rt_free_frames(&problems), before);
	T_EQ(problems, 0);
	return 0;
}

/*
 * A thread's mappings of the frames of the environment it ran for stay legal
 * when that one ends.  It writes them into its process's tables: a table of
 * its own may not map its process's frames (t_isolation).
 */
#define THREAD_STACK_VA 0x0000050000000000ull
static u64 shared_frame, shared_l2;
static int thread_maps_for_parent(u64 parent)
{
	i64 table = exo_pt_alloc(parent, 3); /* a table for its process... */
	u64 link = (u64)table | EXO_PTE_TABLE, page = shared_frame | PAGE_RW;
	if (table < 0 || exo_pt_write(shared_l2, exo_pt_index(2, DATA_VA), 1, &link) < 0 ||
	    exo_pt_write((u64)table, 0, 1, &page) < 0) /* ...mapping its parent's frame */
		return 1;
	exo_send(parent, (u64)exo_self());
	struct exo_event event;
	exo_recv(&event, 0, 0);
	return *(volatile u64 *)DATA_VA == 0x77 ? 0 : 2;
}

static int process_with_thread(u64 grandparent)
{
	struct aspace self;
	as_self(&self);
	u64 stack;
	if (exo_frame_alloc(rt_id, 1, &stack) != 1 || exo_frame_alloc(rt_id, 1, &shared_frame) != 1 ||
	    as_map(&self, THREAD_STACK_VA, stack, PAGE_RW))
		return 10;
	shared_l2 = (u64)as_table(&self, 2, DATA_VA, true);
	i64 thread = rt_spawn_thread(thread_maps_for_parent, rt_id, THREAD_STACK_VA + 4096);
	if (thread < 0 || exo_quota_give((u64)thread, 4) < 0)
		return 11;
	struct exo_event event;
	if (exo_recv(&event, 0, 0) < 0 || event.value != (u64)thread)
		return 12;
	*(volatile u64 *)DATA_VA = 0x77;
	exo_send(grandparent, (u64)thread);
	return 0; /* ends; the thread carries the address space on */
}

static int orphaned_thread_stays_legal(u64 arg)
{
	(void)arg;
	i64 process = rt_spawn(process_with_thread, rt_id, 256);
	T_CHECK(process > 0, "spawn %ld", process);
	/* Two events, in either order: the thread's id, and the process's end. */
	u64 thread = 0;
	i64 status = -100;
	for (int i = 0; i < 2; i++) {
		struct exo_event event;
		T_EQ(exo_recv(&event, 0, 0), 0);
		if (event.kind == EXO_EVENT_MESSAGE)
			thread = event.value;
		else if (event.env == (u64)process)
			status = (i64)event.value;
	}
	T_EQ(status, 0);
	T_CHECK(thread != 0, "no thread id");
	u64 problems;
	rt_free_frames(&problems);
	T_EQ(problems, 0);
	struct exo_env_info info;
	T_EQ(exo_env_info(thread, &info), 0);
	T_EQ(info.parent, rt_id); /* it took its creator's place */
	T_EQ(exo_send(thread, 1), 0);
	T_EQ(rt_wait(thread), 0);
	return 0;
}

static const struct rt_test tests[] = {
	{ "hostile/copy_share_cannot_give_write", copy_share_cannot_give_write, 0 },
	{ "hostile/self_mapped_table_reclaimed", self_mapped_table_reclaimed, 0 },
	{ "hostile/orphaned_thread_stays_legal", orphaned_thread_stays_legal, 0 },
	{ "hostile/misuse_each_call", misuse_each_call, 0 },
	{ "hostile/bad_pointers", bad_pointers, 0 },
	{ "hostile/bad_lengths", bad_lengths, 0 },
	{ "hostile/frames_not_given", frames_not_given, 0 },
	{ "hostile/frames_of_a_sibling", frames_of_a_sibling, 0 },
	{ "hostile/table_mapped_writable", table_mapped_writable, 0 },
	{ "hostile/data_frame_as_table", data_frame_as_table, 0 },
	{ "hostile/table_of_wrong_level", table_of_wrong_level, 0 },
	{ "hostile/root_not_level0", root_not_level0, 0 },
	{ "hostile/raise_rights_through_shared_table", raise_rights_through_shared_table, 0 },
	{ "hostile/act_on_non_descendant", act_on_non_descendant, 0 },
	{ "hostile/exceed_quota", exceed_quota, 0 },
	{ "hostile/free_while_mapped", free_while_mapped, 0 },
	{ "hostile/destroying_itself_mid_call", destroying_itself_mid_call, 0 },
	{ "hostile/fault_handler_that_faults", fault_handler_that_faults, 0 },
	{ "hostile/no_handler_kills", no_handler_kills, 0 },
	{ "hostile/sysret_without_light_call", sysret_without_light_call, 0 },
	{ "hostile/light_flags_checked", light_flags_checked, 0 },
	{ "hostile/light_calls_misused", light_calls_misused, 0 },
	{ "hostile/alert_misuse", alert_misuse, 0 },
	{ "hostile/words_outside_own_memory", words_outside_own_memory, 0 },
	{ "hostile/reserved_descriptor_bits", reserved_descriptor_bits, 0 },
	{ "hostile/archive_frames_read_execute", archive_frames_read_execute, 0 },
	{ "hostile/archive_public_tables", archive_public_tables, 0 },
	{ "hostile/window_is_read_only", window_is_read_only, 0 },
	{ "hostile/window_write_faults", window_write_faults, 0 },
	{ "hostile/forged_pstate_stays_el0", forged_pstate_stays_el0, 0 },
	{ "hostile/kernel_addresses_in_registers", kernel_addresses_in_registers, 0 },
};

int main(void)
{
	archive_frame = as_lookup_self(rt_archive & ~4095ull) & EXO_PTE_ADDR_MASK;
	archive_link = as_lookup_level_self(2, rt_archive);
	return rt_run_tests(tests, ARRAY_LEN(tests));
}
