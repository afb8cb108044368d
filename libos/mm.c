/*
 * The app's memory: the region map (region.c) says what may be touched and
 * how; the page tables follow it.  Pages arrive zeroed on first touch (the
 * fault upcall); munmap, brk and mprotect change the regions and then the
 * pages present, a last-level table at a time (one batched write and one
 * batched free per table, whatever the length).  Every frame taken is given
 * back on munmap or at exit.
 */
#include "libos/libos.h"
#include "libos/region.h"
#include "libos/filemap.h"
#include <exo/fork.h> /* EXO_MADV_FORK_* */

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define PROT_KNOWN (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000

#define HEAP_MAX (1ull << 30)
#define MMAP_BASE 0x0000200000000000ull
#define MMAP_END 0x0000600000000000ull
#define STACK_TOP 0x0000800000000000ull
#define STACK_MAX (8ull << 20)
#define MAP_LEN_MAX (1ull << 40)
#define PAGE 4096ull
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))

static struct region_map map;
bool mm_cow_pages; /* some pages of ours may be copy-on-write (a cow fork was made, here or in a parent) */
static u64 heap_start, heap_top, heap_end;

void mm_init(u64 heap)
{
	heap_start = heap_top = heap_end = heap;
	/* The stack is demand-zero down to a guard page; the heap grows with brk. */
	region_insert(&map, (struct region){ STACK_TOP - STACK_MAX + PAGE, STACK_TOP, PROT_READ | PROT_WRITE,
	                                     REGION_STACK, FORK_PRIVATE, ADVICE_NONE, 0 });
}

/* The loader's heap is its program's: brk starts after the program's last segment (set before any brk). */
void mm_move_heap(u64 heap)
{
	heap_start = heap_top = heap_end = heap;
}

_Static_assert(PROT_READ == EXO_R && PROT_WRITE == EXO_W && PROT_EXEC == EXO_X, "one set of rights bits");

u64 mm_page_attrs(u32 prot)
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

/*
 * Frames of ours that we no longer map: freed, or, where a forked child
 * still maps one, freed by the kernel when the child lets go
 * (EXO_FREE_WHEN_UNUSED).  One call; if one is refused (not ours: a page
 * still our parent's), each alone.
 */
void mm_free_frames(const u64 *frames, u32 count)
{
	if (!count || exo_frame_free(frames, count | EXO_FREE_WHEN_UNUSED) == 0)
		return;
	for (u32 i = 0; i < count; i++)
		exo_frame_free(&frames[i], 1 | EXO_FREE_WHEN_UNUSED);
}

/* One last-level table's share of a release: its entries cleared, then its frames freed. */
static int release_visit(u64 table, u32 first, u32 last, const u64 *entries, void *arg)
{
	(void)arg;
	static u64 frames[EXO_PT_ENTRIES], zeros[EXO_PT_ENTRIES];
	u32 count = 0;
	bool any = false;
	for (u32 i = first; i < last; i++) {
		any |= (entries[i] & EXO_PTE_VALID) != 0;
		if ((entries[i] & EXO_PTE_VALID) && !(entries[i] & NOT_OURS_PTE)) /* the tree's or the archive's */
			frames[count++] = entries[i] & EXO_PTE_ADDR_MASK;
	}
	if (!any)
		return 0;
	exo_pt_write(table, first, last - first, zeros);
	mm_free_frames(frames, count);
	return 0;
}

/*
 * Last-level tables of [start, end) left with no entry go too (unlinked,
 * then freed): an empty table still costs every later fork a look (eager
 * and shared walk or link it) and holds a frame.  A table linked
 * read-only (shared with a child) is left as it is.
 */
