/*
 * The exokernel's interface to user space: call numbers, argument
 * structures, rights and the descriptor bits user space writes.  Shared
 * word for word by the kernel and by libos; doc/exo-abi.md explains every
 * call.  Only fixed-width types, so it compiles freestanding on both sides.
 */
#ifndef EXO_ABI_H
#define EXO_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/*
 * Calling convention: `svc #EXO_SVC_CALL` with the call number in x8 and
 * arguments in x0..x6; the result comes back in x0 (>= 0 success, a negated
 * EXO_E* code on failure); no other register changes.  `svc #0` is never
 * interpreted: it is reflected to the environment's system-call handler.
 */
#define EXO_SVC_CALL 1
/*
 * `svc #EXO_SVC_SYSRET` ends a light system call (EXO_UPCALL_LIGHT): it
 * resumes the program where its `svc #0` left it, with the registers as they
 * are at this svc (x0 the result).  No register names a call, so none is
 * spent.  Outside a light system-call handler it returns -EXO_EINVAL in x0.
 */
#define EXO_SVC_SYSRET 2

/* Call numbers (x8).  Defines, not an enum, so assembly can use them. */
#define EXO_NULL 0 /* () -> 0 */
#define EXO_SELF 1 /* (what) -> see EXO_SELF_* */
#define EXO_CONS_WRITE 2 /* (buf, len) -> len */
#define EXO_CONS_READ 3 /* (buf, len) -> bytes read, 0 if none waiting */
#define EXO_CLOCK 4 /* () -> nanoseconds since the machine was reset */
#define EXO_YIELD 5 /* () -> 0 */
#define EXO_ENV_CREATE 6 /* (quota, flags) -> child id */
#define EXO_ENV_SET_ROOT 7 /* (env, root, const struct exo_regs * or 0) -> 0 */
#define EXO_ENV_SET_REGS 8 /* (env, const struct exo_regs *) -> 0 */
#define EXO_ENV_GET_REGS 9 /* (env, struct exo_regs *) -> 0 */
#define EXO_ENV_SET_UPCALLS 10 /* (env, fault_entry, syscall_entry, stack_top, flags) -> 0 */
#define EXO_ENV_RUN 11 /* (env) -> 0 */
#define EXO_ENV_DESTROY 12 /* (env) -> 0 */
#define EXO_ENV_EXIT 13 /* (status) -> does not return */
#define EXO_ENV_INFO 14 /* (env, struct exo_env_info *) -> 0 */
#define EXO_QUOTA_GIVE 15 /* (env, frames) -> 0 */
#define EXO_SEND 16 /* (env, value) -> 0 */
#define EXO_RECV 17 /* (struct exo_event *, flags, timeout_ns) -> 0 */
#define EXO_FRAME_ALLOC 18 /* (env, count, uint64_t *frames) -> count */
#define EXO_FRAME_FREE 19 /* (const uint64_t *frames, count) -> 0 */
/* EXO_FRAME_FREE: with this bit in count, a frame still mapped or linked is freed when its last reference goes. */
#define EXO_FREE_WHEN_UNUSED (1ull << 32)
#define EXO_FRAME_SHARE 20 /* (frame, rights) -> 0 */
#define EXO_PT_ALLOC 21 /* (env, level) -> table */
#define EXO_PT_WRITE 22 /* (table, index, count, const uint64_t *descs) -> 0 */
#define EXO_PT_COPY 23 /* (src, src_index, dst, dst_index, count, set_bits, flags) -> 0 */
#define EXO_UPCALL_RETURN 24 /* (const struct exo_upcall *) -> resumes it */
#define EXO_DEBUG_CHECK 25 /* (struct exo_check *) -> 0, or -EXO_ECORRUPT */
#define EXO_SYSCALL_ORIGIN 26 /* (struct exo_regs *) -> 0: sp, pc, pstate of the light call's caller */
#define EXO_ENV_ALERT 27 /* (env, bits) -> 0: an alert upcall once env is outside its handlers */
#define EXO_WAKE 28 /* (const uint32_t *word, count) -> receivers woken from waiting on the word */
#define EXO_ENV_CHILD 29 /* (env, after) -> the id of env's next child after `after` (0: the first), or 0 */
#define EXO_WHY 30 /* (struct exo_why *) -> 0: why the caller's last failed call failed */
#define EXO_PT_COW 31     /* (table, index, flags) -> frame: the page at that entry made private and writable */
/* EXO_PT_COW flags: a page copied from a frame of the table's owner gives that frame up (freed when unused). */
#define EXO_COW_GIVE_UP 1ull
#define EXO_FRAME_MAPS 32 /* (frame) -> how many page entries map it */
#define EXO_PT_MAP_NEW 33 /* (table, index, count, attrs, out) -> 0: fresh zeroed frames mapped there */
#define EXO_QUOTA_TAKE 34 /* (env, frames) -> 0: spare quota taken back from a descendant */
#define EXO_PT_COPY_TABLES 35 /* (src, dst, start, end, set_bits, flags) -> the 2 MiB slot where it stopped */
#define EXO_ENV_SET_EXIT_ALERT 36 /* (env, bits) -> 0: alert bits its notice receiver gets as it ends */
#define EXO_ALARM 37 /* (ns, bits) -> ns left of the previous alarm: alerted with bits after ns (0: cancel) */
#define EXO_CONS_LISTEN 38 /* (on) -> 0: an EXO_EVENT_INPUT when console input arrives (0: stop) */
#define EXO_NCALLS 39
#define EXO_COPY_TABLES_MAX 8    /* last-level tables one EXO_PT_COPY_TABLES copies at most */
#define EXO_COPY_VISIT_MAX 1024  /* entries one EXO_PT_COPY_TABLES looks at (or links) at most */

