/*
 * The exokernel primitives' costs in guest instructions (doc/exo-abi.md
 * records the figures): null call, fault upcall round trip, reflected
 * svc #0 (with a full record, and the light way), mapping 512 pages, copying a full table with write taken away,
 * and an environment's whole life.
 */
#include "bench/bench.h"

#define DATA_VA 0x0000030000000000ull
#define BATCH 32

void bench_report(const char *suite, const char *name, u64 *samples, u32 count)
{
	struct bench_figures figures = bench_figures(samples, count);
	rt_printf("bench: suite=%s case=%s median=%lu min=%lu p90=%lu unit=insns\n", suite, name,
	          figures.median, figures.min, figures.p90);
}

static u64 samples[BENCH_SAMPLES];

static void null_call(void)
{
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		for (u32 i = 0; i < BATCH; i++)
			exo_null();
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start) / BATCH;
	}
	bench_report("abi", "null_call", samples, BENCH_SAMPLES);
}

static int skip_instruction(struct exo_upcall *up)
{
	up->regs.pc += 4;
	return 0;
}

static void upcall_roundtrip(void)
{
	rt_fault_hook = skip_instruction;
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		for (u32 i = 0; i < BATCH; i++)
			__asm__ volatile("mov x9, #0x1000\n ldr x9, [x9]" ::: "x9", "memory");
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start) / BATCH;
	}
	rt_fault_hook = NULL;
	bench_report("abi", "upcall_roundtrip", samples, BENCH_SAMPLES);
}

static int answer_getppid(struct exo_upcall *up)
{
	up->regs.x[0] = 1;
	return 0;
}

static void svc_reflect(void)
{
	rt_syscall_hook = answer_getppid;
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		for (u32 i = 0; i < BATCH; i++)
			__asm__ volatile("mov x8, #173\n svc #0" ::: "x0", "x8", "memory");
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start) / BATCH;
	}
	rt_syscall_hook = NULL;
	bench_report("abi", "svc_reflect", samples, BENCH_SAMPLES);
}

/* The smallest light handler: the answer, and back (doc/exo-abi.md, EXO_UPCALL_LIGHT). */
void bench_light_handler(void);
__asm__(".text\n.globl bench_light_handler\nbench_light_handler:\n"
        "	mov x0, #1\n	svc #2\n	brk #1\n");
_Static_assert(EXO_SVC_SYSRET == 2, "the handler above says svc #2");

static void svc_reflect_light(void)
{
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)bench_light_handler, CHILD_UPCALL_TOP,
	                    EXO_UPCALL_LIGHT);
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		for (u32 i = 0; i < BATCH; i++)
			__asm__ volatile("mov x8, #173\n svc #0" ::: "x0", "x8", "memory");
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start) / BATCH;
	}
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0);
	bench_report("abi", "svc_reflect_light", samples, BENCH_SAMPLES);
}

static u64 frames[512], descs[512], zeros[512];

static i64 table_at(u64 va)
{
	struct aspace self;
	as_self(&self);
	return as_table(&self, 3, va, true);
}

static void map_512(void)
{
	i64 table = table_at(DATA_VA);
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		exo_pt_write((u64)table, 0, 512, descs);
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start);
		exo_pt_write((u64)table, 0, 512, zeros);
	}
	bench_report("abi", "map_512", samples, BENCH_SAMPLES);
}

static void copy_table_wp(void)
{
	i64 src = table_at(DATA_VA), dst = table_at(DATA_VA + (2ull << 20));
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		exo_pt_write((u64)src, 0, 512, descs); /* writable again */
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		exo_pt_copy((u64)src, 0, (u64)dst, 0, 512, EXO_PTE_RO | EXO_PTE_SW0, EXO_COPY_BOTH);
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start);
		exo_pt_write((u64)dst, 0, 512, zeros);
	}
	exo_pt_write((u64)src, 0, 512, zeros);
	bench_report("abi", "copy_table_wp", samples, BENCH_SAMPLES);
}

void bench_exit_at_once(void);
__asm__(".globl bench_exit_at_once\nbench_exit_at_once:\n mov x0, #0\n mov x8, #13\n svc #1\n");

/* Create, run to its first instruction (which exits), and gone: a thread in our address space. */
static void env_lifecycle(void)
{
	struct exo_regs regs = { .pc = (u64)bench_exit_at_once };
	struct exo_event event;
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		i64 child = exo_env_create(0);
		exo_env_set_root((u64)child, rt_root);
		exo_env_set_regs((u64)child, &regs);
		exo_env_run((u64)child);
		exo_recv(&event, 0, 0);
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start);
		if (event.kind != EXO_EVENT_EXIT || event.env != (u64)child)
			rt_printf("bench: env_lifecycle: unexpected event %lu from %lu\n", event.kind, event.env);
	}
	bench_report("abi", "env_lifecycle", samples, BENCH_SAMPLES);
}

/*
 * A write to a copy-on-write page, from the fault to the resumed store: a
 * light fault (EXO_UPCALL_LIGHT_FAULTS) whose handler makes one EXO_PT_COW
 * call on a table it knows.  The frame has another mapping, so every
 * write gets a private copy of it.
 */
static u64 cow_table;
static int cow_handler(u64 far, u64 esr)
{
	(void)esr;
	return exo_pt_cow(cow_table, (far >> 12) & 511, 0) < 0;
}

