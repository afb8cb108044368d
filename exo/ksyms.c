/*
 * Symbol lookup for backtraces.  The table (address-sorted functions and
 * their names) is generated from the first link of the kernel by
 * tools/gen_ksyms.py and linked into the second; see kernel.ld.
 */
#include "exo/kernel.h"
#include "exo/printk.h"

extern const u64 ksyms_count;
extern const u64 ksyms_text_end;
extern const u64 ksyms_addrs[];
extern const u32 ksyms_name_offsets[];
extern const char ksyms_names[];

const char *ksym_lookup(u64 addr, u64 *offset)
{
	u64 low = 0, high = ksyms_count;
	if (high == 0 || addr < ksyms_addrs[0] || addr >= ksyms_text_end)
		return NULL;
	/* The last symbol at or below addr. */
	while (high - low > 1) {
		u64 mid = low + (high - low) / 2;
		if (ksyms_addrs[mid] <= addr)
			low = mid;
		else
			high = mid;
	}
	*offset = addr - ksyms_addrs[low];
	return ksyms_names + ksyms_name_offsets[low];
}

void print_code_address(const char *prefix, u64 addr)
{
	u64 offset;
	const char *name = ksym_lookup(addr, &offset);
	if (name)
		kprintf("%s0x%016lx <%s+0x%lx>\n", prefix, addr, name, offset);
	else
		kprintf("%s0x%016lx\n", prefix, addr);
}
