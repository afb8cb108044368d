/*
 * The kernel's core on the fake architecture: environments, frames, page
 * tables, husks and the isolation checker, driven through the same
 * functions the calls use.
 */
#include "arch/fake/fake.h"
#include "arch/pte.h"
#include "exo/errno.h"
#include "exo/pt.h"
#include "exo/tlb.h"
#include "exo/why.h"
#include "tests/host/check.h"

static struct env *make_env(struct env *parent, u64 quota)
{
	struct env *env = NULL;
	EXPECT(env_create(parent, quota, &env) == 0);
	return env;
}

static u64 table_of(struct env *owner, u64 level)
{
	paddr_t table = { 0 };
	EXPECT(pt_alloc(owner, level, &table) == 0);
	return table.val;
}

static u64 frame_of(struct env *owner)
{
	paddr_t frame = { 0 };
	EXPECT(frames_alloc(owner, 1, &frame) == 0);
	return frame.val;
}

static u64 problems(void)
{
	struct exo_check check;
	return pt_check_all(&check);
}

/* A parent maps its child's frame; the child ends; the frame lives on in the child's husk. */
static void husk_keeps_what_others_map(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200);
	struct env *child = make_env(first, 50);
	u64 parent_l3 = table_of(first, 3), data = frame_of(child);
	u64 page = fake_page(data, EXO_R | EXO_W);
	EXPECT(pt_write(first, parent_l3, 7, 1, &page) == 0);
	u64 free_before = frame_count(&kernel_frames, FRAME_FREE);
	u32 child_id = child->id;
	env_destroy(child, 0, true);
	EXPECT(child->husk && child->status == ENV_HUSK && child->husk_refs == 1);
	EXPECT(pt_frame(data)->owner == child->id);
	EXPECT(problems() == 0);
	u64 none = 0;
	EXPECT(pt_write(first, parent_l3, 7, 1, &none) == 0); /* the last reference goes... */
	EXPECT(env_lookup(child_id) == NULL);                 /* ...and so does the husk */
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == free_before + 2); /* the frame, the record */
	EXPECT(first->quota == 200);
	EXPECT(problems() == 0);
}

/* The next exit notice env receives: its kind (0 if none), with who and the status. */
static u32 notice(struct env *env, u64 *who, u64 *status)
{
	struct exo_event event;
	if (env_take_event(env, &event, true, false) < 0)
		return 0;
	*who = event.env;
	*status = event.value;
	return event.kind;
}

/*
 * Orphans go to the first environment: C's parent B ends, C moves to B's
 * parent A, but C's exit notice comes to the first environment, as an
 * orphan's, and A never sees it; nothing is left over.
 */
static void orphan_notice_goes_to_the_first(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200), *a = make_env(first, 60), *b = make_env(a, 30), *c = make_env(b, 10);
	u64 free_before = frame_count(&kernel_frames, FRAME_FREE) + 3, who = 0, status = 0;
	u32 bid = b->id, cid = c->id;
	env_destroy(b, 5, false);
	EXPECT(c->parent_env == a && c->adopted && orphan_count() == 1 && orphan_is_adopted(cid));
	EXPECT(env_notice_to(c) == first && env_notice_to(a) == first && !a->adopted);
	env_destroy(c, 7, false);
	EXPECT(notice(a, &who, &status) == EXO_EVENT_EXIT && who == bid && status == 5);
	EXPECT(notice(a, &who, &status) == 0); /* C's is not A's */
	EXPECT(notice(first, &who, &status) == EXO_EVENT_ORPHAN_EXIT && who == cid && status == 7);
	EXPECT(env_lookup(cid) == NULL && orphan_count() == 0 && !orphan_is_adopted(cid));
	EXPECT(notice(first, &who, &status) == 0);
	env_destroy(a, 0, true);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == free_before);
	EXPECT(problems() == 0);
}

/*
 * A husk keeps its children (they map what it shared), yet they are
 * orphans: a zombie child's notice, and a later end's, go to the first
 * environment; when the last goes, so does the husk, and every frame.
 */
static void husk_children_are_orphans(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200), *b = make_env(first, 60);
	struct env *early = make_env(b, 10), *c = make_env(b, 20);
	u64 free_before = frame_count(&kernel_frames, FRAME_FREE) + 3, who = 0, status = 0;
	u64 data = frame_of(b), table = table_of(c, 3), page = fake_page(data, EXO_R);
	EXPECT(frame_share(b, data, EXO_R) == 0);
	EXPECT(pt_write(c, table, 0, 1, &page) == 0);
	u32 bid = b->id, cid = c->id, early_id = early->id;
	env_destroy(early, 3, false); /* a zombie B never receives */
	env_destroy(b, 0, true);
	EXPECT(b->husk && c->parent_env == b && c->adopted && early->adopted && orphan_count() == 2);
	EXPECT(notice(first, &who, &status) == EXO_EVENT_ORPHAN_EXIT && who == early_id && status == 3);
	env_destroy(c, 9, false);
	EXPECT(notice(first, &who, &status) == EXO_EVENT_ORPHAN_EXIT && who == cid && status == 9);
	EXPECT(env_lookup(bid) == NULL && env_lookup(cid) == NULL && orphan_count() == 0);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == free_before);
	EXPECT(problems() == 0);
}

/* A thread's child is its process's when the thread ends: no orphan, the process gets its notice. */
static void thread_children_go_to_the_process(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200), *process = make_env(first, 60);
	u64 root = table_of(process, 0), who = 0, status = 0;
	pt_set_root(process, root);
	struct env *thread = make_env(process, 20);
	pt_set_root(thread, root);
	struct env *child = make_env(thread, 10);
	u32 thread_id = thread->id, child_id = child->id;
	env_destroy(thread, 0, false);
	EXPECT(child->parent_env == process && !child->adopted && orphan_count() == 0);
	env_destroy(child, 4, false);
	EXPECT(notice(process, &who, &status) == EXO_EVENT_EXIT && who == thread_id);
	EXPECT(notice(process, &who, &status) == EXO_EVENT_EXIT && who == child_id && status == 4);
	EXPECT(notice(first, &who, &status) == 0);
	env_destroy(process, 0, true);
	EXPECT(problems() == 0);
}

/* A thread heir steps into an orphan's place, its tree parent a husk: the heir is an orphan too, and init hears of it. */
static void orphan_heir_is_an_orphan(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200), *a = make_env(first, 80), *b = make_env(a, 50);
	u64 root = table_of(b, 0), who = 0, status = 0;
	pt_set_root(b, root);
	struct env *t = make_env(b, 10);
	pt_set_root(t, root);
	u64 data = frame_of(a), table = table_of(b, 3), page = fake_page(data, EXO_R);
	EXPECT(frame_share(a, data, EXO_R) == 0);
	EXPECT(pt_write(b, table, 0, 1, &page) == 0);
	u32 bid = b->id, tid = t->id;
	env_destroy(a, 0, true);
	EXPECT(a->husk && b->adopted);
	env_destroy(b, 3, false); /* t takes its place */
	EXPECT(t->adopted && env_notice_to(t) == first && orphan_count() == 2);
	EXPECT(notice(first, &who, &status) == EXO_EVENT_ORPHAN_EXIT && who == bid);
	env_destroy(t, 9, false);
	EXPECT(notice(first, &who, &status) == EXO_EVENT_ORPHAN_EXIT && who == tid && status == 9);
	EXPECT(orphan_count() == 0 && problems() == 0);
}

/* An orphan's tree parent (not its notice's receiver) destroys it: init still gets the notice. */
static void orphan_destroyed_by_tree_parent_notifies_init(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200), *a = make_env(first, 60), *b = make_env(a, 30), *c = make_env(b, 10);
	u64 who = 0, status = 0;
	u32 cid = c->id;
	env_destroy(b, 0, false);
	EXPECT(c->adopted && c->parent_env == a && orphan_count() == 1);
	env_destroy(c, -1, env_notice_to(c) == a); /* as call_env_destroy decides, called by a */
	EXPECT(notice(first, &who, &status) == EXO_EVENT_ORPHAN_EXIT && who == cid && (i64)status == -1);
	EXPECT(orphan_count() == 0);
}

/* The first environment ends with orphans live and queued: the count comes back to 0, not below. */
static void first_end_leaves_no_orphan_count(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 200), *a = make_env(first, 80), *b = make_env(a, 30), *c = make_env(a, 30);
	env_destroy(a, 0, false);
	env_destroy(b, 1, false);
	EXPECT(orphan_count() == 2 && b->orphan_queued && c->adopted);
	env_destroy(first, 0, false);
	EXPECT(orphan_count() == 0);
}

/*
 * A thread's end runs in steps; its process ends meanwhile and the thread
 * moves up the tree: its children are orphans then, not the grandparent's.
 */
static void thread_children_are_orphans_once_its_process_ended(void)
{
	fake_boot(2048);
	struct env *first = make_env(NULL, 1900), *gp = make_env(first, 1500), *p = make_env(gp, 1000);
	u64 root = table_of(p, 0);
	pt_set_root(p, root);
	struct env *t = make_env(p, 900);
	pt_set_root(t, root);
	struct env *c = make_env(t, 10);
	for (u32 n = 0; n < 100; n++) { /* enough for a release in steps */
		u64 leaf = table_of(t, 3), page = fake_page(frame_of(t), EXO_R | EXO_W);
		for (u32 i = 0; i < 4; i++)
			EXPECT(pt_write(t, leaf, i * 100, 1, &page) == 0);
	}
	env_destroy(t, 0, false);
	EXPECT(t->status == ENV_ENDING);
	env_destroy(p, 0, false);
	env_release_drain();
	EXPECT(c->adopted && env_notice_to(c) == first && c->parent_env != p);
	env_destroy(gp, 0, true);
	env_release_drain();
	EXPECT(problems() == 0);
}

/* A thread's own table gets nothing from the environment it runs for. */
static void thread_tables_hold_nothing_of_their_process(void)
{
	fake_boot(256);
	struct env *process = make_env(NULL, 200);
	u64 root = table_of(process, 0), data = frame_of(process);
	pt_set_root(process, root);
	struct env *thread = make_env(process, 10);
	pt_set_root(thread, root);
	u64 own = table_of(thread, 3), theirs = table_of(process, 3);
	u64 page = fake_page(data, EXO_R);
	EXPECT(pt_write(thread, own, 0, 1, &page) == -E_PERM);
	EXPECT(pt_write(thread, theirs, 0, 1, &page) == 0);
	EXPECT(problems() == 0);
	env_destroy(process, 0, true);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 255);
}

/*
 * Two husks cannot keep each other: P's table maps its child C's frame,
 * C's table links P's (shared) table, P's level-1 links C's table.  C ends,
 * then P: P's husk lets go of C's frame, and both go.
 */
static void husks_in_a_cycle_are_collected(void)
{
	fake_boot(256);
	struct env *first = make_env(NULL, 240);
	struct env *p = make_env(first, 100);
	struct env *c = make_env(p, 40);
	u64 tp = table_of(p, 3), fc = frame_of(c), tc2 = table_of(c, 2), tp1 = table_of(p, 1);
	u64 page = fake_page(fc, EXO_R | EXO_W);
	EXPECT(pt_write(p, tp, 0, 1, &page) == 0);
	EXPECT(frame_share(p, tp, EXO_R) == 0);
	u64 up = fake_table(2, tp, EXO_R), down = fake_table(1, tc2, EXO_R | EXO_W);
	EXPECT(pt_write(c, tc2, 0, 1, &up) == 0);
	EXPECT(pt_write(p, tp1, 0, 1, &down) == 0);
	u64 free_before = frame_count(&kernel_frames, FRAME_FREE);
	u32 pid = p->id, cid = c->id;
	env_destroy(c, 0, true);
	EXPECT(c->husk);
	env_destroy(p, 0, true);
	env_release_drain();
	EXPECT(env_lookup(pid) == NULL && env_lookup(cid) == NULL);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == free_before + 6); /* 4 frames, 2 records */
	EXPECT(first->quota == 240);
	EXPECT(problems() == 0);
}

