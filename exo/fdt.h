/*
 * A flattened device tree (DTB) reader.  fdt_open() checks the whole blob
 * once (header, every token, nesting, string offsets) so that a corrupt tree
 * is rejected with a reason instead of being half-read later.  Nothing here
 * touches hardware, so it is unit-tested on the host.
 */
#ifndef EXO_FDT_H
#define EXO_FDT_H

#include "exo/types.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_MAX_DEPTH 16
/* Larger blobs are refused; it also keeps every offset sum far from 2^32. */
#define FDT_MAX_SIZE (64u << 20)

struct fdt {
	const u8 *blob;
	u32 size;
	u32 struct_off, struct_size;
	u32 strings_off, strings_size;
	u32 rsvmap_off;
	const char *why; /* why fdt_open failed, for the console */
};

/*
 * A node, with the #address-cells/#size-cells its "reg" is encoded with.
 * It is also the iteration cursor: the cell stacks (what each depth's
 * children use) let fdt_next_node continue from here in linear time.
 */
struct fdt_node {
	u32 off; /* offset of the node's FDT_BEGIN_NODE token in the blob */
	u32 depth;
	const char *name;
	u32 addr_cells, size_cells;
	u32 addr_stack[FDT_MAX_DEPTH + 1], size_stack[FDT_MAX_DEPTH + 1];
};

u32 fdt_be32(const void *ptr);
u64 fdt_be64(const void *ptr);

/* Read the header's size without trusting the rest (0 if not a DTB). */
u32 fdt_peek_size(const void *blob);

/* Check the blob (at most max_size bytes readable); 0 or -E_CORRUPT. */
int fdt_open(struct fdt *fdt, const void *blob, u64 max_size);

/* Node iteration in document order: start with node->off = 0. */
bool fdt_next_node(const struct fdt *fdt, struct fdt_node *node);

/* "/" or "/name" (unit address optional: "/memory" finds "memory@0"). */
int fdt_find_path(const struct fdt *fdt, const char *path, struct fdt_node *node);
/* The first node (after *node if node->off != 0) compatible with compat. */
int fdt_find_compatible(const struct fdt *fdt, const char *compat, struct fdt_node *node);

int fdt_get_prop(const struct fdt *fdt, const struct fdt_node *node, const char *name,
                 const void **value, u32 *len);
/* The index-th (address, size) pair of the node's "reg". */
int fdt_get_reg(const struct fdt *fdt, const struct fdt_node *node, u32 index, u64 *addr,
                u64 *size);
/* A property of 1 or 2 cells read as a number (linux,initrd-start etc.). */
int fdt_get_u64(const struct fdt *fdt, const struct fdt_node *node, const char *name,
                u64 *value);
/* The index-th /memreserve/ entry; -E_NOENT after the last. */
int fdt_memreserve(const struct fdt *fdt, u32 index, u64 *addr, u64 *size);

#endif
