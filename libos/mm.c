/*
 * The app's memory: a map of regions (heap, anonymous mappings, stack),
 * each with its protection; pages arrive zeroed on first touch (the fault
 * upcall) and every frame taken is given back on munmap or at exit.
 */
#include "libos/libos.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

#define MAX_REGIONS 64
#define HEAP_MAX (1ull << 30)
#define MMAP_BASE 0x0000200000000000ull
#define STACK_TOP 0x0000800000000000ull
#define STACK_MAX (8ull << 20)
#define PAGE 4096ull

/* What a fork does with a region: copy it (private) or share it (shared). */
enum fork_policy { FORK_PRIVATE, FORK_SHARED };

struct region {
	u64 start, end; /* page-aligned; end exclusive */
	u32 prot;
	u8 kind;
	u8 policy; /* enum fork_policy: recorded now, used by fork (the next issue) */
};

static struct region regions[MAX_REGIONS];
static u32 nregions;
static u64 heap_start, heap_end, mmap_next = MMAP_BASE;

static struct region *region_at(u64 addr)
{
	for (u32 i = 0; i < nregions; i++)
		if (addr >= regions[i].start && addr < regions[i].end)
			return &regions[i];
	return NULL;
}

static int add_region(u64 start, u64 end, u32 prot, u8 kind)
{
	if (nregions == MAX_REGIONS)
		return -L_ENOMEM;
	regions[nregions++] = (struct region){ start, end, prot, kind, FORK_PRIVATE };
	return 0;
}

void mm_init(u64 heap)
{
	heap_start = heap_end = heap;
	/* The heap region grows with brk; the stack is demand-zero down to a guard page. */
	add_region(heap_start, heap_start, PROT_READ | PROT_WRITE, REGION_HEAP);
	add_region(STACK_TOP - STACK_MAX + PAGE, STACK_TOP, PROT_READ | PROT_WRITE, REGION_STACK);
}

static u64 attrs_for(u32 prot)
{
	u64 attrs = EXO_PTE_PAGE | EXO_PTE_USER;
	if (!(prot & PROT_WRITE))
		attrs |= EXO_PTE_RO;
	if (!(prot & PROT_EXEC))
		attrs |= EXO_PTE_UXN;
	if (!prot)
		attrs &= ~EXO_PTE_AF; /* present but inaccessible: any touch faults */
	return attrs;
}

/* Unmap and free whatever pages of [start, end) are present. */
static void release_pages(u64 start, u64 end)
{
	for (u64 va = start; va < end; va += PAGE) {
		u64 desc = as_lookup_self(va);
		if (!(desc & EXO_PTE_VALID))
			continue;
		u64 frame = desc & EXO_PTE_ADDR_MASK;
		as_unmap(&libos.self, va);
		exo_frame_free(&frame, 1);
	}
}

i64 mm_brk(u64 addr)
{
	struct region *heap = &regions[0];
	if (addr < heap_start || addr > heap_start + HEAP_MAX)
		return (i64)heap_end;
	u64 new_end = (addr + PAGE - 1) & ~(PAGE - 1);
	if (new_end < heap->end)
		release_pages(new_end, heap->end);
	heap->end = new_end;
	heap_end = addr;
	return (i64)heap_end;
}

i64 mm_mmap(u64 addr, u64 len, u64 prot, u64 flags, i64 fd, u64 offset)
{
	(void)addr;
	(void)offset;
	if (!(flags & MAP_ANONYMOUS) || fd != -1)
		return -L_ENOSYS; /* file mappings: not yet */
	if (len == 0 || len > (1ull << 40) || (flags & MAP_FIXED) ||
	    !(flags & (MAP_SHARED | MAP_PRIVATE)) || (flags & MAP_SHARED && flags & MAP_PRIVATE))
		return -L_EINVAL;
	u64 start = mmap_next, size = (len + PAGE - 1) & ~(PAGE - 1);
	int err = add_region(start, start + size, (u32)prot, REGION_ANON);
	if (err)
		return err;
	regions[nregions - 1].policy = (flags & MAP_SHARED) ? FORK_SHARED : FORK_PRIVATE;
	mmap_next += size + PAGE; /* a hole between mappings catches overruns */
	return (i64)start;
}

