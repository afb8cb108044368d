/*
 * A randomised call fuzzer.  Each test makes two children of the test
 * environment, siblings: a victim that owns canary frames, and a fuzzer
 * spawned after it with the victim's frame and table addresses in its
 * copied data.  The fuzzer makes `calls=N` exokernel calls with random
 * numbers and arguments drawn from pools of nasty values, its own frames
 * and tables and the victim's, and checks as it goes:
 *   - a call that names something the fuzzer has no authority over (the
 *     victim, an ancestor, a frame it does not own, an unwritable output
 *     buffer) fails;
 *   - no register but x0 changes (x1-x30, sp, NZCV, q0-q31);
 *   - call numbers past the last say ENOSYS;
 *   - the kernel writes nothing past a call's output, nothing on failure;
 *   - fresh frames come zeroed, and never one still in use;
 *   - its "playground" (a live level-2 table it scribbles on, with fresh
 *     tables planted in it) reads as its tables say: no stale TLB entry
 *     outlives a change;
 *   - every 1000 calls, the kernel answers and the isolation checker is clean;
 *   - after clearing its tables it can free every frame it was given, and
 *     its frame count and quota are back where they started.
 * Then the victim checks its canaries.  The run is deterministic (children
 * it starts run to their end at once, not at a timer tick), so a failure,
 * which prints the seed and the call index, replays with init=t_fuzz
 * seed=N calls=M; add check_every=1 to run the isolation checker after
 * every call (the calls stay the same) to find the one that broke it.
 */
#include <stddef.h>

#include "tests/user/rt/rt.h"

#define DEFAULT_SEED 1
#define DEFAULT_CALLS 100000
#define DEFAULT_CHECK_EVERY 1000 /* calls between isolation checks; check_every=1 to bisect */
#define HOUSEKEEPING_EVERY 1000  /* calls between sweeps and clean slates (fixed: part of the replay) */
#define PLANT_EVERY 100          /* calls between fresh tables planted in the playground */
#define SIBLING_CALLS_DIVISOR 2 /* the sibling-focused test makes calls / 2 */

#define MODE_GENERAL 0
#define MODE_SIBLING 1

/* The victim: a few pages of canaries, found by the fuzzer only by address. */
#define VICTIM_QUOTA 256
#define VICTIM_CHECK 0xc4ec4ull /* the message that tells it to look */
#define CANARY_PAGES 4
#define CANARY_VA 0x0000020000000000ull
#define QUOTA_SPARE 32 /* frames the test environment keeps for itself */

/* Physical and virtual addresses worth trying (QEMU virt, -m 512M). */
#define RAM_BASE 0x40000000ull
#define RAM_PAGES 131072u
#define RAM_END (RAM_BASE + (u64)RAM_PAGES * 4096)
#define KERNEL_PA 0x40080000ull
#define KERNEL_VA 0xffff000040080000ull
#define KERNEL_BASE_VA 0xffff000040000000ull
#define UART_PA 0x09000000ull

/* The fuzzer's own address space: a playground it may wreck, a slot to tag frames through. */
#define PLAY_VA 0x0000030000000000ull /* 1 GiB under one level-2 table */
#define TAG_VA 0x0000040000000000ull
#define TAG_SALT 0x7a60000000000000ull
#define TAGS_PER_ALLOC 4
#define PROBE_SET 16
#define PLANTED_SET 4
#define SETTLE_ROUNDS 16 /* yields before a runnable child counts as looping */
#define SWEEP_MAX 1024

#define MAX_FRAMES 4096
#define MAX_TABLES 512
#define MAX_KIDS 8
#define SCRATCH_BYTES 16384
#define GUARD_BYTES 64
#define GUARD_FILL 0xa5

#define ADDR(desc) ((desc) & EXO_PTE_ADDR_MASK)
/* The low bits the kernel stores in a table descriptor (read back, they may be written again). */
#define TABLE_STORED_LOW ((EXO_PTE_USER & ~EXO_PTE_PXN) | EXO_PTE_RO)

/* --- shared by the test environment and its two children (copied at spawn) --- */
static u64 seed, ncalls, check_every;
static struct victim {
	u64 env, parent_env, grandparent_env;
	u64 frames[CANARY_PAGES];
	u64 tables[EXO_PT_LEVELS]; /* its root, and the tables down to the canaries */
} victim;

/*
 * A digest of the shared data, passed to the fuzzer in a register too: if
 * spawn's copy went wrong (a stale TLB entry in its scratch mapping, say),
 * the fuzzer would fuzz with zeros and prove nothing.
 */
static u64 shared_digest(void)
{
	u64 digest = seed * 31 + ncalls;
	const u64 *words = (const u64 *)&victim;
	for (u32 i = 0; i < sizeof(victim) / 8; i++)
		digest = digest * 0x100000001b3ull ^ words[i];
	return digest >> 8; /* the low byte of the spawn argument is the mode */
}

/* What EXO_SELF(what) must say, asked the long way (EXO_SELF is what is being checked). */
static u64 self_expected(u64 what)
{
	struct exo_env_info info;
	if (what == EXO_SELF_ID)
		return rt_id;
	if (exo_env_info(rt_id, &info) < 0)
		return ~0ull;
	/* Not the first environment: it adopts no orphans. */
	return what == EXO_SELF_PARENT ? info.parent : what == EXO_SELF_NOTICE_TO ? info.notice_to : 0;
}

/* ================================================================== */
/* The victim                                                          */
/* ================================================================== */

static u64 canary(u64 frame, u32 word) { return (frame + word) * 0x9e3779b97f4a7c15ull; }

static int fill_canaries(u64 *frames)
{
	struct aspace self;
	as_self(&self);
	if (exo_frame_alloc(rt_id, CANARY_PAGES, frames) != CANARY_PAGES)
		return -1;
	for (u32 i = 0; i < CANARY_PAGES; i++) {
		u64 va = CANARY_VA + i * 4096ull;
		if (as_map(&self, va, frames[i], PAGE_RW))
			return -1;
		for (u32 w = 0; w < 512; w++)
			((u64 *)va)[w] = canary(frames[i], w);
	}
	return 0;
}

/* Both the words and the mappings: a sibling must not change either. */
static bool canaries_intact(const u64 *frames)
{
	for (u32 i = 0; i < CANARY_PAGES; i++) {
		u64 va = CANARY_VA + i * 4096ull;
		if (as_lookup_self(va) != (frames[i] | PAGE_RW)) {
			rt_printf("utest:   victim: canary page %u now mapped as 0x%lx\n", i, as_lookup_self(va));
			return false;
		}
		for (u32 w = 0; w < 512; w++)
			if (((volatile u64 *)va)[w] != canary(frames[i], w)) {
				rt_printf("utest:   victim: canary frame 0x%lx word %u changed\n", frames[i], w);
				return false;
			}
	}
	return true;
}

static int victim_main(u64 parent)
{
	u64 frames[CANARY_PAGES];
	if (fill_canaries(frames))
		return 10;
	struct aspace self;
	as_self(&self);
	for (u32 i = 0; i < CANARY_PAGES; i++)
		exo_send(parent, frames[i]);
	for (u32 level = 0; level < EXO_PT_LEVELS; level++)
		exo_send(parent, (u64)as_table(&self, level, CANARY_VA, false));
	struct exo_event event;
	do {
		if (exo_recv(&event, 0, 0) < 0)
			return 11;
	} while (event.kind != EXO_EVENT_MESSAGE || event.env != parent || event.value != VICTIM_CHECK);
	return canaries_intact(frames) ? 0 : 1;
}

/* ================================================================== */
/* Random numbers: xorshift64*                                         */
/* ================================================================== */

static u64 rng;

static void rng_seed(u64 value)
{
	/* splitmix64's finaliser: nearby seeds give unrelated streams. */
	value += 0x9e3779b97f4a7c15ull;
	value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
	value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
	rng = (value ^ (value >> 31)) | 1;
}

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static u64 below(u64 n) { return n ? (rnd() >> 11) % n : 0; }
static bool percent(u32 p) { return below(100) < p; }

/* ================================================================== */
/* Failure reports and statistics                                      */
/* ================================================================== */

static const char *const call_names[EXO_NCALLS + 1] = {
	"null", "self", "cons_write", "cons_read", "clock", "yield", "env_create", "env_set_root",
	"env_set_regs", "env_get_regs", "env_set_upcalls", "env_run", "env_destroy", "env_exit",
	"env_info", "quota_give", "send", "recv", "frame_alloc", "frame_free", "frame_share",
	"pt_alloc", "pt_write", "pt_copy", "upcall_return", "debug_check", "syscall_origin", "env_alert",
	"wake", "env_child", "why", "pt_cow", "frame_maps", "pt_map_new", "quota_take", "pt_copy_tables",
	"env_set_exit_alert", "alarm", "cons_listen", "unknown",
};
static const char *const error_names[] = {
	"ok", "EINVAL", "ENOMEM", "ERANGE", "EEXIST", "ENOENT", "ECORRUPT", "EPERM",
	"EBUSY", "EAGAIN", "ENOSYS", "EFAULT", "EQUOTA", "other",
};
#define OUTCOMES ARRAY_LEN(error_names)

static bool failed;
static u64 call_index;
static const char *test_name;

#define FAIL(...)                                                                   \
	do {                                                                        \
		if (!failed)                                                        \
			rt_printf("utest:   fuzz %s FAILED at call %lu; replay: "   \
			          "init=t_fuzz seed=%lu calls=%lu\n",               \
			          test_name, call_index, seed, ncalls);             \
		rt_printf("utest:   fuzz: ");                                           \
		rt_printf(__VA_ARGS__);                                             \
		rt_printf("\n");                                                    \
		failed = true;                                                      \
	} while (0)

static struct stats {
	u32 outcomes[EXO_NCALLS + 1][OUTCOMES];
	u64 calls, must_fail, probes, resets, kids_made, frames_tagged;
} stats;

static u32 bucket_of(u64 number) { return number < EXO_NCALLS ? (u32)number : EXO_NCALLS; }
/* 0 for success, the error code, or the last bucket for anything that is no error code. */
static u32 outcome_of(i64 result)
{
	return result >= 0 ? 0 : result >= -EXO_EQUOTA ? (u32)-result : OUTCOMES - 1;
}

/* ================================================================== */
/* Calls with every register checked                                   */
/* ================================================================== */


static struct svc_frame svc;

