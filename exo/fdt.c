/* Flattened device tree reader: validate once, then read with bounds checks. */
#include "exo/fdt.h"
#include "exo/errno.h"
#include "exo/string.h"

enum {
	TOK_BEGIN_NODE = 1,
	TOK_END_NODE = 2,
	TOK_PROP = 3,
	TOK_NOP = 4,
	TOK_END = 9,
};

#define HEADER_SIZE 40u

u32 fdt_be32(const void *ptr)
{
	const u8 *byte = ptr;
	return (u32)byte[0] << 24 | (u32)byte[1] << 16 | (u32)byte[2] << 8 | byte[3];
}

u64 fdt_be64(const void *ptr)
{
	const u8 *byte = ptr;
	return (u64)fdt_be32(byte) << 32 | fdt_be32(byte + 4);
}

static u32 header_field(const void *blob, u32 index) { return fdt_be32((const u8 *)blob + 4 * index); }

u32 fdt_peek_size(const void *blob)
{
	if (header_field(blob, 0) != FDT_MAGIC)
		return 0;
	return header_field(blob, 1);
}

static u32 align4(u32 off) { return (off + 3) & ~3u; }

/* A string of the blob starting at off and ending before limit, or NULL. */
static const char *string_at(const struct fdt *fdt, u32 off, u32 limit)
{
	for (u32 end = off; end < limit; end++)
		if (fdt->blob[end] == '\0')
			return (const char *)fdt->blob + off;
	return NULL;
}

static int fail(struct fdt *fdt, const char *why)
{
	fdt->why = why;
	return -E_CORRUPT;
}

/* One token at *off inside the structure block; advances *off past it. */
static int read_token(const struct fdt *fdt, u32 *off, u32 *token, const char **name,
                      const void **value, u32 *len)
{
	u32 end = fdt->struct_off + fdt->struct_size;
	if (*off + 4 > end)
		return -E_CORRUPT;
	*token = fdt_be32(fdt->blob + *off);
	*off += 4;
	if (*token == TOK_BEGIN_NODE) {
		*name = string_at(fdt, *off, end);
		if (!*name)
			return -E_CORRUPT;
		*off = align4(*off + (u32)strlen(*name) + 1);
	} else if (*token == TOK_PROP) {
		if (*off + 8 > end)
			return -E_CORRUPT;
		*len = fdt_be32(fdt->blob + *off);
		u32 name_off = fdt_be32(fdt->blob + *off + 4);
		*off += 8;
		if (*len > end - *off || name_off >= fdt->strings_size)
			return -E_CORRUPT;
		*name = string_at(fdt, fdt->strings_off + name_off,
		                  fdt->strings_off + fdt->strings_size);
		if (!*name)
			return -E_CORRUPT;
		*value = fdt->blob + *off;
		*off = align4(*off + *len);
	} else if (*token != TOK_END_NODE && *token != TOK_NOP && *token != TOK_END) {
		return -E_CORRUPT;
	}
	return *off <= end ? 0 : -E_CORRUPT;
}

static int check_header(struct fdt *fdt, const void *blob, u64 max_size)
{
	if (max_size < HEADER_SIZE)
		return fail(fdt, "blob smaller than a header");
	if (header_field(blob, 0) != FDT_MAGIC)
		return fail(fdt, "bad magic (not a device tree blob)");
	u32 size = header_field(blob, 1);
	if (size < HEADER_SIZE || size > max_size || size > FDT_MAX_SIZE)
		return fail(fdt, "totalsize out of range");
	if (header_field(blob, 5) < 16 || header_field(blob, 6) > 17)
		return fail(fdt, "unsupported version");
	fdt->blob = blob;
	fdt->size = size;
	fdt->struct_off = header_field(blob, 2);
	fdt->strings_off = header_field(blob, 3);
	fdt->rsvmap_off = header_field(blob, 4);
	fdt->strings_size = header_field(blob, 8);
	fdt->struct_size = header_field(blob, 9);
	if (fdt->struct_off > size || fdt->struct_size > size - fdt->struct_off ||
	    fdt->struct_off % 4 != 0 || fdt->struct_size % 4 != 0)
		return fail(fdt, "structure block outside the blob");
	if (fdt->strings_off > size || fdt->strings_size > size - fdt->strings_off)
		return fail(fdt, "strings block outside the blob");
	if (fdt->rsvmap_off % 8 != 0 || fdt->rsvmap_off < HEADER_SIZE || fdt->rsvmap_off > size - 16)
		return fail(fdt, "memory reservation map outside the blob");
	return 0;
}

