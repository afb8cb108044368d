/*
 * Environment records: one frame each, charged to the creator's quota,
 * found by id through a hash table, listed in creation order for the
 * scheduler and the checker, and linked to their parent's list of
 * children.  Ids count up and are never reused.  Messages and exit notices.
 */
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/sched.h"
#include "exo/string.h"
#include "exo/upcall_offsets.h"
#include "exo/why.h"

#define OFFSET_IS(field, offset) _Static_assert(__builtin_offsetof(struct env, field) == (offset), #field)
OFFSET_IS(upcall.syscall_entry, UPCALL_SYSCALL_ENTRY);
OFFSET_IS(upcall.stack, UPCALL_STACK);
OFFSET_IS(upcall.ret_pc, UPCALL_RET_PC);
OFFSET_IS(upcall.ret_sp, UPCALL_RET_SP);
OFFSET_IS(upcall.ret_pstate, UPCALL_RET_PSTATE);
OFFSET_IS(upcall.depth, UPCALL_DEPTH);
OFFSET_IS(upcall.light_active, UPCALL_LIGHT_ACTIVE);
OFFSET_IS(upcall.light, UPCALL_LIGHT);
OFFSET_IS(upcall.light_faults, UPCALL_LIGHT_FAULTS);
OFFSET_IS(upcall.fault_entry, UPCALL_FAULT_ENTRY);
OFFSET_IS(upcall.fault_x0, UPCALL_FAULT_X0);
OFFSET_IS(upcall.fault_x1, UPCALL_FAULT_X0 + 8);
OFFSET_IS(upcall.alert, UPCALL_ALERT);
_Static_assert(sizeof(struct env) <= PAGE_SIZE, "an environment's record fits its frame");

#define ENV_BUCKETS 8192 /* a power of two (the kernel image stays within 1 MiB) */
/* An id whose bucket is full (ENV_BUCKET_MAX) is skipped: at most this many per creation. */
#define ENV_ID_TRIES 64

struct env *curenv;
struct env *env_list; /* every environment, oldest first */
i64 first_env_status = -1;
bool check_at_exit;
bool debug_check_open;
u64 exit_checks, exit_check_problems;
static struct env *env_list_tail;
static struct env *buckets[ENV_BUCKETS];
static u8 bucket_len[ENV_BUCKETS];
static u64 next_id = 1;
static u32 total;
static bool frees_deferred;


/*
 * The record env_lookup found last: a batch asks about the same owner
 * entry after entry (a fork's tables are all its parent's), and the keyed
 * hash is most of a lookup.  Forgotten when that record leaves the table.
 */
static struct env *last_found;

void env_table_reset(void)
{
	memset(buckets, 0, sizeof(buckets));
	memset(bucket_len, 0, sizeof(bucket_len));
	env_tree_changed();
	env_list = env_list_tail = curenv = last_found = NULL;
	next_id = 1;
	total = 0;
	orphan_reset();
	frees_deferred = false;
}

/*
 * Ids are handed out in order, so a plain id % buckets would let anyone who
 * creates and drops environments line up many in one bucket: the bucket
 * comes from a keyed hash whose key (the bootloader's random seed, and the
 * time) nobody can read, which spreads ids evenly; what timing may still
 * reveal of it, ENV_BUCKET_MAX bounds.
 */
static u64 hash_key;

void env_hash_key(u64 key) { hash_key = key; }

static u32 bucket_of(u64 id)
{
	u64 mixed = (id ^ hash_key) * 0x9e3779b97f4a7c15ull;
	mixed ^= mixed >> 29;
	mixed *= 0xbf58476d1ce4e5b9ull;
	return (u32)(mixed >> 32) & (ENV_BUCKETS - 1);
}

u32 env_bucket_of(u64 id) { return bucket_of(id); }
u32 env_bucket_length(u32 bucket) { return bucket_len[bucket & (ENV_BUCKETS - 1)]; }

