/*
 * A file's bytes (file.c): in the boot archive until something writes the
 * file, then in pool pages (tree.h) found through the node's block map:
 * two direct pages, one indirect page of 1,024 page numbers and one double
 * indirect.  A page never written is a hole and reads as zeros.  Under the
 * tree lock.
 */
#ifndef LIBOS_FILE_H
#define LIBOS_FILE_H

#include "libos/tree.h"

#define FILE_MAX_BYTES ((2ull + 1024 + 1024 * 1024) * 4096)

i64 file_read(struct node *node, u64 offset, void *buf, u64 len);
/* Bytes written (fewer if the pool ran out part way), or -ENOSPC, -EFBIG. */
i64 file_write(struct node *node, u64 offset, const void *buf, u64 len);
int file_truncate(struct node *node, u64 size); /* 0, -ENOSPC, -EFBIG */
int file_own_bytes(struct node *node); /* an archive file's bytes copied into the pool: 0 or -ENOSPC */
void file_drop_pages(struct node *node);
const u8 *file_link_target(const struct node *link); /* a link's target, link->size bytes */
/* The pool page holding the file's page `index`, made if a hole (the archive's bytes copied first); 0 if none. */
u32 file_page_at(struct node *node, u64 index);
/* The file's bytes as one run, if they are (the archive's): exec reads programs from there. */
const u8 *file_contiguous(const struct node *node);
const u8 *file_view(struct node *node); /* any file's bytes as one run, mapped read-only (exec) */

#endif