/* Every token well formed, nodes balanced, one root, FDT_END last. */
static int check_structure(struct fdt *fdt)
{
	u32 off = fdt->struct_off, depth = 0, roots = 0;
	for (;;) {
		u32 token, len;
		const char *name;
		const void *value;
		if (read_token(fdt, &off, &token, &name, &value, &len) < 0)
			return fail(fdt, "malformed token in structure block");
		if (token == TOK_BEGIN_NODE) {
			if (depth == 0 && roots++ > 0)
				return fail(fdt, "more than one root node");
			if (++depth > FDT_MAX_DEPTH)
				return fail(fdt, "nodes nested too deeply");
		} else if (token == TOK_END_NODE) {
			if (depth-- == 0)
				return fail(fdt, "unbalanced end of node");
		} else if (token == TOK_PROP) {
			if (depth == 0)
				return fail(fdt, "property outside any node");
		} else if (token == TOK_END) {
			if (depth != 0 || roots != 1)
				return fail(fdt, "structure block ends inside a node");
			return 0;
		}
	}
}

static int check_memreserve(struct fdt *fdt)
{
	for (u32 off = fdt->rsvmap_off; off + 16 <= fdt->size; off += 16)
		if (fdt_be64(fdt->blob + off) == 0 && fdt_be64(fdt->blob + off + 8) == 0)
			return 0;
	return fail(fdt, "memory reservation map not terminated");
}

int fdt_open(struct fdt *fdt, const void *blob, u64 max_size)
{
	memset(fdt, 0, sizeof(*fdt));
	int err = check_header(fdt, blob, max_size);
	if (!err)
		err = check_structure(fdt);
	if (!err)
		err = check_memreserve(fdt);
	return err;
}

/*
 * The cells a node's children use: its own #address-cells/#size-cells, or
 * the defaults of the specification (2 and 1).
 */
static void child_cells(const struct fdt *fdt, const struct fdt_node *node, u32 *addr, u32 *size)
{
	const void *value;
	u32 len;
	*addr = 2;
	*size = 1;
	if (fdt_get_prop(fdt, node, "#address-cells", &value, &len) == 0 && len == 4)
		*addr = fdt_be32(value);
	if (fdt_get_prop(fdt, node, "#size-cells", &value, &len) == 0 && len == 4)
		*size = fdt_be32(value);
}

/*
 * Advance to the next node in document order.  Stepping into the current
 * node records the cells its children use; leaving nodes pops the depth.
 */
bool fdt_next_node(const struct fdt *fdt, struct fdt_node *node)
{
	u32 off, depth, token, len;
	const char *name;
	const void *value;
	if (node->off == 0) {
		off = fdt->struct_off;
		depth = 0;
		node->addr_stack[0] = 2; /* the specification's defaults */
		node->size_stack[0] = 1;
	} else {
		off = node->off;
		depth = node->depth + 1;
		if (read_token(fdt, &off, &token, &name, &value, &len) < 0 || depth > FDT_MAX_DEPTH)
			return false;
		child_cells(fdt, node, &node->addr_stack[depth], &node->size_stack[depth]);
	}
	for (;;) {
		u32 token_off = off;
		if (read_token(fdt, &off, &token, &name, &value, &len) < 0 || token == TOK_END)
			return false;
		if (token == TOK_END_NODE) {
			if (depth == 0)
				return false;
			depth--;
		} else if (token == TOK_BEGIN_NODE) {
			node->off = token_off;
			node->depth = depth;
			node->name = name;
			node->addr_cells = node->addr_stack[depth];
			node->size_cells = node->size_stack[depth];
			return true;
		}
	}
}

