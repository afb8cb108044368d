/*
 * The kernel's address-space layout (doc/boot.md draws it).  Usable from C
 * and from assembly.
 */
#ifndef ARCH_ARM64_LAYOUT_H
#define ARCH_ARM64_LAYOUT_H

/* Physical memory (RAM and devices) is mapped at PA + KERNEL_VA_OFFSET. */
#define KERNEL_VA_OFFSET 0xffff000000000000
/* Where QEMU's Linux-image loader puts us: RAM base + text_offset. */
#define KERNEL_PHYS 0x40080000
#define KERNEL_VIRT (KERNEL_VA_OFFSET + KERNEL_PHYS)
#define KERNEL_TEXT_OFFSET 0x80000
/* The boot-time window onto the device tree (4 MiB, read-only). */
#define DTB_WINDOW_VA 0xffffff0000000000
#define DTB_WINDOW_SIZE 0x400000
/* Pages in bss for the kernel's own tables (TTBR1 and the boot id map). */
#define BOOT_PT_POOL_PAGES 64
#define KERNEL_STACK_SIZE 0x4000

#ifndef __ASSEMBLER__
#include "exo/types.h"

extern char _head[], _etext[], _erodata[], _edata[], __bss_start[], __bss_end[];
extern char __stack_guard[], __stack_bottom[], __stack_top[], _end[];

static inline void *phys_to_virt(paddr_t addr) { return (void *)(uintptr_t)(addr.val + KERNEL_VA_OFFSET); }
static inline paddr_t virt_to_phys(const void *ptr) { return pa((u64)(uintptr_t)ptr - KERNEL_VA_OFFSET); }
#endif

#endif
