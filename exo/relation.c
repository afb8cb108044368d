/*
 * How two environments stand in the family tree, asked once or twice for
 * every entry of a page-table batch.  The tree is up to ENV_MAX_DEPTH deep,
 * so a plain walk per question could cost a batch of 512 entries 130,000
 * steps.  Instead the kernel keeps a few *views*: a view belongs to one
 * environment (in a batch, the table's owner or the caller) and stamps, in
 * each record it has looked at, how that record stands to it.  Making a
 * view stamps its owner's ancestors; a question then walks up from the
 * other party only to the first stamped record, and stamps what it passed.
 * So a record is walked over at most once per view, whatever the order of
 * the questions: a call's walks cost at most the depth per view it makes
 * plus twice the environments it asks about or passes.  Views last until
 * the tree changes (a child linked or unlinked) or a newer one needs the slot.
 */
#include "exo/env.h"

static struct view {
	const struct env *self; /* NULL: unused */
	u64 stamp;              /* in the records' view_stamp[slot] this view wrote */
	u64 last_used;
} views[ENV_VIEWS];
static u64 stamps; /* every stamp is new: a fresh record (zeroed) matches no view */
static u64 uses;
u64 env_walk_steps;

void env_tree_changed(void)
{
	for (u32 slot = 0; slot < ENV_VIEWS; slot++)
		views[slot].self = NULL;
}

/* Stamps live in the records; a record that is asked about is still const to the caller. */
static void stamp(const struct env *env, u32 slot, u64 value, enum env_relation relation)
{
	struct env *record = (struct env *)env;
	record->view_stamp[slot] = value;
	record->view_relation[slot] = (u8)relation;
}

/* A view for self: a slot that has one, or the least recently used, stamped afresh. */
static u32 view_of(const struct env *self)
{
	u32 slot = 0;
	for (u32 i = 0; i < ENV_VIEWS; i++) {
		if (views[i].self == self) {
			views[i].last_used = ++uses;
			return i;
		}
		if (views[i].last_used < views[slot].last_used)
			slot = i;
	}
	struct view *view = &views[slot];
	*view = (struct view){ self, ++stamps, ++uses };
	stamp(self, slot, view->stamp, REL_SELF);
	/* Parents always exist (live, zombie or husk); chains are at most ENV_MAX_DEPTH long. */
	u32 hops = 0;
	for (const struct env *up = self->parent_env; up && hops <= ENV_MAX_DEPTH; up = up->parent_env, hops++)
		stamp(up, slot, view->stamp, REL_ANCESTOR);
	env_walk_steps += hops;
	return slot;
}

/*
 * Walk up from env to the first record the view has stamped: below its
 * owner (stamped self or descendant) env is a descendant; below one of its
 * ancestors, or off the top, it is unrelated.  Stamp the way there.
 */
static enum env_relation resolve(u32 slot, const struct env *env)
{
	u64 value = views[slot].stamp;
	const struct env *up = env;
	u32 hops = 0;
	while (up && up->view_stamp[slot] != value && hops <= ENV_MAX_DEPTH) {
		up = up->parent_env;
		hops++;
	}
	enum env_relation found = up && up->view_stamp[slot] == value ? up->view_relation[slot] : REL_NONE;
	enum env_relation relation = found == REL_SELF || found == REL_DESCENDANT ? REL_DESCENDANT : REL_NONE;
	if (up == env)
		return found;
	env_walk_steps += 2 * (u64)hops;
	for (const struct env *walk = env; walk != up; walk = walk->parent_env)
		stamp(walk, slot, value, relation);
	return relation;
}

bool env_relation_plain;

/* Is up a proper ancestor of env: a walk of the tree itself, trusting no view. */
static bool walks_up_to(const struct env *env, const struct env *up)
{
	u32 hops = 0;
	for (const struct env *walk = env->parent_env; walk && hops <= ENV_MAX_DEPTH; walk = walk->parent_env, hops++)
		if (walk == up)
			return true;
	return false;
}

enum env_relation env_relation(const struct env *a, const struct env *b)
{
	if (a == b)
		return REL_SELF;
	/* Parent and child, the most common question (a call on one's child): no view needed. */
	if (b->parent_env == a)
		return REL_DESCENDANT;
	if (a->parent_env == b)
		return REL_ANCESTOR;
	if (env_relation_plain)
		return walks_up_to(b, a) ? REL_DESCENDANT : walks_up_to(a, b) ? REL_ANCESTOR : REL_NONE;
	return resolve(view_of(a), b);
}
