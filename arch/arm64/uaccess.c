/*
 * User memory access by address translation: AT S1E0R/S1E0W asks the MMU
 * whether EL0 could read/write the address under the current TTBR0, and the
 * kernel then copies through its linear map.  So a user pointer can never
 * make the kernel touch memory its owner could not, and a bad one is an
 * error code, not a kernel fault.
 */
#include "arch/arm64/layout.h"
#include "arch/arm64/pte.h"
#include "arch/arm64/sysreg.h"
#include "exo/errno.h"
#include "exo/string.h"
#include "exo/uaccess.h"

#define PAR_FAULT 1ull

static bool translate(u64 uva, bool write, paddr_t *out)
{
	if (uva >= EXO_USER_VA_END)
		return false;
	if (write)
		__asm__ volatile("at s1e0w, %0" ::"r"(uva));
	else
		__asm__ volatile("at s1e0r, %0" ::"r"(uva));
	isb();
	u64 par = read_sysreg(par_el1);
	if (par & PAR_FAULT)
		return false;
	*out = pa((par & PTE_ADDR_MASK) | (uva & (PAGE_SIZE - 1)));
	return true;
}

static bool range_ok(u64 uva, u64 len) { return len <= EXO_USER_VA_END && uva <= EXO_USER_VA_END - len; }

/* Walk [uva, uva+len) a page at a time, calling step with the kernel address of each piece. */
static int each_piece(u64 uva, u64 len, bool write, void (*step)(void *kva, u64 offset, u64 n, void *arg),
                      void *arg)
{
	if (!range_ok(uva, len))
		return -E_FAULT;
	for (u64 done = 0; done < len;) {
		u64 here = uva + done;
		u64 n = MIN(len - done, PAGE_SIZE - (here & (PAGE_SIZE - 1)));
		paddr_t frame;
		if (!translate(here, write, &frame))
			return -E_FAULT;
		if (step)
			step(phys_to_virt(frame), done, n, arg);
		done += n;
	}
	return 0;
}

static void copy_in(void *kva, u64 offset, u64 n, void *dst) { memcpy((char *)dst + offset, kva, n); }
static void copy_out(void *kva, u64 offset, u64 n, void *src) { memcpy(kva, (const char *)src + offset, n); }

int copy_from_user(void *dst, u64 uva, u64 len)
{
	/* Check the whole range first, so a failure copies nothing. */
	int err = each_piece(uva, len, false, NULL, NULL);
	return err ? err : each_piece(uva, len, false, copy_in, dst);
}

int copy_to_user(u64 uva, const void *src, u64 len)
{
	int err = each_piece(uva, len, true, NULL, NULL);
	return err ? err : each_piece(uva, len, true, copy_out, (void *)src);
}

int user_check_write(u64 uva, u64 len) { return each_piece(uva, len, true, NULL, NULL); }

void *user_page_ptr(u64 uva, u64 len, bool write)
{
	paddr_t frame;
	if (!range_ok(uva, len) || len == 0 || (uva & (PAGE_SIZE - 1)) + len > PAGE_SIZE ||
	    !translate(uva, write, &frame))
		return NULL;
	return phys_to_virt(frame);
}