static void release_empty_tables(u64 start, u64 end)
{
	const u64 slot = 2ull << 20;
	for (u64 va = start & ~(slot - 1); va < end; va += slot) {
		u64 in_root = exo_window_table(0, va)[exo_pt_index(0, va)];
		u64 in_level1 = in_root & EXO_PTE_VALID ? exo_window_table(1, va)[exo_pt_index(1, va)] : 0;
		if (!(in_level1 & EXO_PTE_VALID))
			continue;
		u64 l2_table = in_level1 & EXO_PTE_ADDR_MASK, link = exo_window_table(2, va)[exo_pt_index(2, va)];
		if (!(link & EXO_PTE_VALID) || (link & EXO_PTE_APT_RO))
			continue;
		const u64 *entries = exo_window_table(3, va);
		u32 i = 0;
		while (i < EXO_PT_ENTRIES && !entries[i])
			i++;
		u64 table = link & EXO_PTE_ADDR_MASK, none = 0;
		if (i == EXO_PT_ENTRIES && exo_pt_write(l2_table, exo_pt_index(2, va), 1, &none) == 0)
			exo_frame_free(&table, 1);
	}
}

/* Unmap and free whatever pages of [start, end) are present, and the tables they leave empty. */
static void release_pages(u64 start, u64 end)
{
	filemap_forget(start, end);
	as_each_leaf_table_self(start, end, release_visit, NULL);
	release_empty_tables(start, end);
}

/*
 * One last-level table's share of mprotect: present pages get the new
 * rights, one write.  A copy-on-write page (SW0) stays read-only and
 * marked whatever the new rights: its frame may still be another
 * process's, and the first write must copy it (or find it sole and make
 * it writable) through the fault path.
 */
static int protect_visit(u64 table, u32 first, u32 last, const u64 *entries, void *arg)
{
	static u64 descs[EXO_PT_ENTRIES];
	u64 attrs = *(const u64 *)arg;
	bool any = false;
	for (u32 i = first; i < last; i++) {
		/* An archive page made writable becomes copy-on-write: the archive's frame is never writable. */
		bool archive_write = (entries[i] & ARCHIVE_PTE) && !(attrs & EXO_PTE_RO);
		u64 cow = entries[i] & EXO_PTE_SW0 || archive_write ? EXO_PTE_SW0 | EXO_PTE_RO : 0;
		if (archive_write && !mm_cow_pages)
			mm_cow_pages = true;
		u64 kept = entries[i] & NOT_OURS_PTE;
		descs[i - first] = entries[i] & EXO_PTE_VALID ? (entries[i] & EXO_PTE_ADDR_MASK) | attrs | cow | kept : 0;
		any |= descs[i - first] != 0;
	}
	if (any && exo_pt_write(table, first, last - first, descs) < 0)
		return -L_ENOMEM;
	return 0;
}

/*
 * The address-space limits (setrlimit): RLIMIT_AS bounds every region of
 * the program's, RLIMIT_DATA the heap and private writable memory (Linux's
 * accounting), each checked as a mapping grows.
 */
#define RLIMIT_DATA_ 2
#define RLIMIT_STACK_ 3
#define RLIMIT_AS_ 9

static bool counts_as_data(const struct region *region)
{
	bool anon_or_copy = region->kind == REGION_ANON || region->kind == REGION_PAST_EOF;
	return region->kind == REGION_HEAP ||
	       (anon_or_copy && region->policy == FORK_PRIVATE && (region->prot & PROT_WRITE));
}

/* Would `more` bytes (data: of data) go past a limit? */
static bool over_limits(u64 more, bool data)
{
	u64 all = 0, of_data = 0;
	for (u32 i = 0; i < map.count; i++) {
		u64 size = map.at[i].end - map.at[i].start;
		all += size;
		of_data += counts_as_data(&map.at[i]) ? size : 0;
	}
	return all + more > libos_rlimit(RLIMIT_AS_) || (data && of_data + more > libos_rlimit(RLIMIT_DATA_));
}

/* brk: the heap is [heap_start, heap_top) in regions of kind heap; its pages go when it shrinks. */
i64 mm_brk(u64 addr)
{
	if (addr < heap_start || addr > heap_start + HEAP_MAX)
		return (i64)heap_end;
	u64 new_top = PAGE_UP(addr);
	if (new_top > heap_top && over_limits(new_top - heap_top, true))
		return (i64)heap_end; /* RLIMIT_AS or RLIMIT_DATA: brk fails */
	if (new_top > heap_top) {
		struct region grown = { heap_top, new_top, PROT_READ | PROT_WRITE, REGION_HEAP, FORK_PRIVATE, ADVICE_NONE, 0 };
		if (!region_range_free(&map, heap_top, new_top) || region_insert(&map, grown) < 0)
			return (i64)heap_end; /* something is mapped there, or no room: brk fails */
	} else if (new_top < heap_top) {
		if (region_remove(&map, new_top, heap_top) < 0)
			return (i64)heap_end;
		release_pages(new_top, heap_top);
	}
	heap_top = new_top;
	heap_end = addr;
	return (i64)heap_end;
}

