/* Frame calls: allocate (zeroed), free, share; and the rights rule for mappings. */
#include "exo/errno.h"
#include "exo/kernel.h"
#include "exo/pt.h"
#include "exo/why.h"

#define RWX (EXO_R | EXO_W | EXO_X)
#define BATCH_MAX 512

struct frame *pt_frame(u64 addr)
{
	return frame_lookup(&kernel_frames, pa(addr));
}

/*
 * A mapping in user's tables may have: everything on frames user holds (its
 * own and its descendants', never its ancestors' by the thread rule); what
 * an ancestor shared on its frames; what the kernel shares on boot-archive
 * frames (owner 0).  For a page table, X means "may let execute rights
 * through a table descriptor"; it is never mapped writable or executable
 * itself (pt.c).  The owner may have ended (a husk): its frames keep the
 * rights they had, for exactly the environments they had them for.
 */
u32 frame_rights(const struct env *user, const struct frame *frame)
{
	if (frame->type != FRAME_USER && frame->type != FRAME_PAGETABLE)
		return 0;
	u32 most = frame->type == FRAME_PAGETABLE ? EXO_R | EXO_X : RWX;
	if (frame->owner == user->id)
		return most;
	if (frame->owner == FRAME_NO_OWNER)
		return frame->share & most;
	const struct env *owner = env_lookup(frame->owner);
	if (!owner)
		return 0;
	enum env_relation relation = env_relation(user, owner);
	if (relation == REL_SELF || relation == REL_DESCENDANT)
		return most;
	return relation == REL_ANCESTOR ? frame->share & most : 0;
}

/* Decide first: quota, then free frames; after that nothing can fail. */
int frames_alloc(struct env *owner, u64 count, paddr_t *out)
{
	if (count == 0 || count > BATCH_MAX)
		return why(-E_RANGE, EXO_RULE_RANGE, 1, WHY_NONE);
	if (!env_has_room(owner, count))
		return why(-E_QUOTA, EXO_RULE_QUOTA, 0, WHY_NONE);
	if (frame_count(&kernel_frames, FRAME_FREE) < count)
		return why(-E_NOMEM, EXO_RULE_NO_MEMORY, WHY_NONE, WHY_NONE);
	env_make_room(owner, count);
	for (u64 i = 0; i < count; i++) {
		frame_alloc(&kernel_frames, FRAME_USER, 0, owner->id, &out[i]);
		/* Confidentiality: no frame reaches user space with old contents. */
		arch_zero_page(phys_to_kernel(out[i]));
		env_own_frame(owner, frame_lookup(&kernel_frames, out[i]));
	}
	return 0;
}

/* A user or page-table frame whose owner is live and the caller may act on (argument arg, entry index). */
static int acting_on_frame(struct env *caller, u64 addr, struct frame **out, u64 arg, u64 index)
{
	struct frame *frame = pt_frame(addr);
	if (!frame)
		return why(-E_RANGE, EXO_RULE_NOT_RAM, arg, index);
	if (frame->type != FRAME_USER && frame->type != FRAME_PAGETABLE)
		return why(-E_PERM, EXO_RULE_FRAME_KIND, arg, index);
	struct env *owner = env_lookup(frame->owner);
	if (!owner || env_ended(owner) || !env_can_act(caller, owner))
		return why(-E_PERM, EXO_RULE_OWNER, arg, index);
	*out = frame;
	return 0;
}

/*
 * In use: mapped or linked, or a root.  With EXO_FREE_WHEN_UNUSED, a page
 * or a level 1-3 table in use is doomed instead.  Never a root (the
 * environments using it are not references the kernel lets go of), nor a
 * table mapped as a page: it could be mapped by a table it links, and
 * two given-up tables holding each other would never go.
 */
static int check_free(struct env *caller, u64 addr, u64 index, bool when_unused)
{
	struct frame *frame;
	int err = acting_on_frame(caller, addr, &frame, 0, index);
	if (err)
		return err;
	bool table = frame->type == FRAME_PAGETABLE, never_doomed = table && (frame->level == 0 || frame->maps);
	if ((frame->maps || frame->links) && (!when_unused || never_doomed))
		return why(-E_BUSY, EXO_RULE_IN_USE, 0, index);
	if (frame->flags & FRAME_MARK)
		return why(-E_INVAL, EXO_RULE_TWICE, 0, index);
	return 0;
}

static void unmark(const u64 *addrs, u64 count)
{
	for (u64 i = 0; i < count; i++)
		pt_frame(addrs[i])->flags &= (u8)~FRAME_MARK;
}

int frames_free(struct env *caller, const u64 *addrs, u64 count_and_flags)
{
	bool when_unused = count_and_flags & EXO_FREE_WHEN_UNUSED;
	u64 count = count_and_flags & ~EXO_FREE_WHEN_UNUSED;
	if (count == 0 || count > BATCH_MAX)
		return why(-E_RANGE, EXO_RULE_RANGE, 1, WHY_NONE);
	for (u64 i = 0; i < count; i++) {
		int err = check_free(caller, addrs[i], i, when_unused);
		if (err) {
			unmark(addrs, i);
			return err;
		}
		pt_frame(addrs[i])->flags |= FRAME_MARK;
	}
	unmark(addrs, count);
	for (u64 i = 0; i < count; i++) {
		struct frame *frame = pt_frame(addrs[i]);
		if (frame->maps || frame->links) {
			frame->flags |= FRAME_DOOMED; /* freed as its last reference goes (exo/doomed.c) */
			continue;
		}
		if (frame->type == FRAME_PAGETABLE)
			pt_release_table(frame);
		env_free_frame(env_lookup(frame->owner), frame);
	}
	husk_collect();
	return 0;
}

/* Sharing only ever grows, so no existing mapping loses its justification. */
int frame_share(struct env *caller, u64 addr, u64 rights)
{
	struct frame *frame;
	int err = acting_on_frame(caller, addr, &frame, 0, WHY_NONE);
	if (err)
		return err;
	u32 most = frame->type == FRAME_PAGETABLE ? EXO_R | EXO_X : RWX;
	if (rights & ~(u64)most)
		return why(-E_INVAL, EXO_RULE_FLAGS, 1, WHY_NONE);
	frame->share |= (u8)rights;
	return 0;
}
