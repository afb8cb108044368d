/*
 * User page-table descriptors: the format half of the kernel's checks.
 * desc_decode says whether a 64-bit value written by user space is a
 * well-formed descriptor for a level and what it refers to; exo/pt.c then
 * checks the frame it names.  Pure functions, host-tested and fuzzed
 * (tests/host/test_desc.c, tests/fuzz/fuzz_desc.c).
 */
#ifndef ARCH_ARM64_DESC_H
#define ARCH_ARM64_DESC_H

#include "arch/arm64/pte.h"
#include "exo/desc.h"

/*
 * The low attribute bits of every stored table descriptor.  The hardware
 * ignores bits 11:2 of a table descriptor, but through the recursive window
 * slot a table descriptor is read as a page descriptor: these make that
 * page normal memory, EL0 read-only, accessed and non-global.
 */
#define DESC_TABLE_WINDOW_BITS (PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_AP_RO | PTE_SH_INNER | \
                                (u64)MAIR_NORMAL << PTE_ATTR_INDEX_SHIFT)
#define DESC_TABLE_LOW_MASK 0xffcull /* bits 11:2 */

#endif