/*
 * May a MAP_FIXED mapping go at [start, end)?  In the mmap area, or over
 * the program's own regions: never over what libos keeps elsewhere for
 * itself (upcall stacks, pipes, the boot archive, the program image).
 */
static bool fixed_allowed(u64 start, u64 end)
{
	return (start >= MMAP_BASE && end <= MMAP_END) || region_range_covered(&map, start, end);
}

/*
 * A private copy of a file's bytes: the pages made read-write for the copy
 * get the mapping's rights, and those wholly past the file's end become a
 * region of their own, where a touch is SIGBUS.
 */
static int copy_file(u32 node, u64 offset, u64 start, u64 size, u32 prot)
{
	i64 bytes = filemap_private(node, offset, start, size);
	if (bytes < 0)
		return (int)bytes;
	u64 attrs = mm_page_attrs(prot), past_eof = start + PAGE_UP((u64)bytes);
	if (as_each_leaf_table_self(start, past_eof, protect_visit, &attrs) < 0)
		return -L_ENOMEM;
	struct region tail = { past_eof, start + size, prot, REGION_PAST_EOF, FORK_PRIVATE, ADVICE_NONE, 0 };
	return past_eof < start + size && region_replace(&map, tail) < 0 ? -L_ENOMEM : 0;
}

/*
 * A file's pages into a fresh region: its own pool pages (shared), or a
 * copy of its bytes (private).  On failure the region goes again, as if
 * never mapped.
 */
static i64 map_file(u32 node, u64 offset, u64 start, u64 size, u32 prot, bool shared)
{
	int err = shared ? filemap_shared(node, offset, start, size, mm_page_attrs(prot))
	                 : copy_file(node, offset, start, size, prot);
	if (err) {
		region_remove(&map, start, start + size);
		release_pages(start, start + size);
	}
	return err ? err : (i64)start;
}

i64 mm_mmap(u64 addr, u64 len, u64 prot, u64 flags, i64 fd, u64 offset)
{
	u64 type = flags & MAP_TYPE;
	if (len == 0 || len > MAP_LEN_MAX || (prot & ~(u64)PROT_KNOWN) ||
	    (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE))
		return -L_EINVAL;
	u32 node = 0, denied = 0;
	if (!(flags & MAP_ANONYMOUS)) {
		i64 err = offset > MAP_LEN_MAX ? -L_EINVAL
		                               : filemap_check(fd, offset, (u32)prot, type != MAP_PRIVATE, &node, &denied);
		if (err)
			return err;
	}
	return mm_map_node(addr, len, prot, flags, node, offset, denied);
}

/*
 * mmap once its arguments are checked: anonymous memory (node 0) or a node
 * of the file tree's; denied: the rights mprotect may never give it.
 */
i64 mm_map_node(u64 addr, u64 len, u64 prot, u64 flags, u32 node, u64 offset, u32 denied)
{
	u64 type = flags & MAP_TYPE;
	bool file = node != 0;
	u64 size = PAGE_UP(len);
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (fixed && (addr & (PAGE - 1)))
		return -L_EINVAL;
	if (fixed && (addr < PAGE || addr >= STACK_TOP || size > STACK_TOP - addr ||
	              !fixed_allowed(addr, addr + size)))
		return -L_ENOMEM;
	if ((flags & MAP_FIXED_NOREPLACE) && !region_range_free(&map, addr, addr + size))
		return -L_EEXIST;
	bool data = type == MAP_PRIVATE && (prot & PROT_WRITE);
	if (over_limits(size, data))
		return -L_ENOMEM; /* RLIMIT_AS, RLIMIT_DATA */
	/* First fit in the mmap area, a page's hole between mappings to catch overruns. */
	u64 start = fixed ? addr : region_find_gap(&map, MMAP_BASE, MMAP_END, size, PAGE);
	if (!start)
		return -L_ENOMEM;
	struct region region = { start, start + size, (u32)prot, file && type != MAP_PRIVATE ? REGION_FILE : REGION_ANON,
	                         type == MAP_PRIVATE ? FORK_PRIVATE : FORK_SHARED, ADVICE_NONE, (u8)denied };
	/* MAP_FIXED replaces whatever was there: its pages go, as with munmap. */
	if (!filemap_room_to_forget(start, start + size) || region_replace(&map, region) < 0)
		return -L_ENOMEM;
	release_pages(start, start + size);
	return file ? map_file(node, offset, start, size, (u32)prot, type != MAP_PRIVATE) : (i64)start;
}