/* EXO_ENV_CREATE flags. */
#define EXO_ENV_DRAWS 1u /* the child may draw quota from the caller's spare when its own runs out */

/* EXO_ENV_SET_UPCALLS flags. */
#define EXO_UPCALL_LIGHT 1u /* svc #0 enters the handler the light way (doc/exo-abi.md) */
#define EXO_UPCALL_HOLD_ALERTS 2u /* alerts stay pending, not delivered, until set without it */
#define EXO_UPCALL_LIGHT_FAULTS 4u /* aborts enter the fault handler the light way: x0 = far, x1 = esr */
#define EXO_UPCALL_OPEN_ALERTS 8u /* any environment may alert this one (EXO_ENV_ALERT) */

#ifndef __ASSEMBLER__
/* Error codes (returned negated). */
enum exo_error {
	EXO_EINVAL = 1,   /* a malformed argument or descriptor */
	EXO_ENOMEM = 2,   /* no free frame (or no environment id left) */
	EXO_ERANGE = 3,   /* an index, count or address out of range */
	EXO_EEXIST = 4,   /* the destination is already in use */
	EXO_ENOENT = 5,   /* no such environment (or it has ended) */
	EXO_ECORRUPT = 6, /* the isolation checker found a broken invariant */
	EXO_EPERM = 7,    /* the caller has no right to this */
	EXO_EBUSY = 8,    /* the frame is still mapped, linked or installed */
	EXO_EAGAIN = 9,   /* nothing received (EXO_RECV_NOWAIT, or the timeout passed), or a full queue */
	EXO_ENOSYS = 10,  /* no such call */
	EXO_EFAULT = 11,  /* a user buffer is not mapped with the access needed */
	EXO_EQUOTA = 12,  /* the environment's frame quota is used up */
};

/*
 * Which rule refused a call (struct exo_why.rule, EXO_WHY): finer than the
 * error code, with the argument and the batch entry it was about.
 */