static void new_vector_values(void)
{
	for (u32 i = 0; i < ARRAY_LEN(svc.q_in); i++)
		svc.q_in[i] = rnd();
}

/* Every other register gets a fresh random value, so a stale or swapped one shows. */
static i64 checked_call(u64 number, const u64 *args)
{
	for (u32 i = 0; i < 31; i++)
		svc.x_in[i] = i < 7 ? args[i] : i == 8 ? number : rnd();
	svc.nzcv_in = (rnd() & 0xf) << 28;
	rt_svc_call_all(&svc);
	return (i64)svc.x_out[0];
}

static bool registers_kept(void)
{
	char why[96];
	if (!rt_svc_changed(&svc, why, sizeof(why)))
		return true;
	FAIL("%s", why);
	return false;
}

/* ================================================================== */
/* What the fuzzer knows about each page of RAM                        */
/* ================================================================== */

enum page_kind {
	KIND_UNKNOWN, /* someone else's, free, or not RAM: no authority over it */
	KIND_FRAME,   /* a data frame it (or a child) was given: slot in frames[] */
	KIND_TABLE,   /* a page table it (or a child) was given: slot in tables[] */
	KIND_LIVE,    /* its running address space: never offered to a call */
	KIND_PLAY,    /* the playground's level-2 table: live, but fair game */
	KIND_VICTIM,  /* the sibling's canaries and tables */
};
#define KIND_SHIFT 13
#define SLOT_MASK 0x1fffu
_Static_assert(MAX_FRAMES <= SLOT_MASK + 1 && MAX_TABLES <= SLOT_MASK + 1, "slots fit the page map");

static u16 page_map[RAM_PAGES];
static struct tracked_frame {
	u64 addr, expect; /* what word 0 holds: its tag, or 0 if never tagged */
} frames[MAX_FRAMES];
static struct tracked_table {
	u64 addr, level;
} tables[MAX_TABLES];
static u32 nframes, ntables;
static u64 play_l2; /* the playground's table */

static bool page_of(u64 addr, u32 *page)
{
	if (addr < RAM_BASE || addr >= RAM_END || (addr & 4095))
		return false;
	*page = (u32)((addr - RAM_BASE) >> 12);
	return true;
}

static u32 kind_of(u64 addr)
{
	u32 page;
	return page_of(addr, &page) ? page_map[page] >> KIND_SHIFT : KIND_UNKNOWN;
}

static u32 slot_of(u64 addr)
{
	u32 page;
	return page_of(addr, &page) ? page_map[page] & SLOT_MASK : 0;
}

static void set_kind(u64 addr, u32 kind, u32 slot)
{
	u32 page;
	if (page_of(addr, &page))
		page_map[page] = (u16)(kind << KIND_SHIFT | slot);
}

/* Something it has (or had) authority over; anything else must be refused. */
static bool ours(u64 addr)
{
	u32 kind = kind_of(addr);
	return kind == KIND_FRAME || kind == KIND_TABLE || kind == KIND_LIVE || kind == KIND_PLAY;
}

/* Forget a frame or table (freed); the list's last entry takes its slot. */
static void untrack(u64 addr)
{
	u32 kind = kind_of(addr), slot = slot_of(addr);
	if (kind == KIND_FRAME) {
		frames[slot] = frames[--nframes];
		if (slot < nframes)
			set_kind(frames[slot].addr, KIND_FRAME, slot);
	} else if (kind == KIND_TABLE) {
		tables[slot] = tables[--ntables];
		if (slot < ntables)
			set_kind(tables[slot].addr, KIND_TABLE, slot);
	} else {
		return;
	}
	set_kind(addr, KIND_UNKNOWN, 0);
}

/* A page the kernel just handed out: it must not be one that is still in use. */
static bool fresh_page(u64 addr)
{
	u32 page;
	if (!page_of(addr, &page)) {
		FAIL("allocation returned 0x%lx: not a page of RAM (or beyond the %u-page map)", addr,
		     RAM_PAGES);
		return false;
	}
	u32 kind = kind_of(addr);
	if (kind == KIND_LIVE || kind == KIND_PLAY || kind == KIND_VICTIM) {
		FAIL("allocation returned 0x%lx, which is still in use (kind %u)", addr, kind);
		return false;
	}
	untrack(addr); /* a stale entry: it was freed since */
	return true;
}

static bool track_frame(u64 addr)
{
	if (!fresh_page(addr))
		return false;
	if (nframes == MAX_FRAMES) {
		FAIL("frame list full");
		return false;
	}
	frames[nframes] = (struct tracked_frame){ addr, 0 };
	set_kind(addr, KIND_FRAME, nframes++);
	return true;
}

static bool track_table(u64 addr, u64 level)
{
	if (!fresh_page(addr))
		return false;
	if (ntables == MAX_TABLES) {
		FAIL("table list full");
		return false;
	}
	tables[ntables] = (struct tracked_table){ addr, level };
	set_kind(addr, KIND_TABLE, ntables++);
	return true;
}

/* The level of a table it knows, or EXO_PT_LEVELS if it does not. */
static u64 level_of(u64 table)
{
	if (kind_of(table) == KIND_TABLE)
		return tables[slot_of(table)].level;
	if (table == play_l2)
		return 2;
	for (u32 level = 0; level < EXO_PT_LEVELS; level++)
		if (victim.tables[level] == table)
			return level;
	return EXO_PT_LEVELS;
}

/* --- its own address space, walked through the window: the protected set --- */

static void mark_live(u32 level, u64 va)
{
	const u64 *entries = exo_window_table(level, va);
	u32 end = level == 0 ? EXO_PT_WINDOW_SLOT : EXO_PT_ENTRIES;
	for (u32 i = 0; i < end; i++) {
		if (!(entries[i] & EXO_PTE_VALID))
			continue;
		u64 target = ADDR(entries[i]);
		if (target == play_l2)
			continue;
		set_kind(target, KIND_LIVE, 0);
		if (level < 3)
			mark_live(level + 1, va | (u64)i << (39 - 9 * level));
	}
}

/* --- children (environments it created) --- */

static u64 kids[MAX_KIDS], gone_kids[4];
static u32 nkids, ngone;

static bool is_kid(u64 env)
{
	for (u32 i = 0; i < nkids; i++)
		if (kids[i] == env)
			return true;
	return false;
}

static void forget_kid(u64 env)
{
	for (u32 i = 0; i < nkids; i++)
		if (kids[i] == env) {
			kids[i] = kids[--nkids];
			gone_kids[ngone++ % ARRAY_LEN(gone_kids)] = env;
			return;
		}
}

/* The environments a call may name: itself and its children. */
static bool may_act_on(u64 env) { return env == rt_id || is_kid(env); }

/* ================================================================== */
/* Argument pools                                                      */
/* ================================================================== */

static u32 victim_bias; /* percent of frame, table and env arguments that are the victim's */
static u8 scratch[SCRATCH_BYTES] __attribute__((aligned(4096))); /* calls write here */
static u64 descs[EXO_PT_ENTRIES];                                /* EXO_PT_WRITE input */
static u64 list[EXO_PT_ENTRIES];                                 /* EXO_FRAME_FREE input */
static const u64 zeros[EXO_PT_ENTRIES];

static u64 pick(const u64 *values, u32 count) { return values[below(count)]; }
#define PICK(array) pick(array, ARRAY_LEN(array))

static u64 nasty_int(void)
{
	static const u64 values[] = {
		0, 1, 2, 3, 7, 8, 16, 255, 256, 511, 512, 513, 4095, 4096, 4097,
		0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull, 0x100000001ull,
		0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~0ull - 1, ~0ull - 511, ~0ull - 4095,
	};
	return percent(85) ? PICK(values) : rnd();
}

static u64 random_ram_page(void)
{
	for (;;) {
		u64 addr = RAM_BASE + below(RAM_PAGES) * 4096;
		if (kind_of(addr) != KIND_LIVE) /* its own code and stack are off limits */
			return addr;
	}
}

static u64 victim_frame(void) { return victim.frames[below(CANARY_PAGES)]; }
static u64 victim_table(void) { return victim.tables[below(EXO_PT_LEVELS)]; }
static u64 tracked_frame(void) { return nframes ? frames[below(nframes)].addr : random_ram_page(); }
static u64 tracked_table(void) { return ntables ? tables[below(ntables)].addr : play_l2; }

static u64 tracked_table_at(u64 level)
{
	u32 start = (u32)below(ntables ? ntables : 1);
	for (u32 i = 0; i < ntables; i++) {
		const struct tracked_table *table = &tables[(start + i) % ntables];
		if (table->level == level)
			return table->addr;
	}
	return level == 2 ? play_l2 : tracked_table();
}

/* Addresses that are not a frame anyone may name: devices, the kernel, misaligned, huge. */
static u64 odd_address(void)
{
	static const u64 values[] = {
		0, KERNEL_PA, RAM_BASE, UART_PA, RAM_END, RAM_END - 4096 + 8, 0x0000800000000000ull,
		0x0000fffffffff000ull, 1ull << 47, 0xfffff000ull, KERNEL_VA,
	};
	switch (below(4)) {
	case 0: return PICK(values);
	case 1: return tracked_frame() + 1 + below(4095);
	case 2: return tracked_frame() | 0xffff000000000000ull;
	default: return nasty_int();
	}
}

static u64 any_frame(void)
{
	if (percent(victim_bias))
		return percent(75) ? victim_frame() : victim_table();
	u32 r = (u32)below(100);
	return r < 45 ? tracked_frame() : r < 60 ? tracked_table() : r < 80 ? random_ram_page() : odd_address();
}

static u64 any_table(void)
{
	if (percent(victim_bias))
		return percent(75) ? victim_table() : victim_frame();
	u32 r = (u32)below(100);
	return r < 55 ? tracked_table() : r < 65 ? play_l2 : r < 72 ? tracked_frame() :
	       r < 82 ? random_ram_page() : odd_address();
}

static u64 gone_kid(void)
{
	if (ngone && percent(70))
		return gone_kids[below(MIN(ngone, (u32)ARRAY_LEN(gone_kids)))];
	return rt_id + 64 * (1 + below(3)); /* its own slot, later generations */
}

static u64 any_env(void)
{
	if (percent(victim_bias))
		return victim.env;
	u32 r = (u32)below(100);
	if (r < 25)
		return rt_id;
	if (r < 55 && nkids)
		return kids[below(nkids)];
	if (r < 63)
		return victim.parent_env;
	if (r < 67)
		return victim.grandparent_env;
	if (r < 72)
		return gone_kid();
	return r < 80 ? 1 + below(200) : nasty_int();
}