/*
 * A table's owner at the top of a 250-deep chain maps, alternately, frames
 * of 64 environments at the bottom (and one of an unrelated branch): every
 * record is walked over a bounded number of times, not once per entry.
 */
static void deep_tree_batches_walk_each_record_once(void)
{
	enum { DEPTH = 250, LEAVES = 64 };
	fake_boot(1024);
	struct env *first = make_env(NULL, 900);
	struct env *other = make_env(first, 4);
	u64 table = table_of(first, 3), unrelated = frame_of(other);
	struct env *bottom = first;
	for (u32 i = 0; i < DEPTH; i++)
		bottom = make_env(bottom, env_spare(bottom) - 1);
	u64 leaf_frames[LEAVES];
	for (u32 i = 0; i < LEAVES; i++)
		leaf_frames[i] = frame_of(make_env(bottom, 2));
	u64 pages[EXO_PT_ENTRIES];
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++)
		pages[i] = fake_page(leaf_frames[i % LEAVES], EXO_R | EXO_W);
	u64 steps = env_walk_steps;
	EXPECT(pt_write(first, table, 0, EXO_PT_ENTRIES, pages) == 0);
	u64 walked = env_walk_steps - steps;
	printf("  %u entries over %u owners %u deep: %llu steps up the tree\n", EXO_PT_ENTRIES, LEAVES, DEPTH,
	       (unsigned long long)walked);
	EXPECT(walked <= 2 * (DEPTH + LEAVES) + 2 * ENV_MAX_DEPTH);
	/* The other way round: the bottom asks about the top and a sibling branch. */
	struct env *leaf = bottom->child_head;
	u64 leaf_table = table_of(leaf, 3);
	u64 theirs = fake_page(unrelated, EXO_R);
	EXPECT(pt_write(leaf, leaf_table, 0, 1, &theirs) == -E_PERM);
	EXPECT(frame_share(other, unrelated, EXO_R) == 0);
	EXPECT(pt_write(leaf, leaf_table, 0, 1, &theirs) == -E_PERM); /* shared with other's descendants only */
	EXPECT(env_relation(leaf, first) == REL_ANCESTOR && env_relation(first, leaf) == REL_DESCENDANT);
	EXPECT(env_relation(leaf, other) == REL_NONE && env_relation(other, leaf) == REL_NONE);
	EXPECT(problems() == 0);
}

/*
 * Whoever keeps exactly the ids of one bucket (here the key is known)
 * cannot make its chain longer than ENV_BUCKET_MAX: later ids of that
 * bucket are skipped.
 */
static void no_bucket_grows_past_its_bound(void)
{
	fake_boot(512);
	env_hash_key(0);
	struct env *first = make_env(NULL, 400);
	u32 target = env_bucket_of(first->id + 1), kept = 0, skipped = 0, last = first->id;
	for (u32 tries = 0; tries < 8192 * (ENV_BUCKET_MAX + 8) && skipped < 4; tries++) {
		struct env *child = make_env(first, 0);
		for (u32 id = last + 1; id < child->id; id++, skipped++)
			EXPECT(env_bucket_of(id) == target && kept == ENV_BUCKET_MAX - (env_bucket_of(first->id) == target));
		last = child->id;
		if (env_bucket_of(child->id) == target) {
			kept++;
			continue;
		}
		env_destroy(child, 0, true);
		env_release_drain();
		EXPECT(env_lookup(last) == NULL);
	}
	printf("  kept %u in one bucket, %u of its ids skipped\n", kept, skipped);
	EXPECT(env_bucket_length(target) <= ENV_BUCKET_MAX);
	EXPECT(skipped == 4 && env_bucket_length(target) == ENV_BUCKET_MAX);
	EXPECT(problems() == 0);
}

/*
 * Copy-on-write: a parent's page mapped read-only in its own table and its
 * child's; the child's entry gets a private copy (the content comes along),
 * then the parent's, now the only mapping, is made writable in place.
 */
static void cow_copies_then_writes_in_place(void)
{
	fake_boot(256);
	struct env *parent = make_env(NULL, 200);
	struct env *child = make_env(parent, 50);
	u64 data = frame_of(parent), parent_l3 = table_of(parent, 3), child_l3 = table_of(child, 3);
	((u8 *)phys_to_kernel(pa(data)))[100] = 42;
	u64 ro = fake_page(data, EXO_R);
	EXPECT(frame_share(parent, data, EXO_R) == 0);
	EXPECT(pt_write(parent, parent_l3, 5, 1, &ro) == 0);
	EXPECT(pt_write(parent, child_l3, 5, 1, &ro) == 0);
	EXPECT(frame_maps(parent, data) == 2);
	EXPECT(frame_maps(child, data) == -E_PERM); /* a share lets it map the frame, not count its mappings */
	u64 child_used = child->used;
	i64 copy = pt_cow(parent, child_l3, 5, 0);
	EXPECT(copy > 0 && (u64)copy != data);
	EXPECT(pt_frame((u64)copy)->owner == child->id && child->used == child_used + 1);
	EXPECT(((u8 *)phys_to_kernel(pa((u64)copy)))[100] == 42);
	EXPECT(pt_entries(pt_frame(child_l3))[5] == fake_page((u64)copy, EXO_R | EXO_W));
	EXPECT(frame_maps(parent, data) == 1);
	EXPECT(pt_cow(parent, parent_l3, 5, 0) == (i64)data); /* the only mapping: in place */
	EXPECT(pt_entries(pt_frame(parent_l3))[5] == fake_page(data, EXO_R | EXO_W));
	EXPECT(pt_cow(parent, parent_l3, 6, 0) == -E_INVAL);        /* nothing mapped there */
	EXPECT(pt_cow(child, parent_l3, 5, 0) == -E_PERM);          /* not the child's to change */
	EXPECT(pt_cow(parent, table_of(parent, 2), 0, 0) == -E_INVAL); /* not a last-level table */
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 255);
}

/* The child cannot make its read-only view of its parent's page writable in place, even as the last mapping. */
static void cow_never_widens_a_share(void)
{
	fake_boot(256);
	struct env *parent = make_env(NULL, 200);
	struct env *child = make_env(parent, 50);
	u64 data = frame_of(parent), child_l3 = table_of(child, 3);
	u64 ro = fake_page(data, EXO_R);
	EXPECT(frame_share(parent, data, EXO_R) == 0);
	EXPECT(pt_write(child, child_l3, 0, 1, &ro) == 0);
	EXPECT(pt_frame(data)->maps == 1 && frame_maps(child, data) == -E_PERM);
	i64 copy = pt_cow(child, child_l3, 0, 0);
	EXPECT(copy > 0 && (u64)copy != data && pt_frame((u64)copy)->owner == child->id);
	EXPECT(pt_frame(data)->maps == 0);
	/* Out of quota: refused, and nothing changed. */
	struct env *poor = make_env(parent, 1);
	u64 poor_l3 = table_of(poor, 3);
	EXPECT(pt_write(poor, poor_l3, 0, 1, &ro) == 0);
	EXPECT(pt_cow(poor, poor_l3, 0, 0) == -E_QUOTA);
	EXPECT(pt_entries(pt_frame(poor_l3))[0] == ro && pt_frame(data)->maps == 1);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 255);
}

/* Demand-zero: fresh frames of the table's owner, into empty entries only. */
static void map_new_fills_empty_entries(void)
{
	fake_boot(256);
	struct env *parent = make_env(NULL, 200);
	struct env *child = make_env(parent, 10);
	u64 child_l3 = table_of(child, 3);
	u64 attrs = fake_page(0, EXO_R | EXO_W);
	EXPECT(pt_map_new(parent, child_l3, 10, 4, attrs, 0) == 0);
	u64 *entries = pt_entries(pt_frame(child_l3));
	for (u32 i = 10; i < 14; i++) {
		struct frame *frame = pt_frame(entries[i] & FAKE_ADDR_MASK);
		EXPECT(frame && frame->owner == child->id && frame->maps == 1 && frame->type == FRAME_USER);
		EXPECT(((u64 *)phys_to_kernel(pa(entries[i] & FAKE_ADDR_MASK)))[7] == 0);
	}
	EXPECT(pt_frame(child_l3)->used == 4 && child->used == 6);
	EXPECT(pt_map_new(parent, child_l3, 12, 4, attrs, 0) == -E_EXIST);
	EXPECT(pt_map_new(parent, child_l3, 20, 0, attrs, 0) == -E_RANGE);
	EXPECT(pt_map_new(parent, child_l3, 510, 3, attrs, 0) == -E_RANGE);
	EXPECT(pt_map_new(parent, child_l3, 20, 1, attrs | 0x5000, 0) == -E_INVAL); /* an address */
	EXPECT(pt_map_new(parent, child_l3, 20, 1, attrs | FAKE_TABLE, 0) == -E_INVAL);
	EXPECT(pt_map_new(parent, child_l3, 20, 6, attrs, 0) == -E_QUOTA); /* 5 spare */
	EXPECT(pt_map_new(child, table_of(parent, 3), 0, 1, attrs, 0) == -E_PERM);
	EXPECT(pt_frame(child_l3)->used == 4 && child->used == 6);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 255);
}

/*
 * Whole last-level tables copied for a child in one call (slots 10..13 of
 * a level-2 table): new tables of the child's, linked like the parent's,
 * their entries write-protected on both sides; refusals change nothing.
 */