enum exo_rule {
	EXO_RULE_NONE = 0,       /* no finer reason recorded */
	EXO_RULE_ENV = 1,        /* the environment: none such, ended, or not one the caller may act on */
	EXO_RULE_NOT_RAM = 2,    /* not the address of a frame of RAM */
	EXO_RULE_FRAME_KIND = 3, /* not the kind of frame needed (a table, a level-0 table, a user or table frame) */
	EXO_RULE_OWNER = 4,      /* the frame's owner is gone or ended, or the caller may not act on it */
	EXO_RULE_RANGE = 5,      /* an index, count or level out of range */
	EXO_RULE_WINDOW = 6,     /* the level-0 window slot is the kernel's */
	EXO_RULE_MALFORMED = 7,  /* not a descriptor user space may write at this level */
	EXO_RULE_NEXT_LEVEL = 8, /* a link to something other than a page table of the next level */
	EXO_RULE_TABLE_AS_PAGE = 9, /* a page table mapped other than read-only and not executable */
	EXO_RULE_OWNER_RIGHTS = 10, /* the table's owner does not hold the rights the entry asks for */
	EXO_RULE_CALLER_REACH = 11, /* the caller itself does not hold the rights the entry asks for */
	EXO_RULE_RELEASING = 12, /* the frame's owner is ending: its frames take no new references */
	EXO_RULE_NOT_EMPTY = 13, /* EXO_PT_COPY: a destination entry is in use */
	EXO_RULE_OVERLAP = 14,   /* EXO_PT_COPY: ranges of one table overlap */
	EXO_RULE_LEVELS = 15,    /* EXO_PT_COPY: the tables' levels differ */
	EXO_RULE_FLAGS = 16,     /* a flag, bit or right that is not allowed here */
	EXO_RULE_IN_USE = 17,    /* EXO_FRAME_FREE: mapped, linked or installed as a root */
	EXO_RULE_TWICE = 18,     /* EXO_FRAME_FREE: listed twice */
	EXO_RULE_QUOTA = 19,     /* the owner's spare quota is too small */
	EXO_RULE_NO_MEMORY = 20, /* no free frame */
	EXO_RULE_BUFFER = 21,    /* a user buffer is not accessible as the call needs */
	EXO_RULE_SHARE = 22,     /* EXO_COPY_SHARE: more than a share may give */
	EXO_RULE_DEPTH = 23,     /* EXO_ENV_CREATE: the family tree is as deep as it may grow (256) */
	EXO_RULE_DEBUG = 24,     /* EXO_DEBUG_CHECK: the kernel was not booted with check=call or check=exit */
	EXO_RULE_EMPTY = 25,     /* EXO_PT_COW: the entry maps nothing */
	EXO_RULE_NO_ID = 26,     /* EXO_ENV_CREATE: no id left (all handed out, or those tried fall in full buckets) */
};

#define EXO_WHY_NONE (~0ull) /* struct exo_why.arg / .index: no argument or entry in particular */

/* EXO_WHY: the caller's last failed call (call 0 and error 0 if none failed yet). */
struct exo_why {
	uint64_t call;  /* its number */
	int64_t error;  /* what it returned: -EXO_E* */
	uint64_t rule;  /* enum exo_rule */
	uint64_t arg;   /* the argument it was about (0 = x0), or EXO_WHY_NONE */
	uint64_t index; /* the entry of a batch (descriptor, frame in a list), or EXO_WHY_NONE */
};

/* Rights on a frame. */
#define EXO_R 1u
#define EXO_W 2u
#define EXO_X 4u

/* Upcall kinds (struct exo_upcall.kind). */
enum exo_upcall_kind {
	EXO_UPCALL_SYSCALL = 1, /* svc #0: the Linux system-call ABI */
	EXO_UPCALL_FAULT = 2,   /* data or instruction abort */
	EXO_UPCALL_EXCEPTION = 3, /* anything else: undefined instruction, alignment, brk... */
	EXO_UPCALL_ALERT = 4,   /* EXO_ENV_ALERT: far = the alert bits, esr = who sent the last */
};

#define EXO_PSTATE_NZCV 0xf0000000ull /* the condition flags, bits 31:28 */

