/* System register values and accessors (C and assembly). */
#ifndef ARCH_ARM64_SYSREG_H
#define ARCH_ARM64_SYSREG_H

/* SCTLR_EL1 bits that are RES1 on ARMv8.0 (11, 20, 22, 23, 28, 29). */
#define SCTLR_RES1 ((1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | (1 << 29))
#define SCTLR_M (1 << 0)   /* MMU on */
#define SCTLR_C (1 << 2)   /* data cache */
#define SCTLR_SA (1 << 3)  /* SP alignment check at EL1 */
#define SCTLR_SA0 (1 << 4) /* SP alignment check at EL0 */
#define SCTLR_I (1 << 12)  /* instruction cache */
#define SCTLR_DZE (1 << 14)  /* EL0 may use DC ZVA */
#define SCTLR_UCT (1 << 15)  /* EL0 may read CTR_EL0 */
#define SCTLR_NTWE (1 << 18) /* EL0 WFE not trapped */
#define SCTLR_WXN (1 << 19)  /* writable implies execute-never */
#define SCTLR_UCI (1 << 26)  /* EL0 cache maintenance by VA */
#define SCTLR_MMU_OFF SCTLR_RES1
#define SCTLR_MMU_ON (SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_SA0 | SCTLR_I | \
                      SCTLR_DZE | SCTLR_UCT | SCTLR_NTWE | SCTLR_WXN | SCTLR_UCI)

/*
 * TCR_EL1: 48-bit VAs in both halves (T0SZ = T1SZ = 16), 4 KiB granules,
 * write-back inner-shareable walks, 16-bit ASIDs taken from TTBR0 (AS is
 * set only if the CPU has them; IPS is filled in from ID_AA64MMFR0_EL1).
 */
#define TCR_T0SZ 16
#define TCR_T1SZ (16 << 16)
#define TCR_WALK0 ((1 << 8) | (1 << 10) | (3 << 12))  /* IRGN0, ORGN0, SH0 */
#define TCR_WALK1 ((1 << 24) | (1 << 26) | (3 << 28)) /* IRGN1, ORGN1, SH1 */
#define TCR_TG1_4K (2 << 30)
#define TCR_IPS_SHIFT 32
#define TCR_AS_BIT 36
#define TCR_VALUE (TCR_T0SZ | TCR_T1SZ | TCR_WALK0 | TCR_WALK1 | TCR_TG1_4K)

#define HCR_EL2_RW (1 << 31)
#define SPSR_EL1H_MASKED 0x3c5 /* EL1h, D, A, I, F masked */
#define CPTR_EL2_RES1 0x33ff

#define TTBR_ASID_SHIFT 48

#ifndef __ASSEMBLER__
#include "exo/types.h"

#define read_sysreg(reg)                                              \
	({                                                            \
		u64 value_;                                           \
		__asm__ volatile("mrs %0, " #reg : "=r"(value_));     \
		value_;                                               \
	})
#define write_sysreg(reg, value) __asm__ volatile("msr " #reg ", %0" ::"r"((u64)(value)) : "memory")

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

/* Every non-global TLB entry of every ASID, and every global one. */
static inline void tlb_flush_all(void)
{
	__asm__ volatile("dsb ishst\n tlbi vmalle1is\n dsb ish\n isb" ::: "memory");
}
#endif

#endif