i64 mm_munmap(u64 addr, u64 len)
{
	if ((addr & (PAGE - 1)) || len == 0 || len > MAP_LEN_MAX || addr >= STACK_TOP ||
	    PAGE_UP(len) > STACK_TOP - addr)
		return -L_EINVAL;
	u64 end = addr + PAGE_UP(len);
	/*
	 * Only the program's memory goes: the parts of the range its regions
	 * cover.  libos's own pages (the file tree's, the pipes', the process
	 * table's, upcall stacks) lie outside every region, and a munmap that
	 * reaches them must not give them up.
	 */
	static u64 pieces[REGION_MAX][2];
	u32 npieces = 0;
	for (u32 i = 0; i < map.count; i++)
		if (map.at[i].start < end && map.at[i].end > addr) {
			pieces[npieces][0] = MAX(map.at[i].start, addr);
			pieces[npieces++][1] = MIN(map.at[i].end, end);
		}
	if (!filemap_room_to_forget(addr, end) || region_remove(&map, addr, end) < 0)
		return -L_ENOMEM; /* as Linux: a mapping split in two needs a record more */
	for (u32 i = 0; i < npieces; i++)
		release_pages(pieces[i][0], pieces[i][1]);
	return 0;
}

/* Does a region of [start, end) (covered) deny one of prot's rights? */
static bool denies_any(u64 start, u64 end, u32 prot)
{
	for (u64 at = start; at < end; at = region_find(&map, at)->end)
		if (region_find(&map, at)->denied & prot)
			return true;
	return false;
}

i64 mm_mprotect(u64 addr, u64 len, u64 prot)
{
	if ((addr & (PAGE - 1)) || (prot & ~(u64)PROT_KNOWN))
		return -L_EINVAL;
	if (len == 0)
		return 0;
	if (len > MAP_LEN_MAX || addr >= STACK_TOP || PAGE_UP(len) > STACK_TOP - addr)
		return -L_ENOMEM;
	u64 end = addr + PAGE_UP(len);
	if (!region_range_covered(&map, addr, end))
		return -L_ENOMEM; /* as Linux: part of the range is not mapped */
	if (denies_any(addr, end, (u32)prot))
		return -L_EACCES; /* as Linux: more than the file's descriptor allowed (changing nothing, where Linux
		                     changes the regions before the one that denies) */
	if (region_protect(&map, addr, end, (u32)prot) < 0)
		return -L_ENOMEM;
	u64 attrs = mm_page_attrs((u32)prot);
	int err = as_each_leaf_table_self(addr, end, protect_visit, &attrs);
	return err ? -L_ENOMEM : 0; /* as Linux, the rights may be changed on part of the range */
}

int mm_fault(u64 addr, bool write)
{
	struct region *region = region_find(&map, addr);
	if (!region || !(region->prot & PROT_READ) || (write && !(region->prot & PROT_WRITE)))
		return -1;
	u64 page = addr & ~(PAGE - 1);
	if (region->kind == REGION_STACK && STACK_TOP - page > libos_rlimit(RLIMIT_STACK_))
		return -1; /* the stack grows no further than RLIMIT_STACK: SIGSEGV, as Linux */
	u64 present = as_lookup_self(page);
	if (present & EXO_PTE_VALID) {
		/* Another thread mapped it first: fine if it allows the access; else a real fault. */
		bool allows = (present & EXO_PTE_AF) && (!write || !(present & EXO_PTE_RO));
		return allows ? 0 : -1;
	}
	if (region->kind == REGION_FILE) /* the file's page, if the file reaches it now; else SIGBUS */
		return filemap_fault(page, mm_page_attrs(region->prot));
	if (region->kind == REGION_PAST_EOF)
		return MM_FAULT_BUS;
	/* Demand-zero: a fresh frame mapped in one call (nothing to undo if it fails); -2: no frame for it. */
	return as_map_new(&libos.self, page, mm_page_attrs(region->prot)) < 0 ? -2 : 0;
}

