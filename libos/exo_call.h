/*
 * The raw exokernel calls as C functions (exo/abi.h has the numbers and
 * doc/exo-abi.md the rules).  svc #EXO_SVC_CALL, number in x8, arguments
 * in x0..x6, result in x0; nothing else changes.
 */
#ifndef LIBOS_EXO_CALL_H
#define LIBOS_EXO_CALL_H

#include "exo/abi.h"

static inline int64_t exo_call(uint64_t number, uint64_t a0, uint64_t a1, uint64_t a2,
                               uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	register uint64_t x4 __asm__("x4") = a4;
	register uint64_t x5 __asm__("x5") = a5;
	register uint64_t x6 __asm__("x6") = a6;
	register uint64_t x8 __asm__("x8") = number;
	__asm__ volatile("svc #1"
	                 : "+r"(x0)
	                 : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5), "r"(x6), "r"(x8)
	                 : "memory");
	return (int64_t)x0;
}

#define EXO_CALL0(n) exo_call((n), 0, 0, 0, 0, 0, 0, 0)
#define EXO_CALL1(n, a) exo_call((n), (uint64_t)(a), 0, 0, 0, 0, 0, 0)
#define EXO_CALL2(n, a, b) exo_call((n), (uint64_t)(a), (uint64_t)(b), 0, 0, 0, 0, 0)
#define EXO_CALL3(n, a, b, c) exo_call((n), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0, 0, 0)
#define EXO_CALL4(n, a, b, c, d) \
	exo_call((n), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), 0, 0, 0)

