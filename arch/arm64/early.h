/* State handed from the MMU-off boot code to the rest of the kernel. */
#ifndef ARCH_ARM64_EARLY_H
#define ARCH_ARM64_EARLY_H

#include "arch/arm64/layout.h"
#include "exo/types.h"

extern u8 boot_pt_pool[BOOT_PT_POOL_PAGES][PAGE_SIZE];
extern u32 boot_pt_pool_used;
extern u64 boot_kernel_root; /* PA of the TTBR1 level-0 table */
extern u64 boot_idmap_root;  /* PA of the boot identity map */
extern u64 boot_dtb_va;      /* the device tree in its window, or 0 */

/* Runs with the MMU off; 0 or a negative error. */
int early_map(u64 dtb_pa);

#endif
