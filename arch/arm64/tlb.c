/* TLB maintenance instructions for user (TTBR0) translations; exo/tlb.c decides which. */
#include "arch/arm64/sysreg.h"
#include "exo/tlb.h"

void arch_tlb_begin(void) { dsb_ishst(); }

void arch_tlb_flush_va(u16 asid, u64 va)
{
	u64 operand = (u64)asid << TTBR_ASID_SHIFT | (va >> 12 & ((1ull << 44) - 1));
	__asm__ volatile("tlbi vae1is, %0" ::"r"(operand) : "memory");
}

void arch_tlb_flush_va_all_asids(u64 va)
{
	__asm__ volatile("tlbi vaae1is, %0" ::"r"(va >> 12 & ((1ull << 44) - 1)) : "memory");
}

void arch_tlb_flush_asid(u16 asid)
{
	__asm__ volatile("tlbi aside1is, %0" ::"r"((u64)asid << TTBR_ASID_SHIFT) : "memory");
}

void arch_tlb_flush_all(void) { __asm__ volatile("tlbi vmalle1is" ::: "memory"); }

void arch_tlb_end(void) { __asm__ volatile("dsb ish\n isb" ::: "memory"); }

/* 16 if ID_AA64MMFR0_EL1.ASIDBits says so (head.S then set TCR_EL1.AS), else 8. */
u32 arch_asid_bits(void) { return (read_sysreg(id_aa64mmfr0_el1) >> 4 & 0xf) == 2 ? 16 : 8; }