static inline int64_t exo_null(void) { return EXO_CALL0(EXO_NULL); }
static inline int64_t exo_self(void) { return EXO_CALL1(EXO_SELF, 0); }
static inline int64_t exo_parent(void) { return EXO_CALL1(EXO_SELF, EXO_SELF_PARENT); }
/* Who receives our exit notice: the parent, or the first environment once we are an orphan (getppid). */
static inline int64_t exo_notice_to(void) { return EXO_CALL1(EXO_SELF, EXO_SELF_NOTICE_TO); }
/* The first environment: orphans it has adopted whose exit notice it has not yet received. */
static inline int64_t exo_orphans(void) { return EXO_CALL2(EXO_SELF, EXO_SELF_ORPHANS, 0); }
/* The first environment: is env an orphan it adopted whose exit notice it has not yet received? */
static inline int64_t exo_is_orphan(uint64_t env) { return EXO_CALL2(EXO_SELF, EXO_SELF_ORPHANS, env); }
static inline int64_t exo_cons_write(const void *buf, uint64_t len) { return EXO_CALL2(EXO_CONS_WRITE, buf, len); }
static inline int64_t exo_cons_read(void *buf, uint64_t len) { return EXO_CALL2(EXO_CONS_READ, buf, len); }
static inline int64_t exo_clock(void) { return EXO_CALL0(EXO_CLOCK); }
static inline int64_t exo_yield(void) { return EXO_CALL0(EXO_YIELD); }
static inline int64_t exo_env_create(uint64_t quota) { return EXO_CALL1(EXO_ENV_CREATE, quota); }
/* flags: EXO_ENV_DRAWS (the child draws on our spare quota when its own runs out). */
static inline int64_t exo_env_create_flags(uint64_t quota, uint64_t flags)
{
	return EXO_CALL2(EXO_ENV_CREATE, quota, flags);
}
static inline int64_t exo_env_set_root(uint64_t env, uint64_t root) { return EXO_CALL2(EXO_ENV_SET_ROOT, env, root); }
/* Root and registers at once: for oneself, an exec (it returns only on error). */
static inline int64_t exo_env_set_root_regs(uint64_t env, uint64_t root, const struct exo_regs *regs)
{
	return EXO_CALL3(EXO_ENV_SET_ROOT, env, root, regs);
}
static inline int64_t exo_env_set_regs(uint64_t env, const struct exo_regs *regs) { return EXO_CALL2(EXO_ENV_SET_REGS, env, regs); }
static inline int64_t exo_env_get_regs(uint64_t env, struct exo_regs *regs) { return EXO_CALL2(EXO_ENV_GET_REGS, env, regs); }
static inline int64_t exo_env_set_upcalls(uint64_t env, uint64_t fault, uint64_t syscall, uint64_t stack,
                                          uint64_t flags)
{
	return exo_call(EXO_ENV_SET_UPCALLS, env, fault, syscall, stack, flags, 0, 0);
}
static inline int64_t exo_syscall_origin(struct exo_regs *regs) { return EXO_CALL1(EXO_SYSCALL_ORIGIN, regs); }
static inline int64_t exo_env_alert(uint64_t env, uint64_t bits) { return EXO_CALL2(EXO_ENV_ALERT, env, bits); }
/* EXO_ALARM: alerted (by env 0) with bits after ns; 0 cancels.  -> ns left of the previous one. */
static inline int64_t exo_alarm(uint64_t ns, uint64_t bits) { return EXO_CALL2(EXO_ALARM, ns, bits); }
static inline int64_t exo_cons_listen(uint64_t on) { return EXO_CALL1(EXO_CONS_LISTEN, on); }
static inline int64_t exo_env_set_exit_alert(uint64_t env, uint64_t bits)
{
	return EXO_CALL2(EXO_ENV_SET_EXIT_ALERT, env, bits);
}
/* EXO_RECV that also ends when *word is not expected, or on EXO_WAKE of word. */
static inline int64_t exo_recv_word(struct exo_event *event, uint64_t flags, uint64_t timeout_ns,
                                    const volatile uint32_t *word, uint32_t expected)
{
	return exo_call(EXO_RECV, (uint64_t)event, flags | EXO_RECV_WORD, timeout_ns, (uint64_t)word, expected, 0, 0);
}
static inline int64_t exo_wake(const volatile uint32_t *word, uint64_t count) { return EXO_CALL2(EXO_WAKE, word, count); }
/* Why the caller's last failed call failed: which rule, argument and entry. */
static inline int64_t exo_why(struct exo_why *why) { return EXO_CALL1(EXO_WHY, why); }
/* env's children (live or ended) one by one: after = 0 gives the first, 0 means no more. */
static inline int64_t exo_env_child(uint64_t env, uint64_t after) { return EXO_CALL2(EXO_ENV_CHILD, env, after); }
static inline int64_t exo_env_run(uint64_t env) { return EXO_CALL1(EXO_ENV_RUN, env); }
static inline int64_t exo_env_destroy(uint64_t env) { return EXO_CALL1(EXO_ENV_DESTROY, env); }
static inline __attribute__((noreturn)) void exo_env_exit(int64_t status)
{
	EXO_CALL1(EXO_ENV_EXIT, status);
	__builtin_unreachable();
}
static inline int64_t exo_env_info(uint64_t env, struct exo_env_info *info) { return EXO_CALL2(EXO_ENV_INFO, env, info); }
static inline int64_t exo_quota_give(uint64_t env, uint64_t frames) { return EXO_CALL2(EXO_QUOTA_GIVE, env, frames); }
static inline int64_t exo_send(uint64_t env, uint64_t value) { return EXO_CALL2(EXO_SEND, env, value); }
static inline int64_t exo_recv(struct exo_event *event, uint64_t flags, uint64_t timeout_ns)
{
	return EXO_CALL3(EXO_RECV, event, flags, timeout_ns);
}
static inline int64_t exo_frame_alloc(uint64_t env, uint64_t count, uint64_t *frames)
{
	return EXO_CALL3(EXO_FRAME_ALLOC, env, count, frames);
}
static inline int64_t exo_frame_free(const uint64_t *frames, uint64_t count) { return EXO_CALL2(EXO_FRAME_FREE, frames, count); }
static inline int64_t exo_frame_share(uint64_t frame, uint64_t rights) { return EXO_CALL2(EXO_FRAME_SHARE, frame, rights); }
static inline int64_t exo_pt_alloc(uint64_t env, uint64_t level) { return EXO_CALL2(EXO_PT_ALLOC, env, level); }
static inline int64_t exo_pt_write(uint64_t table, uint64_t index, uint64_t count, const uint64_t *descs)
{
	return EXO_CALL4(EXO_PT_WRITE, table, index, count, descs);
}
static inline int64_t exo_pt_copy(uint64_t src, uint64_t src_index, uint64_t dst, uint64_t dst_index,
                                  uint64_t count, uint64_t set_bits, uint64_t flags)
{
	return exo_call(EXO_PT_COPY, src, src_index, dst, dst_index, count, set_bits, flags);
}
/* Copy-on-write: the page at entry index of a last-level table made private and writable; the frame it now maps. */
static inline int64_t exo_pt_cow(uint64_t table, uint64_t index, uint64_t flags) { return EXO_CALL3(EXO_PT_COW, table, index, flags); }
/* How many page entries map the frame. */
static inline int64_t exo_frame_maps(uint64_t frame) { return EXO_CALL1(EXO_FRAME_MAPS, frame); }
/* Demand-zero: count fresh zeroed frames mapped at entries index.. as attrs (a page descriptor without address). */
static inline int64_t exo_pt_map_new(uint64_t table, uint64_t index, uint64_t count, uint64_t attrs, uint64_t *frames)
{
	return exo_call(EXO_PT_MAP_NEW, table, index, count, attrs, (uint64_t)frames, 0, 0);
}
/*
 * The last-level tables under 2 MiB slots start..end of src (a level-0, 1
 * or 2 table) copied (or with EXO_COPY_LINK linked) at the same place
 * under dst, a bounded part a call: the slot where it stopped (end: done).
 */
static inline int64_t exo_pt_copy_tables(uint64_t src, uint64_t dst, uint64_t start, uint64_t end,
                                         uint64_t set_bits, uint64_t flags)
{
	return exo_call(EXO_PT_COPY_TABLES, src, dst, start, end, set_bits, flags, 0);
}
static inline int64_t exo_quota_take(uint64_t env, uint64_t frames) { return EXO_CALL2(EXO_QUOTA_TAKE, env, frames); }
static inline int64_t exo_upcall_return(const struct exo_upcall *record) { return EXO_CALL1(EXO_UPCALL_RETURN, record); }
static inline int64_t exo_debug_check(struct exo_check *check) { return EXO_CALL1(EXO_DEBUG_CHECK, check); }

/* The table entries of one's own address space, read through the window (no trap). */
static inline const uint64_t *exo_window_l0(void) { return (const uint64_t *)EXO_PT_WINDOW_L0; }
static inline const uint64_t *exo_window_table(unsigned level, uint64_t va)
{
	uint64_t addr = level == 0 ? EXO_PT_WINDOW_L0 : level == 1 ? EXO_PT_WINDOW_L1(va) :
	                level == 2 ? EXO_PT_WINDOW_L2(va) : EXO_PT_WINDOW_L3(va);
	return (const uint64_t *)addr;
}
static inline unsigned exo_pt_index(unsigned level, uint64_t va) { return (unsigned)(va >> (39 - 9 * level)) & 511; }

#endif