/* Not itself: for the calls that would end or derail the fuzzer. */
static u64 other_env(void)
{
	u64 env;
	do
		env = any_env();
	while (env == rt_id);
	return env;
}

static u64 any_count(void)
{
	static const u64 wrapping[] = { ~0ull, ~0ull - 7, 1ull << 61, 1ull << 32, 0x100000001ull,
		                        0x8000000000000000ull };
	u32 r = (u32)below(100);
	if (r < 30)
		return 1;
	if (r < 50)
		return 2 + below(15);
	if (r < 55)
		return 0;
	if (r < 65)
		return 511 + below(3);
	if (r < 80)
		return below(513);
	return percent(50) ? PICK(wrapping) : ~0ull - below(600);
}

static u64 any_index(void)
{
	static const u64 odd[] = { 512, 513, ~0ull, ~0ull - 1, 1ull << 32, 1ull << 63, 256 };
	u32 r = (u32)below(100);
	return r < 20 ? 0 : r < 60 ? below(512) : r < 70 ? 511 : r < 75 ? 510 : PICK(odd);
}

/* --- pointers --- */

static u64 scratch_ptr(void)
{
	u32 r = (u32)below(10);
	u64 offset = r < 3 ? 0 : r < 8 ? below(1024) * 8 : r < 9 ? 1 + below(8191) : 4096 - 8;
	return (u64)scratch + offset;
}

static bool in_scratch(u64 ptr) { return ptr >= (u64)scratch && ptr < (u64)scratch + SCRATCH_BYTES; }

/* Never readable or writable by the caller. */
static u64 bad_ptr(void)
{
	static const u64 values[] = {
		0, 8, 0x1000, 0x3ff000, KERNEL_VA, KERNEL_BASE_VA, UART_PA, CHILD_STACK_TOP,
		CHILD_UPCALL_TOP, EXO_USER_VA_END - 8, ~0ull - 7, 0x8000000000000000ull,
		0x0001000000000000ull, RAM_BASE,
	};
	return PICK(values);
}

/* Readable, not writable: its text and the window onto its tables. */
static u64 read_only_ptr(void) { return percent(50) ? (u64)&victim_main + 8 * below(64) : EXO_PT_WINDOW_L0; }

/* A buffer the kernel writes: mostly scratch, sometimes one it must refuse. */
static u64 out_ptr(void)
{
	u32 r = (u32)below(100);
	return r < 70 ? scratch_ptr() : r < 85 ? read_only_ptr() : bad_ptr();
}

static u64 play_va(void) { return PLAY_VA + below(512) * (2ull << 20) + below(512) * 4096; }

/*
 * A buffer the kernel reads: mostly the one built for the call.  Never the
 * text or the window for descriptors or frame lists, so its own mappings
 * never leak into tables it hands around (and it never frees its own).
 */
static u64 in_ptr(u64 built, bool may_read_own)
{
	u32 r = (u32)below(100);
	if (r < 80)
		return built;
	if (r < 86)
		return scratch_ptr();
	if (r < 92 && may_read_own)
		return read_only_ptr();
	return r < 95 ? play_va() : bad_ptr();
}

static u64 any_code_address(void)
{
	static const u64 values[] = { 0, 4, EXO_USER_VA_END - 1, EXO_USER_VA_END, EXO_USER_VA_END + 1,
		                      KERNEL_VA, ~0ull, CHILD_UPCALL_TOP, CHILD_STACK_TOP, PLAY_VA };
	return percent(20) ? (u64)&victim_main : percent(80) ? PICK(values) : rnd();
}

/*
 * Upcall stacks: page-aligned or unusable, so an upcall record the kernel
 * pushes for a child into a frame of the fuzzer's never covers word 0 of
 * a page (the word the playground checks).
 */
static u64 any_stack_top(void)
{
	static const u64 values[] = { 0, 4096, EXO_USER_VA_END - 4096, EXO_USER_VA_END, EXO_USER_VA_END + 1,
		                      KERNEL_VA, ~0ull, CHILD_UPCALL_TOP, CHILD_STACK_TOP };
	return percent(30) ? PLAY_VA + below(1u << 18) * 4096 : PICK(values);
}

static u64 any_value(void)
{
	switch (below(7)) {
	case 0: return any_frame();
	case 1: return any_table();
	case 2: return any_env();
	case 3: return out_ptr();
	case 4: return any_code_address();
	case 5: return any_frame() | EXO_PTE_PAGE | EXO_PTE_USER;
	default: return nasty_int();
	}
}

static void fill_scratch(void)
{
	for (u32 i = 0; i < SCRATCH_BYTES / 8; i++)
		((u64 *)scratch)[i] = any_value();
}

/* --- descriptors: valid templates, then a few bits flipped --- */

static const u8 flip_bits[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 47, 48, 50, 51,
	                        52, 53, 54, 55, 58, 59, 60, 61, 62, 63 };

static u64 flip_some(u64 desc)
{
	u32 r = (u32)below(100);
	if (r < 55)
		return desc;
	if (r < 95)
		desc ^= 1ull << flip_bits[below(sizeof(flip_bits))];
	if (r >= 80 && r < 95)
		desc ^= 1ull << flip_bits[below(sizeof(flip_bits))];
	return r < 95 ? desc : rnd();
}

static u64 sw_bits(void) { return below(16) << 55; }

static u64 page_desc(u64 frame)
{
	u64 desc = frame | EXO_PTE_PAGE | EXO_PTE_USER;
	desc |= percent(40) ? EXO_PTE_RO : 0;
	desc |= percent(50) ? EXO_PTE_UXN : 0;
	desc |= percent(10) ? sw_bits() : 0;
	return flip_some(desc);
}

static u64 table_desc(u64 table)
{
	u64 desc = table | EXO_PTE_TABLE;
	desc |= percent(15) ? EXO_PTE_APT_RO : 0;
	desc |= percent(15) ? EXO_PTE_UXNT : 0;
	desc |= percent(10) ? EXO_PTE_PXNT : 0;
	desc |= percent(8) ? EXO_PTE_APT_NOEL0 : 0;
	desc |= percent(10) ? TABLE_STORED_LOW : 0;
	desc |= percent(5) ? sw_bits() : 0;
	return flip_some(desc);
}

/*
 * A table to link under one of this level.  Never the playground's own
 * table: linked a second time anywhere, the kernel forgets where it sits for
 * good and every playground change takes the flush-everything path, leaving
 * the per-address invalidations untested.
 */
static u64 link_target(u64 level)
{
	u64 table = level < 3 && percent(70) ? tracked_table_at(level + 1) : any_table();
	return table == play_l2 ? random_ram_page() : table;
}

/* An entry for a table of this level (EXO_PT_LEVELS: unknown), mostly of the right kind. */
static u64 entry_for(u64 level)
{
	u32 r = (u32)below(100);
	if (r < 20)
		return 0;
	bool page = level == 3 ? r < 85 : level < 3 ? r >= 85 : r < 60;
	return page ? page_desc(any_frame()) : table_desc(link_target(level));
}

/* Entries in one of three styles: all different, a run (one set of bits, many targets), or sparse. */
static void fill_descs(u64 level, u64 count)
{
	u32 n = (u32)MIN(count, (u64)EXO_PT_ENTRIES);
	switch (below(3)) {
	case 0:
		for (u32 i = 0; i < n; i++)
			descs[i] = entry_for(level);
		break;
	case 1: {
		bool pages = level == 3 || (level == EXO_PT_LEVELS && percent(50));
		u64 bits = percent(10) ? 0 : (pages ? page_desc(0) : table_desc(0)) & ~EXO_PTE_ADDR_MASK;
		for (u32 i = 0; i < n; i++) {
			u64 target = pages ? (percent(70) ? tracked_frame() : any_frame()) : link_target(level);
			descs[i] = bits ? bits | target : 0;
		}
		break;
	}
	default:
		for (u32 i = 0; i < n; i++)
			descs[i] = percent(95) ? 0 : entry_for(level);
	}
}

/* ================================================================== */
/* One call: its arguments, and what must hold afterwards              */
/* ================================================================== */

static u32 aim_at_probes; /* percent of table changes aimed at what the probe set reads */
static u64 aim_at_probe(u64 *table, u64 *index);

struct call {
	u64 number;
	u64 a[7];
	const char *must_fail; /* why the call must be refused, or NULL */
	u64 out, out_len;      /* a buffer the kernel may write, and its size */
	u64 aimed_va;          /* a probe-set address whose entry it may change, or 0 */
	u64 cow_from;          /* EXO_PT_COW: the frame the entry mapped before, 0 if unknown */
};

static void refuse_if(struct call *c, bool cond, const char *why)
{
	if (cond && !c->must_fail)
		c->must_fail = why;
}

static void expect_output(struct call *c, u64 ptr, u64 len)
{
	c->out = ptr;
	c->out_len = len;
	refuse_if(c, len && !in_scratch(ptr), "an output buffer it cannot write");
}

static void env_arg(struct call *c, u32 at, bool self_ok)
{
	c->a[at] = self_ok ? any_env() : other_env();
	refuse_if(c, !may_act_on(c->a[at]), "an environment it may not act on");
}

static void build_console(struct call *c)
{
	if (c->number == EXO_CONS_WRITE) {
		/* Readable buffers get length 0: nothing random reaches the console. */
		bool bad = percent(50);
		c->a[0] = bad ? bad_ptr() : in_ptr((u64)scratch, true);
		c->a[1] = bad ? nasty_int() : 0;
	} else {
		c->a[0] = out_ptr();
		c->a[1] = percent(70) ? below(300) : nasty_int();
		expect_output(c, c->a[0], MIN(c->a[1], 256ull));
	}
}

