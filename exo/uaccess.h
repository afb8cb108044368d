/*
 * The one way the kernel touches user memory: through the current
 * environment's tables, with EL0's permissions (arch/arm64/uaccess.c asks
 * the MMU), copying to or from kernel buffers.  A user address is a u64,
 * never a C pointer.
 */
#ifndef EXO_UACCESS_H
#define EXO_UACCESS_H

#include "exo/types.h"

/* 0, or -E_FAULT if any byte is not readable (writable) by the current environment at EL0. */
int copy_from_user(void *dst, u64 uva, u64 len);
int copy_to_user(u64 uva, const void *src, u64 len);
int user_check_write(u64 uva, u64 len);
/*
 * The kernel address of [uva, uva+len) if it lies in one page the current
 * environment may read (write), else NULL: for small records on hot paths.
 */
void *user_page_ptr(u64 uva, u64 len, bool write);

#endif
