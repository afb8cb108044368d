/*
 * Environments: the kernel's unit of protection and scheduling.  An
 * environment has saved registers, a TTBR0 root (shared by the environments
 * of one address space), a parent, a frame quota, upcall entry points and a
 * small message queue; its record fills a frame of its own.  An
 * environment may act on itself, on its descendants, and (a thread) on the
 * ancestors whose address space it runs in; the mappings in its tables
 * hold only what it owns, what its descendants own, and what its ancestors
 * shared.
 */
#ifndef EXO_ENV_H
#define EXO_ENV_H

#include "arch/context.h"
#include "exo/abi.h"
#include "exo/kernel.h"
#include "exo/types.h"
#include "exo/upcall_offsets.h"

struct frame;

#define ENV_MSGS 16    /* queued messages per environment */
/*
 * How deep the family tree may grow (the first environment is at 0): every
 * rights decision walks up it, so its depth bounds their cost.  Ending
 * environments only ever make a chain shorter.
 */
#define ENV_MAX_DEPTH 256
#define UPCALL_MAX_DEPTH 8
/* Environments whose relations to all others are remembered at once (exo/relation.c). */
#define ENV_VIEWS 4
/*
 * Status (beside enum exo_env_status) of an ended environment whose exit
 * has been received, or never will be, but which still owns frames that
 * others refer to: a husk (see `husk` below).  Never reported to user space.
 */
#define ENV_HUSK 5
/* Ended, its frames being released in bounded steps (exo/release.c); then a zombie or gone. */
#define ENV_ENDING 6

/* An ending environment's release, done in steps of bounded work (exo/release.c). */
struct env_release {
	u8 phase;
	bool reap;        /* its parent destroyed it: no exit notice when done */
	bool dissolve;    /* a husk going: all of it is freed, then its record */
	u32 cursor;       /* the frame (index) the phase goes on from, FRAME_NONE: the list's head */
	u32 worklist;     /* kept tables still to scan, through frame.work */
	u32 heir;         /* a thread heir's id, 0 if none */
	u32 space_parent; /* the parent whose address space it ran in (a thread), 0 if none: its children go to it */
	u64 external;     /* references from outside into the frames kept, when counted */
	u64 drops;        /* ...of which went away since */
	i64 status;       /* its exit status */
	struct env *next, *prev; /* pending releases, oldest first */
};

struct env_msg {
	u32 from;
	u64 value;
};

/*
 * Where an environment's upcalls go and how deep they are.  The first member
 * of struct env, at offsets fixed in exo/upcall_offsets.h: the light
 * system-call path in arch/arm64/vectors.S reads and writes it directly.
 */
struct upcall_state {
	u64 syscall_entry;
	u64 stack;        /* the upcall stack's top */
	u64 ret_pc;       /* a light system call's return point (EXO_UPCALL_LIGHT) */
	u64 ret_sp;
	u64 ret_pstate;
	u8 depth;         /* upcalls in progress */
	u8 light_active;  /* the upcall at depth 1 is light: UPCALL_LIGHT_CALL or UPCALL_LIGHT_FAULT */
	u8 light;         /* svc #0 enters syscall_entry the light way */
	u8 faults;        /* bit d: the upcall at depth d is a fault */
	u8 alert_told;    /* a receive has reported the pending alert */
	u8 alerts_held;   /* EXO_UPCALL_HOLD_ALERTS, or a new image that has not set its upcalls */
	u8 light_faults;  /* aborts enter fault_entry the light way (EXO_UPCALL_LIGHT_FAULTS) */
	u8 alerts_open;   /* EXO_UPCALL_OPEN_ALERTS: any environment may alert it */
	u64 fault_entry;
	u64 alert;        /* EXO_ENV_ALERT bits pending, delivered outside every handler */
	u32 alert_from;   /* who sent the last */
	u64 fault_x0, fault_x1; /* a light fault's interrupted x0 and x1 (the handler gets far and esr) */
};

