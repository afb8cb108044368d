/*
 * What the architecture-neutral kernel needs from the architecture, and the
 * kernel-wide ways to stop.
 */
#ifndef EXO_KERNEL_H
#define EXO_KERNEL_H

#include "exo/types.h"

#define noreturn __attribute__((noreturn))

/* Exit statuses printed in the power-off marker (doc/boot.md). */
enum exit_status {
	EXIT_OK = 0,
	EXIT_TEST_FAILED = 1,
	EXIT_BOOT_ERROR = 2,
	EXIT_PANIC = 3,
};

/* Print "exo: power off (status N)" and power the machine off. */
noreturn void machine_exit(enum exit_status status);
/* After a fatal report: power off with EXIT_PANIC, or halt if panic=halt. */
noreturn void machine_fatal(void);
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void kmain(u64 dtb_pa, u64 entry_count);
noreturn void demo(void);
/* The generic-timer count when the kernel was entered (head.S). */
extern u64 kernel_entry_count;
extern struct frame_pool kernel_frames;

/* Set from the command line: stop instead of powering off on a panic. */
extern bool panic_halts;

/* --- provided by arch/ --- */
u64 arch_counter(void);      /* generic timer count (virtual: what the tick uses) */
u64 arch_counter_since_reset(void); /* physical count: starts at 0 with the machine */
u64 arch_entry_el(void);     /* the exception level the kernel was entered at */
u64 arch_counter_freq(void); /* counts per second */
/* Power off; with arch_exit_semihosting, QEMU's exit code is status. */
noreturn void arch_poweroff(u32 status);
extern bool arch_exit_semihosting;
noreturn void arch_halt(void);
/* Print "  #N 0xADDR symbol+off" lines for the stack of frames from fp. */
void arch_backtrace(u64 pc, u64 fp);

/* The kernel's address for a physical address (the linear map). */
void *phys_to_kernel(paddr_t addr);
/* The physical address of a kernel address in the linear map. */
paddr_t kernel_to_phys(const void *kva);
/* Zero one 4 KiB page at a kernel address. */
void arch_zero_page(void *kva);
/* The first bytes (at most a page) of a page, zeroed in whole cache blocks: perhaps a little more. */
void arch_zero_start(void *kva, u64 bytes);
void arch_copy_page(void *dst_kva, const void *src_kva);

/* Boot-time hooks, called in this order by kmain. */
struct fdt;
struct memmap;
struct range;
/* The device tree in the boot window, and the bytes readable there; or NULL. */
const void *arch_boot_dtb(u64 *readable);
/*
 * The console and power-off, first at the platform's defaults (so that even
 * reading the device tree can fail loudly), then as the device tree says.
 */
void arch_console_early(void);
void arch_console_init(const struct fdt *fdt);
/* The kernel image's physical range, reserved from the frame allocator. */
void arch_kernel_image(u64 *start, u64 *end);
int arch_map_ram(const struct memmap *map);
/* Interrupt controller and timer tick; -E_* with *why on failure. */
int arch_devices_init(const struct fdt *fdt, const char **why);
void arch_irq_enable(void);
void arch_irq_disable(void);
void arch_wait_for_interrupt(void);
u64 arch_ticks(void);

/* Generic-timer counts in microseconds and nanoseconds, and back. */
u64 counter_to_us(u64 counts);
u64 counter_to_ns(u64 counts);
u64 ns_to_counter(u64 ns);
/* Idle until count more timer ticks; false if none came for 5 s of counter time. */
bool wait_for_ticks(u64 count);

/* --- the symbol table linked into the kernel (ksyms.c) --- */
/* The function containing addr and addr's offset in it, or NULL. */
const char *ksym_lookup(u64 addr, u64 *offset);
/* Print prefix, addr and "<function+offset>" when addr is kernel code. */
void print_code_address(const char *prefix, u64 addr);

#endif