static void build_env_call(struct call *c)
{
	switch (c->number) {
	case EXO_ENV_CREATE:
		c->a[0] = percent(60) ? below(16) : nasty_int();
		c->a[1] = percent(30) ? EXO_ENV_DRAWS : percent(3) ? nasty_int() : 0;
		refuse_if(c, c->a[1] & ~(u64)EXO_ENV_DRAWS, "unknown flags");
		break;
	case EXO_ENV_SET_ROOT:
		env_arg(c, 0, false);
		c->a[1] = percent(10) ? 0 : percent(55) ? tracked_table_at(0) : any_table();
		refuse_if(c, c->a[1] && !ours(c->a[1]), "a root it does not own");
		break;
	case EXO_ENV_SET_REGS:
		env_arg(c, 0, false);
		c->a[1] = in_ptr(scratch_ptr(), true);
		break;
	case EXO_ENV_GET_REGS:
	case EXO_ENV_INFO:
		env_arg(c, 0, true);
		c->a[1] = out_ptr();
		expect_output(c, c->a[1], c->number == EXO_ENV_INFO ? sizeof(struct exo_env_info) :
		                                                      sizeof(struct exo_regs));
		break;
	case EXO_ENV_SET_UPCALLS:
		env_arg(c, 0, true);
		c->a[1] = any_code_address();
		c->a[2] = any_code_address();
		c->a[3] = any_stack_top();
		c->a[4] = percent(60) ? 0 : percent(40) ? EXO_UPCALL_LIGHT : percent(50) ? EXO_UPCALL_LIGHT_FAULTS :
		          percent(50) ? EXO_UPCALL_LIGHT | EXO_UPCALL_LIGHT_FAULTS : any_value();
		break;
	case EXO_ENV_RUN:
		env_arg(c, 0, true);
		break;
	case EXO_ENV_DESTROY:
		env_arg(c, 0, false);
		break;
	case EXO_QUOTA_GIVE:
		env_arg(c, 0, true);
		c->a[1] = percent(50) ? below(8) : percent(40) ? below(64) : nasty_int();
		break;
	case EXO_ENV_ALERT:
		/* Not itself: its handler would run inside the register-checked call (t_calls tests that). */
		env_arg(c, 0, false);
		c->a[1] = percent(10) ? 0 : rnd() | 1;
		break;
	case EXO_ENV_SET_EXIT_ALERT:
		/* Bits only where refused: an ending child's alert would interrupt a register-checked call. */
		env_arg(c, 0, true);
		c->a[1] = may_act_on(c->a[0]) ? 0 : rnd() | 1;
		break;
	}
}

static void build_messages(struct call *c)
{
	if (c->number == EXO_SEND) {
		c->a[0] = any_env();
		c->a[1] = nasty_int();
		bool allowed = may_act_on(c->a[0]) || c->a[0] == victim.parent_env;
		refuse_if(c, !allowed, "a message to an environment it may not reach");
		return;
	}
	/* Blocking receives get a short deadline: nothing else may ever wake it. */
	static const u64 flags[] = { EXO_RECV_NOWAIT, EXO_RECV_NOWAIT, EXO_RECV_NOWAIT, 0, 2, 3, 16, 17, 18, ~0ull };
	c->a[0] = out_ptr();
	c->a[1] = percent(95) ? PICK(flags) : nasty_int();
	if ((c->a[1] == 0 || c->a[1] == EXO_RECV_WORD || c->a[1] == EXO_RECV_WORDS) && percent(80))
		c->a[1] |= EXO_RECV_NOWAIT; /* blocking costs up to a tick: keep it rare */
	const u64 valid = EXO_RECV_WORD | EXO_RECV_WORDS | EXO_RECV_NOWAIT | EXO_RECV_SKIP_ORPHANS | EXO_RECV_TAKE_ALERTS;
	bool may_block = !(c->a[1] & ~valid) && !(c->a[1] & EXO_RECV_NOWAIT);
	c->a[2] = may_block ? 1 + below(2000000) : nasty_int();
	/* A word: our scratch memory (its value or not), misaligned, or not ours. */
	c->a[3] = percent(50) ? (scratch_ptr() & ~3ull) : percent(50) ? scratch_ptr() | 1 : any_value();
	c->a[4] = percent(40) ? 0 : rnd(); /* 0 may be what the word holds: then it waits */
	if ((c->a[1] & EXO_RECV_WORDS) && percent(85)) {
		/* A list of words: 0 to 9 of them (8 at most are allowed), each as a single word is. */
		static struct exo_word_wait list[EXO_RECV_WORDS_MAX + 1];
		u32 n = (u32)below(EXO_RECV_WORDS_MAX + 2);
		for (u32 i = 0; i < n; i++)
			list[i] = (struct exo_word_wait){
				percent(70) ? (scratch_ptr() & ~3ull) : percent(50) ? scratch_ptr() | 1 : any_value(),
				percent(40) ? 0 : rnd() };
		c->a[3] = in_ptr((u64)list, false);
		c->a[4] = percent(90) ? n : nasty_int();
	}
	refuse_if(c, (c->a[1] & EXO_RECV_WORD) && (c->a[1] & EXO_RECV_WORDS), "one word and a list");
	expect_output(c, c->a[0], sizeof(struct exo_event));
}

static void build_frame_free(struct call *c)
{
	u64 count = percent(50) ? 1 : percent(60) ? 2 + below(7) : percent(10) ? 0 : any_count();
	u32 n = (u32)MIN(count, (u64)EXO_PT_ENTRIES);
	u32 style = (u32)below(100);
	for (u32 i = 0; i < n; i++)
		list[i] = style < 45 ? tracked_frame() : style < 55 ? tracked_table() : any_frame();
	if (style >= 55 && style < 65 && n >= 2) {
		u64 from = below(n);
		list[below(n)] = list[from]; /* maybe listed twice */
	}
	/* EXO_FREE_WHEN_UNUSED (asked for, or a nasty count's bit 32): frames in use are doomed, not refused. */
	if (percent(15))
		count |= EXO_FREE_WHEN_UNUSED;
	bool when_unused = count & EXO_FREE_WHEN_UNUSED;
	n = (u32)MIN(count & ~EXO_FREE_WHEN_UNUSED, (u64)EXO_PT_ENTRIES);
	for (u32 i = 0; when_unused && i < n; i++)
		if (kind_of(list[i]) == KIND_LIVE || kind_of(list[i]) == KIND_PLAY)
			list[i] = tracked_frame(); /* its own running space's would be doomed under it */
	/* Given up, a frame is not the fuzzer's to use any more: only the list it built and vetted is given. */
	c->a[0] = when_unused ? (u64)list : in_ptr((u64)list, false);
	c->a[1] = count;
	if (c->a[0] == (u64)list)
		for (u32 i = 0; i < n; i++)
			refuse_if(c, !ours(list[i]), "freeing a frame it does not own");
}

static void build_frame_call(struct call *c)
{
	switch (c->number) {
	case EXO_FRAME_ALLOC:
		env_arg(c, 0, true);
		c->a[1] = percent(60) ? 1 + below(8) : any_count();
		c->a[2] = out_ptr();
		expect_output(c, c->a[2], c->a[1] <= EXO_PT_ENTRIES ? c->a[1] * 8 : 0);
		break;
	case EXO_FRAME_FREE:
		build_frame_free(c);
		break;
	case EXO_FRAME_SHARE: {
		static const u64 odd_rights[] = { 8, 16, 0xff, ~0ull, 0x100000001ull, 0x100 };
		c->a[0] = any_frame();
		c->a[1] = percent(80) ? below(8) : PICK(odd_rights);
		refuse_if(c, !ours(c->a[0]), "sharing a frame it does not own");
		break;
	}
	case EXO_PT_ALLOC: {
		static const u64 odd_levels[] = { 4, 5, ~0ull, 1ull << 32, 0x100000001ull };
		env_arg(c, 0, true);
		c->a[1] = percent(85) ? below(4) : PICK(odd_levels);
		break;
	}
	}
}

static void build_pt_write(struct call *c)
{
	u64 table = any_table(), level = level_of(table);
	u64 count = percent(70) ? 1 + below(8) : any_count();
	u64 index = any_index();
	if (level < EXO_PT_LEVELS && count <= EXO_PT_ENTRIES && percent(60))
		index = below(EXO_PT_ENTRIES - count + 1); /* in range, so the entries get judged */
	if (percent(aim_at_probes)) {
		c->aimed_va = aim_at_probe(&table, &index);
		level = level_of(table);
		count = 1 + below(2);
	}
	fill_descs(level, count);
	c->a[0] = table;
	c->a[1] = index;
	c->a[2] = count;
	c->a[3] = in_ptr((u64)descs, false);
	refuse_if(c, !ours(table), "writing a table it does not own");
	if (c->a[3] == (u64)descs && count <= EXO_PT_ENTRIES)
		for (u32 i = 0; i < count; i++)
			refuse_if(c, descs[i] && kind_of(ADDR(descs[i])) == KIND_VICTIM,
			          "mapping or linking the victim's frame");
}

static void build_pt_copy(struct call *c)
{
	static const u64 set_bits[] = {
		EXO_PTE_RO, EXO_PTE_UXN, EXO_PTE_SW0, EXO_PTE_APT_RO, EXO_PTE_UXNT, EXO_PTE_PXNT,
		EXO_PTE_APT_NOEL0, EXO_PTE_RO | EXO_PTE_UXN, EXO_PTE_APT_RO | EXO_PTE_UXNT,
		EXO_PTE_AF, EXO_PTE_PXN, 2, EXO_PTE_NG, ~0ull,
	};
	static const u64 flags[] = { 0, 0, EXO_COPY_BOTH, EXO_COPY_SHARE, EXO_COPY_BOTH | EXO_COPY_SHARE, 4, ~0ull };
	u64 src = any_table(), level = level_of(src);
	u64 dst = level < EXO_PT_LEVELS && percent(50) ? tracked_table_at(level) : any_table();
	u64 count = percent(70) ? 1 + below(8) : any_count();
	c->a[0] = src;
	c->a[1] = percent(60) && count < EXO_PT_ENTRIES ? below(EXO_PT_ENTRIES - count) : any_index();
	c->a[2] = dst;
	c->a[3] = percent(60) && count < EXO_PT_ENTRIES ? below(EXO_PT_ENTRIES - count) : any_index();
	if (percent(aim_at_probes)) {
		u32 side = percent(50) ? 0 : 2; /* with EXO_COPY_BOTH, the source's entries change too */
		c->aimed_va = aim_at_probe(&c->a[side], &c->a[side + 1]);
	}
	c->a[4] = count;
	c->a[5] = percent(50) ? 0 : percent(90) ? PICK(set_bits) : rnd();
	c->a[6] = PICK(flags);
	refuse_if(c, !ours(c->a[0]) || !ours(c->a[2]), "copying from or into a table it does not own");
}

