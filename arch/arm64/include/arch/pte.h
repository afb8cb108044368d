/* arm64's half of the descriptor contract (exo/desc.h). */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include "arch/arm64/pte.h"
#include "exo/abi.h"

/* Bits EXO_PT_COPY may set: each only takes rights away (or is software's). */
#define DESC_SET_PAGE (PTE_AP_RO | PTE_UXN | EXO_PTE_SW_MASK)
#define DESC_SET_TABLE (EXO_PTE_APT_RO | EXO_PTE_APT_NOEL0 | EXO_PTE_UXNT | EXO_PTE_PXNT | \
                        EXO_PTE_SW_MASK)

#endif