struct env *env_lookup(u64 id)
{
	if (id == 0 || id > UINT32_MAX)
		return NULL;
	struct env *cached = last_found;
	if (cached && cached->id == id)
		return cached;
	for (struct env *env = buckets[bucket_of(id)]; env; env = env->hash_next)
		if (env->id == id)
			return last_found = env;
	return NULL;
}

u32 env_count(void) { return total; }

bool env_holds(const struct env *holder, const struct env *target)
{
	enum env_relation relation = env_relation(holder, target);
	return relation == REL_SELF || relation == REL_DESCENDANT;
}

bool env_can_act(const struct env *actor, const struct env *target)
{
	enum env_relation relation = env_relation(actor, target);
	if (relation == REL_SELF || relation == REL_DESCENDANT)
		return true;
	/* A thread (a descendant running in its ancestor's address space) acts for it. */
	return relation == REL_ANCESTOR && actor->root && actor->root == target->root;
}

int env_target(struct env *caller, u64 id, struct env **out)
{
	struct env *target = env_lookup(id);
	if (!target || env_ended(target))
		return why(-E_NOENT, EXO_RULE_ENV, 0, WHY_NONE);
	if (!env_can_act(caller, target))
		return why(-E_PERM, EXO_RULE_ENV, 0, WHY_NONE);
	*out = target;
	return 0;
}

static void link_child(struct env *parent, struct env *child)
{
	env_tree_changed();
	child->parent = parent ? parent->id : 0;
	child->parent_env = parent;
	child->sibling_next = NULL;
	child->sibling_prev = parent ? parent->child_tail : NULL;
	if (!parent)
		return;
	if (parent->child_tail)
		parent->child_tail->sibling_next = child;
	else
		parent->child_head = child;
	parent->child_tail = child;
}

static void unlink_child(struct env *child)
{
	struct env *parent = child->parent_env;
	env_tree_changed();
	if (!parent)
		return;
	if (child->sibling_prev)
		child->sibling_prev->sibling_next = child->sibling_next;
	else
		parent->child_head = child->sibling_next;
	if (child->sibling_next)
		child->sibling_next->sibling_prev = child->sibling_prev;
	else
		parent->child_tail = child->sibling_prev;
	child->sibling_next = child->sibling_prev = NULL;
}

/*
 * Every child of env but the heir moves to the end of heir's list (none:
 * parentless): no lookups.  A drawing child goes on drawing only if env
 * drew too, so that it reaches no ancestor it could not before; unless
 * the heir takes env's place (a thread heir: `in_place`), drawing as env
 * did, when every child draws as it did.
 */
void env_reparent_children(struct env *env, u32 heir_id, bool in_place)
{
	struct env *heir = env_lookup(heir_id);
	env_tree_changed();
	for (struct env *child = env->child_head, *next; child; child = next) {
		next = child->sibling_next;
		if (child == heir)
			continue;
		child->parent = heir_id;
		child->parent_env = heir;
		child->draws = child->draws && (in_place || env->draws);
		child->sibling_next = NULL;
		child->sibling_prev = heir ? heir->child_tail : NULL;
		if (heir && heir->child_tail)
			heir->child_tail->sibling_next = child;
		else if (heir)
			heir->child_head = child;
		if (heir)
			heir->child_tail = child;
	}
	env->child_head = env->child_tail = heir && heir->parent == env->id ? heir : NULL;
	if (env->child_head)
		env->child_head->sibling_next = env->child_head->sibling_prev = NULL;
}

void env_set_parent(struct env *env, u32 parent_id)
{
	unlink_child(env);
	link_child(env_lookup(parent_id), env);
}

/*
 * The next id whose bucket has room, or 0: ids are never reused, so after
 * 2^32 - 1 there are none.  Only a plan: env_create takes it (and so skips
 * the ids before it, whose buckets are full) once nothing else can fail.
 */
