/*
 * The kernel's core on the fake architecture: environments, frames, page
 * tables, husks and the isolation checker, driven through the same
 * functions the calls use.
 */
#include "arch/fake/fake.h"
#include "arch/pte.h"
#include "exo/errno.h"
#include "exo/pt.h"
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

int main(void)
{
	fake.quiet = true;
	RUN("core", husk_keeps_what_others_map);
	RUN("core", thread_tables_hold_nothing_of_their_process);
	return check_failures != 0;
}