struct env {
	struct upcall_state upcall;
	u32 id;     /* counts up from 1, never reused; 0 means "none" */
	u32 parent; /* id of the parent, 0 for the first environment */
	struct env *parent_env; /* the parent's record (NULL for the first environment): walks need no lookups */
	u32 depth;  /* its depth when created (at least its depth now): under ENV_MAX_DEPTH */
	u8 status;  /* enum exo_env_status */
	bool recv_pending; /* blocked in EXO_RECV, to be completed when it runs */
	u64 recv_uva;
	bool recv_skip_orphans; /* EXO_RECV_SKIP_ORPHANS: an orphan's end does not complete the receive */
	bool recv_take_alerts;  /* EXO_RECV_TAKE_ALERTS: an alert's bits go with its event */
	u64 recv_deadline; /* counter value at which the wait ends, 0 for none */
	/*
	 * EXO_RECV_WORD(S): the words waited on, by kernel (linear-map)
	 * address; each is a node of its frame's list of waits (exo/wait.c).
	 */
	struct word_wait {
		u64 word;
		u32 next, prev; /* the frame's other waits, as wait tags (0: none) */
	} waits[EXO_RECV_WORDS_MAX];
	u8 nwaits;
	u32 word_woken_by; /* EXO_WAKE of a word came from this environment, 0 if not yet */
	bool word_gone;    /* a frame holding a word was freed: the wait is over */
	/*
	 * A husk: it ended, but frames of its that others still refer to live
	 * on as its own, so that what it shared reaches its descendants and no
	 * one else, and its children stay its children.  husk_refs counts the
	 * references into its frames from outside it (other environments'
	 * tables and roots); at 0 all its frames go, and so does the husk.
	 */
	bool husk;
	u64 husk_refs;
	struct env_release release;
	struct exo_why why;  /* its last failed call (EXO_WHY) */
	bool releasing;   /* its frames are being released: they take no new references */
	u64 root;   /* physical address of the level-0 table, 0 if none */
	u64 quota;  /* frames it may own */
	bool draws; /* EXO_ENV_DRAWS: may draw quota from its parent's spare (and so on up) */
	u64 used;   /* frames it owns */
	u32 frames_head; /* its frames (frame.next / frame.prev), FRAME_NONE if none */
	i64 exit_status;
	u64 exit_alert; /* EXO_ENV_SET_EXIT_ALERT: bits its notice receiver is alerted with as it ends */
	u32 exit_alert_by; /* the ancestor that set it: alerted, or an environment open to alerts */
	u64 alarm_at;   /* EXO_ALARM: the counter value at which it is alerted with alarm_bits, 0 if none */
	u64 alarm_bits;
	bool input_pending; /* EXO_CONS_LISTEN: console input arrived, not yet received (EXO_EVENT_INPUT) */
	struct env *hash_next;              /* the id lookup's chain */
	struct env *all_next, *all_prev;    /* env_list */
	struct env *child_head, *child_tail; /* its children, oldest first */
	struct env *sibling_next, *sibling_prev;
	u64 view_stamp[ENV_VIEWS];          /* exo/relation.c: how it stands to each view's environment */
	u8 view_relation[ENV_VIEWS];
	struct env *husk_next;              /* husks waiting to be collected */
	bool husk_queued;
	/*
	 * An orphan: its parent ended (it stays in the husk, or moved up the
	 * tree), so its exit notice goes to the first environment, which
	 * adopts it (exo/orphan.c).
	 */
	bool adopted;
	bool orphan_queued;                 /* an adopted zombie, in the first environment's queue */
	struct env *orphan_next, *orphan_prev;
	u64 check_owned, check_husk_refs;   /* the isolation checker's recounts */
	u32 msg_head, msg_count;
	struct env_msg msgs[ENV_MSGS];
	struct arch_context ctx;
};

/* No upcall in progress any more: new registers, a new story. */
static inline void upcall_forget(struct env *env)
{
	env->upcall.depth = env->upcall.faults = env->upcall.light_active = 0;
}

/* Word waits (exo/wait.c): env waits on one more word (a kernel address), or on none any more. */
void wait_word_begin(struct env *env, u64 word);
void wait_word_end(struct env *env);
/* Wake up to count waiters on word (the waker's id goes in their event): how many. */
u64 wait_word_wake(u64 word, u64 count, u32 waker);
/* The frame is being freed: every wait on a word in it ends (EXO_EVENT_WORD from env 0). */
void wait_word_gone(struct frame *frame);

/* A receive ends (or is abandoned): nothing of its word wait is left. */
static inline void recv_forget(struct env *env)
{
	wait_word_end(env);
	env->recv_pending = false;
	env->recv_skip_orphans = false;
	env->recv_take_alerts = false;
	env->word_woken_by = 0;
	env->word_gone = false;
}

