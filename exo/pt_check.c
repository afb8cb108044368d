/*
 * The isolation checker (EXO_DEBUG_CHECK): recount every reference from
 * scratch and check every user mapping against the rules, independently of
 * the bookkeeping the calls keep.  Slow (it visits every frame record), so
 * it is a debug call that tests run after each program.
 */
#include "exo/desc.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/pt.h"
#include "exo/release.h"
#include "exo/tlb.h"

#define MAX_REPORTS 10

static u64 problems;
/* A reference into a husk's frames from outside it, recounted. */
static void count_husk_ref(u32 owner, u32 from)
{
	struct env *env = env_lookup(owner);
	if (owner != from && env && env->husk)
		env->check_husk_refs++;
}

static void problem(const char *fmt, ...)
{
	if (problems++ < MAX_REPORTS) {
		va_list args;
		va_start(args, fmt);
		kprintf("exo: check: ");
		kvprintf(fmt, args);
		kprintf("\n");
		va_end(args);
	}
}

static u64 addr_of(const struct frame *frame) { return frame_addr(&kernel_frames, frame).val; }

static void check_page_entry(const struct frame *table, u32 index, const struct desc_info *info,
                             struct frame *target)
{
	const struct env *owner = env_lookup(table->owner);
	u32 held = owner ? frame_rights(owner, target) : 0;
	if (table->owner == FRAME_NO_OWNER) /* a public table: reserved frames nobody owns, read-only (pt_public.c) */
		held = target->owner == FRAME_NO_OWNER && (target->flags & FRAME_RESERVED) ? target->share & EXO_R : 0;
	if (target->type == FRAME_PAGETABLE && (info->rights & ~EXO_R))
		problem("table 0x%lx[%u] maps page table 0x%lx with rights %u", addr_of(table), index,
		        addr_of(target), info->rights);
	else if (info->rights & ~held)
		problem("table 0x%lx[%u] (env %u) maps 0x%lx (%s, owner %u) with rights %u, holds %u",
		        addr_of(table), index, table->owner, addr_of(target),
		        frame_type_name(target->type), target->owner, info->rights, held);
	target->check_maps++;
}

static void check_link_entry(const struct frame *table, u32 index, const struct desc_info *info,
                             struct frame *target)
{
	if (target->type != FRAME_PAGETABLE || target->level != table->level + 1) {
		problem("table 0x%lx[%u] links 0x%lx, not a level-%u table", addr_of(table), index,
		        addr_of(target), table->level + 1);
		return;
	}
	const struct env *owner = env_lookup(table->owner);
	if (!owner || !link_allowed(owner, target, info->rights))
		problem("table 0x%lx[%u] (env %u) links table 0x%lx (env %u) with rights %u, shared %u",
		        addr_of(table), index, table->owner, addr_of(target), target->owner, info->rights,
		        target->share);
	target->check_links++;
}

static void check_window(const struct frame *root)
{
	u64 entry = pt_entries(root)[EXO_PT_WINDOW_SLOT], want = pt_window_entry(root);
	if (entry != want)
		problem("root 0x%lx: window slot is 0x%lx, not 0x%lx", addr_of(root), entry, want);
}

static void check_table(const struct frame *table, struct exo_check *out)
{
	const u64 *entries = pt_entries(table);
	u32 valid = 0;
	out->tables++;
	bool public = table->owner == FRAME_NO_OWNER && (table->flags & FRAME_RESERVED);
	if (!env_lookup(table->owner) && !public)
		problem("table 0x%lx owned by env %u, which is gone", addr_of(table), table->owner);
	if (public && !pt_is_public(table))
		problem("table 0x%lx owned by nobody is a level-%u table shared %u", addr_of(table), table->level,
		        table->share);
	for (u32 i = 0; i < EXO_PT_ENTRIES; i++) {
		if (table->level == 0 && i == EXO_PT_WINDOW_SLOT) {
			check_window(table);
			continue;
		}
		struct desc_info info;
		if (desc_decode(table->level, entries[i], &info) < 0) {
			problem("table 0x%lx[%u] holds malformed 0x%lx", addr_of(table), i, entries[i]);
			continue;
		}
		if (info.kind == DESC_INVALID)
			continue;
		valid++;
		if (!(table_groups(table) & (1u << (i >> TABLE_GROUP_SHIFT))))
			problem("table 0x%lx[%u] is valid, but its group is not noted as in use", addr_of(table), i);
		struct frame *target = frame_lookup(&kernel_frames, info.out);
		if (target)
			count_husk_ref(target->owner, table->owner);
		if (!target) {
			problem("table 0x%lx[%u] points outside RAM at 0x%lx", addr_of(table), i, info.out.val);
		} else if (info.kind == DESC_PAGE) {
			out->mappings++;
			check_page_entry(table, i, &info, target);
		} else {
			check_link_entry(table, i, &info, target);
		}
	}
	if (valid != table->used)
		problem("table 0x%lx: %u valid entries, %u counted", addr_of(table), valid, table->used);
}

