/*
 * libFuzzer target: the input's bytes are the choices of one sequence of
 * operations on the kernel's core (tests/host/pt_model.c decodes them: each
 * choice takes 1, 2 or 4 bytes, little-endian, reduced modulo its range);
 * the sequence ends when the input does, then the first environment ends.
 * Any disagreement between the kernel and the model aborts.
 *
 *   ninja build/test/fuzz_pt_seq && build/test/fuzz_pt_seq -runs=20000 -seed=1
 *   PT_MODEL_TRACE=1 build/test/fuzz_pt_seq crash-...   replays one input, printing each operation
 */
#include "arch/fake/fake.h"
#include "tests/host/pt_model.h"
#include <stdio.h>
#include <stdlib.h>

struct input {
	const uint8_t *data;
	size_t size, at;
};

static uint32_t draw_bytes(struct pt_source *src, uint32_t bound)
{
	struct input *in = src->ctx;
	unsigned need = bound <= 0x100 ? 1 : bound <= 0x10000 ? 2 : 4;
	uint32_t value = 0;
	for (unsigned i = 0; i < need; i++) {
		if (in->at >= in->size) {
			src->exhausted = true;
			break;
		}
		value |= (uint32_t)in->data[in->at++] << (8 * i);
	}
	return value % bound;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fake.quiet = true;
	pt_model_trace = getenv("PT_MODEL_TRACE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct pt_source src = { draw_bytes, false, &in };
	struct pt_model_stats stats;
	if (pt_model_run(&src, 1000, "fuzz input", &stats) != 0)
		abort();
	return 0;
}