static void copy_tables_for_a_child(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 8);
	u64 src = table_of(parent, 2), dst = table_of(child, 2);
	u64 leaves[2] = { table_of(parent, 3), table_of(parent, 3) };
	u64 data[4] = { frame_of(parent), frame_of(parent), frame_of(parent), frame_of(parent) };
	for (u32 t = 0; t < 2; t++)
		for (u32 i = 0; i < 2; i++) {
			u64 page = fake_page(data[2 * t + i], EXO_R | EXO_W);
			EXPECT(pt_write(parent, leaves[t], 100 + i, 1, &page) == 0);
		}
	for (u32 i = 0; i < 4; i++)
		EXPECT(frame_share(parent, data[i], EXO_R) == 0);
	u64 links[3] = { fake_table(2, leaves[0], EXO_R | EXO_W), 0, fake_table(2, leaves[1], EXO_R | EXO_W) };
	EXPECT(pt_write(parent, src, 10, 3, links) == 0);
	u64 before = pt_entries(pt_frame(leaves[0]))[100];
	/* Refusals first: nothing may change. */
	EXPECT(pt_copy_tables(parent, src, dst, 10, 600, FAKE_RO, EXO_COPY_BOTH) == -E_RANGE);
	EXPECT(pt_copy_tables(parent, src, dst, 10, 10, FAKE_RO, EXO_COPY_BOTH) == -E_RANGE);
	EXPECT(pt_copy_tables(parent, src, dst, 10, 13, FAKE_RO, 8) == -E_INVAL);
	EXPECT(pt_copy_tables(parent, src, src, 10, 13, FAKE_RO, EXO_COPY_BOTH) == -E_INVAL);
	EXPECT(pt_copy_tables(parent, leaves[0], dst, 10, 13, FAKE_RO, EXO_COPY_BOTH) == -E_INVAL);
	EXPECT(pt_copy_tables(parent, src, dst, 10, 13, FAKE_TABLE, EXO_COPY_BOTH) == -E_INVAL);
	EXPECT(pt_copy_tables(child, src, dst, 10, 13, FAKE_RO, EXO_COPY_BOTH) == -E_PERM);
	/* The child's tables would need write rights the share does not give. */
	EXPECT(pt_copy_tables(parent, src, dst, 10, 13, 0, 0) == -E_PERM);
	struct env *poor = make_env(parent, 2);
	u64 poor_dst = table_of(poor, 2); /* one frame of quota left: two tables needed */
	EXPECT(pt_copy_tables(parent, src, poor_dst, 10, 13, FAKE_RO, EXO_COPY_BOTH) == -E_QUOTA);
	EXPECT(pt_entries(pt_frame(leaves[0]))[100] == before);
	EXPECT(problems() == 0);
	/* Now for real. */
	EXPECT(pt_copy_tables(parent, src, dst, 10, 13, FAKE_RO, EXO_COPY_BOTH) == 13);
	u64 *mine = pt_entries(pt_frame(dst));
	EXPECT(mine[11] == 0 && mine[10] && mine[12]);
	for (u32 t = 0; t < 2; t++) {
		u32 at = t ? 12 : 10;
		struct frame *copy = pt_frame(mine[at] & FAKE_ADDR_MASK);
		EXPECT(copy && copy->owner == child->id && copy->level == 3 && copy->used == 2 && copy->links == 1);
		for (u32 i = 0; i < 2; i++) {
			EXPECT(pt_entries(copy)[100 + i] == fake_page(data[2 * t + i], EXO_R));
			EXPECT(pt_entries(pt_frame(leaves[t]))[100 + i] == fake_page(data[2 * t + i], EXO_R));
			EXPECT(pt_frame(data[2 * t + i])->maps == 2);
		}
	}
	EXPECT(pt_copy_tables(parent, src, dst, 10, 11, FAKE_RO, EXO_COPY_BOTH) == -E_EXIST);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * A last-level table shared by a parent and its child at the same address
 * (an on-demand fork's) keeps its address: a change to one of its pages is
 * invalidated by address in every ASID, not by flushing everything.  Linked
 * at another address too, its place is unknown: everything goes.
 */
static void shared_table_keeps_its_address(void)
{
	fake_boot(256);
	struct env *parent = make_env(NULL, 200);
	struct env *child = make_env(parent, 40);
	u64 proot = table_of(parent, 0), p1 = table_of(parent, 1), p2 = table_of(parent, 2), leaf = table_of(parent, 3);
	u64 croot = table_of(child, 0), c1 = table_of(child, 1), c2 = table_of(child, 2);
	pt_set_root(parent, proot);
	pt_set_root(child, croot);
	u64 l1 = fake_table(0, p1, EXO_R | EXO_W), l2 = fake_table(1, p2, EXO_R | EXO_W), l3 = fake_table(2, leaf, EXO_R);
	EXPECT(pt_write(parent, proot, 1, 1, &l1) == 0 && pt_write(parent, p1, 2, 1, &l2) == 0);
	EXPECT(pt_write(parent, p2, 3, 1, &l3) == 0);
	EXPECT(frame_share(parent, leaf, EXO_R) == 0);
	u64 cl1 = fake_table(0, c1, EXO_R | EXO_W), cl2 = fake_table(1, c2, EXO_R | EXO_W);
	EXPECT(pt_write(child, croot, 1, 1, &cl1) == 0 && pt_write(child, c1, 2, 1, &cl2) == 0);
	EXPECT(pt_write(child, c2, 3, 1, &l3) == 0); /* the same address in the child */
	EXPECT(pt_frame(leaf)->pos_root == FRAME_ANY_ROOT);
	u64 data = frame_of(parent), page = fake_page(data, EXO_R | EXO_W), ro = fake_page(data, EXO_R);
	EXPECT(pt_write(parent, leaf, 9, 1, &page) == 0);
	u64 all = tlb_stats.all, by_va_all = tlb_stats.by_va_all;
	EXPECT(pt_write(parent, leaf, 9, 1, &ro) == 0); /* a cached page changes */
	EXPECT(tlb_stats.all == all && tlb_stats.by_va_all == by_va_all + 1);
	/* Linked at another address as well: unknown. */
	EXPECT(pt_write(child, c2, 4, 1, &l3) == 0);
	EXPECT(pt_frame(leaf)->pos_root == FRAME_NONE);
	EXPECT(pt_write(parent, leaf, 9, 1, &page) == 0);
	EXPECT(tlb_stats.all == all + 1);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 255);
}

/*
 * A frame's only mapping, in a last-level table linked in two roots (a
 * fork's child sharing its parent's table), is a page of two address
 * spaces: copy-on-write copies it rather than make it writable for both.
 * Linked once, at a known place, it is written in place.
 */
static void cow_copies_under_a_shared_table(void)
{
	fake_boot(256);
	struct env *parent = make_env(NULL, 200);
	struct env *child = make_env(parent, 40);
	u64 proot = table_of(parent, 0), p1 = table_of(parent, 1), p2 = table_of(parent, 2), leaf = table_of(parent, 3);
	u64 croot = table_of(child, 0), c1 = table_of(child, 1), c2 = table_of(child, 2);
	pt_set_root(parent, proot);
	pt_set_root(child, croot);
	u64 l1 = fake_table(0, p1, EXO_R | EXO_W), l2 = fake_table(1, p2, EXO_R | EXO_W), l3 = fake_table(2, leaf, EXO_R | EXO_W);
	EXPECT(pt_write(parent, proot, 1, 1, &l1) == 0 && pt_write(parent, p1, 2, 1, &l2) == 0);
	EXPECT(pt_write(parent, p2, 3, 1, &l3) == 0);
	u64 data = frame_of(parent), other = frame_of(parent);
	u64 ro = fake_page(data, EXO_R), other_ro = fake_page(other, EXO_R);
	EXPECT(pt_write(parent, leaf, 7, 1, &ro) == 0 && pt_write(parent, leaf, 8, 1, &other_ro) == 0);
	EXPECT(pt_cow(parent, leaf, 8, 0) == (i64)other); /* one root, one place: in place */
	EXPECT(pt_entries(pt_frame(leaf))[8] == fake_page(other, EXO_R | EXO_W));
	/* The child links the same table at the same address: seen from two roots. */
	u64 cl1 = fake_table(0, c1, EXO_R | EXO_W), cl2 = fake_table(1, c2, EXO_R | EXO_W);
	u64 shared = fake_table(2, leaf, EXO_R);
	EXPECT(frame_share(parent, leaf, EXO_R) == 0);
	EXPECT(pt_write(child, croot, 1, 1, &cl1) == 0 && pt_write(child, c1, 2, 1, &cl2) == 0);
	EXPECT(pt_write(child, c2, 3, 1, &shared) == 0);
	EXPECT(pt_frame(data)->maps == 1 && pt_frame(leaf)->links == 2);
	i64 copy = pt_cow(parent, leaf, 7, 0);
	EXPECT(copy > 0 && (u64)copy != data && pt_frame((u64)copy)->owner == parent->id);
	EXPECT(pt_entries(pt_frame(leaf))[7] == fake_page((u64)copy, EXO_R | EXO_W));
	EXPECT(pt_frame(data)->maps == 0);
	/* Unlinked by the child, the table is linked once but its place stays unknown: still a copy. */
	u64 none = 0;
	EXPECT(pt_write(child, c2, 3, 1, &none) == 0 && pt_frame(leaf)->links == 1);
	EXPECT(pt_write(parent, leaf, 9, 1, &ro) == 0);
	copy = pt_cow(parent, leaf, 9, 0);
	EXPECT(copy > 0 && (u64)copy != data);
	/* Its one link written again (read-only, then as it was), the table takes that place: in place. */
	u64 other_copy = (u64)copy, read_only_link = fake_table(2, leaf, EXO_R);
	EXPECT(pt_write(parent, leaf, 10, 1, &ro) == 0 && pt_frame(data)->maps == 1);
	EXPECT(pt_write(parent, p2, 3, 1, &read_only_link) == 0 && pt_write(parent, p2, 3, 1, &l3) == 0);
	EXPECT(pt_frame(leaf)->pos_root == pt_frame(proot)->pos_root);
	EXPECT(pt_cow(parent, leaf, 10, 0) == (i64)data);
	EXPECT(pt_entries(pt_frame(leaf))[10] == fake_page(data, EXO_R | EXO_W));
	/* Linked twice again, it is not: a write of one link cannot settle a table another links. */
	EXPECT(pt_write(child, c2, 3, 1, &shared) == 0 && pt_frame(leaf)->links == 2);
	EXPECT(pt_write(parent, p2, 3, 1, &l3) == 0 && pt_frame(leaf)->pos_root == FRAME_ANY_ROOT);
	u64 page9 = fake_page(other_copy, EXO_R);
	EXPECT(pt_write(parent, leaf, 9, 1, &page9) == 0 && pt_frame(other_copy)->maps == 1);
	copy = pt_cow(parent, leaf, 9, 0);
	EXPECT(copy > 0 && (u64)copy != other_copy);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 255);
}

/*
 * EXO_FREE_WHEN_UNUSED: a page its owner gives up while a child still maps
 * it is freed as the child's mapping goes; a doomed table goes as its last
 * link does, and the doomed pages only it mapped go with it.  A root in
 * use, or another's frame, is refused as before.
 */