/* Linux's advice values (asm-generic/mman-common.h). */
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19

static bool is_copy_advice(u64 advice) { return advice >= EXO_MADV_FORK_DEFAULT && advice <= EXO_MADV_FORK_SHARE; }
static bool leaves_out(u8 advice) { return advice == ADVICE_DONTFORK || advice == ADVICE_WIPEONFORK; }
static bool picks_copy(u8 advice) { return advice == ADVICE_COPY || advice == ADVICE_COW || advice == ADVICE_SHARE; }

/* The advice value a region keeps for a madvise advice that sets one. */
static u8 advice_value(u64 advice)
{
	switch (advice) {
	case MADV_DONTFORK: return ADVICE_DONTFORK;
	case MADV_WIPEONFORK: return ADVICE_WIPEONFORK;
	case EXO_MADV_FORK_COPY: return ADVICE_COPY;
	case EXO_MADV_FORK_COW: return ADVICE_COW;
	case EXO_MADV_FORK_SHARE: return ADVICE_SHARE;
	}
	return ADVICE_NONE;
}

/* [addr, end) (covered) loses the advice `undo` picks out (DOFORK, KEEPONFORK, exo's DEFAULT). */
static i64 undo_advice(u64 addr, u64 end, bool (*undone)(u8 advice))
{
	for (u64 at = addr; at < end;) {
		const struct region *region = region_find(&map, at);
		u64 stop = MIN(region->end, end);
		if (undone(region->advice) && region_advise(&map, at, stop, ADVICE_NONE) < 0)
			return -L_ENOMEM;
		at = stop;
	}
	return 0;
}

static bool is_dontfork(u8 advice) { return advice == ADVICE_DONTFORK; }
static bool is_wipeonfork(u8 advice) { return advice == ADVICE_WIPEONFORK; }

/*
 * madvise: the fork advice is kept per region (doc/fork.md), Linux's and
 * exo's own (one advice per region: a new one replaces the old); any other
 * advice is accepted and changes nothing, as Linux may choose.
 */
i64 mm_madvise(u64 addr, u64 len, u64 advice)
{
	if (addr & (PAGE - 1))
		return -L_EINVAL;
	bool fork_advice = advice == MADV_DONTFORK || advice == MADV_DOFORK || advice == MADV_WIPEONFORK ||
	                   advice == MADV_KEEPONFORK || is_copy_advice(advice);
	if (!fork_advice || len == 0)
		return 0;
	if (len > MAP_LEN_MAX || addr >= STACK_TOP || PAGE_UP(len) > STACK_TOP - addr)
		return -L_ENOMEM;
	u64 end = addr + PAGE_UP(len);
	if (!region_range_covered(&map, addr, end))
		return -L_ENOMEM; /* as Linux: part of the range is not mapped */
	for (u64 at = addr; at < end; at = region_find(&map, at)->end) {
		const struct region *region = region_find(&map, at);
		if ((advice == MADV_WIPEONFORK || is_copy_advice(advice)) && region->policy == FORK_SHARED)
			return -L_EINVAL; /* as Linux: only private memory can be wiped (or copied some way) */
		if (is_copy_advice(advice) && advice != EXO_MADV_FORK_DEFAULT && leaves_out(region->advice))
			return -L_EINVAL; /* how to copy is no answer to whether the child has it: that stays */
	}
	/* Each undoes its own: DOFORK a DONTFORK, KEEPONFORK a WIPEONFORK, exo's DEFAULT its three. */
	if (advice == MADV_DOFORK)
		return undo_advice(addr, end, is_dontfork);
	if (advice == MADV_KEEPONFORK)
		return undo_advice(addr, end, is_wipeonfork);
	if (advice == EXO_MADV_FORK_DEFAULT)
		return undo_advice(addr, end, picks_copy);
	return region_advise(&map, addr, end, advice_value(advice)) < 0 ? -L_ENOMEM : 0;
}

