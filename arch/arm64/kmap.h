/* Adding to the kernel's TTBR1 tables after boot (RAM and devices). */
#ifndef ARCH_ARM64_KMAP_H
#define ARCH_ARM64_KMAP_H

#include "exo/memmap.h"

/* Map size bytes of device registers at base; returns their address, or NULL. */
volatile void *kmap_device(u64 base, u64 size);
/* Map every RAM range at PA + KERNEL_VA_OFFSET (the image is already mapped). */
int kmap_ram(const struct memmap *map);

#endif