static void doomed_frames_go_with_their_last_reference(void)
{
	fake_boot(256);
	u64 free_at_start = frame_count(&kernel_frames, FRAME_FREE);
	struct env *parent = make_env(NULL, 200);
	struct env *child = make_env(parent, 50);
	u64 data = frame_of(parent), parent_l3 = table_of(parent, 3), child_l3 = table_of(child, 3);
	u64 ro = fake_page(data, EXO_R), none = 0;
	EXPECT(frame_share(parent, data, EXO_R) == 0);
	EXPECT(pt_write(parent, parent_l3, 1, 1, &ro) == 0 && pt_write(parent, child_l3, 1, 1, &ro) == 0);
	EXPECT(frames_free(parent, &data, 1) == -E_BUSY);
	EXPECT(frames_free(child, &data, 1 | EXO_FREE_WHEN_UNUSED) == -E_PERM); /* not the child's to give up */
	u64 used = parent->used, freed = doomed_freed;
	EXPECT(frames_free(parent, &data, 1 | EXO_FREE_WHEN_UNUSED) == 0);
	EXPECT(pt_frame(data)->type == FRAME_USER && (pt_frame(data)->flags & FRAME_DOOMED) && parent->used == used);
	EXPECT(pt_write(parent, parent_l3, 1, 1, &none) == 0);
	EXPECT(pt_frame(data)->type == FRAME_USER && pt_frame(data)->maps == 1 && problems() == 0);
	EXPECT(pt_write(parent, child_l3, 1, 1, &none) == 0); /* the last mapping: freed as the call ends */
	EXPECT(pt_frame(data)->type == FRAME_FREE && parent->used == used - 1 && doomed_freed == freed + 1);
	/* Mapped again while doomed, it waits for that mapping too; an unreferenced one goes at once. */
	u64 again = frame_of(parent), page = fake_page(again, EXO_R | EXO_W);
	EXPECT(pt_write(parent, parent_l3, 2, 1, &page) == 0);
	EXPECT(frames_free(parent, &again, 1 | EXO_FREE_WHEN_UNUSED) == 0);
	EXPECT(pt_write(parent, parent_l3, 3, 1, &page) == 0 && pt_write(parent, parent_l3, 2, 1, &none) == 0);
	EXPECT(pt_frame(again)->type == FRAME_USER && pt_frame(again)->maps == 1);
	EXPECT(pt_write(parent, parent_l3, 3, 1, &none) == 0 && pt_frame(again)->type == FRAME_FREE);
	u64 loose = frame_of(parent);
	EXPECT(frames_free(parent, &loose, 1 | EXO_FREE_WHEN_UNUSED) == 0 && pt_frame(loose)->type == FRAME_FREE);
	/* EXO_COW_GIVE_UP: the parent's copy-on-write copy gives up the original, which goes with the child's mapping. */
	u64 original = frame_of(parent), original_ro = fake_page(original, EXO_R);
	EXPECT(frame_share(parent, original, EXO_R) == 0);
	EXPECT(pt_write(parent, parent_l3, 5, 1, &original_ro) == 0 && pt_write(parent, child_l3, 5, 1, &original_ro) == 0);
	EXPECT(pt_cow(parent, parent_l3, 5, 2) == -E_INVAL); /* an unknown flag */
	i64 private_copy = pt_cow(parent, parent_l3, 5, EXO_COW_GIVE_UP);
	EXPECT(private_copy > 0 && (u64)private_copy != original && (pt_frame(original)->flags & FRAME_DOOMED));
	EXPECT(pt_write(parent, child_l3, 5, 1, &none) == 0 && pt_frame(original)->type == FRAME_FREE);
	/* The child's copy of its parent's frame gives up nothing: not the table owner's. */
	u64 theirs = frame_of(parent), theirs_ro = fake_page(theirs, EXO_R);
	EXPECT(frame_share(parent, theirs, EXO_R) == 0 && pt_write(child, child_l3, 6, 1, &theirs_ro) == 0);
	EXPECT(pt_write(parent, parent_l3, 6, 1, &theirs_ro) == 0);
	EXPECT(pt_cow(child, child_l3, 6, EXO_COW_GIVE_UP) > 0 && !(pt_frame(theirs)->flags & FRAME_DOOMED));
	/* A doomed table goes when unlinked, and a doomed page only it mapped goes with it. */
	u64 proot = table_of(parent, 0), p1 = table_of(parent, 1), p2 = table_of(parent, 2), leaf = table_of(parent, 3);
	pt_set_root(parent, proot);
	u64 l1 = fake_table(0, p1, EXO_R | EXO_W), l2 = fake_table(1, p2, EXO_R | EXO_W), l3 = fake_table(2, leaf, EXO_R | EXO_W);
	EXPECT(pt_write(parent, proot, 1, 1, &l1) == 0 && pt_write(parent, p1, 2, 1, &l2) == 0);
	EXPECT(pt_write(parent, p2, 3, 1, &l3) == 0);
	u64 inner = frame_of(parent), inner_page = fake_page(inner, EXO_R | EXO_W);
	EXPECT(pt_write(parent, leaf, 9, 1, &inner_page) == 0);
	u64 both[2] = { leaf, inner };
	EXPECT(frames_free(parent, both, 2 | EXO_FREE_WHEN_UNUSED) == 0);
	EXPECT(pt_frame(leaf)->type == FRAME_PAGETABLE && pt_frame(inner)->type == FRAME_USER && problems() == 0);
	EXPECT(pt_write(parent, p2, 3, 1, &none) == 0);
	EXPECT(pt_frame(leaf)->type == FRAME_FREE && pt_frame(inner)->type == FRAME_FREE);
	/* A table given up is never mapped as a page (a table it links could map it: neither would go). */
	u64 given_up = table_of(parent, 3), given_up_link = fake_table(2, given_up, EXO_R | EXO_W);
	EXPECT(pt_write(parent, p2, 4, 1, &given_up_link) == 0);
	EXPECT(frames_free(parent, &given_up, 1 | EXO_FREE_WHEN_UNUSED) == 0);
	u64 as_page = fake_page(given_up, EXO_R);
	EXPECT(pt_write(parent, parent_l3, 7, 1, &as_page) == -E_PERM);
	EXPECT(pt_write(parent, p2, 4, 1, &none) == 0 && pt_frame(given_up)->type == FRAME_FREE);
	/* A root in use is never doomed. */
	EXPECT(frames_free(parent, &proot, 1 | EXO_FREE_WHEN_UNUSED) == -E_BUSY);
	EXPECT(!(pt_frame(proot)->flags & FRAME_DOOMED));
	/* A doomed page the child still maps when its owner ends: the husk keeps it until the child lets go. */
	u64 kept = frame_of(parent), kept_ro = fake_page(kept, EXO_R);
	EXPECT(frame_share(parent, kept, EXO_R) == 0 && pt_write(parent, child_l3, 4, 1, &kept_ro) == 0);
	EXPECT(frames_free(parent, &kept, 1 | EXO_FREE_WHEN_UNUSED) == 0);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(problems() == 0);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == free_at_start);
}

/*
 * Given-up frames past what one call notes (1,024) are found by a scan
 * that resumes where it stopped; the work is done a budget at a time, the
 * rest in the release steps, and nothing is reported while it is pending.
 * A table mapped as a page is never given up.
 */
/* The frames entries 0..count of a last-level table map. */
static void mapped_frames(u64 table, u32 count, u64 *out)
{
	for (u32 i = 0; i < count; i++)
		out[i] = pte_addr(pt_entries(pt_frame(table))[i]).val;
}

static void doomed_frames_go_in_bounded_steps(void)
{
	fake_boot(2048);
	u64 free_at_start = frame_count(&kernel_frames, FRAME_FREE);
	struct env *owner = make_env(NULL, 2000);
	u64 attrs = fake_page(0, EXO_R | EXO_W), leaves[3];
	for (u32 t = 0; t < 3; t++) {
		leaves[t] = table_of(owner, 3);
		u64 pages[EXO_PT_ENTRIES];
		EXPECT(pt_map_new(owner, leaves[t], 0, EXO_PT_ENTRIES, attrs, 0) == 0);
		mapped_frames(leaves[t], EXO_PT_ENTRIES, pages);
		EXPECT(frames_free(owner, pages, EXO_PT_ENTRIES | EXO_FREE_WHEN_UNUSED) == 0);
	}
	u64 used = owner->used, freed = doomed_freed;
	/* One call frees the three tables: 1,536 pages left unreferenced, 512 past the notes. */
	EXPECT(frames_free(owner, leaves, 3) == 0);
	EXPECT(doomed_freed == freed + 1536 && owner->used == used - 1539 && !doomed_pending());
	EXPECT(problems() == 0);
	/* Noted but not collected yet (a table released inside a call): a small budget leaves work. */
	u64 leaf = table_of(owner, 3), pages[EXO_PT_ENTRIES];
	EXPECT(pt_map_new(owner, leaf, 0, 64, attrs, 0) == 0);
	mapped_frames(leaf, 64, pages);
	EXPECT(frames_free(owner, pages, 64 | EXO_FREE_WHEN_UNUSED) == 0);
	pt_release_table(pt_frame(leaf)); /* the entries dropped, as inside a call, before its end */
	EXPECT(doomed_pending() && problems() == 0); /* pending: not reported */
	u64 budget = 10;
	freed = doomed_freed;
	EXPECT(!doomed_collect_for(&budget) && budget == 0 && doomed_freed == freed + 10);
	env_release_drain(); /* the release steps finish it */
	EXPECT(!doomed_pending() && doomed_freed == freed + 64 && problems() == 0);
	/* A table mapped as a page is not given up. */
	u64 holder = table_of(owner, 3), mapped = table_of(owner, 3), as_page = fake_page(mapped, EXO_R);
	EXPECT(pt_write(owner, holder, 0, 1, &as_page) == 0);
	EXPECT(frames_free(owner, &mapped, 1 | EXO_FREE_WHEN_UNUSED) == -E_BUSY);
	u64 none = 0;
	EXPECT(pt_write(owner, holder, 0, 1, &none) == 0);
	env_destroy(owner, 0, true);
	env_release_drain();
	EXPECT(problems() == 0 && frame_count(&kernel_frames, FRAME_FREE) == free_at_start);
}

/* A parent's level-1 subtree: leaf tables under two level-2 tables, at slots of its own choosing. */
struct tree {
	u64 l1, l2[2], leaves[12], data[12];
	u32 slot[12];
};

static void build_tree(struct env *parent, struct tree *t, u32 nleaves)
{
	t->l1 = table_of(parent, 1);
	t->l2[0] = table_of(parent, 2), t->l2[1] = table_of(parent, 2);
	u64 links[2] = { fake_table(1, t->l2[0], EXO_R | EXO_W), fake_table(1, t->l2[1], EXO_R | EXO_W) };
	EXPECT(pt_write(parent, t->l1, 0, 1, &links[0]) == 0 && pt_write(parent, t->l1, 3, 1, &links[1]) == 0);
	for (u32 n = 0; n < nleaves; n++) {
		u32 half = n % 2, index = 7 + 20 * (n / 2); /* entries 7, 27, ... of each level-2 table */
		t->slot[n] = (half ? 3 * 512 : 0) + index;
		t->leaves[n] = table_of(parent, 3);
		t->data[n] = frame_of(parent);
		u64 page = fake_page(t->data[n], EXO_R | EXO_W), link = fake_table(2, t->leaves[n], EXO_R | EXO_W);
		EXPECT(pt_write(parent, t->leaves[n], n, 1, &page) == 0);
		EXPECT(pt_write(parent, t->l2[half], index, 1, &link) == 0);
		EXPECT(frame_share(parent, t->data[n], EXO_R) == 0);
	}
}

/* The leaf table under slot of a level-1 table's subtree, or 0. */
static u64 leaf_at(u64 l1, u32 slot)
{
	u64 l2 = pt_entries(pt_frame(l1))[slot / 512];
	return l2 ? pt_entries(pt_frame(l2 & FAKE_ADDR_MASK))[slot % 512] & FAKE_ADDR_MASK : 0;
}

/* An empty last-level table is not copied: the child gets no table there. */
static void copy_tables_skips_empty_leaves(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 40);
	struct tree t;
	build_tree(parent, &t, 2);
	u64 zero = 0;
	EXPECT(pt_write(parent, t.leaves[1], 1, 1, &zero) == 0); /* leaf 1 is empty now */
	u64 dst = table_of(child, 1), child_used = child->used;
	EXPECT(pt_copy_tables(parent, t.l1, dst, 0, 4 * 512, FAKE_RO, EXO_COPY_SHARE) == 4 * 512);
	EXPECT(leaf_at(dst, t.slot[0]) != 0 && leaf_at(dst, t.slot[1]) == 0);
	EXPECT(child->used == child_used + 3); /* two level-2 tables and one leaf copy */
}

/*
 * Each call looks at no more than EXO_COPY_VISIT_MAX entries: 1,536 links
 * (three full level-2 tables) take two calls, the second resuming where
 * the first stopped, and every link is made once.
 */