/* Take [start, end) out of the region map, splitting regions it cuts. */
static int punch(u64 start, u64 end)
{
	for (u32 i = 0; i < nregions; i++) {
		struct region *r = &regions[i];
		if (r->kind != REGION_ANON || end <= r->start || start >= r->end)
			continue;
		if (start > r->start && end < r->end) {
			int err = add_region(end, r->end, r->prot, r->kind);
			if (err)
				return err;
			r = &regions[i];
			regions[nregions - 1].policy = r->policy;
			r->end = start;
		} else if (start > r->start) {
			r->end = start;
		} else if (end < r->end) {
			r->start = end;
		} else {
			*r = regions[--nregions];
			i--;
		}
	}
	return 0;
}

i64 mm_munmap(u64 addr, u64 len)
{
	if (addr & (PAGE - 1) || len == 0 || len > (1ull << 40))
		return -L_EINVAL;
	u64 end = addr + ((len + PAGE - 1) & ~(PAGE - 1));
	int err = punch(addr, end);
	if (err)
		return err;
	release_pages(addr, end);
	return 0;
}

i64 mm_mprotect(u64 addr, u64 len, u64 prot)
{
	if (addr & (PAGE - 1))
		return -L_EINVAL;
	if (len == 0)
		return 0;
	u64 end = addr + ((len + PAGE - 1) & ~(PAGE - 1));
	for (u64 va = addr; va < end; va += PAGE)
		if (!region_at(va))
			return -L_ENOMEM;
	/* Whole regions only change protection; a part of one is split off first. */
	struct region *first = region_at(addr);
	if (first->kind == REGION_ANON && (first->start != addr || first->end != end)) {
		u32 old = first->prot;
		u8 kind = first->kind, policy = first->policy;
		if (punch(addr, end) < 0 || add_region(addr, end, old, kind) < 0)
			return -L_ENOMEM;
		regions[nregions - 1].policy = policy;
	}
	for (u64 va = addr; va < end; va += PAGE) {
		region_at(va)->prot = (u32)prot;
		u64 desc = as_lookup_self(va);
		if (desc & EXO_PTE_VALID)
			as_map(&libos.self, va, desc & EXO_PTE_ADDR_MASK, attrs_for((u32)prot));
	}
	return 0;
}

int mm_fault(u64 addr, bool write)
{
	struct region *r = region_at(addr);
	if (!r || !(r->prot & PROT_READ) || (write && !(r->prot & PROT_WRITE)))
		return -1;
	u64 page = addr & ~(PAGE - 1);
	u64 present = as_lookup_self(page);
	if (present & EXO_PTE_VALID) {
		/* Another thread mapped it first: fine if it allows the access; else a real fault. */
		bool allows = (present & EXO_PTE_AF) && (!write || !(present & EXO_PTE_RO));
		return allows ? 0 : -1;
	}
	u64 frame;
	if (exo_frame_alloc(libos.env, 1, &frame) != 1)
		return -1;
	if (as_map(&libos.self, page, frame, attrs_for(r->prot)) < 0) {
		exo_frame_free(&frame, 1);
		return -1;
	}
	return 0;
}

/* pages of fresh memory below top (an upcall stack), those not there already. */
int mm_map_stack(u64 top, u32 pages)
{
	for (u64 page = 1; page <= pages; page++) {
		u64 va = top - page * PAGE;
		if (!(as_lookup_self(va) & EXO_PTE_VALID) && !as_map_fresh(&libos.self, va))
			return -L_ENOMEM;
	}
	return 0;
}
