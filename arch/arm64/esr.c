/* Exception classes and fault status codes in words (ARM ARM D17.2.37). */
#include "arch/arm64/esr.h"
#include "exo/printk.h"

const char *esr_class_name(unsigned class)
{
	switch (class) {
	case 0x00: return "unknown reason (undefined instruction?)";
	case 0x01: return "WFI or WFE trapped";
	case 0x07: return "FP/SIMD access trapped";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC from AArch64";
	case 0x16: return "HVC from AArch64";
	case 0x17: return "SMC from AArch64";
	case 0x18: return "MSR/MRS/system instruction trapped";
	case 0x20: return "instruction abort from a lower exception level";
	case 0x21: return "instruction abort without a change in exception level";
	case 0x22: return "PC alignment fault";
	case 0x24: return "data abort from a lower exception level";
	case 0x25: return "data abort without a change in exception level";
	case 0x26: return "SP alignment fault";
	case 0x2c: return "floating-point exception";
	case 0x2f: return "SError interrupt";
	case 0x30: return "breakpoint from a lower exception level";
	case 0x31: return "breakpoint without a change in exception level";
	case 0x32: return "software step from a lower exception level";
	case 0x33: return "software step without a change in exception level";
	case 0x34: return "watchpoint from a lower exception level";
	case 0x35: return "watchpoint without a change in exception level";
	case 0x3c: return "BRK instruction";
	default: return "reserved or unhandled exception class";
	}
}

static const char *fault_kind(unsigned status)
{
	switch (status & 0x3c) {
	case 0x00: return "address size fault";
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0c: return "permission fault";
	}
	switch (status) {
	case 0x10: return "synchronous external abort";
	case 0x21: return "alignment fault";
	case 0x30: return "TLB conflict abort";
	default: return "other fault";
	}
}

bool esr_describe(u64 esr, char *buf, size_t size)
{
	unsigned class = esr_class(esr);
	bool data = class == EC_DABT_LOWER || class == EC_DABT_SAME;
	if (!data && class != EC_IABT_LOWER && class != EC_IABT_SAME)
		return false;
	unsigned status = esr & 0x3f;
	const char *access = !data ? "on an instruction fetch" : (esr & (1u << 6)) ? "on a write" : "on a read";
	if (status < 0x10)
		ksnprintf(buf, size, "fault: %s at level %u, %s", fault_kind(status), status & 3, access);
	else
		ksnprintf(buf, size, "fault: %s, %s", fault_kind(status), access);
	return true;
}