static void copy_tables_link_budget(void)
{
	fake_boot(2048);
	struct env *parent = make_env(NULL, 1800);
	struct env *child = make_env(parent, 40);
	u64 l1 = table_of(parent, 1), dst = table_of(child, 1);
	for (u32 t = 0; t < 3; t++) {
		u64 l2 = table_of(parent, 2), link = fake_table(1, l2, EXO_R | EXO_W);
		EXPECT(pt_write(parent, l1, t, 1, &link) == 0);
		for (u32 i = 0; i < 512; i++) {
			u64 leaf = fake_table(2, table_of(parent, 3), EXO_R | EXO_W);
			EXPECT(pt_write(parent, l2, i, 1, &leaf) == 0);
		}
	}
	u64 at = 0, calls = 0, flags = EXO_COPY_LINK | EXO_COPY_SHARE;
	while (at < 3 * 512) {
		i64 next = pt_copy_tables(parent, l1, dst, at, 3 * 512, FAKE_RO, flags);
		EXPECT(next > (i64)at);
		if (next <= (i64)at)
			break;
		EXPECT((u64)next - at <= EXO_COPY_VISIT_MAX);
		at = (u64)next, calls++;
	}
	EXPECT(calls == 2);
	u32 linked = 0;
	for (u32 slot = 0; slot < 3 * 512; slot++)
		linked += leaf_at(dst, slot) == leaf_at(l1, slot) && pt_frame(leaf_at(l1, slot))->links == 2;
	EXPECT(linked == 3 * 512);
}

/*
 * Levels 1-3 under a level-1 range, in calls of bounded work: the
 * child's missing level-2 tables are made on the way, ten leaf tables
 * take two calls (eight a call), the second resuming where the first
 * stopped; a refusal deep in the walk changes nothing.
 */
static void copy_tables_walks_a_subtree(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 40);
	struct tree t;
	build_tree(parent, &t, 10);
	u64 dst = table_of(child, 1);
	u64 free_before = frame_count(&kernel_frames, FRAME_FREE), child_used = child->used;
	/*
	 * A page the child may not be given (not shared), in the eighth leaf
	 * table in address order (0, 2, 4, 6, 8 under the first level-2 table,
	 * then 1, 3, 5): refused, nothing made.
	 */
	u64 secret = frame_of(parent), page = fake_page(secret, EXO_R | EXO_W);
	EXPECT(pt_write(parent, t.leaves[5], 300, 1, &page) == 0);
	EXPECT(pt_copy_tables(parent, t.l1, dst, 0, 4 * 512, FAKE_RO, EXO_COPY_BOTH) == -E_PERM);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == free_before - 1 && child->used == child_used);
	EXPECT(pt_frame(dst)->used == 0 && pt_entries(pt_frame(t.leaves[0]))[0] == fake_page(t.data[0], EXO_R | EXO_W));
	u64 none = 0;
	EXPECT(pt_write(parent, t.leaves[5], 300, 1, &none) == 0);
	/* Write-protected, in two calls. */
	i64 stop = pt_copy_tables(parent, t.l1, dst, 0, 4 * 512, FAKE_RO, EXO_COPY_BOTH);
	EXPECT(stop == t.slot[7]); /* eight copied: the ninth, leaf 7, waits for the next call */
	EXPECT(child->used == child_used + 2 + 8);
	EXPECT(pt_copy_tables(parent, t.l1, dst, (u64)stop, 4 * 512, FAKE_RO, EXO_COPY_BOTH) == 4 * 512);
	EXPECT(child->used == child_used + 2 + 10);
	for (u32 n = 0; n < 10; n++) {
		struct frame *copy = pt_frame(leaf_at(dst, t.slot[n]));
		EXPECT(copy && copy->owner == child->id && copy->level == 3 && copy->used == 1);
		EXPECT(pt_entries(copy)[n] == fake_page(t.data[n], EXO_R));
		EXPECT(pt_entries(pt_frame(t.leaves[n]))[n] == fake_page(t.data[n], EXO_R));
		EXPECT(pt_frame(t.data[n])->maps == 2);
	}
	EXPECT(pt_frame(pt_entries(pt_frame(dst))[0] & FAKE_ADDR_MASK)->owner == child->id);
	EXPECT(pt_entries(pt_frame(dst))[1] == 0);
	/* A level-2 table of the child's linked twice in its tree is not walked into. */
	struct env *twin = make_env(parent, 8);
	u64 twin_l1 = table_of(twin, 1), twin_l2 = table_of(twin, 2);
	u64 twin_link = fake_table(1, twin_l2, EXO_R | EXO_W);
	EXPECT(pt_write(twin, twin_l1, 0, 1, &twin_link) == 0 && pt_write(twin, twin_l1, 3, 1, &twin_link) == 0);
	u64 twin_used = twin->used;
	EXPECT(pt_copy_tables(parent, t.l1, twin_l1, 0, 4 * 512, FAKE_RO, EXO_COPY_BOTH) == -E_EXIST);
	EXPECT(twin->used == twin_used && pt_frame(twin_l2)->used == 0);
	/* Done once: again is refused; within one owner's tables, refused. */
	EXPECT(pt_copy_tables(parent, t.l1, dst, 0, 4 * 512, FAKE_RO, EXO_COPY_BOTH) == -E_EXIST);
	EXPECT(pt_copy_tables(parent, t.l1, table_of(parent, 1), 0, 512, FAKE_RO, 0) == -E_INVAL); /* one owner */
	EXPECT(pt_copy_tables(parent, t.l1, t.l2[0], 0, 512, FAKE_RO, 0) == -E_INVAL); /* levels differ */
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * On-demand fork's tables: the parent's last-level tables linked, not
 * copied, read-only through the link (shared with the child as they are
 * linked), the parent's own links made read-only too.  Each call looks at
 * no more than EXO_COPY_VISIT_MAX entries.
 */
static void copy_tables_links_leaves(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 40);
	struct tree t;
	build_tree(parent, &t, 6);
	u64 dst = table_of(child, 1);
	u64 child_used = child->used;
	u64 flags = EXO_COPY_LINK | EXO_COPY_BOTH;
	EXPECT(pt_copy_tables(parent, t.l1, dst, 0, 4 * 512, FAKE_NOX, flags) == -E_PERM); /* not shared */
	EXPECT(pt_copy_tables(parent, t.l1, dst, 0, 4 * 512, FAKE_RO | FAKE_TABLE, flags) == -E_INVAL);
	EXPECT(child->used == child_used && pt_frame(dst)->used == 0);
	flags |= EXO_COPY_SHARE;
	u64 at = 0, calls = 0;
	while (at < 4 * 512) {
		i64 next = pt_copy_tables(parent, t.l1, dst, at, 4 * 512, FAKE_RO, flags);
		EXPECT(next > (i64)at);
		if (next <= (i64)at)
			break;
		at = (u64)next, calls++;
	}
	EXPECT(calls == 1); /* 2,048 slots, mostly empty: runs of empty entries are a look each */
	EXPECT(child->used == child_used + 2); /* two level-2 tables, no leaf copies */
	for (u32 n = 0; n < 6; n++) {
		EXPECT(leaf_at(dst, t.slot[n]) == t.leaves[n]);
		EXPECT(pt_frame(t.leaves[n])->links == 2 && (pt_frame(t.leaves[n])->share & EXO_R));
		u64 l2 = pt_entries(pt_frame(t.l1))[t.slot[n] / 512] & FAKE_ADDR_MASK;
		EXPECT(pt_entries(pt_frame(l2))[t.slot[n] % 512] & FAKE_RO); /* the parent's link too */
		EXPECT(pt_frame(t.data[n])->maps == 1);
	}
	EXPECT(problems() == 0);
	env_destroy(child, 0, true);
	env_release_drain();
	EXPECT(pt_frame(t.leaves[0])->links == 1);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}


/*
 * A call that stops at the first slot under a level-2 table it would make
 * (the leaf budget spent) does not make it, and so does not ask quota for
 * it: exactly the frames it makes are enough.
 */
static void copy_tables_asks_quota_for_what_it_makes(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 40);
	u64 l1 = table_of(parent, 1), first = table_of(parent, 2), second = table_of(parent, 2);
	u64 first_link = fake_table(1, first, EXO_R | EXO_W), second_link = fake_table(1, second, EXO_R | EXO_W);
	EXPECT(pt_write(parent, l1, 0, 1, &first_link) == 0 && pt_write(parent, l1, 1, 1, &second_link) == 0);
	for (u32 n = 0; n < EXO_COPY_TABLES_MAX + 1; n++) { /* eight leaves under the first, one under the second */
		u64 leaf = table_of(parent, 3), data = frame_of(parent), page = fake_page(data, EXO_R | EXO_W);
		u64 link = fake_table(2, leaf, EXO_R | EXO_W);
		EXPECT(pt_write(parent, leaf, 0, 1, &page) == 0 && frame_share(parent, data, EXO_R) == 0);
		EXPECT(pt_write(parent, n < EXO_COPY_TABLES_MAX ? first : second, n % EXO_COPY_TABLES_MAX, 1, &link) == 0);
	}
	u64 dst = table_of(child, 1);
	child->quota = child->used + 1 + EXO_COPY_TABLES_MAX; /* one level-2 table and eight copies */
	EXPECT(pt_copy_tables(parent, l1, dst, 0, 1024, FAKE_RO, EXO_COPY_BOTH) == 512);
	EXPECT(env_spare(child) == 0);
	child->quota = child->used + 1; /* the second level-2 table and its one leaf need two */
	EXPECT(pt_copy_tables(parent, l1, dst, 512, 1024, FAKE_RO, EXO_COPY_BOTH) == -E_QUOTA);
	child->quota = child->used + 2;
	EXPECT(pt_copy_tables(parent, l1, dst, 512, 1024, FAKE_RO, EXO_COPY_BOTH) == 1024);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * A run of empty entries is one look, plus one per 32 entries read past
 * the first: a level-2 table whose group summary says every group was used
 * (each used once, then emptied) but which holds only its last entry is
 * read whole, and 512 links to it from a level-1 table cost 18 looks each
 * (the level-1 entry, the run, its 15 groups, the link of the last entry),
 * so one call stops inside the 57th.
 */
static void copy_tables_charges_long_empty_runs(void)
{
	fake_boot(1024);
	struct env *parent = make_env(NULL, 900);
	struct env *child = make_env(parent, 600);
	u64 l1 = table_of(parent, 1), l2 = table_of(parent, 2), leaf = table_of(parent, 3), zero = 0;
	u64 leaf_link = fake_table(2, leaf, EXO_R | EXO_W);
	for (u32 group = 0; group < 16; group++) {
		EXPECT(pt_write(parent, l2, group * 32, 1, &leaf_link) == 0);
		EXPECT(pt_write(parent, l2, group * 32, 1, &zero) == 0);
	}
	EXPECT(pt_write(parent, l2, 511, 1, &leaf_link) == 0 && pt_frame(l2)->used == 1);
	u64 link = fake_table(1, l2, EXO_R | EXO_W);
	for (u32 i = 0; i < 512; i++)
		EXPECT(pt_write(parent, l1, i, 1, &link) == 0);
	u64 dst = table_of(child, 1), flags = EXO_COPY_LINK | EXO_COPY_SHARE;
	i64 first = pt_copy_tables(parent, l1, dst, 0, 512 * 512, FAKE_RO, flags);
	EXPECT(first == 56 * 512 + 511); /* 1,008 looks for 56, then the 57th's run takes it past 1,024 */
	u64 at = first > 0 ? (u64)first : 512 * 512, calls = 0;
	while (at < 512 * 512) {
		i64 next = pt_copy_tables(parent, l1, dst, at, 512 * 512, FAKE_RO, flags);
		EXPECT(next > (i64)at && (u64)next - at <= 58 * 512);
		if (next <= (i64)at)
			break;
		at = (u64)next, calls++;
	}
	EXPECT(at == 512 * 512 && calls == 8); /* 455 more, about 57 a call */
	EXPECT(pt_frame(leaf)->links == 1 + 512); /* our level-2 table's link, and one in each of the child's */
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 1023);
}

