/* What the kernel learns from the device tree: RAM, reservations, cmdline, initrd. */
#ifndef EXO_BOOTINFO_H
#define EXO_BOOTINFO_H

#include "exo/fdt.h"
#include "exo/memmap.h"

#define CMDLINE_MAX 512

struct boot_info {
	struct memmap mem;
	char cmdline[CMDLINE_MAX];
	u64 initrd_start, initrd_end; /* both 0 when there is none */
	u64 dtb_pa, dtb_size;
	u64 seed; /* /chosen rng-seed (or kaslr-seed) folded to 64 bits, 0 if none: a secret for hashing */
};

/*
 * Fill info from fdt: RAM from every device_type = "memory" node, the
 * device tree itself, the initrd and every /memreserve/ entry reserved.
 * On error returns -E_* and sets *why.
 */
int bootinfo_read(const struct fdt *fdt, u64 dtb_pa, struct boot_info *info, const char **why);

#endif
