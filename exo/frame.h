/*
 * Physical frames: one record per 4 KiB frame of the RAM span, saying what
 * the frame is, who owns it and how many descriptors refer to it.  The
 * exokernel's ownership checks, "no frame is lost" accounting and TLB
 * maintenance all read these records.  The pool is plain data (no
 * hardware), unit-tested on the host.
 */
#ifndef EXO_FRAME_H
#define EXO_FRAME_H

#include "exo/memmap.h"
#include "exo/types.h"

enum frame_type {
	FRAME_ABSENT, /* a hole in the span: not RAM */
	FRAME_FREE,
	FRAME_KERNEL,    /* kernel image, boot data, kernel structures */
	FRAME_PAGETABLE, /* a translation table; level in frame.level */
	FRAME_USER,      /* user data */
	FRAME_ENV,       /* an environment's record, owned by (and counted in) it */
	FRAME_TYPES
};

/* frame.flags */
#define FRAME_RESERVED 0x1u /* reserved at boot: never freed */
#define FRAME_MARK 0x2u     /* scratch: seen in a batch being checked; kept by its owner's release */
#define FRAME_DOOMED 0x4u   /* given up by its owner while in use: freed when its last reference goes (doomed.c) */

#define FRAME_NO_OWNER 0u
#define FRAME_NONE UINT32_MAX
/* frame.pos_root of a table linked at one address in more than one root: invalidate by address, all ASIDs. */
#define FRAME_ANY_ROOT (UINT32_MAX - 1)

struct frame {
	u8 type;  /* enum frame_type */
	u8 level; /* page-table level 0..3 for FRAME_PAGETABLE */
	u8 flags;
	u8 share;   /* rights (EXO_R/W/X) the owner shares with its descendants */
	u32 owner;  /* environment id, FRAME_NO_OWNER for the kernel */
	u32 maps;   /* page descriptors that map this frame */
	u32 links;  /* table descriptors pointing at it; a level-0 table: environments using it */
	u32 next;   /* the free list, or the owner's list of frames */
	u32 prev;   /* the owner's list */
	u16 used;   /* page tables: valid entries */
	u16 asid;   /* level-0 tables: the ASID, valid while asid_gen is current */
	u32 asid_gen;
	/*
	 * Page tables: where the table sits, when that is known for certain
	 * (one root, one address), so that a change can be invalidated by ASID
	 * and address; FRAME_ANY_ROOT: at that address in several roots
	 * (invalidate by address in every ASID); FRAME_NONE means unknown:
	 * invalidate everywhere.
	 */
	u32 pos_root; /* frame index of the level-0 table */
	u32 work;     /* scratch: the next frame on a worklist (FRAME_NONE ends it) */
	u64 pos_va;   /* with the groups in use in its low bits: table_pos_va, table_groups */
	u32 check_maps, check_links; /* the isolation checker's recount */
	u32 inner;    /* its owner's release: references from the owner's own tables */
	u32 waiters;  /* environments blocked on a word in it (exo/wait.c), 0 if none */
};
_Static_assert(sizeof(struct frame) == 64, "frame records are 64 bytes");

/*
 * A page table's summary of where its entries may be in use: bit g stands
 * for entries 32g .. 32g + 31 and is set whenever one of them is written
 * non-zero; it is cleared only when the table is emptied (a release), so a
 * set bit may be stale, a clear one never is.  Scans of a table's valid
 * entries skip the groups never used.  It lives in the low 16 bits of
 * pos_va, which a table's address always leaves zero (a last-level table
 * spans 2 MiB).
 */
#define TABLE_GROUPS_MASK 0xffffull
#define TABLE_GROUP_SHIFT 5

static inline u64 table_pos_va(const struct frame *table) { return table->pos_va & ~TABLE_GROUPS_MASK; }
static inline void table_set_pos_va(struct frame *table, u64 va)
{
	table->pos_va = va | (table->pos_va & TABLE_GROUPS_MASK);
}
static inline u32 table_groups(const struct frame *table) { return (u32)(table->pos_va & TABLE_GROUPS_MASK); }
/* Entries first .. first + count - 1 (count at least 1) may now be in use. */
static inline void table_note_used(struct frame *table, u32 first, u32 count)
{
	u32 lo = first >> TABLE_GROUP_SHIFT, hi = (first + count - 1) >> TABLE_GROUP_SHIFT;
	table->pos_va |= ((2u << hi) - 1) & ~((1u << lo) - 1);
}
static inline void table_clear_groups(struct frame *table) { table->pos_va &= ~TABLE_GROUPS_MASK; }

struct frame_pool {
	struct frame *frames;
	u64 base; /* physical address of frames[0] */
	u32 nframes;
	u32 free_head;
	u64 count[FRAME_TYPES];
};

/*
 * A reference to frame has gone (a mapping or a link): a doomed frame with
 * none left is noted, and freed after the call's TLB invalidations
 * (exo/doomed.c).
 */
void doomed_note(struct frame *frame);
static inline void frame_unref_done(struct frame *frame)
{
	if (__builtin_expect((frame->flags & FRAME_DOOMED) != 0, 0) && frame->maps == 0 && frame->links == 0)
		doomed_note(frame);
}

/* Bytes of records needed to describe the RAM span of map. */
u64 frame_pool_bytes(const struct memmap *map);

/*
 * Describe map's RAM span with records (frame_pool_bytes long): RAM is free
 * except reserved ranges, which become FRAME_KERNEL.
 */
void frame_pool_init(struct frame_pool *pool, struct frame *records, const struct memmap *map);

/* Take a free frame, set its type, level and owner, no references. */
int frame_alloc(struct frame_pool *pool, enum frame_type type, u32 level, u32 owner, paddr_t *out);
/* Give an allocated (non-kernel-reserved) frame back; -E_INVAL otherwise. */
int frame_free(struct frame_pool *pool, paddr_t frame);
/* The same for a frame the caller knows is allocated and not reserved (no lookup, no checks). */
void frame_free_record(struct frame_pool *pool, struct frame *frame);

/* Change an allocated frame's type, keeping the counts per type right. */
void frame_retype(struct frame_pool *pool, struct frame *frame, enum frame_type type);

/* The record of the frame at addr, or NULL if addr is outside the span. */
struct frame *frame_lookup(struct frame_pool *pool, paddr_t addr);
u64 frame_count(const struct frame_pool *pool, enum frame_type type);
static inline u32 frame_index(const struct frame_pool *pool, const struct frame *frame)
{
	return (u32)(frame - pool->frames);
}
static inline paddr_t frame_addr(const struct frame_pool *pool, const struct frame *frame)
{
	return pa(pool->base + (u64)frame_index(pool, frame) * PAGE_SIZE);
}
const char *frame_type_name(enum frame_type type);

#endif