/* The user register state, as the kernel saves and restores it. */
struct exo_regs {
	uint64_t x[31];
	uint64_t sp;
	uint64_t pc;
	uint64_t pstate; /* only NZCV (EXO_PSTATE_NZCV) is honoured */
	uint64_t tp;     /* TPIDR_EL0, the thread pointer */
};

/* What an upcall handler receives (x0 points at it, on its upcall stack). */
struct exo_upcall {
	struct exo_regs regs; /* the interrupted state; pc is after an svc */
	uint64_t kind;        /* enum exo_upcall_kind */
	uint64_t esr;         /* the exception syndrome (ESR_EL1) */
	uint64_t far;         /* the faulting address, for aborts */
	uint64_t depth;       /* upcalls active in this environment, this one included */
};

/* Environment states (struct exo_env_info.status). */
enum exo_env_status {
	EXO_ENV_FREE = 0,
	EXO_ENV_NOT_RUNNABLE = 1,
	EXO_ENV_RUNNABLE = 2,
	EXO_ENV_BLOCKED = 3,
	EXO_ENV_ZOMBIE = 4,
};

struct exo_env_info {
	uint64_t id, parent, status;
	uint64_t root;       /* physical address of the TTBR0 table, 0 if none */
	uint64_t quota;      /* frames it may own */
	uint64_t used;       /* frames it owns */
	uint64_t asid;       /* the root's current ASID, 0 if it has none */
	uint64_t notice_to;  /* who receives its exit notice: the parent, or the first environment for an orphan */
};

/* EXO_SELF (what) */
#define EXO_SELF_ID 0        /* -> own id */
#define EXO_SELF_PARENT 1    /* -> the parent's id (0 for the first environment) */
#define EXO_SELF_NOTICE_TO 2 /* -> who receives its exit notice: the parent, or the first environment once orphaned */
#define EXO_SELF_ORPHANS 3   /* (3, 0) -> the first environment: orphans whose exit notice it has not received
                              * (others: 0); (3, id) -> 1 if id is one of them, else 0 */

/* EXO_RECV (event, flags, timeout_ns, word, expected) */
#define EXO_RECV_NOWAIT 1u
#define EXO_RECV_WORD 2u /* also end when the 32-bit word is not `expected`, or on EXO_WAKE of it */
#define EXO_RECV_SKIP_ORPHANS 4u /* the first environment: orphans' exit notices stay queued for a later receive */
#define EXO_RECV_TAKE_ALERTS 8u /* a pending alert's bits are taken with its event: no alert upcall follows */
enum exo_event_kind {
	EXO_EVENT_EXIT = 1,    /* a child ended: env, value = status */
	EXO_EVENT_MESSAGE = 2, /* env sent value */
	EXO_EVENT_ALERT = 3,   /* env alerted us: value = the pending alert bits (still pending) */
	EXO_EVENT_WORD = 4,    /* EXO_RECV_WORD: env woke the word (0: it was not `expected`) */
	EXO_EVENT_ORPHAN_EXIT = 5, /* the first environment: an orphan it adopted ended: env, value = status */
	EXO_EVENT_INPUT = 6,   /* EXO_CONS_LISTEN: console input has arrived since (env 0, value 0) */
};
struct exo_event {
	uint64_t kind, env, value;
};

/* EXO_DEBUG_CHECK fills this in. */
struct exo_check {
	uint64_t free_frames;  /* frames on the kernel's free list */
	uint64_t envs;         /* environments that exist (ending, zombies and husks included) */
	uint64_t tables;       /* page-table frames walked */
	uint64_t mappings;     /* valid page descriptors seen */
	uint64_t problems;     /* broken invariants found (each printed on the console) */
	uint64_t tlb_flushes;  /* TLB maintenance operations so far, by kind: */
	uint64_t tlb_by_va, tlb_by_asid, tlb_all;
	uint64_t asid_generation;
	uint64_t releases;     /* ended environments whose frames are still being released (in steps) */
};

#endif /* __ASSEMBLER__ */

