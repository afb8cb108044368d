/* The self-test table and the architecture-neutral tests. */
#include "exo/selftest.h"
#include "exo/errno.h"
#include "exo/frame.h"
#include "exo/printk.h"
#include "exo/string.h"

volatile u64 selftest_brk_hits;

/* Ticks keep coming, at the rate the counter says they should. */
static int test_ticks(void)
{
	const u64 want = 10;
	u64 start = arch_counter();
	CHECK(wait_for_ticks(want), "no timer tick for 5 s");
	u64 elapsed_us = counter_to_us(arch_counter() - start);
	kprintf("exo: %lu ticks in %lu us\n", want, elapsed_us);
	/*
	 * Deadlines are absolute (100 Hz), so ten ticks can never take less than
	 * nine intervals; the upper bound only catches a stuck timer, since a
	 * busy host may deliver the last tick late.
	 */
	CHECK(elapsed_us >= 90000, "10 ticks came in %lu us: faster than 100 Hz", elapsed_us);
	CHECK(elapsed_us <= 5000000, "10 ticks took %lu us", elapsed_us);
	return 0;
}

static int alloc_many(paddr_t *frames, u32 count)
{
	for (u32 i = 0; i < count; i++) {
		CHECK(frame_alloc(&kernel_frames, FRAME_USER, 0, 42, &frames[i]) == 0, "alloc %u", i);
		CHECK(frames[i].val % PAGE_SIZE == 0, "unaligned frame 0x%lx", frames[i].val);
		for (u32 j = 0; j < i; j++)
			CHECK(frames[i].val != frames[j].val, "frame 0x%lx handed out twice", frames[i].val);
		struct frame *record = frame_lookup(&kernel_frames, frames[i]);
		CHECK(record && record->type == FRAME_USER && record->owner == 42 && record->maps == 0 && record->links == 0,
		      "record of 0x%lx", frames[i].val);
	}
	return 0;
}

/* The allocator against the real RAM: counts, records, refusals. */
static int test_frames(void)
{
	enum { COUNT = 256 };
	static paddr_t frames[COUNT];
	u64 free_before = frame_count(&kernel_frames, FRAME_FREE);
	if (alloc_many(frames, COUNT) < 0)
		return -1;
	CHECK(frame_count(&kernel_frames, FRAME_FREE) == free_before - COUNT, "free count after alloc");
	CHECK(frame_count(&kernel_frames, FRAME_USER) == COUNT, "user count after alloc");
	for (u32 i = 0; i < COUNT; i++)
		CHECK(frame_free(&kernel_frames, frames[i]) == 0, "free 0x%lx", frames[i].val);
	CHECK(frame_count(&kernel_frames, FRAME_FREE) == free_before, "free count restored");
	CHECK(frame_free(&kernel_frames, frames[0]) == -E_INVAL, "double free refused");
	u64 image_start, image_end;
	arch_kernel_image(&image_start, &image_end);
	CHECK(frame_free(&kernel_frames, pa(image_start)) == -E_INVAL, "freeing the kernel refused");
	CHECK(frame_free(&kernel_frames, pa(0x1000)) == -E_INVAL, "freeing outside RAM refused");
	/* The linear map reaches the last frame of RAM (it is free at boot). */
	paddr_t last = pa(kernel_frames.base + ((u64)kernel_frames.nframes - 1) * PAGE_SIZE);
	CHECK(frame_lookup(&kernel_frames, last)->type == FRAME_FREE, "last frame 0x%lx free", last.val);
	volatile u64 *word = phys_to_kernel(last);
	*word = (u64)0x5a5a5a5a12345678;
	CHECK(*word == (u64)0x5a5a5a5a12345678, "last frame 0x%lx not writable through the linear map", last.val);
	*word = 0;
	kprintf("exo: %u frames allocated and returned; %lu free; RAM end 0x%lx reachable\n", COUNT,
	        free_before, last.val + PAGE_SIZE);
	return 0;
}

static int test_ttbr0(void) { return arch_selftest_ttbr0(false); }
static int test_ttbr0_low(void) { return arch_selftest_ttbr0(true); }

struct selftest {
	const char *name;
	int (*run)(void);
};

static const struct selftest selftests[] = {
	{ "ticks", test_ticks },
	{ "frames", test_frames },
	{ "ttbr0", test_ttbr0 },
	{ "ttbr0-low", test_ttbr0_low },
};

noreturn void selftest_run(const char *name)
{
	int result = -1;
	bool found = false;
	for (u32 i = 0; i < ARRAY_LEN(selftests); i++)
		if (strcmp(selftests[i].name, name) == 0) {
			found = true;
			kprintf("exo: selftest %s\n", name);
			result = selftests[i].run();
		}
	if (!found) {
		kprintf("exo: selftest %s\n", name);
		result = arch_selftest_fault(name);
	}
	kprintf("exo: selftest %s: %s\n", name, result == 0 ? "ok" : "FAILED");
	machine_exit(result == 0 ? EXIT_OK : EXIT_TEST_FAILED);
}
