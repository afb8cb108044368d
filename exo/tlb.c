/* Batched TLB invalidation and generation-based ASIDs (exo/tlb.h). */
#include "exo/tlb.h"
#include "exo/kernel.h"

#define BATCH_PAGES 32
#define BATCH_ASIDS 8

static struct {
	u32 npages, nasids;
	bool all;
	u16 page_asid[BATCH_PAGES];
	u64 page_va[BATCH_PAGES];
	u16 asids[BATCH_ASIDS];
} batch;

struct tlb_stats tlb_stats;
static u32 asid_limit, asid_next;

void tlb_init(u32 asid_bits)
{
	asid_limit = 1u << asid_bits;
	asid_next = 1; /* ASID 0 is the kernel's empty TTBR0 */
	tlb_stats.generation = 1;
}

u16 tlb_current_asid(const struct frame *root)
{
	return root->asid_gen == tlb_stats.generation ? root->asid : 0;
}

u16 tlb_asid_for(struct frame *root)
{
	if (root->asid_gen == tlb_stats.generation)
		return root->asid;
	if (asid_next == asid_limit) {
		/* Every ASID of this generation is used: start over with an empty TLB. */
		tlb_stats.generation++;
		asid_next = 1;
		arch_tlb_begin();
		arch_tlb_flush_all();
		arch_tlb_end();
		tlb_stats.all++;
	}
	root->asid = (u16)asid_next++;
	root->asid_gen = (u32)tlb_stats.generation;
	return root->asid;
}

enum reach { UNREACHABLE, KNOWN, ANY_ASID, UNKNOWN };

/* ASID 0 is the kernel's empty TTBR0's: in a noted page, it stands for every ASID. */
#define EVERY_ASID 0

/* Where a table's entries may be cached: nowhere, under one root's ASID, at its address under any, or anywhere. */
static enum reach table_reach(const struct frame *table, u16 *asid)
{
	if (table->level != 0 && table->links == 0)
		return UNREACHABLE; /* its last unlink already invalidated it */
	if (table->pos_root == FRAME_NONE)
		return UNKNOWN;
	if (table->pos_root == FRAME_ANY_ROOT) {
		*asid = EVERY_ASID;
		return ANY_ASID;
	}
	*asid = tlb_current_asid(&kernel_frames.frames[table->pos_root]);
	return *asid ? KNOWN : UNREACHABLE; /* no ASID this generation: nothing cached */
}

static void add_asid(u16 asid)
{
	if (asid == EVERY_ASID) {
		batch.all = true; /* an address in every ASID, too many to name */
		return;
	}
	for (u32 i = 0; i < batch.nasids; i++)
		if (batch.asids[i] == asid)
			return;
	if (batch.nasids == BATCH_ASIDS)
		batch.all = true;
	else
		batch.asids[batch.nasids++] = asid;
}

static bool asid_listed(u16 asid)
{
	for (u32 i = 0; i < batch.nasids; i++)
		if (batch.asids[i] == asid)
			return true;
	return false;
}

void tlb_note_page(const struct frame *table, u32 index)
{
	u16 asid;
	enum reach reach = table_reach(table, &asid);
	if (reach == UNKNOWN)
		batch.all = true;
	if ((reach != KNOWN && reach != ANY_ASID) || batch.all || (reach == KNOWN && asid_listed(asid)))
		return;
	if (batch.npages == BATCH_PAGES) {
		/* Too many pages to name one by one: the whole ASIDs instead. */
		for (u32 i = 0; i < batch.npages; i++)
			add_asid(batch.page_asid[i]);
		batch.npages = 0;
		add_asid(asid);
		return;
	}
	batch.page_asid[batch.npages] = asid;
	batch.page_va[batch.npages++] = table_pos_va(table) + (u64)index * PAGE_SIZE;
}

void tlb_note_table(const struct frame *table, u32 index)
{
	(void)index;
	u16 asid;
	enum reach reach = table_reach(table, &asid);
	if (reach == UNKNOWN || reach == ANY_ASID)
		batch.all = true; /* everything under an entry, in every ASID */
	else if (reach == KNOWN)
		add_asid(asid);
}

void tlb_commit(void)
{
	if (!batch.all && !batch.nasids && !batch.npages)
		return;
	arch_tlb_begin();
	if (batch.all) {
		arch_tlb_flush_all();
		tlb_stats.all++;
	} else {
		for (u32 i = 0; i < batch.nasids; i++)
			arch_tlb_flush_asid(batch.asids[i]);
		tlb_stats.by_asid += batch.nasids;
		for (u32 i = 0; i < batch.npages; i++)
			if (batch.page_asid[i] == EVERY_ASID) {
				arch_tlb_flush_va_all_asids(batch.page_va[i]);
				tlb_stats.by_va_all++;
			} else if (!asid_listed(batch.page_asid[i])) {
				arch_tlb_flush_va(batch.page_asid[i], batch.page_va[i]);
				tlb_stats.by_va++;
			}
	}
	arch_tlb_end();
	batch.npages = batch.nasids = 0;
	batch.all = false;
}