static void cow_fault(void)
{
	i64 table = table_at(DATA_VA);
	u64 shared = frames[0], cow[BATCH], copies[BATCH];
	for (u32 i = 0; i < BATCH; i++)
		cow[i] = shared | PAGE_RO | EXO_PTE_SW0;
	cow_table = (u64)table;
	exo_pt_write((u64)table, BATCH, 1, cow); /* the other mapping */
	rt_light_fault_hook = cow_handler;
	exo_env_set_upcalls(rt_id, (u64)rt_light_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP,
	                    EXO_UPCALL_LIGHT_FAULTS);
	const u64 *entries = exo_window_table(3, DATA_VA);
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		exo_pt_write((u64)table, 0, BATCH, cow);
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		for (u32 i = 0; i < BATCH; i++)
			*(volatile u64 *)(DATA_VA + i * 4096ull) = i;
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start) / BATCH;
		for (u32 i = 0; i < BATCH; i++)
			copies[i] = entries[i] & EXO_PTE_ADDR_MASK;
		exo_pt_write((u64)table, 0, BATCH, zeros);
		exo_frame_free(copies, BATCH);
	}
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0);
	rt_light_fault_hook = NULL;
	exo_pt_write((u64)table, BATCH, 1, zeros);
	bench_report("abi", "cow_fault", samples, BENCH_SAMPLES);
}

/*
 * A fork's copy of 64 MiB of mapped pages: 32 full last-level tables under
 * one level-2 table, copied for a child (shared read-only, both sides
 * write-protected) from our root with EXO_PT_COPY_TABLES into the child's
 * empty root, its level-1 and level-2 tables made on the way: four calls
 * (8 tables a call), each resuming where the last stopped.
 */
#define SUBTREE_VA 0x0000050000000000ull
#define SUBTREE_TABLES 32

static void copy_subtree_64m(void)
{
	struct aspace self;
	as_self(&self);
	i64 leaves[SUBTREE_TABLES];
	for (u32 t = 0; t < SUBTREE_TABLES; t++)
		leaves[t] = as_table(&self, 3, SUBTREE_VA + t * (2ull << 20), true);
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		for (u32 t = 0; t < SUBTREE_TABLES; t++)
			exo_pt_write((u64)leaves[t], 0, 512, descs); /* writable again */
		i64 child = exo_env_create(64);
		i64 dst = exo_pt_alloc((u64)child, 0);
		u64 slot = SUBTREE_VA >> 21, last = slot + SUBTREE_TABLES;
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		i64 next = (i64)slot;
		while (next > 0 && (u64)next < last)
			next = exo_pt_copy_tables(rt_root, (u64)dst, (u64)next, last, EXO_PTE_RO | EXO_PTE_SW0,
			                          EXO_COPY_BOTH | EXO_COPY_SHARE);
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start);
		if (next != (i64)last)
			rt_printf("bench: copy_subtree_64m: EXO_PT_COPY_TABLES returned %ld\n", next);
		exo_env_destroy((u64)child);
		while (exo_env_child(rt_id, 0) > 0) /* its release done in steps, before the next sample */
			exo_yield();
	}
	for (u32 t = 0; t < SUBTREE_TABLES; t++)
		exo_pt_write((u64)leaves[t], 0, 512, zeros);
	bench_report("abi", "copy_subtree_64m", samples, BENCH_SAMPLES);
}

static int exit_at_once(u64 arg) { return (int)arg; }

/*
 * Ending and reaping a process laid out as the test runtime lays one out
 * (its own tables, the image's text shared, data and bss copied, a stack
 * and an upcall stack): one EXO_ENV_DESTROY of a child that has not run.
 */
static void teardown_tiny(void)
{
	for (u32 s = 0; s < BENCH_SAMPLES; s++) {
		i64 child = rt_spawn_stopped(exit_at_once, 0, 256);
		BENCH_PROFILE_ON();
		u64 start = rt_counter();
		exo_env_destroy((u64)child);
		u64 end = rt_counter();
		BENCH_PROFILE_OFF();
		samples[s] = bench_insns_x16(end - start);
	}
	bench_report("abi", "teardown_tiny", samples, BENCH_SAMPLES);
}

int main(void)
{
	if (exo_frame_alloc(rt_id, 512, frames) != 512) {
		rt_printf("bench: cannot allocate frames\n");
		return 1;
	}
	for (u32 i = 0; i < 512; i++)
		descs[i] = frames[i] | PAGE_RW;
	static const struct {
		const char *name;
		void (*run)(void);
	} cases[] = {
		{ "null_call", null_call }, { "upcall_roundtrip", upcall_roundtrip }, { "svc_reflect", svc_reflect },
		{ "svc_reflect_light", svc_reflect_light }, { "map_512", map_512 }, { "copy_table_wp", copy_table_wp },
		{ "env_lifecycle", env_lifecycle }, { "cow_fault", cow_fault }, { "teardown_tiny", teardown_tiny },
		{ "copy_subtree_64m", copy_subtree_64m },
	};
	char only[48];
	const char *wanted = rt_arg("only", only, sizeof(only)); /* one case (tools/profile.py) */
	for (u32 i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!wanted || strcmp(wanted, cases[i].name) == 0)
			cases[i].run();
	exo_frame_free(frames, 512);
	return 0;
}
