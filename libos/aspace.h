/*
 * Address spaces built with the raw calls: one's own (walked through the
 * kernel's read-only window onto its tables, no trap) or a child's (its
 * tables remembered here, since they are not in our window).  Freestanding:
 * used by libos and by the test runtime.
 */
#ifndef LIBOS_ASPACE_H
#define LIBOS_ASPACE_H

#include "libos/exo_call.h"
#include "exo/types.h"

struct aspace {
	u64 env, root;
	bool self; /* the running one: read through the window */
	u32 ntables;
	struct as_table_entry {
		u64 key, table;
	} tables[32];
};
/*
 * Set by a user of this library whose last-level tables may be shared
 * read-only with another address space (libos's on-demand fork): called
 * with an address before any change to the running space's table for it,
 * to make that table private first.  0, or a negative error.
 */
extern int (*as_before_change)(u64 va);

/* Our own address space: env and root as the kernel gave them. */
void as_self_of(struct aspace *as, u64 env, u64 root);
/* The running program's own (each user of this library defines it). */
void as_self(struct aspace *as);
int as_new(struct aspace *as, u64 env);
/* The level-`level` table covering va, created if create; negative if none/failed. */
i64 as_table(struct aspace *as, u32 level, u64 va, bool create);
int as_map(struct aspace *as, u64 va, u64 frame, u64 attrs);
/* A fresh zeroed frame of as's environment mapped at va (which must be empty), in one call. */
int as_map_new(struct aspace *as, u64 va, u64 attrs);
int as_unmap(struct aspace *as, u64 va);
/* The page descriptor for va in the running address space (through the window), 0 if none. */
u64 as_lookup_self(u64 va);
/* Our entry of the level-`level` table for va (0: that table or one above is missing). */
u64 as_lookup_level_self(u32 level, u64 va);
/*
 * For each last-level table of the running address space that the
 * page-aligned [start, end) reaches: visit(table, first, last, entries, arg)
 * with the table's physical address and its entries (read-only, through the
 * window), of which [first, last) lie in the range.  Missing upper-level
 * tables are skipped whole, so the cost follows the tables present, not the
 * length.  Stops at, and returns, the first non-zero visit result.
 */
typedef int (*as_leaf_visit)(u64 table, u32 first, u32 last, const u64 *entries, void *arg);
int as_each_leaf_table_self(u64 start, u64 end, as_leaf_visit visit, void *arg);

#define PAGE_RW (EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_UXN)
#define PAGE_RO (EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_UXN | EXO_PTE_RO)
#define PAGE_RX (EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_RO)
/* A fresh frame of env's own mapped read-write at va in its address space; 0 on failure. */
u64 as_map_fresh(struct aspace *as, u64 va);

#endif
