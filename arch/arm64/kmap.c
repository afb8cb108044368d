/*
 * The kernel's half after early boot: all RAM at PA + KERNEL_VA_OFFSET and
 * the device pages the drivers ask for.  Only invalid entries are filled in,
 * and the TLB never caches an invalid entry, so a barrier suffices: no TLB
 * invalidation, no break-before-make.
 */
#include "arch/arm64/kmap.h"
#include "arch/arm64/early.h"
#include "arch/arm64/ptmap.h"
#include "arch/arm64/sysreg.h"
#include "exo/errno.h"

static struct ptmap kernel_tables(void)
{
	return (struct ptmap){ pa(boot_kernel_root), KERNEL_VA_OFFSET, virt_to_phys(boot_pt_pool),
		               BOOT_PT_POOL_PAGES, &boot_pt_pool_used };
}

static int kmap(u64 base, u64 size, enum kmap_prot prot)
{
	struct ptmap map = kernel_tables();
	int err = ptmap_map(&map, base + KERNEL_VA_OFFSET, pa(base), size, prot);
	dsb_ishst();
	isb();
	return err;
}

volatile void *kmap_device(u64 base, u64 size)
{
	u64 start = ALIGN_DOWN(base, PAGE_SIZE);
	u64 end = ALIGN_UP(base + size, PAGE_SIZE);
	if (kmap(start, end - start, KMAP_DEVICE) < 0)
		return NULL;
	return (volatile void *)(uintptr_t)(base + KERNEL_VA_OFFSET);
}

int kmap_ram(const struct memmap *map)
{
	u64 image_start = virt_to_phys(_head).val, image_end = virt_to_phys(_end).val;
	for (u32 i = 0; i < map->nram; i++) {
		struct range ram = map->ram[i];
		u64 below_end = MIN(ram.end, image_start), above_start = MAX(ram.start, image_end);
		int err = 0;
		if (ram.start < below_end)
			err = kmap(ram.start, below_end - ram.start, KMAP_DATA);
		if (!err && above_start < ram.end)
			err = kmap(above_start, ram.end - above_start, KMAP_DATA);
		if (err)
			return err;
	}
	return 0;
}