static void check_counts(const struct frame *frame)
{
	if (frame->maps != frame->check_maps || frame->links != frame->check_links)
		problem("frame 0x%lx (%s): maps %u links %u, recounted %u and %u", addr_of(frame),
		        frame_type_name(frame->type), frame->maps, frame->links, frame->check_maps,
		        frame->check_links);
	if (frame->type == FRAME_USER || frame->type == FRAME_PAGETABLE || frame->type == FRAME_ENV) {
		struct env *owner = env_lookup(frame->owner);
		if (owner)
			owner->check_owned++;
		else if (!(frame->flags & FRAME_RESERVED))
			problem("frame 0x%lx owned by env %u, which is gone", addr_of(frame), frame->owner);
		if ((frame->flags & FRAME_DOOMED) && !frame->maps && !frame->links && owner && !env_ended(owner) &&
		    !doomed_pending())
			problem("frame 0x%lx is doomed and unreferenced, but not freed", addr_of(frame));
	}
}

/* A husk has ended, owns frames, and knows how often others refer to them. */
static void check_husk(const struct env *env)
{
	if (env->status == EXO_ENV_FREE)
		return;
	if (!env->husk) {
		if (env->status == ENV_HUSK)
			problem("env %u is a husk without the husk mark", env->id);
		return;
	}
	if (env->releasing)
		return; /* dissolving: its count is 0 and its frames are going */
	if (!env_ended(env))
		problem("env %u is a husk but has not ended", env->id);
	if (env->husk_refs != env->check_husk_refs || env->check_husk_refs == 0 || env->used <= 1)
		problem("husk %u keeps %lu references from outside, recounted %lu, owns %lu frames", env->id,
		        env->husk_refs, env->check_husk_refs, env->used);
}

u64 pt_check_all(struct exo_check *out)
{
	struct frame_pool *pool = &kernel_frames;
	problems = 0;
	*out = (struct exo_check){ 0 };
	for (u32 i = 0; i < pool->nframes; i++)
		pool->frames[i].check_maps = pool->frames[i].check_links = 0;
	for (struct env *env = env_list; env; env = env->all_next)
		env->check_owned = env->check_husk_refs = 0;
	env_relation_plain = true; /* judge rights by walking the tree, not by the calls' views */
	for (u32 i = 0; i < pool->nframes; i++)
		if (pool->frames[i].type == FRAME_PAGETABLE)
			check_table(&pool->frames[i], out);
	env_relation_plain = false;
	for (struct env *env = env_list; env; env = env->all_next) {
		out->envs++;
		if (env->root) {
			struct frame *root = pt_frame(env->root);
			root->check_links++;
			count_husk_ref(root->owner, env->id);
		}
	}
	for (u32 i = 0; i < pool->nframes; i++)
		check_counts(&pool->frames[i]);
	for (struct env *env = env_list; env; env = env->all_next) {
		if (env->check_owned != env->used)
			problem("env %u owns %lu frames, counted %lu", env->id, env->check_owned, env->used);
		check_husk(env);
	}
	out->free_frames = frame_count(pool, FRAME_FREE);
	out->problems = problems;
	out->tlb_by_va = tlb_stats.by_va + tlb_stats.by_va_all;
	out->tlb_by_asid = tlb_stats.by_asid;
	out->tlb_all = tlb_stats.all;
	out->tlb_flushes = tlb_stats.by_va + tlb_stats.by_va_all + tlb_stats.by_asid + tlb_stats.all;
	out->asid_generation = tlb_stats.generation;
	out->releases = release_pending();
	return problems;
}
