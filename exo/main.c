/*
 * kmain: the architecture-neutral boot sequence.  The arch code has the MMU
 * on, the kernel running in the high half and TTBR0 pointing at nothing.
 */
#include "exo/boot_env.h"
#include "exo/bootinfo.h"
#include "exo/cmdline.h"
#include "exo/env.h"
#include "exo/errno.h"
#include "exo/frame.h"
#include "exo/kernel.h"
#include "exo/printk.h"
#include "exo/sched.h"
#include "exo/selftest.h"
#include "exo/string.h"
#include "exo/tlb.h"

struct frame_pool kernel_frames;
u64 kernel_entry_count;
static struct boot_info boot;

static noreturn void boot_error(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	kprintf("exo: boot error: ");
	kvprintf(fmt, args);
	kprintf("\n");
	va_end(args);
	machine_exit(EXIT_BOOT_ERROR);
}

static void read_device_tree(struct fdt *fdt, u64 dtb_pa)
{
	u64 readable;
	arch_console_early();
	kprintf("exo: console up %lu us after reset (kernel entered at %lu us)\n",
	        counter_to_us(arch_counter_since_reset()), counter_to_us(kernel_entry_count));
	const void *blob = arch_boot_dtb(&readable);
	int err = blob ? fdt_open(fdt, blob, readable) : -E_NOENT;
	if (!err)
		arch_console_init(fdt);
	if (!blob)
		boot_error("no device tree (x0 = 0x%lx at entry): boot with QEMU -kernel, which passes one",
		           dtb_pa);
	if (err)
		boot_error("the device tree at 0x%lx is unusable: %s", dtb_pa, fdt->why);
	const char *why = "";
	if (bootinfo_read(fdt, dtb_pa, &boot, &why) < 0)
		boot_error("device tree: %s", why);
}

/* The frame records go in the first free RAM that fits them. */
static void frames_init(void)
{
	u64 image_start, image_end, records;
	arch_kernel_image(&image_start, &image_end);
	if (memmap_reserve(&boot.mem, image_start, image_end - image_start) < 0 ||
	    !memmap_is_ram(&boot.mem, image_start, image_end))
		boot_error("the kernel image 0x%lx-0x%lx is not in RAM", image_start, image_end);
	u64 bytes = frame_pool_bytes(&boot.mem);
	if (memmap_find_free(&boot.mem, bytes, PAGE_SIZE, &records) < 0 ||
	    memmap_reserve(&boot.mem, records, bytes) < 0)
		boot_error("no room for %lu bytes of frame records", bytes);
	frame_pool_init(&kernel_frames, phys_to_kernel(pa(records)), &boot.mem);
	kprintf("exo: frames: %lu free, %lu kernel, %u in all (records at 0x%lx, %lu KiB)\n",
	        frame_count(&kernel_frames, FRAME_FREE), frame_count(&kernel_frames, FRAME_KERNEL),
	        kernel_frames.nframes, records, bytes / 1024);
}

static void print_boot_info(void)
{
	for (u32 i = 0; i < boot.mem.nram; i++)
		kprintf("exo: RAM 0x%lx-0x%lx (%lu MiB)\n", boot.mem.ram[i].start, boot.mem.ram[i].end,
		        (boot.mem.ram[i].end - boot.mem.ram[i].start) >> 20);
	kprintf("exo: device tree at 0x%lx, %lu bytes\n", boot.dtb_pa, boot.dtb_size);
	if (boot.initrd_end)
		kprintf("exo: initrd 0x%lx-0x%lx (%lu bytes)\n", boot.initrd_start, boot.initrd_end,
		        boot.initrd_end - boot.initrd_start);
	else
		kprintf("exo: no initrd\n");
	kprintf("exo: command line \"%s\"\n", boot.cmdline);
}

static void print_layout(void)
{
	u64 image_start, image_end;
	arch_kernel_image(&image_start, &image_end);
	int on_stack;
	kprintf("exo: kernel image at 0x%lx-0x%lx; kmain at %p, stack at %p\n", image_start,
	        image_end, (void *)kmain, (void *)&on_stack);
}

/* ASIDs as the CPU has them, or fewer (asid_bits=N) to make tests reuse them. */
static u32 asid_bits(void)
{
	char value[8];
	u32 bits = arch_asid_bits();
	if (cmdline_get(boot.cmdline, "asid_bits", value, sizeof(value)) && value[0] >= '1' &&
	    value[0] <= '8' && value[1] == 0)
		bits = MIN(bits, (u32)(value[0] - '0'));
	return bits;
}

static noreturn void start_user_space(const char *init)
{
	u32 bits = asid_bits();
	char check[8];
	bool check_given = cmdline_get(boot.cmdline, "check", check, sizeof(check));
	check_at_exit = check_given && strcmp(check, "exit") == 0;
	debug_check_open = check_given && (strcmp(check, "exit") == 0 || strcmp(check, "call") == 0);
	tlb_init(bits);
	env_hash_key(boot.seed ^ arch_counter_since_reset());
	arch_user_init();
	arch_irq_disable(); /* the kernel runs masked from now on: it is not preemptible */
	boot_first_env(&boot, init);
	kprintf("exo: %u-bit ASIDs\n", bits);
	sched_start();
}

void kmain(u64 dtb_pa, u64 entry_count)
{
	struct fdt fdt;
	kernel_entry_count = entry_count;
	read_device_tree(&fdt, dtb_pa);
	kprintf("exo: exokernel for arm64, built " __DATE__ "; entered at EL%lu, running at EL1\n",
	        arch_entry_el());
	print_boot_info();
	char value[16];
	panic_halts = cmdline_get(boot.cmdline, "panic", value, sizeof(value)) &&
	              strcmp(value, "halt") == 0;
	/* exit=semihosting: QEMU (run with -semihosting) exits with the kernel's status. */
	arch_exit_semihosting = cmdline_get(boot.cmdline, "exit", value, sizeof(value)) &&
	                        strcmp(value, "semihosting") == 0;
	if (arch_map_ram(&boot.mem) < 0)
		boot_error("mapping RAM: out of boot page tables");
	frames_init();
	const char *why = "";
	if (arch_devices_init(&fdt, &why) < 0)
		boot_error("%s", why);
	arch_irq_enable();
	print_layout();
	char test[32];
	if (cmdline_get(boot.cmdline, "test", test, sizeof(test)))
		selftest_run(test);
	char init[64];
	if (cmdline_get(boot.cmdline, "init", init, sizeof(init))) {
		start_user_space(init);
	}
	demo();
}
