/*
 * A small runtime for the exokernel's test programs, written against the
 * raw calls only: printing, a test harness that runs each test in a fresh
 * child environment and counts frames after it, address-space building and
 * spawning a copy of the running image.
 */
#ifndef TESTS_USER_RT_H
#define TESTS_USER_RT_H

#include "libos/exo_call.h"
#include "exo/printk.h"
#include "exo/string.h"
#include "exo/types.h"

#define rt_printf kprintf

extern u64 rt_id, rt_root, rt_archive, rt_archive_size;
extern const char *rt_cmdline;

/* Upcall hooks: return 0 if handled (the record may be changed), else the default kills. */
extern int (*rt_fault_hook)(struct exo_upcall *up);
extern int (*rt_syscall_hook)(struct exo_upcall *up);
/* Light system calls (rt_light_entry, EXO_UPCALL_LIGHT): x0-x30 in up->regs, returns x0. */
extern i64 (*rt_light_hook)(struct exo_upcall *up);
/* Light faults (EXO_UPCALL_LIGHT_FAULTS with rt_light_fault_entry): 0 if handled, then the access runs again. */
extern int (*rt_light_fault_hook)(u64 far, u64 esr);
void rt_light_fault_entry(void);
void rt_light_entry(void);
void rt_fault_entry(void);
void rt_syscall_entry(void);

/* The test program's main. */
int main(void);

/* --- tests: each runs in its own child; 0 means passed --- */
struct rt_test {
	const char *name;
	int (*run)(u64 arg);
	u64 arg;
};
/* Run them all (or those whose name contains only); print one line each and a summary. */
int rt_run_tests(const struct rt_test *tests, u32 count);
/* The value of key=value on the command line, or NULL. */
const char *rt_arg(const char *key, char *buf, u32 size);

#define T_CHECK(cond, ...)                                                       \
	do {                                                                     \
		if (!(cond)) {                                                   \
			rt_printf("utest:   check failed (line %d): ", __LINE__);   \
			rt_printf(__VA_ARGS__);                                  \
			rt_printf("\n");                                         \
			return 1;                                                \
		}                                                                \
	} while (0)
/* Each side is evaluated once: `got` is often a call (a wait, a create) that must not run twice. */
#define T_EQ(got, want)                                                                               \
	do {                                                                                          \
		i64 t_got_ = (i64)(got), t_want_ = (i64)(want);                                       \
		T_CHECK(t_got_ == t_want_, "%s = %ld, want %ld", #got, t_got_, t_want_);              \
	} while (0)

#include "libos/aspace.h"

/* A fresh frame of ours mapped read-write at va; 0 on failure. */
u64 rt_map_fresh(u64 va);

#define SCRATCH_VA 0x0000010000000000ull
#define CHILD_STACK_TOP 0x0000800000000000ull
#define CHILD_UPCALL_TOP 0x00007fff00000000ull

/* Spawn a copy of this image running fn(arg) in a new address space; its id. */
i64 rt_spawn(int (*fn)(u64), u64 arg, u64 quota);
/* The same, built but not yet run. */
i64 rt_spawn_stopped(int (*fn)(u64), u64 arg, u64 quota);
/* Spawn fn(arg) as a thread: a child environment in this address space, on its own stack. */
i64 rt_spawn_thread(int (*fn)(u64), u64 arg, u64 stack_top);
/* The same with a quota of its own (frames it may own) before it first runs. */
i64 rt_spawn_thread_quota(int (*fn)(u64), u64 arg, u64 stack_top, u64 quota);
/* Wait for a child to end; its status. */
i64 rt_wait(u64 child);
/* Free frames right now (from the isolation checker), and whether it found problems. */
u64 rt_free_frames(u64 *problems);

static inline u64 rt_counter(void)
{
	u64 value;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(value));
	return value;
}
static inline u64 rt_counter_freq(void)
{
	u64 value;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(value));
	return value;
}

/*
 * For rt_svc_call_all / rt_svc0_all (svc_all.S): every register before and
 * after one svc.
 */
struct svc_frame {
	u64 x_in[31]; /* x8 is the call number */
	u64 nzcv_in;
	u64 x_out[31];
	u64 nzcv_out;
	u64 sp_before, sp_after;
	u64 q_in[64];
	u64 q_out[64];
} __attribute__((aligned(16)));
_Static_assert(offsetof(struct svc_frame, nzcv_in) == 248, "svc_all.S offsets");
_Static_assert(offsetof(struct svc_frame, x_out) == 256, "svc_all.S offsets");
_Static_assert(offsetof(struct svc_frame, nzcv_out) == 504, "svc_all.S offsets");
_Static_assert(offsetof(struct svc_frame, sp_before) == 512, "svc_all.S offsets");
_Static_assert(offsetof(struct svc_frame, q_in) == 528, "svc_all.S offsets");
_Static_assert(offsetof(struct svc_frame, q_out) == 1040, "svc_all.S offsets");
void rt_svc_call_all(struct svc_frame *frame);
void rt_svc0_all(struct svc_frame *frame);
void rt_svc_sysret_all(struct svc_frame *frame);
/* NULL if every register but x0 came back as it went in, else what changed (written to why). */
const char *rt_svc_changed(const struct svc_frame *frame, char *why, u32 size);

#endif
