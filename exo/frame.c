/* The physical frame pool: records, a free list threaded through them. */
#include "exo/frame.h"
#include "exo/errno.h"

u64 frame_pool_bytes(const struct memmap *map)
{
	struct range span = memmap_ram_span(map);
	return (span.end - span.start) / PAGE_SIZE * sizeof(struct frame);
}

static void set_type(struct frame_pool *pool, struct frame *frame, enum frame_type type)
{
	pool->count[frame->type]--;
	frame->type = (u8)type;
	pool->count[type]++;
}

void frame_retype(struct frame_pool *pool, struct frame *frame, enum frame_type type)
{
	set_type(pool, frame, type);
}

void frame_pool_init(struct frame_pool *pool, struct frame *records, const struct memmap *map)
{
	struct range span = memmap_ram_span(map);
	*pool = (struct frame_pool){ .frames = records, .base = span.start };
	pool->nframes = (u32)((span.end - span.start) / PAGE_SIZE);
	pool->count[FRAME_ABSENT] = pool->nframes;
	pool->free_head = FRAME_NONE;
	/* Walk downwards so that the free list hands out low frames first. */
	for (u32 index = pool->nframes; index-- > 0;) {
		struct frame *frame = &records[index];
		u64 addr = pool->base + (u64)index * PAGE_SIZE;
		*frame = (struct frame){ .type = FRAME_ABSENT, .next = FRAME_NONE, .prev = FRAME_NONE };
		if (!memmap_is_ram(map, addr, addr + PAGE_SIZE))
			continue;
		if (memmap_is_reserved(map, addr, addr + PAGE_SIZE)) {
			set_type(pool, frame, FRAME_KERNEL);
			frame->flags = FRAME_RESERVED;
			continue;
		}
		set_type(pool, frame, FRAME_FREE);
		frame->next = pool->free_head;
		pool->free_head = index;
	}
}

struct frame *frame_lookup(struct frame_pool *pool, paddr_t addr)
{
	if (addr.val < pool->base || addr.val % PAGE_SIZE)
		return NULL;
	u64 index = (addr.val - pool->base) / PAGE_SIZE;
	return index < pool->nframes ? &pool->frames[index] : NULL;
}

int frame_alloc(struct frame_pool *pool, enum frame_type type, u32 level, u32 owner, paddr_t *out)
{
	if (type == FRAME_ABSENT || type == FRAME_FREE || type >= FRAME_TYPES || level > 3)
		return -E_INVAL;
	if (pool->free_head == FRAME_NONE)
		return -E_NOMEM;
	u32 index = pool->free_head;
	struct frame *frame = &pool->frames[index];
	pool->free_head = frame->next;
	set_type(pool, frame, type);
	*frame = (struct frame){ .type = (u8)type, .level = (u8)level, .owner = owner,
		                 .next = FRAME_NONE, .prev = FRAME_NONE, .pos_root = FRAME_NONE };
	*out = pa(pool->base + (u64)index * PAGE_SIZE);
	return 0;
}

void frame_free_record(struct frame_pool *pool, struct frame *frame)
{
	set_type(pool, frame, FRAME_FREE);
	*frame = (struct frame){ .type = FRAME_FREE, .next = pool->free_head, .prev = FRAME_NONE };
	pool->free_head = frame_index(pool, frame);
}

int frame_free(struct frame_pool *pool, paddr_t addr)
{
	struct frame *frame = frame_lookup(pool, addr);
	if (!frame || frame->type == FRAME_ABSENT || frame->type == FRAME_FREE ||
	    (frame->flags & FRAME_RESERVED))
		return -E_INVAL;
	frame_free_record(pool, frame);
	return 0;
}

u64 frame_count(const struct frame_pool *pool, enum frame_type type)
{
	return type < FRAME_TYPES ? pool->count[type] : 0;
}

const char *frame_type_name(enum frame_type type)
{
	static const char *const names[FRAME_TYPES] = {
		[FRAME_ABSENT] = "absent", [FRAME_FREE] = "free", [FRAME_KERNEL] = "kernel",
		[FRAME_PAGETABLE] = "page-table", [FRAME_USER] = "user", [FRAME_ENV] = "env",
	};
	return type < FRAME_TYPES ? names[type] : "?";
}
