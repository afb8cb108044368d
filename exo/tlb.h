/*
 * TLB maintenance for user page-table changes, batched per call: changes
 * are noted while a call applies them, and tlb_commit issues the fewest
 * invalidations that are still correct (by ASID and address where the
 * table's place is known, by ASID, or everything).  ASIDs belong to
 * level-0 tables and are handed out by generation, so a context switch
 * never flushes and a reused ASID never finds stale entries.
 */
#ifndef EXO_TLB_H
#define EXO_TLB_H

#include "exo/frame.h"

void tlb_init(u32 asid_bits);
/* The ASID of a level-0 table, assigned (maybe starting a new generation) if stale. */
u16 tlb_asid_for(struct frame *root);
/* The root's ASID if it has one in this generation, else 0. */
u16 tlb_current_asid(const struct frame *root);

/* A valid page entry of table changed or went away. */
void tlb_note_page(const struct frame *table, u32 index);
/* A valid table entry changed or went away: everything under it. */
void tlb_note_table(const struct frame *table, u32 index);
/* Issue the noted invalidations and wait for them. */
void tlb_commit(void);

struct tlb_stats {
	u64 by_va, by_va_all, by_asid, all, generation;
};
extern struct tlb_stats tlb_stats;

/* arch/arm64/tlb.c */
void arch_tlb_begin(void); /* table writes visible to the walker */
void arch_tlb_flush_va(u16 asid, u64 va);
void arch_tlb_flush_va_all_asids(u64 va);
void arch_tlb_flush_asid(u16 asid);
void arch_tlb_flush_all(void);
void arch_tlb_end(void); /* wait for completion */
u32 arch_asid_bits(void);

#endif