static u32 next_free_id(void)
{
	u64 id = next_id;
	for (u32 tries = 0; tries < ENV_ID_TRIES && id <= UINT32_MAX; tries++, id++)
		if (bucket_len[bucket_of((u32)id)] < ENV_BUCKET_MAX)
			return (u32)id;
	return 0;
}

/*
 * A child costs its creator quota + 1 frames: the child may own quota
 * frames besides the one its record fills.  Checked first; nothing can
 * fail after the record's frame is taken.
 */
int env_create(struct env *parent, u64 quota, struct env **out)
{
	return env_create_flags(parent, quota, 0, out);
}

int env_create_flags(struct env *parent, u64 quota, u32 flags, struct env **out)
{
	if (parent && parent->depth >= ENV_MAX_DEPTH)
		return why(-E_RANGE, EXO_RULE_DEPTH, WHY_NONE, WHY_NONE);
	if (parent && (quota >= ~0ull - 1 || !env_has_room(parent, quota + 1)))
		return why(-E_QUOTA, EXO_RULE_QUOTA, 0, WHY_NONE);
	if (frame_count(&kernel_frames, FRAME_FREE) == 0)
		return why(-E_NOMEM, EXO_RULE_NO_MEMORY, WHY_NONE, WHY_NONE);
	u32 id = next_free_id(); /* the last thing that can fail */
	if (id == 0)
		return why(-E_NOMEM, EXO_RULE_NO_ID, WHY_NONE, WHY_NONE);
	next_id = (u64)id + 1;
	paddr_t record;
	frame_alloc(&kernel_frames, FRAME_ENV, 0, id, &record);
	struct env *env = phys_to_kernel(record);
	arch_zero_start(env, sizeof(*env)); /* by cache blocks: cheaper than a memset */
	env->id = id;
	env->depth = parent ? parent->depth + 1 : 0;
	env->status = EXO_ENV_NOT_RUNNABLE;
	env->quota = parent ? quota + 1 : quota;
	env->draws = parent && (flags & EXO_ENV_DRAWS);
	env->used = 1; /* the record */
	env->frames_head = FRAME_NONE;
	arch_context_init(&env->ctx);
	u32 bucket = bucket_of(id);
	env->hash_next = buckets[bucket];
	buckets[bucket] = env;
	bucket_len[bucket]++;
	env->all_prev = env_list_tail;
	if (env_list_tail)
		env_list_tail->all_next = env;
	else
		env_list = env;
	env_list_tail = env;
	link_child(parent, env);
	if (parent) {
		env_make_room(parent, quota + 1);
		parent->quota -= quota + 1;
	}
	total++;
	*out = env;
	return 0;
}

bool env_room_drawn(const struct env *env, u64 n)
{
	u64 room = 0;
	for (;;) {
		room += env_spare(env); /* at most the frames there are: no overflow */
		if (room >= n)
			return true;
		/* An ended parent (a husk, or a release in progress) has little spare: its own parent may. */
		const struct env *parent = env->draws ? env->parent_env : NULL;
		if (!parent)
			return false;
		env = parent;
	}
}

/*
 * Up the chain, each parent gives its child what the child lacks, taking
 * from its own parent what it lacks in turn: the amounts are worked out
 * from the spares before any changes, so a parent's quota may dip below
 * what it uses for a moment inside this loop, never after it.
 */
void env_draw(struct env *env, u64 n)
{
	u64 spare = env_spare(env);
	u64 lack = n > spare ? n - spare : 0;
	while (lack) {
		struct env *parent = env->parent_env; /* env_has_room found it, and drew on it */
		u64 parent_spare = env_spare(parent);
		env->quota += lack;
		parent->quota -= lack;
		lack = lack > parent_spare ? lack - parent_spare : 0;
		env = parent;
	}
}