/* Word 0 of a frame it may map (read-only at TAG_VA); false if it may not. */
static bool peek_word0(u64 frame, u64 *word)
{
	struct aspace self;
	as_self(&self);
	if (as_map(&self, TAG_VA, frame, PAGE_RO) != 0)
		return false;
	*word = *(volatile const u64 *)TAG_VA;
	as_unmap(&self, TAG_VA);
	return true;
}

/* What entry index of a table of its own maps (the table read through TAG_VA), 0 if nothing or unknown. */
static u64 entry_target(u64 table, u64 index)
{
	struct aspace self;
	as_self(&self);
	if (!ours(table) || index >= EXO_PT_ENTRIES || as_map(&self, TAG_VA, table, PAGE_RO) != 0)
		return 0;
	u64 entry = ((volatile const u64 *)TAG_VA)[index];
	as_unmap(&self, TAG_VA);
	return entry & EXO_PTE_VALID ? ADDR(entry) : 0;
}

/*
 * The tables under 2 MiB slots start..end of a level-`level` table it
 * owns, after EXO_PT_COPY_TABLES made some there: tracked as its own.
 */
static void track_subtree(u64 table, u64 level, u64 start, u64 end)
{
	if (level >= EXO_PT_LEVELS - 1)
		return;
	u64 span = 1ull << (9 * (EXO_PT_LEVELS - 2 - level));
	for (u64 i = start / span; i * span < end && i < EXO_PT_ENTRIES && !failed; i++) {
		u64 next = entry_target(table, i);
		if (!next)
			continue;
		u64 lo = i * span > start ? i * span : start, hi = (i + 1) * span < end ? (i + 1) * span : end;
		if (kind_of(next) == KIND_UNKNOWN)
			track_table(next, level + 1);
		track_subtree(next, level + 1, lo - i * span, hi - i * span);
	}
}

/* The page-fault primitives: mostly into its own last-level tables, at entries in use (copy) or empty (new). */
static void build_fault_call(struct call *c)
{
	static const u64 odd_attrs[] = {
		EXO_PTE_TABLE, EXO_PTE_PAGE, EXO_PTE_PAGE | EXO_PTE_USER | 0x5000, EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_PXN,
		EXO_PTE_PAGE | EXO_PTE_USER | (1ull << 63), ~0ull, 0,
	};
	u64 table = level_of(tracked_table()) == EXO_PT_LEVELS - 1 && percent(70) ? tracked_table_at(3) : any_table();
	switch (c->number) {
	case EXO_PT_COW:
		c->a[0] = table;
		c->a[1] = percent(85) ? below(EXO_PT_ENTRIES) : any_index();
		c->cow_from = entry_target(table, c->a[1]);
		/* Giving up only what it knows the entry maps: a frame it tracks must not go unseen. */
		c->a[2] = percent(70) ? 0 : !percent(80) ? nasty_int() : c->cow_from ? EXO_COW_GIVE_UP : 0;
		refuse_if(c, !ours(table), "copying in a table it does not own");
		refuse_if(c, c->a[2] & ~EXO_COW_GIVE_UP, "an unknown flag");
		break;
	case EXO_PT_MAP_NEW: {
		u64 count = percent(70) ? 1 + below(4) : any_count();
		c->a[0] = table;
		c->a[1] = percent(70) && count < EXO_PT_ENTRIES ? below(EXO_PT_ENTRIES - count) : any_index();
		c->a[2] = count;
		c->a[3] = percent(75) ? (percent(50) ? PAGE_RW : PAGE_RO | EXO_PTE_SW0) : PICK(odd_attrs);
		c->a[4] = percent(10) ? 0 : out_ptr(); /* NULL: no list wanted */
		expect_output(c, c->a[4], c->a[4] && count <= EXO_PT_ENTRIES ? count * 8 : 0);
		refuse_if(c, !ours(table), "filling a table it does not own");
		break;
	}
	case EXO_FRAME_MAPS:
		c->a[0] = any_frame();
		refuse_if(c, kind_of(c->a[0]) == KIND_VICTIM, "asking about the victim's frame");
		break;
	case EXO_PT_COPY_TABLES: {
		static const u64 flags[] = { 0, EXO_COPY_BOTH, EXO_COPY_SHARE, EXO_COPY_BOTH | EXO_COPY_SHARE,
			                     EXO_COPY_LINK | EXO_COPY_SHARE, EXO_COPY_LINK | EXO_COPY_BOTH, 8, ~0ull };
		static const u64 set_bits[] = { EXO_PTE_RO, EXO_PTE_RO | EXO_PTE_SW0, EXO_PTE_UXN, 0, EXO_PTE_APT_RO, ~0ull };
		/* Mostly level 2; levels 0 and 1 over at most 1,024 slots, so that the new tables can be found after. */
		u64 level = percent(70) ? 2 : below(2);
		u64 src = percent(60) ? tracked_table_at(level) : any_table();
		u64 dst = percent(60) ? tracked_table_at(level) : any_table();
		u64 slots = level == 2 ? EXO_PT_ENTRIES : 1024, start = percent(85) ? below(slots) : any_index();
		c->a[0] = src;
		c->a[1] = dst;
		c->a[2] = start;
		c->a[3] = percent(85) ? start + 1 + below(slots - start % slots) : nasty_int();
		c->a[4] = PICK(set_bits);
		c->a[5] = PICK(flags);
		refuse_if(c, !ours(src) || !ours(dst), "copying tables from or into a table it does not own");
		break;
	}
	case EXO_QUOTA_TAKE:
		c->a[0] = any_env();
		c->a[1] = percent(70) ? below(4) : nasty_int();
		refuse_if(c, c->a[0] == rt_id || c->a[0] == victim.env || c->a[0] == victim.parent_env,
		          "taking quota from itself, its sibling or its parent");
		break;
	}
}

/* Past the last call: numbers that would alias real calls if truncated or masked. */
static u64 unknown_number(void)
{
	static const u64 values[] = {
		EXO_NCALLS, EXO_NCALLS + 1, EXO_NCALLS + 2, EXO_NCALLS + 3, EXO_NCALLS + 4, EXO_NCALLS + 5,
		32, 32 + EXO_ENV_EXIT, 32 + EXO_UPCALL_RETURN, 63, 64, 0x100000000ull + EXO_ENV_EXIT,
		0x100000000ull + EXO_UPCALL_RETURN, 0x100000000ull, 0x8000000000000000ull, ~0ull,
	};
	return PICK(values);
}

/* How often each call is made: weighted towards the calls with the most to check. */
static const u8 weights[2][EXO_NCALLS + 1] = {
	[MODE_GENERAL] = {
		[EXO_NULL] = 2, [EXO_SELF] = 2, [EXO_CONS_WRITE] = 2, [EXO_CONS_READ] = 2,
		[EXO_CLOCK] = 1, [EXO_YIELD] = 2, [EXO_ENV_CREATE] = 4, [EXO_ENV_SET_ROOT] = 5,
		[EXO_ENV_SET_REGS] = 3, [EXO_ENV_GET_REGS] = 3, [EXO_ENV_SET_UPCALLS] = 3,
		[EXO_ENV_RUN] = 4, [EXO_ENV_DESTROY] = 3, [EXO_ENV_INFO] = 3, [EXO_QUOTA_GIVE] = 3,
		[EXO_SEND] = 3, [EXO_RECV] = 3, [EXO_FRAME_ALLOC] = 8, [EXO_FRAME_FREE] = 8,
		[EXO_FRAME_SHARE] = 5, [EXO_PT_ALLOC] = 7, [EXO_PT_WRITE] = 22, [EXO_PT_COPY] = 12,
		[EXO_DEBUG_CHECK] = 1, [EXO_SYSCALL_ORIGIN] = 1, [EXO_ENV_ALERT] = 2, [EXO_WAKE] = 2, [EXO_ENV_CHILD] = 1, [EXO_WHY] = 1,
		[EXO_PT_COW] = 6, [EXO_FRAME_MAPS] = 2, [EXO_PT_MAP_NEW] = 5, [EXO_QUOTA_TAKE] = 2,
		[EXO_PT_COPY_TABLES] = 4, [EXO_ENV_SET_EXIT_ALERT] = 1, [EXO_NCALLS] = 3,
	},
	[MODE_SIBLING] = {
		[EXO_NULL] = 1, [EXO_SELF] = 1, [EXO_CONS_WRITE] = 1, [EXO_CONS_READ] = 1,
		[EXO_CLOCK] = 1, [EXO_YIELD] = 1, [EXO_ENV_CREATE] = 2, [EXO_ENV_SET_ROOT] = 6,
		[EXO_ENV_SET_REGS] = 3, [EXO_ENV_GET_REGS] = 3, [EXO_ENV_SET_UPCALLS] = 3,
		[EXO_ENV_RUN] = 3, [EXO_ENV_DESTROY] = 3, [EXO_ENV_INFO] = 3, [EXO_QUOTA_GIVE] = 3,
		[EXO_SEND] = 4, [EXO_RECV] = 1, [EXO_FRAME_ALLOC] = 4, [EXO_FRAME_FREE] = 10,
		[EXO_FRAME_SHARE] = 8, [EXO_PT_ALLOC] = 5, [EXO_PT_WRITE] = 20, [EXO_PT_COPY] = 12,
		[EXO_DEBUG_CHECK] = 1, [EXO_SYSCALL_ORIGIN] = 1, [EXO_ENV_ALERT] = 3, [EXO_WAKE] = 1, [EXO_ENV_CHILD] = 2, [EXO_WHY] = 1,
		[EXO_PT_COW] = 6, [EXO_FRAME_MAPS] = 3, [EXO_PT_MAP_NEW] = 4, [EXO_QUOTA_TAKE] = 3,
		[EXO_PT_COPY_TABLES] = 4, [EXO_ENV_SET_EXIT_ALERT] = 1, [EXO_NCALLS] = 1,
	},
};
_Static_assert(EXO_ENV_EXIT < EXO_NCALLS && EXO_UPCALL_RETURN < EXO_NCALLS, "never made: weight 0");

static u32 mode;

static u64 choose_number(void)
{
	u32 total = 0;
	for (u32 i = 0; i <= EXO_NCALLS; i++)
		total += weights[mode][i];
	u32 r = (u32)below(total);
	for (u32 i = 0;; i++) {
		if (r < weights[mode][i])
			return i == EXO_NCALLS ? unknown_number() : i;
		r -= weights[mode][i];
	}
}

