/*
 * Descriptor encoding/decoding and the kernel table builder, run on the
 * host: "physical" addresses are host pointers (table_va_offset 0).
 */
#include "arch/arm64/ptmap.h"
#include "exo/errno.h"
#include "tests/host/check.h"
#include <stdlib.h>
#include <string.h>

#define POOL_PAGES 16

static u8 *pool_mem;
static u32 pool_used;

static struct ptmap fresh_map(u32 pages)
{
	free(pool_mem);
	pool_mem = aligned_alloc(PAGE_SIZE, POOL_PAGES * PAGE_SIZE);
	memset(pool_mem, 0, POOL_PAGES * PAGE_SIZE);
	pool_used = 1; /* page 0 is the root */
	return (struct ptmap){ pa((u64)(uintptr_t)pool_mem), 0, pa((u64)(uintptr_t)pool_mem), pages,
		               &pool_used };
}

static void descriptor_bits(void)
{
	/* Bit positions fixed by the architecture (ARM ARM D8.3). */
	EXPECT(PTE_AF == 1u << 10 && PTE_AP_RO == 1u << 7 && PTE_AP_EL0 == 1u << 6);
	EXPECT(PTE_PXN == 1ull << 53 && PTE_UXN == 1ull << 54 && PTE_NG == 1u << 11);
	u64 table = pte_make_table(pa(0x40123000));
	EXPECT(table == 0x40123003);
	EXPECT(pte_is_table(0, table) && pte_is_table(2, table) && !pte_is_table(3, table));
	EXPECT(pte_addr(table).val == 0x40123000);
	/* The same bits are a page at level 3: descriptors are level-dependent. */
	EXPECT(pte_is_leaf(3, table) && !pte_is_leaf(2, table));
	u64 block = pte_make_leaf(2, pa(0x40200000), pte_kernel_attrs(KMAP_DATA));
	EXPECT((block & 3) == 1 && pte_is_leaf(2, block) && pte_is_leaf(1, block));
	EXPECT(!pte_is_leaf(0, block)); /* no blocks at level 0 */
	EXPECT(!pte_is_leaf(3, block)); /* bit 1 clear is reserved at level 3 */
	EXPECT(pte_addr(pte_make_leaf(3, pa(0xfffffffff000), 0)).val == 0xfffffffff000);
	/* Output bits beyond 48 and below 12 never leak into the descriptor. */
	EXPECT(pte_addr(pte_make_leaf(3, pa(0xffff000040001fff), 0)).val == 0x40001000);
	EXPECT(pt_index(0, 0xffff000040080000) == 0 && pt_index(1, 0xffff000040080000) == 1);
	EXPECT(pt_index(2, 0xffff000040080000) == 0 && pt_index(3, 0xffff000040080000) == 0x80);
	EXPECT(pt_index(0, 0xffffff0000000000) == 510);
}

static void kernel_attributes(void)
{
	u64 text = pte_kernel_attrs(KMAP_TEXT), rodata = pte_kernel_attrs(KMAP_RODATA);
	u64 data = pte_kernel_attrs(KMAP_DATA), device = pte_kernel_attrs(KMAP_DEVICE);
	u64 all[] = { text, rodata, data, device };
	for (int i = 0; i < 4; i++) {
		EXPECT(all[i] & PTE_UXN);        /* nothing kernel runs at EL0 */
		EXPECT(!(all[i] & PTE_AP_EL0));  /* nothing kernel is seen by EL0 */
		EXPECT(all[i] & PTE_AF);
		EXPECT(!(all[i] & PTE_NG));      /* global: shared by every ASID */
	}
	EXPECT(!(text & PTE_PXN) && (text & PTE_AP_RO));
	EXPECT((rodata & PTE_PXN) && (rodata & PTE_AP_RO));
	EXPECT((data & PTE_PXN) && !(data & PTE_AP_RO));
	EXPECT((device & PTE_PXN) && pte_attr_index(device) == MAIR_DEVICE_nGnRE);
	EXPECT(pte_attr_index(data) == MAIR_NORMAL);
}

static void maps_blocks_and_pages(void)
{
	struct ptmap map = fresh_map(POOL_PAGES);
	u64 va = 0xffff000040000000, pte;
	unsigned level;
	/* 4 MiB at a 2 MiB boundary: two blocks; then 8 KiB: two pages. */
	EXPECT(ptmap_map(&map, va, pa(0x40000000), 4 << 20, KMAP_DATA) == 0);
	EXPECT(ptmap_map(&map, va + (6 << 20), pa(0x40600000), 0x2000, KMAP_TEXT) == 0);
	EXPECT(ptmap_lookup(&map, va + 0x12345, &pte, &level) && level == 2);
	EXPECT(pte_addr(pte).val == 0x40000000);
	EXPECT(ptmap_lookup(&map, va + (6 << 20) + 0x1000, &pte, &level) && level == 3);
	EXPECT(pte_addr(pte).val == 0x40601000 && !(pte & PTE_PXN));
	EXPECT(!ptmap_lookup(&map, va + (6 << 20) + 0x2000, &pte, &level));
	EXPECT(!ptmap_lookup(&map, va + (5 << 20), &pte, &level));
	/* root + L1 + L2 + one L3 */
	EXPECT(pool_used == 4);
}

static void refuses_overlap_and_misuse(void)
{
	struct ptmap map = fresh_map(POOL_PAGES);
	u64 va = 0xffff000040000000;
	EXPECT(ptmap_map(&map, va, pa(0x40000000), 2 << 20, KMAP_DATA) == 0);
	EXPECT(ptmap_map(&map, va + 0x1000, pa(0x1000), 0x1000, KMAP_DATA) == -E_EXIST);
	EXPECT(ptmap_map(&map, va, pa(0x40000000), 0x1000, KMAP_DATA) == -E_EXIST);
	EXPECT(ptmap_map(&map, va + 0x800, pa(0), 0x1000, KMAP_DATA) == -E_INVAL);
	EXPECT(ptmap_map(&map, va, pa(0x10), 0x1000, KMAP_DATA) == -E_INVAL);
	EXPECT(ptmap_map(&map, va, pa(0), 0x10, KMAP_DATA) == -E_INVAL);
	EXPECT(ptmap_map(&map, va, pa(0xfffffffff000), 0x2000, KMAP_DATA) == -E_INVAL);
}

static void runs_out_of_pool(void)
{
	struct ptmap map = fresh_map(3); /* root + 2: not enough for an L3 */
	EXPECT(ptmap_map(&map, 0xffff000040000000, pa(0), 0x1000, KMAP_DATA) == -E_NOMEM);
	EXPECT(pool_used == 3);
}

int main(void)
{
	RUN("pte", descriptor_bits);
	RUN("pte", kernel_attributes);
	RUN("pte", maps_blocks_and_pages);
	RUN("pte", refuses_overlap_and_misuse);
	RUN("pte", runs_out_of_pool);
	free(pool_mem);
	return check_failures != 0;
}