/* A level-2 table with nothing in it is not copied: no table is made for it, no quota asked. */
static void copy_tables_skips_empty_level2_tables(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 40);
	u64 l1 = table_of(parent, 1), l2 = table_of(parent, 2);
	u64 link = fake_table(1, l2, EXO_R | EXO_W);
	for (u32 i = 0; i < 64; i++)
		EXPECT(pt_write(parent, l1, i, 1, &link) == 0);
	u64 dst = table_of(child, 1), used = child->used;
	child->quota = child->used; /* no spare: making anything would be refused */
	EXPECT(pt_copy_tables(parent, l1, dst, 0, 64 * 512, FAKE_RO, 0) == 64 * 512);
	EXPECT(child->used == used && pt_frame(dst)->used == 0);
	EXPECT(pt_copy_tables(parent, l1, dst, 0, 64 * 512, FAKE_RO, EXO_COPY_LINK | EXO_COPY_SHARE) == 64 * 512);
	EXPECT(child->used == used && pt_frame(dst)->used == 0);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * EXO_COPY_SHARE shares nothing of a page table mapped as a page: R on a
 * table is leave to link it, which would hand on every frame it maps.
 * Through EXO_PT_COPY and EXO_PT_COPY_TABLES alike.
 */
static void copy_share_refuses_a_table_as_a_page(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *child = make_env(parent, 20);
	u64 l2 = table_of(parent, 2), leaf = table_of(parent, 3), mapped = table_of(parent, 3);
	u64 secret = fake_page(frame_of(parent), EXO_R | EXO_W), table_page = fake_page(mapped, EXO_R);
	EXPECT(pt_write(parent, mapped, 0, 1, &secret) == 0);
	EXPECT(pt_write(parent, leaf, 0, 1, &table_page) == 0);
	u64 link = fake_table(2, leaf, EXO_R | EXO_W);
	EXPECT(pt_write(parent, l2, 5, 1, &link) == 0);
	u64 child_leaf = table_of(child, 3), child_l2 = table_of(child, 2);
	why_begin();
	EXPECT(pt_copy(parent, leaf, 0, child_leaf, 0, 1, FAKE_RO, EXO_COPY_SHARE) == -E_PERM);
	EXPECT(why_now.said && why_now.rule == EXO_RULE_SHARE);
	EXPECT(pt_copy_tables(parent, l2, child_l2, 5, 6, FAKE_RO, EXO_COPY_BOTH | EXO_COPY_SHARE) == -E_PERM);
	EXPECT(pt_frame(mapped)->share == 0);
	u64 ro_link = fake_table(2, mapped, EXO_R);
	EXPECT(pt_write(child, table_of(child, 2), 0, 1, &ro_link) == -E_PERM);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/* EXO_COPY_SHARE shares only a live owner's frames: a husk's stay as they are. */
static void copy_share_needs_a_live_owner(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 400);
	struct env *ended = make_env(parent, 40);
	struct env *grandchild = make_env(ended, 10);
	u64 parent_leaf = table_of(parent, 3), data = frame_of(ended), grandchild_leaf = table_of(grandchild, 3);
	u64 page = fake_page(data, EXO_R);
	EXPECT(pt_write(parent, parent_leaf, 0, 1, &page) == 0);
	env_destroy(ended, 0, true);
	env_release_drain();
	EXPECT(ended->husk);
	EXPECT(pt_copy(parent, parent_leaf, 0, grandchild_leaf, 0, 1, 0, EXO_COPY_SHARE) == -E_PERM);
	EXPECT(pt_frame(data)->share == 0);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/* An on-demand fork's links, then the parent ends before the child: nothing is lost, the checker agrees. */
static void link_fork_parent_ends_first(void)
{
	fake_boot(512);
	struct env *first = make_env(NULL, 450);
	struct env *parent = make_env(first, 300);
	struct env *child = make_env(parent, 40);
	struct env *other_child = make_env(parent, 10);
	struct tree t;
	build_tree(parent, &t, 6);
	u64 page = fake_page(frame_of(other_child), EXO_R | EXO_W);
	EXPECT(pt_write(parent, t.leaves[0], 200, 1, &page) == 0); /* a descendant's frame under a linked leaf */
	u64 dst = table_of(child, 1), at = 0;
	while (at < 4 * 512) {
		i64 next = pt_copy_tables(parent, t.l1, dst, at, 4 * 512, FAKE_RO,
		                          EXO_COPY_LINK | EXO_COPY_BOTH | EXO_COPY_SHARE);
		EXPECT(next > (i64)at);
		if (next <= (i64)at)
			break;
		at = (u64)next;
	}
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(problems() == 0);
	env_destroy(child, 0, true);
	env_release_drain();
	EXPECT(problems() == 0);
	env_destroy(first, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}


static struct env *make_drawing_env(struct env *parent, u64 quota)
{
	struct env *env = NULL;
	EXPECT(env_create_flags(parent, quota, EXO_ENV_DRAWS, &env) == 0);
	return env;
}

static u64 quota_sum(struct env *const *envs, u32 count)
{
	u64 sum = 0;
	for (u32 i = 0; i < count; i++)
		sum += envs[i]->quota;
	return sum;
}

/*
 * Drawing: a grandchild that draws, under a child that draws, under a
 * parent that does not, takes what it lacks from both, in that order;
 * quota only moves (the sum stays); past the parent's spare it is refused
 * with nothing moved; a child made without EXO_ENV_DRAWS draws nothing.
 */
static void quota_draws_up_the_chain(void)
{
	fake_boot(512);
	struct env *parent = make_env(NULL, 300);
	struct env *child = make_drawing_env(parent, 5);
	struct env *grandchild = make_drawing_env(child, 0);
	struct env *fixed = make_env(parent, 0);
	struct env *all[] = { parent, child, grandchild, fixed };
	u64 sum = quota_sum(all, 4);
	static paddr_t frames[512];
	EXPECT(frames_alloc(fixed, 1, frames) == -E_QUOTA);
	u64 parent_spare = env_spare(parent);
	EXPECT(frames_alloc(grandchild, 20, frames) == 0);
	EXPECT(env_spare(grandchild) == 0 && grandchild->quota == 21);
	EXPECT(env_spare(child) == 0);                       /* its 4 spare went first... */
	EXPECT(env_spare(parent) == parent_spare - 16);      /* ...then 16 of its parent's */
	EXPECT(quota_sum(all, 4) == sum);
	paddr_t table;
	u64 before[4] = { parent->quota, child->quota, grandchild->quota, fixed->quota };
	u64 left = env_spare(parent);
	EXPECT(left < 511);
	EXPECT(frames_alloc(grandchild, left + 1, frames) == -E_QUOTA);
	EXPECT(parent->quota == before[0] && child->quota == before[1] && grandchild->quota == before[2]);
	for (u64 i = 0; i < left; i++)
		EXPECT(pt_alloc(grandchild, 3, &table) == 0);
	EXPECT(pt_alloc(grandchild, 3, &table) == -E_QUOTA);
	EXPECT(env_spare(parent) == 0 && quota_sum(all, 4) == sum);
	EXPECT(parent->quota == before[0] - left && fixed->quota == before[3]);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * A drawing child whose parent ends: it goes on drawing from its new
 * parent only if the one that ended drew too (it reaches no ancestor it
 * could not before), and the ended one's quota, drawn part included,
 * goes back up.
 */
static void quota_draws_survive_only_a_drawing_parent(void)
{
	fake_boot(512);
	struct env *first = make_env(NULL, 400);
	struct env *bounded = make_env(first, 50);          /* a boundary: does not draw */
	struct env *inside = make_drawing_env(bounded, 0);
	struct env *drawing = make_drawing_env(first, 0);
	struct env *inside_drawing = make_drawing_env(drawing, 0);
	env_destroy(bounded, 0, true);
	env_release_drain();
	EXPECT(inside->parent == first->id && !inside->draws);
	paddr_t frame[3];
	EXPECT(frames_alloc(inside, 1, frame) == -E_QUOTA);
	env_destroy(drawing, 0, true);
	env_release_drain();
	EXPECT(inside_drawing->parent == first->id && inside_drawing->draws);
	u64 first_spare = env_spare(first);
	EXPECT(frames_alloc(inside_drawing, 3, frame) == 0);
	EXPECT(env_spare(first) == first_spare - 3);
	EXPECT(problems() == 0);
	env_destroy(first, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/* Quota drawing and EXO_PT_COPY_TABLES's accounting, under random trees and sequences. */

/*
 * A drawing destination with no spare of its own: every EXO_PT_COPY_TABLES
 * call must draw exactly the frames it makes (its spare stays 0), a refusal
 * must move nothing, and no call may crash for lack of room in its apply.
 * Random source trees (shared level-2 tables, empty and emptied leaves,
 * stale group summaries), random existing destination tables, random
 * ranges and flags, resumed from where each call stops.
 */
static u64 fuzz_table(struct env *owner, u64 level)
{
	paddr_t table = { 0 };
	return pt_alloc(owner, level, &table) == 0 ? table.val : 0;
}

static u64 fuzz_ok, fuzz_err, fuzz_partial, fuzz_made;
static void copy_tables_draws_exactly(void)
{
	for (u32 seed = 1; seed <= 60; seed++) {
		u32 rng = seed * 2654435761u | 1;
		fake_boot(8192);
		struct env *first = make_env(NULL, 8000);
		struct env *parent = make_env(first, 7000);
		struct env *child = make_drawing_env(parent, 0);
		u64 l1 = table_of(parent, 1);
		u64 l2s[24];
		u32 nl2 = 4 + xorshift32(&rng) % 20;
		for (u32 k = 0; k < nl2; k++) {
			l2s[k] = table_of(parent, 2);
			u32 nleaf = xorshift32(&rng) % 24;
			for (u32 n = 0; n < nleaf; n++) {
				u64 leaf = table_of(parent, 3), link = fake_table(2, leaf, EXO_R | EXO_W), zero = 0;
				u32 idx = xorshift32(&rng) % 512, kind = xorshift32(&rng) % 4;
				if (kind != 0) { /* a leaf with a page (0: an empty leaf) */
					u64 data = frame_of(parent), page = fake_page(data, EXO_R | EXO_W);
					EXPECT(pt_write(parent, leaf, xorshift32(&rng) % 512, 1, &page) == 0);
					if (xorshift32(&rng) % 40)
						EXPECT(frame_share(parent, data, EXO_R | EXO_W) == 0); /* else: refused, nothing moves */
				}
				if (kind == 3) { /* stale summary in the level-2 table: used, then emptied */
					u32 other = xorshift32(&rng) % 512;
					if (!pt_entries(pt_frame(l2s[k]))[other]) {
						EXPECT(pt_write(parent, l2s[k], other, 1, &link) == 0);
						EXPECT(pt_write(parent, l2s[k], other, 1, &zero) == 0);
					}
				}
				pt_write(parent, l2s[k], idx, 1, &link); /* may replace one: fine */
			}
		}
		/* Level-1 entries: links to level-2 tables, some linked twice, some used then emptied. */
		u32 nlinks = 1 + xorshift32(&rng) % 40;
		for (u32 n = 0; n < nlinks; n++) {
			u64 link = fake_table(1, l2s[xorshift32(&rng) % nl2], EXO_R | EXO_W), zero = 0;
			u32 idx = xorshift32(&rng) % 512;
			EXPECT(pt_write(parent, l1, idx, 1, &link) == 0);
			if (xorshift32(&rng) % 8 == 0)
				EXPECT(pt_write(parent, l1, idx, 1, &zero) == 0);
		}
		u64 dst = table_of(child, 1);
		/* Some destination level-2 tables already there (the child's own, linked once). */
		for (u32 n = xorshift32(&rng) % 6; n; n--) {
			u64 mine = table_of(child, 2), link = fake_table(1, mine, EXO_R | EXO_W);
			pt_write(child, dst, xorshift32(&rng) % 512, 1, &link);
		}
		/* the child drew what its own tables took: spare 0 now */
		EXPECT(env_spare(child) == 0);
		u64 flags = (xorshift32(&rng) % 3 ? EXO_COPY_SHARE : 0) | (xorshift32(&rng) % 2 ? EXO_COPY_LINK : 0) |
		            (xorshift32(&rng) % 2 ? EXO_COPY_BOTH : 0);
		u64 at = xorshift32(&rng) % 1024, end = 512 * 512 - xorshift32(&rng) % 1024, calls = 0;
		while (at < end && calls < 2000) {
			u64 pq = parent->quota, cq = child->quota, cu = child->used, ff = frame_count(&kernel_frames, FRAME_FREE);
			u64 this_end = xorshift32(&rng) % 3 ? end : at + 1 + xorshift32(&rng) % 5000;
			if (this_end > end)
				this_end = end;
			i64 next = pt_copy_tables(parent, l1, dst, at, this_end, FAKE_RO, flags);
			calls++;
			if (next < 0) {
				/* -E_EXIST where a destination slot is taken: step over it, nothing moved */
				EXPECT(parent->quota == pq && child->quota == cq && child->used == cu &&
				       frame_count(&kernel_frames, FRAME_FREE) == ff);
				fuzz_err++; at += 1 + xorshift32(&rng) % 600;
				continue;
			}
			fuzz_ok++; fuzz_partial += (u64)next < this_end; fuzz_made += child->used - cu;
			EXPECT(next > (i64)at && (u64)next <= this_end);
			if (env_spare(child) != 0)
				printf("    seed %u call %lu [%lu,%lu) flags %lu: drew %lu, made %lu\n", seed, calls, at,
				       this_end, flags, child->quota - cq, child->used - cu);
			EXPECT(env_spare(child) == 0);                 /* drew exactly what it made */
			EXPECT(pq - parent->quota == child->quota - cq); /* quota only moved */
			EXPECT(child->used - cu == ff - frame_count(&kernel_frames, FRAME_FREE));
			if (next <= (i64)at)
				break;
			at = (u64)next;
		}
		EXPECT(problems() == 0);
		env_destroy(first, 0, true);
		env_release_drain();
		EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 8191);
	}
	printf("  ok %lu err %lu partial %lu made %lu\n", fuzz_ok, fuzz_err, fuzz_partial, fuzz_made);
}

/*
 * Quota conservation under random creation (drawing or not), allocation,
 * freeing, threads (heirs), husks, destruction (reaped or not, drained or
 * not), exit notices received, and EXO_QUOTA_GIVE / EXO_QUOTA_TAKE: the sum
 * of every record's quota never changes, no record's quota falls below what
 * it uses, and a non-drawing boundary's subtree never gains quota but by a
 * give from outside it.
 */
#define RV_MAX 96
static struct env *fuzz_live(u32 *rng)
{
	struct env *pick[RV_MAX];
	u32 n = 0;
	for (struct env *e = env_list; e && n < RV_MAX; e = e->all_next)
		if (!env_ended(e) && e->status != EXO_ENV_FREE)
			pick[n++] = e;
	return n ? pick[xorshift32(rng) % n] : NULL;
}

static u64 fuzz_quota_sum(void)
{
	u64 sum = 0;
	for (struct env *e = env_list; e; e = e->all_next)
		sum += e->quota;
	return sum;
}

static bool fuzz_under(const struct env *e, u32 top)
{
	for (u32 hops = 0; e && hops < 300; e = e->parent_env, hops++)
		if (e->id == top)
			return true;
	return false;
}

/* Sum of quota in the subtree of id top (its record included, if it is still there). */
static u64 fuzz_subtree_quota(u32 top)
{
	u64 sum = 0;
	for (struct env *e = env_list; e; e = e->all_next)
		if (fuzz_under(e, top))
			sum += e->quota;
	return sum;
}

static void quota_fuzz_conserves(void)
{
	for (u32 seed = 1; seed <= 300; seed++) {
		u32 rng = seed * 0x9e3779b9u | 1;
		fake_boot(2048);
		struct env *first = make_env(NULL, 1900);
		struct env *boundary = make_env(first, 400); /* does not draw */
		u32 bid = boundary->id;
		u64 total = fuzz_quota_sum();
		for (u32 step = 0; step < 400; step++) {
			struct env *e = fuzz_live(&rng);
			if (!e)
				break;
			bool e_in = fuzz_under(e, bid);
			u32 op = xorshift32(&rng) % 12;
			u64 in_before = fuzz_subtree_quota(bid);
			paddr_t frames[8];
			switch (op) {
			case 0: case 1: {
				struct env *c;
				if (env_count() < RV_MAX - 4 && e != first)
					env_create_flags(e, xorshift32(&rng) % 6, xorshift32(&rng) % 3 ? EXO_ENV_DRAWS : 0, &c);
				break;
			}
			case 2:
				frames_alloc(e, 1 + xorshift32(&rng) % 8, frames);
				break;
			case 3: { /* free one of its unmapped user frames */
				for (u32 i = e->frames_head; i != FRAME_NONE; i = kernel_frames.frames[i].next) {
					struct frame *f = &kernel_frames.frames[i];
					if (f->type == FRAME_USER && !f->maps && !f->links) {
						u64 addr = frame_addr(&kernel_frames, f).val;
						EXPECT(frames_free(e, &addr, 1) == 0);
						break;
					}
				}
				break;
			}
			case 4: { /* a thread: a child on its root (a root made if none) */
				if (e == first || env_count() >= RV_MAX - 4)
					break;
				if (!e->root) {
					u64 r = fuzz_table(e, 0);
					if (!r)
						break;
					pt_set_root(e, r);
				}
				struct env *t;
				if (env_create_flags(e, xorshift32(&rng) % 3, xorshift32(&rng) % 2 ? EXO_ENV_DRAWS : 0, &t) == 0)
					pt_set_root(t, e->root);
				break;
			}
			case 5: { /* a husk to be: e maps a frame of a child of its in a table of its own */
				struct env *c = e->child_head;
				while (c && env_ended(c))
					c = c->sibling_next;
				if (!c)
					break;
				paddr_t f;
				u64 leaf = fuzz_table(e, 3);
				if (!leaf || frames_alloc(c, 1, &f) != 0)
					break;
				u64 page = fake_page(f.val, EXO_R | EXO_W);
				EXPECT(pt_write(e, leaf, xorshift32(&rng) % 512, 1, &page) == 0);
				break;
			}
			case 6: case 7:
				if (e == first || (e == boundary && step < 200))
					break;
				env_destroy(e, 0, xorshift32(&rng) % 2);
				if (xorshift32(&rng) % 2)
					env_release_drain();
				break;
			case 8: { /* receive an exit notice */
				struct exo_event ev;
				env_take_event(e, &ev, true, false);
				break;
			}
			case 9: { /* EXO_QUOTA_GIVE to something it may act on (as calls.c) */
				struct env *to = fuzz_live(&rng);
				u64 amount = xorshift32(&rng) % 6;
				if (to && to != e && env_can_act(e, to) && amount <= env_spare(e)) {
					e->quota -= amount;
					to->quota += amount;
				}
				break;
			}
			case 10: { /* EXO_QUOTA_TAKE from a held descendant (as calls.c) */
				struct env *from = fuzz_live(&rng);
				u64 amount = xorshift32(&rng) % 6;
				if (from && from != e && env_holds(e, from) && amount <= env_spare(from)) {
					from->quota -= amount;
					e->quota += amount;
				}
				break;
			}
			case 11: { /* a page-table frame through the drawing path */
				paddr_t t;
				pt_alloc(e, 3, &t);
				break;
			}
			}
			/* Quota is only ever moved. */
			u64 now = fuzz_quota_sum();
			if (now != total)
				printf("    seed %u step %u op %u: quota sum %lu, was %lu\n", seed, step, op, now, total);
			EXPECT(now == total);
			total = now;
			for (struct env *x = env_list; x; x = x->all_next) {
				if (x->status != EXO_ENV_FREE && x->quota < x->used) {
					printf("    seed %u step %u op %u: env %u quota %lu < used %lu\n", seed, step, op, x->id,
					       x->quota, x->used);
					EXPECT(x->quota >= x->used);
				}
			}
			/*
			 * The boundary's subtree gains quota only by a give into it from outside,
			 * or an end (quota coming home): never by a draw from inside it.
			 */
			u64 in_after = fuzz_subtree_quota(bid);
			if (env_lookup(bid) && in_after > in_before && !(op == 9 && !e_in) && op != 6 && op != 7 && op != 8) {
				printf("    seed %u step %u op %u: boundary subtree %lu -> %lu\n", seed, step, op, in_before,
				       in_after);
				EXPECT(in_after <= in_before);
			}
			if (check_failed_now)
				break;
		}
		env_release_drain();
		EXPECT(problems() == 0);
		env_destroy(first, 0, true);
		env_release_drain();
		EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 2047);
		if (check_failed_now)
			break;
	}
}

/*
 * A thread heir steps into its process's place with all its quota: the
 * process's drawing children (a fork made from a thread, say) drew from the
 * process, and should go on drawing from the heir that holds its quota now.
 * The process itself did not draw (a boundary its own parent set).
 */
static void heir_keeps_drawing_children(void)
{
	fake_boot(512);
	struct env *first = make_env(NULL, 400);
	struct env *proc = make_env(first, 100); /* fixed quota: does not draw */
	pt_set_root(proc, table_of(proc, 0));
	struct env *thread = make_drawing_env(proc, 0);
	pt_set_root(thread, proc->root);
	struct env *forked = make_drawing_env(proc, 0);
	paddr_t frame;
	EXPECT(frames_alloc(forked, 1, &frame) == 0); /* draws from proc */
	env_destroy(proc, 0, false);                   /* the main thread exits */
	env_release_drain();
	EXPECT(forked->parent == thread->id);
	EXPECT(env_spare(thread) > 90);                /* the heir holds the process's quota */
	EXPECT(forked->draws);
	EXPECT(frames_alloc(forked, 1, &frame) == 0);
	EXPECT(problems() == 0);
	env_destroy(first, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * A drawing child of a parent whose end is being released in steps: it
 * draws from what the release frees and (the parent drew) on up; quota
 * stays conserved through the end, and when the end completes the child
 * draws from its new parent.  With a non-drawing parent it reaches only
 * the ended one's own quota, never above it.
 */
static void draw_through_an_ending_parent(void)
{
	for (u32 parent_draws = 0; parent_draws < 2; parent_draws++) {
		fake_boot(2048);
		struct env *first = make_env(NULL, 1900);
		struct env *top = make_env(first, 1500);
		struct env *ending = NULL;
		EXPECT(env_create_flags(top, parent_draws ? 0 : 300, parent_draws ? EXO_ENV_DRAWS : 0, &ending) == 0);
		struct env *kid = make_drawing_env(ending, 0);
		for (u32 n = 0; n < 100; n++) { /* 100 tables with entries: a release of several steps */
			u64 leaf = table_of(ending, 3), page = fake_page(frame_of(ending), EXO_R | EXO_W);
			for (u32 i = 0; i < 4; i++)
				EXPECT(pt_write(ending, leaf, i * 100, 1, &page) == 0);
		}
		u64 sum = fuzz_quota_sum(), top_spare = env_spare(top);
		env_destroy(ending, 0, true);
		EXPECT(ending->status == ENV_ENDING);
		paddr_t frames[64];
		u64 ending_spare = env_spare(ending);
		EXPECT(ending_spare < 300);
		/* From the ending one's spare, and (only if it drew) from top's. */
		u64 want = ending_spare + 10;
		int err = frames_alloc(kid, want, frames);
		EXPECT(parent_draws ? err == 0 : err == -E_QUOTA);
		EXPECT(fuzz_quota_sum() == sum);
		EXPECT(env_spare(top) == (parent_draws ? top_spare - 10 : top_spare));
		env_release_drain();
		EXPECT(kid->parent == top->id && kid->draws == (parent_draws != 0));
		EXPECT(fuzz_quota_sum() == sum);
		top_spare = env_spare(top);
		err = frames_alloc(kid, 1, frames);
		EXPECT(parent_draws ? err == 0 && env_spare(top) == top_spare - 1 : err == -E_QUOTA);
		EXPECT(problems() == 0);
		env_destroy(first, 0, true);
		env_release_drain();
		EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 2047);
	}
}

/*
 * The deepest drawing chain the depth limit allows (256 below the first
 * environment): a charge at the bottom walks it all, draws from the top,
 * and moves nothing on refusal; no environment can be made below it.
 */
static void deepest_drawing_chain(void)
{
	fake_boot(1024);
	struct env *first = make_env(NULL, 900), *top = make_env(first, 500), *e = top;
	for (u32 d = 2; d <= ENV_MAX_DEPTH; d++)
		e = make_drawing_env(e, 0);
	EXPECT(e->depth == ENV_MAX_DEPTH);
	struct env *below;
	EXPECT(env_create_flags(e, 0, EXO_ENV_DRAWS, &below) == -E_RANGE);
	u64 sum = fuzz_quota_sum(), top_spare = env_spare(top);
	paddr_t frames[4];
	EXPECT(frames_alloc(e, 3, frames) == 0 && env_spare(top) == top_spare - 3);
	u64 before = e->quota;
	EXPECT(frames_alloc(e, 1, frames) == 0);
	EXPECT(e->quota == before + 1 && fuzz_quota_sum() == sum);
	struct env *mid = e->parent_env;
	EXPECT(env_spare(mid) == 0 && mid->quota == 1);
	top->quota = top->used; /* nothing left at the top: refused, nothing moved */
	EXPECT(frames_alloc(e, 1, frames) == -E_QUOTA && e->quota == before + 1);
	top->quota = top->used + top_spare - 4;
	EXPECT(problems() == 0);
	env_destroy(first, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 1023);
}

/*
 * One call that links a table with a large subtree 511 times: its place
 * becomes unknown once, and the subtree is walked once, not 511 times (it
 * was most of a second of kernel time with interrupts masked, at full size).
 */
static void relinking_a_subtree_walks_it_once(void)
{
	fake_boot(512);
	struct env *env = make_env(NULL, 200);
	u64 root = table_of(env, 0), l1 = table_of(env, 1), leaf = table_of(env, 3);
	u64 to_leaf[512], to_l2[64], to_l1[511];
	for (u32 i = 0; i < 512; i++)
		to_leaf[i] = fake_table(2, leaf, EXO_R | EXO_W | EXO_X);
	for (u32 i = 0; i < 64; i++) {
		u64 l2 = table_of(env, 2);
		EXPECT(pt_write(env, l2, 0, 512, to_leaf) == 0);
		to_l2[i] = fake_table(1, l2, EXO_R | EXO_W | EXO_X);
	}
	EXPECT(pt_write(env, l1, 0, 64, to_l2) == 0);
	for (u32 i = 0; i < 511; i++)
		to_l1[i] = fake_table(0, l1, EXO_R | EXO_W | EXO_X);
	u64 before = pt_position_visits;
	EXPECT(pt_write(env, root, 0, 511, to_l1) == 0);
	u64 visits = pt_position_visits - before;
	EXPECT(visits < 2 * 64 * 513); /* once through the subtree, then a look per link: not 511 times 33,000 */
	EXPECT(pt_frame(l1)->links == 511 && problems() == 0);
	env_destroy(env, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511);
}

/*
 * A public table (the boot archive's, made at boot): frames nobody owns,
 * mapped read-only.  Anyone, related or not, may link it read-only and not
 * executable, at level 2 only; nobody may write into it, free it, install
 * it, or link it with more rights.  A fork links it again; the ends drop
 * only the links; the checker agrees throughout.
 */
static void public_table_is_linked_read_only_by_anyone(void)
{
	fake_boot(512);
	u64 frames[3];
	for (u32 i = 0; i < 3; i++) {
		paddr_t frame = { 0 };
		EXPECT(frame_alloc(&kernel_frames, FRAME_USER, 0, FRAME_NO_OWNER, &frame) == 0);
		pt_frame(frame.val)->share = EXO_R | EXO_X;
		pt_frame(frame.val)->flags |= FRAME_RESERVED; /* as the initrd's are: never freed */
		frames[i] = frame.val;
	}
	paddr_t table = { 0 };
	EXPECT(pt_public_table(frames, 3, &table) == 0);
	struct env *root = make_env(NULL, 200), *parent = make_env(root, 100), *child = make_env(parent, 20);
	struct env *stranger = make_env(root, 20); /* neither its ancestor nor its descendant */
	u64 owned = frame_of(parent);
	paddr_t refused;
	EXPECT(pt_public_table(&owned, 1, &refused) == -E_PERM); /* only frames nobody owns */
	u64 l2 = table_of(parent, 2), l2_stranger = table_of(stranger, 2);
	u64 ro = fake_table(2, table.val, EXO_R), rw = fake_table(2, table.val, EXO_R | EXO_W);
	u64 rx = fake_table(2, table.val, EXO_R | EXO_X), at_level1 = fake_table(1, table.val, EXO_R);
	EXPECT(pt_write(parent, l2, 0, 1, &ro) == 0);
	EXPECT(pt_write(stranger, l2_stranger, 7, 1, &ro) == 0);
	EXPECT(pt_write(parent, l2, 1, 1, &rw) == -E_PERM);
	EXPECT(pt_write(parent, l2, 1, 1, &rx) == -E_PERM);
	EXPECT(pt_write(parent, table_of(parent, 1), 0, 1, &at_level1) == -E_INVAL);
	u64 page = fake_page(owned, EXO_R), writable = fake_page(frames[0], EXO_R | EXO_W);
	EXPECT(pt_write(parent, table.val, 5, 1, &page) == -E_PERM);
	EXPECT(pt_write(parent, table_of(parent, 3), 0, 1, &writable) == -E_PERM);
	EXPECT(frames_free(parent, &table.val, 1) < 0);
	EXPECT(pt_check_root(parent, table.val) < 0);
	EXPECT(pt_copy(parent, l2, 0, table_of(child, 2), 0, 1, FAKE_RO, EXO_COPY_SHARE) == 0); /* a fork's link */
	struct frame *record = pt_frame(table.val);
	EXPECT(record->links == 3 && record->share == EXO_R && record->used == 3 && pt_frame(frames[2])->maps == 1);
	EXPECT(problems() == 0);
	env_destroy(child, 0, true);
	env_destroy(parent, 0, true);
	env_destroy(stranger, 0, true);
	env_destroy(root, 0, true);
	env_release_drain();
	EXPECT(record->links == 0 && record->used == 3 && record->type == FRAME_PAGETABLE);
	EXPECT(problems() == 0);
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 511 - 4);
}

/*
 * A source level-2 table with nothing in it (emptied by munmap, say) gets
 * no copy: 64 links to one empty level-2 table cost a drawing child nothing.
 */
static void copy_tables_makes_no_empty_level2_tables(void)
{
	fake_boot(1024);
	struct env *parent = make_env(NULL, 900);
	struct env *child = make_drawing_env(parent, 0);
	u64 l1 = table_of(parent, 1), l2 = table_of(parent, 2);
	u64 link = fake_table(1, l2, EXO_R | EXO_W);
	for (u32 i = 0; i < 64; i++)
		EXPECT(pt_write(parent, l1, i, 1, &link) == 0);
	u64 dst = table_of(child, 1), used = child->used, quota = child->quota;
	i64 first_stop = pt_copy_tables(parent, l1, dst, 0, 64 * 512, FAKE_RO, EXO_COPY_BOTH);
	printf("    first call stopped at level-1 entry %ld of 64, having read no entry of any level-2 table\n",
	       first_stop / 512);
	if (first_stop > 0 && first_stop < 64 * 512)
		EXPECT(pt_copy_tables(parent, l1, dst, (u64)first_stop, 64 * 512, FAKE_RO, EXO_COPY_BOTH) == 64 * 512);
	if (child->used != used)
		printf("    %lu empty tables made, %lu frames of quota drawn\n", child->used - used, child->quota - quota);
	EXPECT(child->used == used);
	EXPECT(problems() == 0);
	env_destroy(parent, 0, true);
	env_release_drain();
	EXPECT(frame_count(&kernel_frames, FRAME_FREE) == 1023);
}

int main(void)
{
	fake.quiet = true;
	RUN("core", husk_keeps_what_others_map);
	RUN("core", thread_tables_hold_nothing_of_their_process);
	RUN("core", husks_in_a_cycle_are_collected);
	RUN("core", orphan_notice_goes_to_the_first);
	RUN("core", husk_children_are_orphans);
	RUN("core", thread_children_go_to_the_process);
	RUN("core", orphan_heir_is_an_orphan);
	RUN("core", orphan_destroyed_by_tree_parent_notifies_init);
	RUN("core", first_end_leaves_no_orphan_count);
	RUN("core", thread_children_are_orphans_once_its_process_ended);
	RUN("core", deep_tree_batches_walk_each_record_once);
	RUN("core", no_bucket_grows_past_its_bound);
	RUN("core", cow_copies_then_writes_in_place);
	RUN("core", cow_never_widens_a_share);
	RUN("core", map_new_fills_empty_entries);
	RUN("core", copy_tables_for_a_child);
	RUN("core", copy_tables_walks_a_subtree);
	RUN("core", copy_tables_links_leaves);
	RUN("core", copy_tables_link_budget);
	RUN("core", copy_tables_skips_empty_leaves);
	RUN("core", shared_table_keeps_its_address);
	RUN("core", cow_copies_under_a_shared_table);
	RUN("core", doomed_frames_go_with_their_last_reference);
	RUN("core", doomed_frames_go_in_bounded_steps);
	RUN("core", copy_tables_asks_quota_for_what_it_makes);
	RUN("core", copy_tables_charges_long_empty_runs);
	RUN("core", copy_tables_skips_empty_level2_tables);
	RUN("core", copy_share_refuses_a_table_as_a_page);
	RUN("core", copy_share_needs_a_live_owner);
	RUN("core", link_fork_parent_ends_first);
	RUN("core", quota_draws_up_the_chain);
	RUN("core", quota_draws_survive_only_a_drawing_parent);
	RUN("core", copy_tables_draws_exactly);
	RUN("core", quota_fuzz_conserves);
	RUN("core", draw_through_an_ending_parent);
	RUN("core", heir_keeps_drawing_children);
	RUN("core", deepest_drawing_chain);
	RUN("core", copy_tables_makes_no_empty_level2_tables);
	RUN("core", public_table_is_linked_read_only_by_anyone);
	RUN("core", relinking_a_subtree_walks_it_once);
	return check_failures != 0;
}