static void build_call(struct call *c)
{
	*c = (struct call){ .number = choose_number() };
	for (u32 i = 0; i < 7; i++)
		c->a[i] = any_value(); /* what a call does not read must not matter */
	switch (c->number) {
	case EXO_CONS_WRITE:
	case EXO_CONS_READ:
		build_console(c);
		break;
	case EXO_ENV_CREATE:
	case EXO_ENV_SET_ROOT:
	case EXO_ENV_SET_REGS:
	case EXO_ENV_GET_REGS:
	case EXO_ENV_SET_UPCALLS:
	case EXO_ENV_RUN:
	case EXO_ENV_DESTROY:
	case EXO_ENV_INFO:
	case EXO_QUOTA_GIVE:
	case EXO_ENV_ALERT:
	case EXO_ENV_SET_EXIT_ALERT:
		build_env_call(c);
		break;
	case EXO_SEND:
	case EXO_RECV:
		build_messages(c);
		break;
	case EXO_FRAME_ALLOC:
	case EXO_FRAME_FREE:
	case EXO_FRAME_SHARE:
	case EXO_PT_ALLOC:
		build_frame_call(c);
		break;
	case EXO_PT_WRITE:
		build_pt_write(c);
		break;
	case EXO_PT_COPY:
		build_pt_copy(c);
		break;
	case EXO_DEBUG_CHECK:
		/* A full check costs milliseconds: mostly the cheap refusal instead. */
		c->a[0] = percent(25) ? scratch_ptr() : percent(50) ? read_only_ptr() : bad_ptr();
		expect_output(c, c->a[0], sizeof(struct exo_check));
		break;
	case EXO_WAKE:
		c->a[0] = percent(60) ? (scratch_ptr() & ~3ull) : any_value();
		c->a[1] = percent(50) ? below(4) : nasty_int();
		break;
	case EXO_WHY:
		c->a[0] = percent(60) ? scratch_ptr() : percent(50) ? read_only_ptr() : bad_ptr();
		expect_output(c, c->a[0], sizeof(struct exo_why));
		break;
	case EXO_ENV_CHILD:
		c->a[0] = percent(70) ? any_env() : any_value();
		c->a[1] = percent(40) ? 0 : percent(70) ? any_env() : any_value();
		break;
	case EXO_PT_COW:
	case EXO_PT_MAP_NEW:
	case EXO_FRAME_MAPS:
	case EXO_QUOTA_TAKE:
	case EXO_PT_COPY_TABLES:
		build_fault_call(c);
		break;
	case EXO_SYSCALL_ORIGIN:
		/* Never inside a light system call here: refused whatever the pointer. */
		c->a[0] = percent(50) ? scratch_ptr() : bad_ptr();
		c->must_fail = "syscall_origin outside a light system call";
		break;
	}
}

static void print_call(const struct call *c, i64 result)
{
	rt_printf("utest:   fuzz: %s (0x%lx)(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx) = %ld\n",
	          call_names[bucket_of(c->number)], c->number, c->a[0], c->a[1], c->a[2], c->a[3],
	          c->a[4], c->a[5], c->a[6], result);
}

/* --- output buffers: a guard pattern after what the call may write --- */

static u64 guarded_len(const struct call *c)
{
	u64 room = (u64)scratch + SCRATCH_BYTES - c->out;
	return MIN(c->out_len + GUARD_BYTES, room);
}

static void arm_output(const struct call *c)
{
	if (in_scratch(c->out))
		memset((void *)c->out, GUARD_FILL, guarded_len(c));
}

static bool output_kept_to_size(const struct call *c, i64 result)
{
	if (!in_scratch(c->out))
		return true;
	u64 written = result < 0 ? 0 : c->number == EXO_CONS_READ ? (u64)result : c->out_len;
	const u8 *bytes = (const u8 *)c->out;
	for (u64 i = written; i < guarded_len(c); i++)
		if (bytes[i] != GUARD_FILL) {
			FAIL("the kernel wrote byte %lu of a %lu-byte output (result %ld)", i, written, result);
			return false;
		}
	return true;
}

static bool result_plausible(const struct call *c, i64 result)
{
	if (result < -EXO_EQUOTA) {
		FAIL("result %ld is no error code", result);
		return false;
	}
	if (c->number >= EXO_NCALLS && result != -EXO_ENOSYS) {
		FAIL("call number 0x%lx returned %ld, not ENOSYS", c->number, result);
		return false;
	}
	if (c->number == EXO_DEBUG_CHECK && result == -EXO_ECORRUPT) {
		FAIL("the isolation checker found problems (console above)");
		return false;
	}
	if (c->must_fail && result >= 0) {
		FAIL("isolation: the kernel allowed %s", c->must_fail);
		return false;
	}
	bool sane = result < 0 || (c->number == EXO_NULL ? result == 0 :
	                           c->number == EXO_SELF ? (u64)result == self_expected(c->a[0]) :
	                           c->number == EXO_FRAME_ALLOC ? (u64)result == c->a[1] :
	                           c->number == EXO_PT_ALLOC ? ((u64)result & 4095) == 0 : true);
	if (!sane)
		FAIL("implausible result %ld", result);
	return sane;
}

/* ================================================================== */
/* The playground: its tables versus what reads actually see           */
/* ================================================================== */

static volatile u64 probe_target; /* the address being read, 0 when none */
static volatile bool probe_faulted;
static u64 probe_set[PROBE_SET]; /* addresses read after every change: in the TLB */
static u64 planted[PLANTED_SET]; /* ...and pages of the tables planted last, kept apart */

static int skip_probe_fault(struct exo_upcall *up)
{
	if (!probe_target || up->kind != EXO_UPCALL_FAULT || up->far != probe_target)
		return -1;
	probe_faulted = true;
	up->regs.pc += 4; /* past the one load */
	return 0;
}

static bool read_word(u64 va, u64 *value)
{
	u64 word = 0;
	probe_faulted = false;
	probe_target = va;
	__asm__ volatile("ldr %0, [%1]" : "+r"(word) : "r"(va) : "memory");
	probe_target = 0;
	*value = word;
	return !probe_faulted;
}

static const u64 *play_links(void) { return exo_window_table(2, PLAY_VA); }

/* What the tables say a read of va does: fault, or read this frame. */
static bool tables_allow_read(u64 va, u64 *frame)
{
	u64 link = play_links()[exo_pt_index(2, va)];
	if (!(link & EXO_PTE_VALID) || (link & EXO_PTE_APT_NOEL0))
		return false;
	u64 page = exo_window_table(3, va)[exo_pt_index(3, va)];
	if (!(page & EXO_PTE_VALID) || !(page & EXO_PTE_AF))
		return false;
	*frame = ADDR(page);
	return true;
}

static void probe(u64 va)
{
	u64 frame = 0, value;
	bool allowed = tables_allow_read(va, &frame);
	bool read = read_word(va, &value);
	stats.probes++;
	if (read != allowed) {
		FAIL("playground 0x%lx: the tables say %s, the read %s (stale TLB?)", va,
		     allowed ? "readable" : "no access", read ? "worked" : "faulted");
		return;
	}
	if (!read)
		return;
	if (kind_of(frame) == KIND_VICTIM)
		FAIL("isolation: the victim's frame 0x%lx is mapped at 0x%lx", frame, va);
	else if (kind_of(frame) == KIND_FRAME && value != frames[slot_of(frame)].expect)
		FAIL("playground 0x%lx maps frame 0x%lx: read 0x%lx, want 0x%lx (stale TLB?)", va, frame,
		     value, frames[slot_of(frame)].expect);
}

/* A playground address whose entry may have just changed. */
static u64 play_va_near(u64 table, u64 index, u64 count)
{
	u64 entry = (index + below(MIN(count, (u64)EXO_PT_ENTRIES) + 1)) % EXO_PT_ENTRIES;
	if (table == play_l2)
		return PLAY_VA + entry * (2ull << 20) + below(512) * 4096;
	const u64 *links = play_links();
	u32 start = (u32)below(512);
	for (u32 i = 0; i < 512; i++) {
		u32 slot = (start + i) % 512;
		if ((links[slot] & EXO_PTE_VALID) && ADDR(links[slot]) == table)
			return PLAY_VA + slot * (2ull << 20) + entry * 4096;
	}
	return play_va();
}

/* Mostly addresses that are mapped, so they are in the TLB when a change comes. */
static u64 mapped_play_va(void)
{
	const u64 *links = play_links();
	u32 start = (u32)below(512);
	for (u32 i = 0; i < 512; i++) {
		u32 slot = (start + i) % 512;
		if (!(links[slot] & EXO_PTE_VALID) || (links[slot] & EXO_PTE_APT_NOEL0))
			continue;
		u64 base = PLAY_VA + slot * (2ull << 20);
		const u64 *pages = exo_window_table(3, base);
		u32 page_start = (u32)below(512);
		for (u32 p = 0; p < 512; p++)
			if (pages[(page_start + p) % 512] & EXO_PTE_VALID)
				return base + (u64)((page_start + p) % 512) * 4096;
		return base + page_start * 4096ull;
	}
	return play_va();
}

static void recheck_probe_set(void)
{
	for (u32 i = 0; i < PROBE_SET && !failed; i++)
		probe(probe_set[i]);
	for (u32 i = 0; i < PLANTED_SET && !failed; i++)
		probe(planted[i]);
}

/* After a table changed: what was cached must be gone, and new reads cache the new state. */
static void after_table_change(u64 table, u64 index, u64 count)
{
	recheck_probe_set();
	for (u32 i = 0; i < 4 && !failed; i++) {
		u64 va = i < 2 ? play_va_near(table, index, count) : mapped_play_va();
		probe_set[below(PROBE_SET)] = va;
		probe(va);
	}
}

/*
 * The entry behind an address of the probe set: its page in its level-3
 * table, or its link in the playground's table.  A change there is one
 * the TLB holds a translation for, so a missing invalidation shows.
 */
static u64 aim_at_probe(u64 *table, u64 *index)
{
	u64 va = percent(50) ? planted[below(PLANTED_SET)] : probe_set[below(PROBE_SET)];
	u64 link = play_links()[exo_pt_index(2, va)];
	u32 kind = kind_of(ADDR(link));
	if ((link & EXO_PTE_VALID) && kind == KIND_TABLE && percent(80)) {
		*table = ADDR(link);
		*index = exo_pt_index(3, va);
	} else {
		*table = play_l2;
		*index = exo_pt_index(2, va);
	}
	return va;
}

