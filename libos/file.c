/*
 * A file's bytes (file.h).  Page numbers read from a node or an indirect
 * page are checked before use: a spoilt map reads as a hole and writes
 * fail, nothing reaches outside the pool.
 */
#include "libos/file.h"
#include "libos/libos.h"
#include <string.h>

#define PAGE 4096ull
#define PER_PAGE 1024ull /* page numbers an indirect page holds */

/* The page of numbers *ref names, made (zeroed) if make and missing; NULL if none. */
static u32 *numbers(u32 *ref, bool make)
{
	if (!*ref && (!make || !(*ref = tree_page_new())))
		return NULL;
	return (u32 *)tree_page(*ref);
}

/* Where the number of the file's page `index` is kept; NULL if beyond the map or not made. */
static u32 *page_ref(struct node *node, u64 index, bool make)
{
	if (index < 2)
		return &node->block[index];
	index -= 2;
	if (index < PER_PAGE) {
		u32 *single = numbers(&node->block[2], make);
		return single ? &single[index] : NULL;
	}
	index -= PER_PAGE;
	if (index >= PER_PAGE * PER_PAGE)
		return NULL;
	u32 *top = numbers(&node->block[3], make);
	u32 *mid = top ? numbers(&top[index / PER_PAGE], make) : NULL;
	return mid ? &mid[index % PER_PAGE] : NULL;
}

static u8 *page_of(struct node *node, u64 index)
{
	u32 *ref = page_ref(node, index, false);
	return ref && *ref ? tree_page(*ref) : NULL;
}

i64 file_read(struct node *node, u64 offset, void *buf, u64 len)
{
	u64 n = offset < node->size ? MIN(len, node->size - offset) : 0;
	if (node->in_archive) {
		memcpy(buf, archive_data(node) + offset, n);
		return (i64)n;
	}
	for (u64 done = 0; done < n;) {
		u64 at = offset + done, part = MIN(n - done, PAGE - at % PAGE);
		const u8 *page = page_of(node, at / PAGE);
		if (page)
			memcpy((u8 *)buf + done, page + at % PAGE, part);
		else
			memset((u8 *)buf + done, 0, part);
		done += part;
	}
	return (i64)n;
}

i64 file_write(struct node *node, u64 offset, const void *buf, u64 len)
{
	if (node->in_archive && file_own_bytes(node) < 0)
		return -L_ENOSPC;
	if (offset >= FILE_MAX_BYTES || len > FILE_MAX_BYTES - offset)
		return -L_EFBIG;
	u64 done = 0;
	while (done < len) {
		u64 at = offset + done, part = MIN(len - done, PAGE - at % PAGE);
		u32 *ref = page_ref(node, at / PAGE, true);
		if (ref && !*ref)
			*ref = tree_page_new();
		u8 *page = ref && *ref ? tree_page(*ref) : NULL;
		if (!page)
			break;
		memcpy(page + at % PAGE, (const u8 *)buf + done, part);
		done += part;
		node->size = MAX(node->size, at + part);
	}
	if (len)
		tree_touch(node);
	return done || !len ? (i64)done : -L_ENOSPC;
}

/* The numbers page *ref names let go, with what it names (depth 1: data pages; 2: numbers pages). */
static void drop_numbers(u32 *ref, u32 depth, u64 keep)
{
	u32 *entries = *ref ? (u32 *)tree_page(*ref) : NULL;
	if (!entries)
		return;
	u64 per = depth == 1 ? 1 : PER_PAGE;
	for (u64 i = keep / per; i < PER_PAGE; i++) {
		u64 keep_here = keep > i * per ? keep - i * per : 0;
		if (depth == 1)
			tree_page_free(entries[i]), entries[i] = 0;
		else
			drop_numbers(&entries[i], 1, keep_here);
	}
	if (keep == 0)
		tree_page_free(*ref), *ref = 0;
}

