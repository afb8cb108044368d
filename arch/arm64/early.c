/*
 * Boot-time tables, built with the MMU off (see ptmap.h for the rules this
 * code lives by).  TTBR1 gets the kernel image at PA + KERNEL_VA_OFFSET with
 * per-section permissions and a read-only window onto the device tree; a
 * separate identity map of the text lets the MMU-enable sequence keep
 * fetching instructions.  The rest of RAM and the devices are mapped later
 * from C (kmap.c) once the device tree has said where they are.
 */
#include "arch/arm64/early.h"
#include "arch/arm64/layout.h"
#include "arch/arm64/ptmap.h"

__attribute__((section(".bss.pgtables"), aligned(4096))) u8 boot_pt_pool[BOOT_PT_POOL_PAGES][PAGE_SIZE];
u32 boot_pt_pool_used;
u64 boot_kernel_root;
u64 boot_idmap_root;
u64 boot_dtb_va;

static u64 take_root(void)
{
	return (u64)(uintptr_t)boot_pt_pool[boot_pt_pool_used++];
}

/* Physical addresses: with the MMU off, adrp yields where we really are. */
static int map_section(struct ptmap *map, char *start, char *end, enum kmap_prot prot)
{
	u64 phys = (u64)(uintptr_t)start;
	return ptmap_map(map, phys + KERNEL_VA_OFFSET, pa(phys), (u64)(uintptr_t)end - phys, prot);
}

/*
 * One call per section, not a table of them: a table of addresses would be
 * initialised data holding absolute (virtual) addresses, unusable here.
 * The page between data and the stack stays unmapped as a guard.
 */
static int map_kernel_image(struct ptmap *map)
{
	int err = map_section(map, _head, _etext, KMAP_TEXT);
	if (!err)
		err = map_section(map, _etext, _erodata, KMAP_RODATA);
	if (!err)
		err = map_section(map, _erodata, __stack_guard, KMAP_DATA);
	if (!err)
		err = map_section(map, __stack_bottom, _end, KMAP_DATA);
	return err;
}

/* The DTB may be up to 2 MiB anywhere 8-aligned: a 4 MiB window covers it. */
static int map_dtb(struct ptmap *map, u64 dtb_pa)
{
	boot_dtb_va = 0;
	if (dtb_pa == 0 || dtb_pa % 8 != 0 || dtb_pa >= (1ull << VA_BITS) - DTB_WINDOW_SIZE)
		return 0; /* kmain reports it, once there is a console */
	u64 base = ALIGN_DOWN(dtb_pa, BLOCK_2M);
	int err = ptmap_map(map, DTB_WINDOW_VA, pa(base), DTB_WINDOW_SIZE, KMAP_RODATA);
	if (!err)
		boot_dtb_va = DTB_WINDOW_VA + (dtb_pa - base);
	return err;
}

int early_map(u64 dtb_pa)
{
	struct ptmap kernel = { pa(take_root()), 0, pa((u64)(uintptr_t)boot_pt_pool),
		                BOOT_PT_POOL_PAGES, &boot_pt_pool_used };
	struct ptmap idmap = kernel;
	idmap.root = pa(take_root());
	u64 text = (u64)(uintptr_t)_head;
	int err = map_kernel_image(&kernel);
	if (!err)
		err = ptmap_map(&idmap, text, pa(text), (u64)(uintptr_t)_etext - text, KMAP_TEXT);
	if (!err)
		err = map_dtb(&kernel, dtb_pa);
	boot_kernel_root = kernel.root.val;
	boot_idmap_root = idmap.root.val;
	return err;
}