/*
 * A fresh level-3 table with a few of its frames, linked into a playground
 * slot: the kernel knows exactly where such a table sits (it is linked
 * once), so changes to it take the per-address invalidation path, the one
 * a wrong address would break.  Random links elsewhere soon make a table's
 * place unknown (then everything is flushed), so new ones keep coming.
 */
static void plant_fresh_table(void)
{
	if (!nframes || ntables == MAX_TABLES)
		return;
	i64 table = exo_pt_alloc(rt_id, 3);
	if (table < 0 || !track_table((u64)table, 3))
		return;
	for (u32 i = 0; i < 8; i++) {
		u64 desc = tracked_frame() | (percent(50) ? PAGE_RW : PAGE_RO);
		exo_pt_write((u64)table, below(EXO_PT_ENTRIES), 1, &desc); /* a stale one is refused */
	}
	u64 slot = below(EXO_PT_ENTRIES), link = (u64)table | EXO_PTE_TABLE;
	if (exo_pt_write(play_l2, slot, 1, &link) < 0)
		return;
	u64 base = PLAY_VA + slot * (2ull << 20);
	const u64 *pages = exo_window_table(3, base);
	for (u32 i = 0, p = 0; i < PLANTED_SET && !failed; i++) {
		while (p < EXO_PT_ENTRIES && !(pages[p] & EXO_PTE_VALID))
			p++;
		planted[i] = base + (p < EXO_PT_ENTRIES ? p++ : below(EXO_PT_ENTRIES)) * 4096ull;
		probe(planted[i]);
	}
}

/* Every mapped page of the playground (up to a limit): reads as its frame should. */
static void sweep_playground(void)
{
	const u64 *links = play_links();
	u32 done = 0;
	for (u32 slot = 0; slot < 512 && done < SWEEP_MAX && !failed; slot++) {
		if (!(links[slot] & EXO_PTE_VALID))
			continue;
		u64 base = PLAY_VA + slot * (2ull << 20);
		const u64 *pages = exo_window_table(3, base);
		for (u32 p = 0; p < 512 && done < SWEEP_MAX && !failed; p++)
			if (pages[p] & EXO_PTE_VALID) {
				probe(base + p * 4096ull);
				done++;
			}
	}
}

/* ================================================================== */
/* Keeping track of what successful calls gave it                      */
/* ================================================================== */

static void restore_upcalls(void)
{
	exo_env_set_upcalls(rt_id, (u64)rt_fault_entry, (u64)rt_syscall_entry, CHILD_UPCALL_TOP, 0);
}

static void destroy_kid(u32 at);

/* Map a few fresh frames at TAG_VA: they must read as zero; word 0 gets a tag to recognise them by. */
static void tag_some(const u64 *fresh, u64 count)
{
	struct aspace self;
	as_self(&self);
	for (u32 i = 0; i < TAGS_PER_ALLOC && i < count && !failed; i++) {
		u64 frame = fresh[below(count)];
		if (kind_of(frame) != KIND_FRAME || frames[slot_of(frame)].expect)
			continue;
		int err = as_map(&self, TAG_VA, frame, PAGE_RW);
		if (err) {
			FAIL("cannot map frame 0x%lx it was just given: %d", frame, err);
			break;
		}
		volatile u64 *words = (volatile u64 *)TAG_VA;
		for (u32 w = 0; w < 512; w++)
			if (words[w]) {
				FAIL("fresh frame 0x%lx word %u holds 0x%lx, not 0", frame, w, words[w]);
				break;
			}
		words[0] = frame ^ TAG_SALT;
		frames[slot_of(frame)].expect = frame ^ TAG_SALT;
		stats.frames_tagged++;
	}
	as_unmap(&self, TAG_VA);
}

static void after_frame_alloc(const struct call *c)
{
	static u64 fresh[EXO_PT_ENTRIES];
	u64 count = c->a[1];
	memcpy(fresh, (const void *)c->out, count * 8);
	for (u64 i = 0; i < count && !failed; i++)
		track_frame(fresh[i]);
	for (u64 i = 1; i < count && count <= 64 && !failed; i++)
		for (u64 j = 0; j < i; j++)
			if (fresh[i] == fresh[j])
				FAIL("frame 0x%lx handed out twice in one allocation", fresh[i]);
	tag_some(fresh, count);
}

static void after_frame_free(const struct call *c)
{
	u64 freed[EXO_PT_ENTRIES], count = c->a[1] & ~EXO_FREE_WHEN_UNUSED;
	memcpy(freed, (const void *)c->a[0], count * 8);
	for (u64 i = 0; i < count; i++) { /* a doomed one is not its own to use any more either */
		if (kind_of(freed[i]) == KIND_LIVE || kind_of(freed[i]) == KIND_PLAY)
			FAIL("freed 0x%lx, a table or frame in its own running address space", freed[i]);
		untrack(freed[i]);
	}
}

static void after_recv(const struct call *c)
{
	struct exo_event event;
	if (!in_scratch(c->out))
		return;
	memcpy(&event, (const void *)c->out, sizeof(event));
	bool word = event.kind == EXO_EVENT_WORD && (c->a[1] & (EXO_RECV_WORD | EXO_RECV_WORDS));
	if (event.kind == EXO_EVENT_EXIT)
		forget_kid(event.env);
	else if (event.kind != EXO_EVENT_MESSAGE && !word)
		FAIL("received an event of kind %lu", event.kind);
}

/*
 * A child made runnable runs now, until it dies (it has no code worth the
 * name), rather than whenever a timer tick preempts the fuzzer: so the
 * same seed makes the same calls with the same results, whatever the timing.
 */
static void settle_kids(void)
{
	for (u32 round = 0; round < SETTLE_ROUNDS; round++) {
		bool runnable = false;
		for (u32 i = 0; i < nkids; i++) {
			struct exo_env_info info;
			runnable |= exo_env_info(kids[i], &info) == 0 && info.status == EXO_ENV_RUNNABLE;
		}
		if (!runnable)
			return;
		exo_yield();
	}
	for (u32 i = nkids; i-- > 0;) {
		struct exo_env_info info;
		if (exo_env_info(kids[i], &info) == 0 && info.status == EXO_ENV_RUNNABLE)
			destroy_kid(i); /* still running: it found some code to loop in */
	}
}

/* A copy-on-write copy is a new frame holding what the old one held. */
static void after_cow_copy(u64 from, u64 copy)
{
	u64 word = 0;
	if (!from && kind_of(copy) != KIND_UNKNOWN)
		return; /* what the entry mapped was not known: maybe made writable in place */
	/* A new frame (a tracked one is a stale entry, freed since, as for an allocation). */
	if (!peek_word0(copy, &word)) {
		FAIL("cannot map the copy 0x%lx it was just given", copy);
		return;
	}
	if (kind_of(from) == KIND_FRAME && word != frames[slot_of(from)].expect)
		FAIL("the copy 0x%lx of 0x%lx holds 0x%lx, want 0x%lx", copy, from, word, frames[slot_of(from)].expect);
	if (track_frame(copy))
		frames[slot_of(copy)].expect = word;
}

static void after_success(const struct call *c, i64 result)
{
	switch (c->number) {
	case EXO_ENV_RUN:
		if (c->a[0] != rt_id)
			settle_kids();
		break;
	case EXO_ENV_CREATE:
		kids[nkids++] = (u64)result;
		stats.kids_made++;
		break;
	case EXO_ENV_DESTROY:
		forget_kid(c->a[0]);
		break;
	case EXO_RECV:
		after_recv(c);
		break;
	case EXO_FRAME_ALLOC:
		after_frame_alloc(c);
		break;
	case EXO_FRAME_FREE:
		after_frame_free(c);
		break;
	case EXO_PT_ALLOC:
		track_table((u64)result, c->a[1]);
		break;
	case EXO_PT_WRITE:
		after_table_change(c->a[0], c->a[1], c->a[2]);
		break;
	case EXO_PT_COPY:
		after_table_change(c->a[2], c->a[3], c->a[4]);
		if (c->a[6] & EXO_COPY_BOTH)
			after_table_change(c->a[0], c->a[1], c->a[4]);
		break;
	case EXO_PT_COW:
		if ((u64)result != c->cow_from)
			after_cow_copy(c->cow_from, (u64)result);
		if ((u64)result != c->cow_from && (c->a[2] & EXO_COW_GIVE_UP) && kind_of(c->cow_from) != KIND_LIVE &&
		    kind_of(c->cow_from) != KIND_PLAY)
			untrack(c->cow_from); /* given up: the kernel frees it when unused */
		after_table_change(c->a[0], c->a[1], 1);
		break;
	case EXO_PT_COPY_TABLES:
		/* The new tables: tracked when the destination is its own (a child's go with the child). */
		if (kind_of(c->a[1]) == KIND_TABLE || kind_of(c->a[1]) == KIND_PLAY)
			track_subtree(c->a[1], level_of(c->a[1]) == EXO_PT_LEVELS ? 2 : level_of(c->a[1]), c->a[2],
			              (u64)result);
		if (level_of(c->a[1]) == 2 || kind_of(c->a[1]) == KIND_PLAY) {
			after_table_change(c->a[1], c->a[2], (u64)result - c->a[2]);
			if (c->a[5] & EXO_COPY_BOTH)
				after_table_change(c->a[0], c->a[2], (u64)result - c->a[2]);
		}
		break;
	case EXO_PT_MAP_NEW: {
		const u64 *made = (const u64 *)c->out;
		for (u64 i = 0; i < c->a[2] && !failed; i++)
			track_frame(made ? made[i] : entry_target(c->a[0], c->a[1] + i));
		after_table_change(c->a[0], c->a[1], c->a[2]);
		break;
	}
	}
}

/* ================================================================== */
/* Housekeeping: room for more, and a clean slate now and then         */
/* ================================================================== */

static struct exo_env_info baseline; /* its own frames and quota before fuzzing */

static void destroy_kid(u32 at)
{
	u64 env = kids[at];
	exo_env_destroy(env);
	forget_kid(env);
}

/* Exit notices of children that died, messages sent to itself. */
static void drain_events(void)
{
	struct exo_event event;
	while (exo_recv(&event, EXO_RECV_NOWAIT, 0) == 0)
		if (event.kind == EXO_EVENT_EXIT)
			forget_kid(event.env);
}