static void unlink_record(struct env *env)
{
	if (last_found == env)
		last_found = NULL;
	u32 bucket = bucket_of(env->id);
	struct env **slot = &buckets[bucket];
	while (*slot != env)
		slot = &(*slot)->hash_next;
	*slot = env->hash_next;
	bucket_len[bucket]--;
	if (env->all_prev)
		env->all_prev->all_next = env->all_next;
	else
		env_list = env->all_next;
	if (env->all_next)
		env->all_next->all_prev = env->all_prev;
	else
		env_list_tail = env->all_prev;
	total--;
}

/*
 * The record goes: its quota (its record's frame at least) back to its
 * parent, the frame back to the free list.  While frees are deferred (the
 * first environment's end walks the list), it is only marked.
 */
void env_free_slot(struct env *env)
{
	if (frees_deferred) {
		env->status = EXO_ENV_FREE;
		return;
	}
	struct env *parent = env_lookup(env->parent);
	if (parent)
		parent->quota += env->quota;
	orphan_settled(env);
	unlink_child(env);
	env_reparent_children(env, 0, false);
	unlink_record(env);
	sched_forget(env);
	if (curenv == env)
		curenv = NULL;
	frame_free(&kernel_frames, kernel_to_phys(env));
}

void env_defer_frees(bool defer)
{
	frees_deferred = defer;
	if (defer)
		return;
	for (struct env *env = env_list, *next; env; env = next) {
		next = env->all_next;
		if (env->status == EXO_ENV_FREE)
			env_free_slot(env);
	}
}

int env_send(struct env *from, struct env *to, u64 value)
{
	if (to->msg_count == ENV_MSGS)
		return -E_AGAIN;
	to->msgs[(to->msg_head + to->msg_count) % ENV_MSGS] = (struct env_msg){ from->id, value };
	to->msg_count++;
	if (to->recv_pending)
		sched_wake(to);
	return 0;
}

void env_alert(struct env *env, u64 bits, u32 from)
{
	env->upcall.alert |= bits;
	env->upcall.alert_told = 0;
	env->upcall.alert_from = from;
	if (env->recv_pending)
		sched_wake(env);
}

int env_take_event(struct env *env, struct exo_event *event, bool orphans, bool take_alerts)
{
	/*
	 * A pending alert first, once: the waiter is told, and the alert stays
	 * for its upcall, unless the receive takes its bits (EXO_RECV_TAKE_ALERTS).
	 */
	if (env->upcall.alert && !env->upcall.alert_told) {
		*event = (struct exo_event){ EXO_EVENT_ALERT, env->upcall.alert_from, env->upcall.alert };
		env->upcall.alert_told = 1;
		if (take_alerts)
			env->upcall.alert = 0, env->upcall.alert_told = 0;
		return 0;
	}
	/* Console input, once however much arrived (EXO_CONS_LISTEN). */
	if (env->input_pending) {
		*event = (struct exo_event){ EXO_EVENT_INPUT, 0, 0 };
		env->input_pending = false;
		return 0;
	}
	/*
	 * Exit notices: the orphans' the first environment adopted, oldest
	 * first (a look at a queue's head, however many wait), unless asked to
	 * leave them; then its own children's, in the order of its list.
	 */
	struct env *zombie = orphans ? orphan_take_zombie(env) : NULL;
	u32 kind = zombie ? EXO_EVENT_ORPHAN_EXIT : EXO_EVENT_EXIT;
	for (struct env *child = env->child_head; child && !zombie; child = child->sibling_next)
		if (child->status == EXO_ENV_ZOMBIE && !child->adopted)
			zombie = child;
	if (zombie) {
		*event = (struct exo_event){ kind, zombie->id, (u64)zombie->exit_status };
		env_settle(zombie);
		return 0;
	}
	if (env->msg_count == 0)
		return -E_AGAIN;
	struct env_msg *msg = &env->msgs[env->msg_head];
	*event = (struct exo_event){ EXO_EVENT_MESSAGE, msg->from, msg->value };
	env->msg_head = (env->msg_head + 1) % ENV_MSGS;
	env->msg_count--;
	return 0;
}