/* "memory@40000000" matches "memory" and "memory@40000000". */
static bool name_matches(const char *node_name, const char *want)
{
	size_t len = strlen(want);
	return strncmp(node_name, want, len) == 0 &&
	       (node_name[len] == '\0' || (node_name[len] == '@' && !strchr(want, '@')));
}

int fdt_find_path(const struct fdt *fdt, const char *path, struct fdt_node *node)
{
	if (path[0] != '/' || strchr(path + 1, '/'))
		return -E_INVAL;
	node->off = 0;
	while (fdt_next_node(fdt, node)) {
		if (path[1] == '\0' && node->depth == 0)
			return 0;
		if (node->depth == 1 && name_matches(node->name, path + 1))
			return 0;
	}
	return -E_NOENT;
}

/* Is want one of the NUL-separated strings in list[0..len)? */
static bool string_list_has(const char *list, u32 len, const char *want)
{
	u32 pos = 0;
	while (pos < len) {
		u32 item_len = (u32)strnlen(list + pos, len - pos);
		if (item_len == strlen(want) && memcmp(list + pos, want, item_len) == 0)
			return true;
		pos += item_len + 1;
	}
	return false;
}

int fdt_find_compatible(const struct fdt *fdt, const char *compat, struct fdt_node *node)
{
	while (fdt_next_node(fdt, node)) {
		const void *value;
		u32 len;
		if (fdt_get_prop(fdt, node, "compatible", &value, &len) == 0 &&
		    string_list_has(value, len, compat))
			return 0;
	}
	return -E_NOENT;
}

int fdt_get_prop(const struct fdt *fdt, const struct fdt_node *node, const char *name,
                 const void **value, u32 *len)
{
	u32 off = node->off, depth = 0;
	for (;;) {
		u32 token;
		const char *prop_name;
		if (read_token(fdt, &off, &token, &prop_name, value, len) < 0 || token == TOK_END)
			return -E_NOENT;
		if (token == TOK_BEGIN_NODE && ++depth > 1)
			return -E_NOENT; /* properties come before subnodes */
		if (token == TOK_END_NODE)
			return -E_NOENT;
		if (token == TOK_PROP && strcmp(prop_name, name) == 0)
			return 0;
	}
}

/* A number of 1 or 2 cells; other widths do not fit in 64 bits. */
static int read_cells(const u8 *cells, u32 count, u64 *value)
{
	if (count == 1)
		*value = fdt_be32(cells);
	else if (count == 2)
		*value = fdt_be64(cells);
	else if (count == 0)
		*value = 0;
	else
		return -E_CORRUPT;
	return 0;
}

int fdt_get_reg(const struct fdt *fdt, const struct fdt_node *node, u32 index, u64 *addr,
                u64 *size)
{
	const void *value;
	u32 len;
	if (fdt_get_prop(fdt, node, "reg", &value, &len) < 0)
		return -E_NOENT;
	u32 entry_bytes = 4 * (node->addr_cells + node->size_cells);
	if (entry_bytes == 0 || node->addr_cells > 2 || node->size_cells > 2)
		return -E_CORRUPT;
	if (index >= len / entry_bytes)
		return -E_NOENT;
	const u8 *entry = (const u8 *)value + index * entry_bytes;
	if (read_cells(entry, node->addr_cells, addr) < 0)
		return -E_CORRUPT;
	return read_cells(entry + 4 * node->addr_cells, node->size_cells, size);
}

int fdt_get_u64(const struct fdt *fdt, const struct fdt_node *node, const char *name, u64 *value)
{
	const void *prop;
	u32 len;
	if (fdt_get_prop(fdt, node, name, &prop, &len) < 0)
		return -E_NOENT;
	if (len != 4 && len != 8)
		return -E_CORRUPT;
	return read_cells(prop, len / 4, value);
}

int fdt_memreserve(const struct fdt *fdt, u32 index, u64 *addr, u64 *size)
{
	u32 off = fdt->rsvmap_off + 16 * index;
	if (off + 16 > fdt->size)
		return -E_NOENT;
	*addr = fdt_be64(fdt->blob + off);
	*size = fdt_be64(fdt->blob + off + 8);
	return (*addr == 0 && *size == 0) ? -E_NOENT : 0;
}