static void clear_table(u64 table, u64 level)
{
	exo_pt_write(table, 0, level == 0 ? EXO_PT_WINDOW_SLOT : EXO_PT_ENTRIES, zeros);
}

static void free_one(u64 addr)
{
	i64 err = exo_frame_free(&addr, 1);
	if (err == -EXO_EBUSY)
		FAIL("0x%lx still mapped or linked after every table was cleared", addr);
}

/*
 * Children destroyed, every table cleared (breaking any cycle, like a table
 * mapped in itself), every frame freed: it must own what it started with.
 */
static void reset_world(void)
{
	stats.resets++;
	while (nkids)
		destroy_kid(nkids - 1);
	drain_events();
	for (u32 i = 0; i < ntables; i++)
		clear_table(tables[i].addr, tables[i].level);
	clear_table(play_l2, 2);
	recheck_probe_set(); /* all must fault now */
	while (ntables) {
		u64 addr = tables[ntables - 1].addr;
		untrack(addr);
		free_one(addr);
	}
	while (nframes) {
		u64 addr = frames[nframes - 1].addr;
		untrack(addr);
		free_one(addr);
	}
	struct exo_env_info now;
	exo_env_info(rt_id, &now);
	if (now.used != baseline.used || now.quota != baseline.quota)
		FAIL("after cleaning up it owns %lu frames of %lu quota; it started with %lu of %lu",
		     now.used, now.quota, baseline.used, baseline.quota);
}

/* Before a call that may add to a list: make room. */
static void make_room(u64 number)
{
	if (number == EXO_ENV_CREATE && nkids == MAX_KIDS)
		destroy_kid(0);
	if (((number == EXO_FRAME_ALLOC || number == EXO_PT_MAP_NEW || number == EXO_PT_COW) &&
	     nframes + EXO_PT_ENTRIES > MAX_FRAMES) ||
	    ((number == EXO_PT_ALLOC || number == EXO_PT_COPY_TABLES) && ntables + EXO_COPY_TABLES_MAX + 4 >= MAX_TABLES))
		reset_world();
}

static struct call last_call; /* the call just made: the suspect when a check fails */
static i64 last_result;

/* No randomness and no change of state: so check_every=1 replays the same calls. */
static void check_kernel(void)
{
	if (exo_null() != 0)
		FAIL("the kernel no longer answers EXO_NULL");
	struct exo_check check;
	exo_debug_check(&check);
	if (check.problems)
		FAIL("the isolation checker found %lu problems (console above)", check.problems);
	if (failed)
		print_call(&last_call, last_result);
}

static void checkpoint(void)
{
	check_kernel();
	sweep_playground();
	drain_events();
	new_vector_values();
	struct exo_env_info now;
	exo_env_info(rt_id, &now);
	if (now.quota < now.used + 256 || nframes > MAX_FRAMES * 3 / 4)
		reset_world(); /* nearly out of quota: start over so allocations keep succeeding */
}

/* ================================================================== */
/* The fuzzer                                                          */
/* ================================================================== */

static bool set_up(void)
{
	struct aspace self;
	as_self(&self);
	i64 play = as_table(&self, 2, PLAY_VA, true);
	if (play < 0 || as_table(&self, 3, TAG_VA, true) < 0) {
		rt_printf("utest:   fuzz: cannot make the playground (%ld)\n", play);
		return false;
	}
	play_l2 = (u64)play;
	set_kind(play_l2, KIND_PLAY, 0);
	set_kind(rt_root, KIND_LIVE, 0);
	mark_live(0, 0);
	for (u32 i = 0; i < CANARY_PAGES; i++)
		set_kind(victim.frames[i], KIND_VICTIM, 0);
	for (u32 i = 0; i < EXO_PT_LEVELS; i++)
		set_kind(victim.tables[i], KIND_VICTIM, 0);
	for (u32 i = 0; i < PROBE_SET; i++)
		probe_set[i] = play_va();
	for (u32 i = 0; i < PLANTED_SET; i++)
		planted[i] = play_va();
	rt_fault_hook = skip_probe_fault;
	fill_scratch();
	new_vector_values();
	exo_env_info(rt_id, &baseline);
	return true;
}

static void make_one_call(void)
{
	struct call c;
	build_call(&c);
	make_room(c.number);
	if (c.aimed_va)
		probe(c.aimed_va); /* its translation cached right before the change */
	arm_output(&c);
	i64 result = checked_call(c.number, c.a);
	stats.calls++;
	stats.outcomes[bucket_of(c.number)][outcome_of(result)]++;
	stats.must_fail += c.must_fail != NULL;
	if (c.number == EXO_ENV_SET_UPCALLS && c.a[0] == rt_id)
		restore_upcalls(); /* its own handlers back before anything can fault */
	if (registers_kept() && result_plausible(&c, result) && output_kept_to_size(&c, result) &&
	    result >= 0)
		after_success(&c, result);
	if (failed)
		print_call(&c, result);
	last_call = c;
	last_result = result;
}

static void print_outcomes(const char *label, const u32 *counts)
{
	char line[200];
	u32 len = (u32)ksnprintf(line, sizeof(line), "utest:   fuzz %-15s", label);
	for (u32 i = 0; i < OUTCOMES && len < sizeof(line) - 1; i++)
		if (counts[i])
			len += (u32)ksnprintf(line + len, sizeof(line) - len, " %s %u", error_names[i], counts[i]);
	rt_printf("%s\n", line);
}

static void print_stats(void)
{
	u32 totals[OUTCOMES] = { 0 };
	for (u32 b = 0; b <= EXO_NCALLS; b++)
		for (u32 o = 0; o < OUTCOMES; o++)
			totals[o] += stats.outcomes[b][o];
	rt_printf("utest:   fuzz %s: %lu calls (%lu that must fail), %lu probes, %lu resets, "
	          "%lu children, %lu frames tagged\n",
	          test_name, stats.calls, stats.must_fail, stats.probes, stats.resets, stats.kids_made,
	          stats.frames_tagged);
	print_outcomes("all", totals);
	for (u32 b = 0; b <= EXO_NCALLS; b++) {
		u32 made = 0;
		for (u32 o = 0; o < OUTCOMES; o++)
			made += stats.outcomes[b][o];
		if (made)
			print_outcomes(call_names[b], stats.outcomes[b]);
	}
}

static int fuzzer_main(u64 arg)
{
	if (arg >> 8 != shared_digest() || ncalls == 0) {
		rt_printf("utest:   fuzz: the data copied at spawn is wrong (%lu calls): nothing to fuzz with\n",
		          ncalls);
		return 3;
	}
	mode = (u32)(arg & 0xff);
	victim_bias = mode == MODE_SIBLING ? 50 : 8;
	aim_at_probes = mode == MODE_SIBLING ? 5 : 20;
	test_name = mode == MODE_SIBLING ? "fuzz/canaries_intact" : "fuzz/random_calls";
	u64 count = mode == MODE_SIBLING ? ncalls / SIBLING_CALLS_DIVISOR : ncalls;
	rng_seed(seed * 2 + mode);
	if (!set_up())
		return 2;
	for (call_index = 0; call_index < count && !failed; call_index++) {
		make_one_call();
		if ((call_index + 1) % check_every == 0 && !failed)
			check_kernel();
		if ((call_index + 1) % HOUSEKEEPING_EVERY == 0 && !failed)
			checkpoint();
		if ((call_index + 1) % PLANT_EVERY == 0 && !failed)
			plant_fresh_table();
	}
	bool failed_fuzzing = failed;
	reset_world();
	if (!failed_fuzzing)
		checkpoint();
	print_stats();
	return failed ? 1 : 0;
}

/* ================================================================== */
/* The tests: victim and fuzzer, siblings under the test environment   */
/* ================================================================== */

static bool receive_addresses(u64 from)
{
	u64 values[CANARY_PAGES + EXO_PT_LEVELS];
	struct exo_event event;
	for (u32 i = 0; i < ARRAY_LEN(values); i++) {
		if (exo_recv(&event, 0, 0) < 0 || event.kind != EXO_EVENT_MESSAGE || event.env != from)
			return false;
		values[i] = event.value;
	}
	memcpy(victim.frames, values, sizeof(victim.frames));
	memcpy(victim.tables, values + CANARY_PAGES, sizeof(victim.tables));
	return true;
}

static int siblings(u64 fuzz_mode)
{
	struct exo_env_info me;
	exo_env_info(rt_id, &me);
	victim.parent_env = rt_id;
	victim.grandparent_env = me.parent;
	i64 holder = rt_spawn(victim_main, rt_id, VICTIM_QUOTA);
	T_CHECK(holder > 0, "cannot spawn the victim: %ld", holder);
	victim.env = (u64)holder;
	if (!receive_addresses((u64)holder)) {
		exo_env_destroy((u64)holder);
		T_CHECK(false, "the victim did not send its addresses");
	}
	exo_env_info(rt_id, &me);
	i64 fuzzer = rt_spawn(fuzzer_main, shared_digest() << 8 | fuzz_mode, me.quota - me.used - QUOTA_SPARE);
	i64 fuzz_status = fuzzer > 0 ? rt_wait((u64)fuzzer) : fuzzer;
	exo_send((u64)holder, VICTIM_CHECK);
	i64 victim_status = rt_wait((u64)holder);
	T_EQ(fuzz_status, 0);
	T_EQ(victim_status, 0);
	return 0;
}

static u64 number_arg(const char *key, u64 fallback)
{
	char buf[24];
	const char *text = rt_arg(key, buf, sizeof(buf));
	if (!text || !*text)
		return fallback;
	u64 value = 0;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return fallback;
		value = value * 10 + (u64)(*text - '0');
	}
	return value;
}

int main(void)
{
	seed = number_arg("seed", DEFAULT_SEED);
	ncalls = number_arg("calls", DEFAULT_CALLS);
	check_every = number_arg("check_every", DEFAULT_CHECK_EVERY);
	check_every = check_every ? check_every : DEFAULT_CHECK_EVERY;
	rt_printf("utest:   fuzz seed %lu, %lu calls\n", seed, ncalls);
	static const struct rt_test tests[] = {
		{ "fuzz/random_calls", siblings, MODE_GENERAL },
		{ "fuzz/canaries_intact", siblings, MODE_SIBLING },
	};
	return rt_run_tests(tests, ARRAY_LEN(tests));
}
