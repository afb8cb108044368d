/* Reading the boot information out of the device tree. */
#include "exo/bootinfo.h"
#include "exo/errno.h"
#include "exo/string.h"

static bool is_memory_node(const struct fdt *fdt, const struct fdt_node *node)
{
	const void *type;
	u32 len;
	return fdt_get_prop(fdt, node, "device_type", &type, &len) == 0 && len == 7 &&
	       memcmp(type, "memory", 7) == 0;
}

static int read_memory(const struct fdt *fdt, struct boot_info *info, const char **why)
{
	struct fdt_node node = { 0 };
	while (fdt_next_node(fdt, &node)) {
		if (!is_memory_node(fdt, &node))
			continue;
		u64 addr, size;
		for (u32 index = 0; fdt_get_reg(fdt, &node, index, &addr, &size) == 0; index++) {
			if (size == 0)
				continue;
			if (memmap_add_ram(&info->mem, addr, size) < 0) {
				*why = "memory node with a range that overflows, or too many ranges";
				return -E_CORRUPT;
			}
		}
	}
	if (info->mem.nram == 0) {
		*why = "no memory node with a usable reg property";
		return -E_NOENT;
	}
	return 0;
}

/* The bootloader's random bytes (QEMU's virt machine gives 32 in rng-seed), folded to 64 bits. */
static u64 read_seed(const struct fdt *fdt, const struct fdt_node *chosen)
{
	static const char *const names[] = { "rng-seed", "kaslr-seed" };
	u64 seed = 0;
	for (u32 n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		const void *bytes;
		u32 len;
		if (fdt_get_prop(fdt, chosen, names[n], &bytes, &len) != 0)
			continue;
		/* An empty property gives nothing: fold in the other too. */
		for (u32 i = 0; i < len; i++)
			seed = (seed << 8 | seed >> 56) ^ ((const u8 *)bytes)[i];
	}
	return seed;
}

static int read_chosen(const struct fdt *fdt, struct boot_info *info, const char **why)
{
	struct fdt_node chosen;
	if (fdt_find_path(fdt, "/chosen", &chosen) < 0)
		return 0; /* no command line, no initrd */
	const void *args;
	u32 len;
	if (fdt_get_prop(fdt, &chosen, "bootargs", &args, &len) == 0 && len > 0) {
		u32 copy = (u32)strnlen(args, len);
		if (copy >= CMDLINE_MAX) {
			*why = "kernel command line longer than 511 characters";
			return -E_RANGE;
		}
		memcpy(info->cmdline, args, copy);
		info->cmdline[copy] = '\0';
	}
	info->seed = read_seed(fdt, &chosen);
	u64 start, end;
	bool has_start = fdt_get_u64(fdt, &chosen, "linux,initrd-start", &start) == 0;
	bool has_end = fdt_get_u64(fdt, &chosen, "linux,initrd-end", &end) == 0;
	if (has_start != has_end || (has_start && end < start)) {
		*why = "initrd start and end missing, malformed or reversed";
		return -E_CORRUPT;
	}
	if (has_start && end > start) {
		info->initrd_start = start;
		info->initrd_end = end;
	}
	return 0;
}

static int reserve(struct boot_info *info, u64 start, u64 size, const char **why, const char *what)
{
	if (size == 0)
		return 0;
	if (!memmap_is_ram(&info->mem, ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(start + size, PAGE_SIZE)) ||
	    memmap_reserve(&info->mem, start, size) < 0) {
		*why = what;
		return -E_RANGE;
	}
	return 0;
}

int bootinfo_read(const struct fdt *fdt, u64 dtb_pa, struct boot_info *info, const char **why)
{
	memset(info, 0, sizeof(*info));
	info->dtb_pa = dtb_pa;
	info->dtb_size = fdt->size;
	int err = read_memory(fdt, info, why);
	if (!err)
		err = read_chosen(fdt, info, why);
	if (!err)
		err = reserve(info, dtb_pa, fdt->size, why, "device tree not in RAM");
	if (!err)
		err = reserve(info, info->initrd_start, info->initrd_end - info->initrd_start, why,
		              "initrd not in RAM");
	u64 addr, size;
	for (u32 index = 0; !err && fdt_memreserve(fdt, index, &addr, &size) == 0; index++)
		if (memmap_reserve(&info->mem, addr, size) < 0) {
			*why = "a /memreserve/ entry overflows, or too many of them";
			err = -E_CORRUPT;
		}
	return err;
}