extern struct env *curenv;
/* Every environment (live, zombie or husk), oldest first, through all_next. */
extern struct env *env_list;
/* The exit status of the first environment, once it has ended. */
extern i64 first_env_status;
/* check=exit: run the isolation checker whenever an environment ends or changes root; its tally. */
extern bool check_at_exit;
/* check=call or check=exit: EXO_DEBUG_CHECK answers (else anyone could stall the machine with it). */
extern bool debug_check_open;
extern u64 exit_checks, exit_check_problems;

/* Ended (its frames being released, a zombie or a husk): it runs no more and nobody may act on it. */
static inline bool env_ended(const struct env *env)
{
	return env->status == EXO_ENV_ZOMBIE || env->status == ENV_HUSK || env->status == ENV_ENDING;
}

/* The environment with this id (live, zombie or husk), or NULL. */
struct env *env_lookup(u64 id);
/*
 * No chain of the id lookup grows longer than this, whoever chose which ids
 * to keep: a lookup costs at most this many steps.  An id whose bucket is
 * full is skipped (ids need only be unique and increasing).
 */
#define ENV_BUCKET_MAX 32
/* The id lookup's bucket for id, and how many records it holds (for tests). */
u32 env_bucket_of(u64 id);
u32 env_bucket_length(u32 bucket);
/* Steps taken up the tree so far, for work that charges them to a budget (exo/release.c). */
extern u64 env_walk_steps;
/* May actor act on target: itself, a descendant, or an ancestor whose address space it shares. */
bool env_can_act(const struct env *actor, const struct env *target);
/* How b stands to a in the family tree. */
enum env_relation { REL_NONE, REL_SELF, REL_DESCENDANT /* b is a's */, REL_ANCESTOR /* b is a's */ };
enum env_relation env_relation(const struct env *a, const struct env *b);
/*
 * While set (the isolation checker runs), env_relation walks the tree for
 * every answer and neither uses nor makes views: the checker judges the
 * rights of every mapping without trusting the cache the calls rely on.
 */
extern bool env_relation_plain;
/* A child was linked or unlinked: every relation may have changed (exo/relation.c). */
void env_tree_changed(void);
/*
 * Does holder hold what target owns: itself or a descendant.  The rights of
 * mappings in holder's tables are judged by this, never by the thread rule
 * (doc/exo-abi.md, "Rights by derivation").
 */
bool env_holds(const struct env *holder, const struct env *target);
/* target for a call from caller: -E_NOENT if there is none, -E_PERM if caller may not act on it. */
int env_target(struct env *caller, u64 id, struct env **out);

/* Frames env may still take (0 when frames inherited at a child's end pushed it over quota). */
static inline u64 env_spare(const struct env *env)
{
	return env->used < env->quota ? env->quota - env->used : 0;
}

/*
 * May env take n frames: its spare, and where it draws (EXO_ENV_DRAWS),
 * its parent's room, and so on up while each draws.  The fast case, its
 * own spare, is inline.
 */
bool env_room_drawn(const struct env *env, u64 n);
static inline bool env_has_room(const struct env *env, u64 n)
{
	return env_spare(env) >= n || (env->draws && env_room_drawn(env, n));
}
/*
 * Before env takes n frames that env_has_room allowed: what its spare
 * lacks comes down from its ancestors' as quota (a step that cannot fail).
 */
void env_draw(struct env *env, u64 n);
static inline void env_make_room(struct env *env, u64 n)
{
	if (env_spare(env) < n)
		env_draw(env, n);
}

/* A fresh table of environments (boot, and each host test's fake machine). */
void env_table_reset(void);
/* The secret the id lookup hashes with: set at boot, before the first environment. */
void env_hash_key(u64 key);
/*
 * A child of parent (NULL: the first environment) with quota frames to own
 * besides its record, which takes one more of parent's spare frames.
 */
int env_create(struct env *parent, u64 quota, struct env **out);
/* The same with EXO_ENV_CREATE's flags (checked by the call): EXO_ENV_DRAWS. */
int env_create_flags(struct env *parent, u64 quota, u32 flags, struct env **out);
/* env moves into the list of parent_id's children. */
void env_set_parent(struct env *env, u32 parent_id);
/* Its exit is received (or never will be): the record goes, unless it is a husk. */
void env_settle(struct env *env);
/* While set, env_free_slot only marks records free; clearing it frees them. */
void env_defer_frees(bool defer);
/*
 * End env: it stops running; a thread heir takes its place and frames, or
 * its frames are released (in steps if many), those others still refer to
 * staying its own in a husk; its children move to the heir or its parent
 * (or stay with the husk).  A zombie holds the exit status until the parent
 * receives it, unless reap is set (the parent destroyed it itself).
 */