/* What fork does with the page at va: copy it as the variant does, keep it shared, or leave it out. */
/*
 * The last region mm_fork_class found, and its class, kept in fault-safe
 * memory (it is written during a fork's copy, after our pages may have
 * been write-protected): a fork asks about every page present, in address
 * order, a few hundred pages in a handful of regions (a search each was
 * an eighth of an eager fork of busybox).  The map does not change during
 * a fork (the libos lock is held), and mm_fork_prepare forgets it before
 * each.
 */
enum mm_fork_class mm_fork_class(u64 va)
{
	volatile struct libos_safe *safe = LIBOS_SAFE;
	if (va >= safe->fork_class_start && va < safe->fork_class_end)
		return (enum mm_fork_class)safe->fork_class;
	const struct region *region = region_find(&map, va);
	if (!region)
		return MM_FORK_PRIVATE; /* libos's own memory, not the program's regions */
	enum mm_fork_class class = leaves_out(region->advice)       ? MM_FORK_LEAVE
	                           : region->policy == FORK_SHARED ? MM_FORK_SHARED : MM_FORK_PRIVATE;
	safe->fork_class_start = region->start, safe->fork_class_end = region->end, safe->fork_class = class;
	return class;
}

u32 mm_fork_special_ranges(u64 *starts, u64 *ends, u32 max)
{
	u32 count = 0;
	for (u32 i = 0; i < map.count && count < max; i++)
		if (map.at[i].policy == FORK_SHARED || leaves_out(map.at[i].advice))
			starts[count] = map.at[i].start, ends[count++] = map.at[i].end;
	return count;
}

u32 mm_fork_advised_ranges(u64 *starts, u64 *ends, u8 *advice, u32 max)
{
	u32 count = 0;
	for (u32 i = 0; i < map.count; i++) {
		const struct region *region = &map.at[i];
		if (!picks_copy(region->advice))
			continue;
		if (count && ends[count - 1] == region->start && advice[count - 1] == region->advice) {
			ends[count - 1] = region->end; /* neighbours that differ in protection only */
			continue;
		}
		if (count == max)
			return max + 1;
		starts[count] = region->start, ends[count] = region->end, advice[count++] = region->advice;
	}
	return count;
}

bool mm_fork_advised(u8 advice)
{
	for (u32 i = 0; i < map.count; i++)
		if (map.at[i].advice == advice)
			return true;
	return false;
}

u8 mm_fork_slot_advice(u64 slot_va, u64 slot_size)
{
	u8 picked = ADVICE_NONE;
	for (u32 i = 0; i < map.count && map.at[i].start < slot_va + slot_size; i++) {
		const struct region *region = &map.at[i];
		if (region->end <= slot_va)
			continue;
		if (region->policy == FORK_SHARED || leaves_out(region->advice))
			return ADVICE_NONE; /* the slot is done page by page, as the variant does */
		if (picked == ADVICE_NONE && picks_copy(region->advice))
			picked = region->advice; /* the lowest advised region in the slot decides */
	}
	return picked;
}

/* A forked child: regions its parent said it should not have are not its own (their pages were left out). */
void mm_fork_child(void)
{
	for (u32 i = 0; i < map.count; i++)
		if (map.at[i].advice == ADVICE_DONTFORK) {
			u64 start = map.at[i].start, end = map.at[i].end;
			region_remove(&map, start, end); /* a whole region: it splits nothing, so it cannot fail */
			i--;
		}
}

bool mm_writable_at(u64 va)
{
	const struct region *region = region_find(&map, va);
	return region && (region->prot & PROT_WRITE);
}

bool mm_mapped_at(u64 va) { return region_find(&map, va) != NULL; }

bool mm_usable_at(u64 va, bool write)
{
	return mm_present_for(va, write) || (write ? mm_writable_at(va) : mm_readable_at(va));
}

bool mm_readable_at(u64 va)
{
	const struct region *region = region_find(&map, va);
	return region && (region->prot & PROT_READ);
}

