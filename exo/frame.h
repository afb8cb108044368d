/*
 * Physical frames: one record per 4 KiB frame of the RAM span, saying what
 * the frame is, who owns it and how many references it has.  Later issues
 * build ownership checks and "no frame is lost" accounting on these counts.
 * The pool is plain data (no hardware), unit-tested on the host.
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
	FRAME_TYPES
};

/* frame.flags */
#define FRAME_RESERVED 0x1u /* reserved at boot: never freed */

#define FRAME_NO_OWNER 0u
#define FRAME_NONE UINT32_MAX

struct frame {
	u8 type;  /* enum frame_type */
	u8 level; /* page-table level 0..3 for FRAME_PAGETABLE */
	u16 flags;
	u32 owner;    /* environment id, FRAME_NO_OWNER for the kernel */
	u32 refcount; /* references held on the frame */
	u32 next_free;
};

struct frame_pool {
	struct frame *frames;
	u64 base; /* physical address of frames[0] */
	u32 nframes;
	u32 free_head;
	u64 count[FRAME_TYPES];
};

/* Bytes of records needed to describe the RAM span of map. */
u64 frame_pool_bytes(const struct memmap *map);

/*
 * Describe map's RAM span with records (frame_pool_bytes long): RAM is free
 * except reserved ranges, which become FRAME_KERNEL.
 */
void frame_pool_init(struct frame_pool *pool, struct frame *records, const struct memmap *map);

/* Take a free frame, set its type, level and owner, refcount 1. */
int frame_alloc(struct frame_pool *pool, enum frame_type type, u32 level, u32 owner, paddr_t *out);
/* Give an allocated (non-kernel-reserved) frame back; -E_INVAL otherwise. */
int frame_free(struct frame_pool *pool, paddr_t frame);

/* The record of the frame at addr, or NULL if addr is outside the span. */
struct frame *frame_lookup(struct frame_pool *pool, paddr_t addr);
u64 frame_count(const struct frame_pool *pool, enum frame_type type);
const char *frame_type_name(enum frame_type type);

#endif