/*
 * Pages from `keep` on let go.  A mapped file's are zeroed instead: a
 * MAP_SHARED mapping still maps them, and a freed page would become
 * another file's under it.  They go with the node.
 */
static void drop_from(struct node *node, u64 keep)
{
	if (node->mapped) {
		for (u64 index = keep, pages = (node->size + PAGE - 1) / PAGE; index < pages; index++) {
			u8 *page = page_of(node, index);
			if (page)
				memset(page, 0, PAGE);
		}
		return;
	}
	for (u64 i = keep; i < 2; i++)
		tree_page_free(node->block[i]), node->block[i] = 0;
	drop_numbers(&node->block[2], 1, keep > 2 ? keep - 2 : 0);
	drop_numbers(&node->block[3], 2, keep > 2 + PER_PAGE ? keep - 2 - PER_PAGE : 0);
}

void file_drop_pages(struct node *node)
{
	if (node->in_archive)
		memset(node->block, 0, sizeof(node->block));
	else
		drop_from(node, 0);
	node->in_archive = 0;
	node->size = 0;
}

int file_truncate(struct node *node, u64 size)
{
	if (size > FILE_MAX_BYTES)
		return -L_EFBIG;
	if (node->in_archive && (size == 0 ? (file_drop_pages(node), 0) : file_own_bytes(node)) < 0)
		return -L_ENOSPC;
	if (size < node->size) {
		drop_from(node, (size + PAGE - 1) / PAGE);
		u8 *last = size % PAGE ? page_of(node, size / PAGE) : NULL;
		if (last)
			memset(last + size % PAGE, 0, PAGE - size % PAGE); /* a later growth reads zeros there */
	}
	node->size = size; /* growth is a hole */
	tree_touch(node);
	return 0;
}

int file_own_bytes(struct node *node)
{
	if (!node->in_archive)
		return 0;
	const u8 *data = archive_data(node);
	u64 size = node->size;
	memset(node->block, 0, sizeof(node->block));
	node->in_archive = 0;
	node->size = 0;
	if (file_write(node, 0, data, size) == (i64)size)
		return 0;
	drop_from(node, 0); /* back as it was */
	node->in_archive = 1;
	node->size = size;
	memcpy(&node->block[0], &data, sizeof(data));
	return -L_ENOSPC;
}

const u8 *file_link_target(const struct node *link)
{
	if (link->in_archive)
		return archive_data(link);
	return link->size < PAGE ? page_of((struct node *)link, 0) : NULL;
}

const u8 *file_contiguous(const struct node *node)
{
	return node->in_archive ? archive_data(node) : NULL;
}

u32 file_page_at(struct node *node, u64 index)
{
	if (node->in_archive && file_own_bytes(node) < 0)
		return 0;
	u32 *ref = page_ref(node, index, true);
	if (ref && !*ref)
		*ref = tree_page_new();
	return ref ? *ref : 0;
}

/*
 * The file's pages side by side at TREE_VIEW_VA, read-only (holes made into
 * pages first); what was there before is unmapped.  NULL if the file is
 * larger than the view or memory runs out.
 */
const u8 *file_view(struct node *node)
{
	u64 pages = (node->size + PAGE - 1) / PAGE;
	if (pages > TREE_VIEW_PAGES)
		return NULL;
	for (u64 i = 0; i < TREE_VIEW_PAGES && (as_lookup_self(TREE_VIEW_VA + i * PAGE) & EXO_PTE_VALID); i++)
		as_unmap(&libos.self, TREE_VIEW_VA + i * PAGE);
	for (u64 i = 0; i < pages; i++) {
		u32 page = file_page_at(node, i);
		u64 frame = page ? tree_page_frame(page) : 0;
		if (!frame || as_map(&libos.self, TREE_VIEW_VA + i * PAGE, frame, PAGE_RO | EXO_PTE_SW1) < 0)
			return NULL;
	}
	return (const u8 *)TREE_VIEW_VA;
}