/* --- page tables: 4 KiB granule, 48-bit VA, levels 0..3 --- */
#define EXO_PT_LEVELS 4
#define EXO_PT_ENTRIES 512
/* Level-0 slot the kernel keeps for the read-only window onto the tables. */
#define EXO_PT_WINDOW_SLOT 511
#define EXO_PT_WINDOW_BASE 0x0000ff8000000000ull
/* The window address of the table reached by the first `depth` indices of va. */
#define EXO_PT_WINDOW_L0 (EXO_PT_WINDOW_BASE + (511ull << 30) + (511ull << 21) + (511ull << 12))
#define EXO_PT_WINDOW_L1(va) \
	(EXO_PT_WINDOW_BASE + (511ull << 30) + (511ull << 21) + ((((va) >> 39) & 511) << 12))
#define EXO_PT_WINDOW_L2(va) \
	(EXO_PT_WINDOW_BASE + (511ull << 30) + ((((va) >> 39) & 511) << 21) + ((((va) >> 30) & 511) << 12))
#define EXO_PT_WINDOW_L3(va)                                                       \
	(EXO_PT_WINDOW_BASE + ((((va) >> 39) & 511) << 30) + ((((va) >> 30) & 511) << 21) + \
	 ((((va) >> 21) & 511) << 12))
/* User virtual addresses end where the window begins. */
#define EXO_USER_VA_END EXO_PT_WINDOW_BASE

/*
 * Descriptor bits user space writes (ARMv8-A stage 1).  A page (level 3):
 *   EXO_PTE_PAGE | frame | EXO_PTE_USER | [EXO_PTE_RO] | [EXO_PTE_UXN] | [EXO_PTE_SW*]
 * (EXO_PTE_AF may be left clear to take an access-flag fault.)  A table
 * (levels 0-2): EXO_PTE_TABLE | table | [EXO_PTE_APT_RO] | [EXO_PTE_UXNT] | [EXO_PTE_SW*].
 * An invalid entry is 0.  Blocks are not accepted.
 */
#define EXO_PTE_VALID (1ull << 0)
#define EXO_PTE_TABLE 3ull
#define EXO_PTE_PAGE 3ull
#define EXO_PTE_ATTR_NORMAL (2ull << 2) /* MAIR slot 2: normal write-back */
#define EXO_PTE_EL0 (1ull << 6)         /* AP[1] */
#define EXO_PTE_RO (1ull << 7)          /* AP[2] */
#define EXO_PTE_SH_INNER (3ull << 8)
#define EXO_PTE_AF (1ull << 10)
#define EXO_PTE_NG (1ull << 11)
#define EXO_PTE_PXN (1ull << 53)
#define EXO_PTE_UXN (1ull << 54)
#define EXO_PTE_SW0 (1ull << 55) /* bits 55..58: free for libos (copy-on-write...) */
#define EXO_PTE_SW1 (1ull << 56)
#define EXO_PTE_SW2 (1ull << 57)
#define EXO_PTE_SW_MASK (0xfull << 55)
#define EXO_PTE_ADDR_MASK 0x0000fffffffff000ull
/* The attributes every page must carry. */
#define EXO_PTE_USER (EXO_PTE_ATTR_NORMAL | EXO_PTE_EL0 | EXO_PTE_SH_INNER | EXO_PTE_AF | \
                      EXO_PTE_NG | EXO_PTE_PXN)
/* Hierarchical limits in a table descriptor: only ever take rights away. */
#define EXO_PTE_PXNT (1ull << 59)
#define EXO_PTE_UXNT (1ull << 60)
#define EXO_PTE_APT_NOEL0 (1ull << 61)
#define EXO_PTE_APT_RO (1ull << 62)

/* EXO_PT_COPY flags */
#define EXO_COPY_BOTH 1u  /* apply set_bits to the source entries too */
#define EXO_COPY_SHARE 2u /* share the frames/tables copied with the caller's descendants */
#define EXO_COPY_LINK 4u  /* EXO_PT_COPY_TABLES: link the last-level tables instead of copying them */

#endif