/*
 * A copy-on-write page made private (EXO_PT_COW).  A copy of an archive
 * page is ours: its ARCHIVE_PTE mark goes, or munmap would never free it.
 * A copy made from a frame of ours (a forked child still maps it) gives
 * that frame up: nothing of ours refers to it any more, and no later
 * moment of ours is sure to come when nothing else does, so the kernel
 * frees it when the child lets go (EXO_COW_GIVE_UP).  The tree's and the
 * archive's pages are never ours to give up.
 */
i64 mm_cow_copy(u64 table, u64 va, u64 desc)
{
	i64 frame = exo_pt_cow(table, exo_pt_index(3, va), desc & NOT_OURS_PTE ? 0 : EXO_COW_GIVE_UP);
	if (frame < 0 || !(desc & ARCHIVE_PTE))
		return frame;
	u64 now = as_lookup_self(va) & ~ARCHIVE_PTE;
	return exo_pt_write(table, exo_pt_index(3, va), 1, &now) < 0 ? -L_ENOMEM : frame;
}

void mm_make_writable(void *p, u64 len)
{
	u64 first = (u64)p & ~(PAGE - 1);
	for (u64 page = first; page < (u64)p + len; page += PAGE)
		__atomic_fetch_add((volatile u8 *)MAX(page, (u64)p), 0, __ATOMIC_RELAXED);
}

void mm_unprotect_image(void)
{
	for (u32 i = 0; i < map.count; i++) {
		const struct region *region = &map.at[i];
		if (region->kind != REGION_IMAGE || !(region->prot & PROT_WRITE))
			continue;
		for (u64 va = region->start; va < region->end; va += PAGE) {
			u64 desc = as_lookup_self(va);
			if ((desc & EXO_PTE_VALID) && (desc & EXO_PTE_SW0) && (desc & EXO_PTE_RO)) {
				i64 table = as_table(&libos.self, 3, va, false);
				if (table >= 0)
					mm_cow_copy((u64)table, va, desc);
			}
		}
	}
}

void mm_add_image(u64 start, u64 end, u32 prot)
{
	region_insert(&map, (struct region){ start, end, prot, REGION_IMAGE, FORK_PRIVATE, ADVICE_NONE, 0 });
}

/*
 * Before a fork: MAP_SHARED memory must be the same frames in both
 * processes, so every page of it is made present now (else each would get
 * its own zeroed page on first touch) and its frame shared read-write with
 * descendants (refused for frames of an ancestor's, which shared them
 * when it forked).  Pages are faulted in one at a time: shared memory
 * is rare, and this runs once per region per fork.
 */
int mm_fork_prepare(void)
{
	LIBOS_SAFE->fork_class_start = LIBOS_SAFE->fork_class_end = 0; /* the map may have changed since the last fork */
	for (u32 i = 0; i < map.count; i++) {
		const struct region *region = &map.at[i];
		if (region->policy != FORK_SHARED || region->kind == REGION_FILE)
			continue; /* a file's pages are the tree's, shared already; past its end they stay unmapped */
		for (u64 va = region->start; va < region->end; va += PAGE) {
			u64 desc = as_lookup_self(va);
			if (!(desc & EXO_PTE_VALID)) {
				if (as_map_new(&libos.self, va, mm_page_attrs(region->prot)) < 0)
					return -L_ENOMEM;
				desc = as_lookup_self(va);
			}
			exo_frame_share(desc & EXO_PTE_ADDR_MASK, EXO_R | EXO_W | EXO_X);
		}
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

/*
 * shmdt: the shared file mapping that starts at addr, whole, and the
 * pieces of it a punched hole left (filemap.c knows them), as Linux;
 * what lies in the holes stays.  -EINVAL if no mapping starts at addr.
 */
i64 mm_unmap_file_at(u64 addr)
{
	u64 starts[FILEMAP_MAX], ends[FILEMAP_MAX];
	u32 count = filemap_pieces(addr, starts, ends);
	i64 err = count ? 0 : -L_EINVAL;
	for (u32 i = 0; i < count && !err; i++)
		err = mm_munmap(starts[i], ends[i] - starts[i]);
	return err;
}
