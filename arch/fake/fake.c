/*
 * A fake machine for host tests of the kernel's core (frames, page tables,
 * environments, the checker, upcall policy): RAM is a host array at a fake
 * physical address, TLB maintenance is counted, user memory is not there
 * (every user access faults), and the machine "powers off" by calling the
 * test's hook.  arch/fake/include holds its half of the arch contract.
 */
#include "arch/fake/fake.h"
#include "exo/errno.h"
#include "exo/printk.h"
#include "exo/upcall.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frame_pool kernel_frames;
struct fake_machine fake;

static void putc_stdout(char ch) { putchar(ch); }

void fake_boot(u64 frames)
{
	free(fake.ram);
	free(fake.records);
	memset(&fake, 0, sizeof(fake));
	fake.ram = aligned_alloc(PAGE_SIZE, frames * PAGE_SIZE);
	memset(fake.ram, 0, frames * PAGE_SIZE);
	struct memmap map = { 0 };
	memmap_add_ram(&map, FAKE_RAM_BASE, frames * PAGE_SIZE);
	memmap_reserve(&map, FAKE_RAM_BASE, PAGE_SIZE); /* the "kernel": frame 0 is never free */
	fake.records = calloc(1, frame_pool_bytes(&map));
	frame_pool_init(&kernel_frames, fake.records, &map);
	tlb_init(16);
	env_table_reset();
	console_putc = fake.quiet ? NULL : putc_stdout;
}

void *phys_to_kernel(paddr_t addr)
{
	return fake.ram + (addr.val - FAKE_RAM_BASE);
}

paddr_t kernel_to_phys(const void *kva) { return pa((u64)((const u8 *)kva - fake.ram) + FAKE_RAM_BASE); }

void arch_zero_page(void *kva) { memset(kva, 0, PAGE_SIZE); }
void arch_zero_start(void *kva, u64 bytes) { memset(kva, 0, bytes); }
void arch_copy_page(void *dst, const void *src) { memcpy(dst, src, PAGE_SIZE); }

void arch_tlb_begin(void) {}
void arch_tlb_flush_va(u16 asid, u64 va) { (void)asid, (void)va, fake.tlb_ops++; }
void arch_tlb_flush_asid(u16 asid) { (void)asid, fake.tlb_ops++; }
void arch_tlb_flush_va_all_asids(u64 va) { (void)va, fake.tlb_ops++; }
void arch_tlb_flush_all(void) { fake.tlb_ops++; }
void arch_tlb_end(void) {}
u32 arch_asid_bits(void) { return 16; }

u64 arch_counter(void) { return fake.counter; }
u64 arch_counter_since_reset(void) { return fake.counter; }
u64 arch_counter_freq(void) { return 62500000; }

void arch_context_init(struct arch_context *ctx) { memset(ctx, 0, sizeof(*ctx)); }
void arch_context_save(struct arch_context *ctx, const struct trap_frame *frame) { ctx->frame = *frame; }
void arch_context_load(const struct arch_context *ctx, struct trap_frame *frame) { *frame = ctx->frame; }
void arch_set_call_result(struct trap_frame *frame, i64 value) { frame->x[0] = (u64)value; }
void arch_set_user_root(u64 root, u16 asid) { fake.root = root, fake.asid = asid; }
void arch_idle(void) { fake.counter += 625000; /* a tick passes */ }
void arch_irq_window(void) {}

/* No user memory on the fake machine: every access faults. */
int copy_from_user(void *dst, u64 uva, u64 len) { (void)dst, (void)uva, (void)len; return -E_FAULT; }
int copy_to_user(u64 uva, const void *src, u64 len) { (void)uva, (void)src, (void)len; return -E_FAULT; }
int user_check_write(u64 uva, u64 len) { (void)uva, (void)len; return -E_FAULT; }
void *user_page_ptr(u64 uva, u64 len, bool write) { (void)uva, (void)len, (void)write; return NULL; }

u64 arch_event_address(u64 kind, const struct trap_frame *frame) { return kind == EXO_UPCALL_FAULT ? frame->addr : frame->pc; }
void arch_describe_event(u64 kind, const struct trap_frame *frame, char *buf, u64 size)
{
	ksnprintf(buf, size, "event %lu (cause %lu)", kind, frame->cause);
}

/* Records go nowhere (no user memory): a push succeeds when the stack top is in range. */
bool arch_upcall_push(const struct env *env, u64 kind, const struct trap_frame *frame, u64 top, u32 depth,
                      u64 *sp)
{
	(void)env, (void)kind, (void)frame, (void)depth;
	*sp = ALIGN_DOWN(top - sizeof(struct exo_upcall), 16);
	return top >= sizeof(struct exo_upcall);
}
int arch_upcall_load(struct trap_frame *frame, u64 record_uva) { (void)frame, (void)record_uva; return -E_FAULT; }

noreturn void machine_exit(enum exit_status status)
{
	fake.exits++;
	if (fake.on_exit)
		fake.on_exit(status);
	fprintf(stderr, "fake: the machine powered off (status %d)\n", status);
	abort();
}

noreturn void user_enter(const struct trap_frame *frame)
{
	(void)frame;
	fprintf(stderr, "fake: no user mode to enter\n");
	abort();
}

u64 arch_ticks(void) { return fake.counter / 625000; }
void arch_wait_for_interrupt(void) { fake.counter += 625000; }