void env_destroy(struct env *env, i64 status, bool reap);
/* --- exo/orphan.c: exit notices of orphans go to the first environment --- */
/* A thread heir takes the ended environment's place: an orphan's heir is one too. */
void orphan_inherit(struct env *heir, const struct env *ended);
/* Who receives env's exit notice: its parent, or the first environment once it is an orphan. */
struct env *env_notice_to(const struct env *env);
/* Its id, 0 if there is none (the first environment's own notice). */
u32 env_notice_to_id(const struct env *env);
/* ended's children (about to move to its parent, or staying in its husk) are orphans now. */
void orphan_adopt_children(struct env *ended);
/* env became a zombie: an orphan's waits in the first environment's queue. */
void orphan_zombie(struct env *env);
/* env's notice was received (or never will be): it is nobody's orphan any more. */
void orphan_settled(struct env *env);
/* The oldest adopted zombie whose notice receiver is to take, or NULL. */
struct env *orphan_take_zombie(struct env *receiver);
/* Orphans whose notice the first environment has not yet received (live or zombie). */
u64 orphan_count(void);
/* Is id an orphan whose notice the first environment has not received (live, ending or a zombie)? */
bool orphan_is_adopted(u64 id);
void orphan_reset(void);

/* env's children (not heir itself) become heir's. */
void env_reparent_children(struct env *env, u32 heir, bool in_place);
void env_free_slot(struct env *env);
/* With check=exit: run the isolation checker now (env id's `what` happened), count its problems. */
void env_check_event(u32 id, const char *what);
/* Print a one-line report and destroy env (no handler, or a broken upcall). */
void env_kill(struct env *env, const char *event, u64 addr, u64 pc);
u32 env_count(void);

/* --- arch/arm64/user.c: user contexts --- */
/* A fresh user context: EL0, registers and FP state zero. */
/* Registers for a new environment, in a context that is all zero already. */
void arch_context_init(struct arch_context *ctx);
void arch_context_save(struct arch_context *ctx, const struct trap_frame *frame);
void arch_context_load(const struct arch_context *ctx, struct trap_frame *frame);
/* An environment's registers (from the trap frame if it is the one running). */
void arch_regs_read(const struct env *env, struct exo_regs *regs);
void arch_regs_write(struct env *env, const struct exo_regs *regs);
void arch_set_call_result(struct trap_frame *frame, i64 value);
/* TTBR0 := root with asid (root 0: the empty table, ASID 0). */
void arch_set_user_root(u64 root, u16 asid);
/* Wait for an interrupt with interrupts enabled, then mask them again. */
void arch_idle(void);
/* Let a pending interrupt be taken now (between steps of long kernel work). */
void arch_irq_window(void);
/* Enable what EL0 may use (FP/SIMD, the virtual counter) before the first entry. */
void arch_user_init(void);
noreturn void user_enter(const struct trap_frame *frame);

/* Messages and exit notices. */
int env_send(struct env *from, struct env *to, u64 value);
/* Fill event from env's queue or zombie children: 0, or -E_AGAIN if nothing. */
/* OR bits into env's pending alert, from `from` (EXO_ENV_ALERT, an exit alert); a receive learns at once. */
void env_alert(struct env *env, u64 bits, u32 from);
int env_take_event(struct env *env, struct exo_event *event, bool orphans, bool take_alerts);

/* Ownership lists (env_frames.c). */
void env_own_frame(struct env *env, struct frame *frame);
void env_disown_frame(struct env *env, struct frame *frame);
/* Every frame of from becomes to's (a thread heir's inheritance): linear in the frames. */
void env_give_frames(struct env *from, struct env *to);
/* A frame of env's goes back to the free list (waits on words in it end). */
void env_free_frame(struct env *env, struct frame *frame);
/* Its frames are released (exo/release.c): its end goes on (children, quota, exit notice). */
void env_end_finish(struct env *env);

#include "exo/release.h"
#endif
