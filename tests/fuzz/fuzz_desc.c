/*
 * libFuzzer target for the user-descriptor checks (arch/arm64/desc.c):
 * every input is run through desc_decode/desc_take_rights and through the
 * reference model (tests/fuzz/desc_model.c); any disagreement traps.
 *
 * Input: a control byte, then desc (8 bytes, little-endian), then set_bits
 * (8 bytes); missing bytes read as 0.  Control bits 5:0 pick the level,
 * bit 6 one of two templates, bit 7 template mode.  In template mode (or
 * when the input is too short to hold both words) desc is a valid template
 * XOR the input's bits: a random 64-bit value is almost never a valid page,
 * so without this the accepting paths would be reached only rarely.
 *
 * Build and run (bounded):
 *   clang-14 -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -DEXO_HOST -D_DEFAULT_SOURCE -I. tests/fuzz/fuzz_desc.c tests/fuzz/desc_model.c \
 *     arch/arm64/desc.c -o /tmp/fuzz_desc
 *   /tmp/fuzz_desc -runs=2000000 -seed=1
 */
#include "tests/fuzz/desc_model.h"
#include <stdio.h>
#include <stdlib.h>

#define INPUT_FULL 17 /* control + desc + set_bits */
#define CONTROL_TEMPLATE_MODE 0x80
#define CONTROL_ALT_TEMPLATE 0x40
#define CONTROL_LEVEL_CODE 0x3f

static unsigned long accepted, rejected;

static void print_counts(void)
{
	fprintf(stderr, "fuzz_desc: %lu inputs accepted, %lu rejected\n", accepted, rejected);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	atexit(print_counts);
	return 0;
}

/* Up to 8 bytes from data[from..size), little-endian; absent bytes are 0. */
static u64 read_word(const uint8_t *data, size_t size, size_t from)
{
	u64 word = 0;
	for (size_t i = 0; i < 8 && from + i < size; i++)
		word |= (u64)data[from + i] << (8 * i);
	return word;
}

/*
 * Codes 0..7 are levels 0..7 as they are (4..7 must be refused); the rest
 * fold onto 0..3, so that out-of-range levels are tried but not too often.
 */
static unsigned level_from(uint8_t control)
{
	unsigned code = control & CONTROL_LEVEL_CODE;
	return code < 8 ? code : code & 3;
}

/* A descriptor valid at level (for levels beyond 3, a page: it must still be refused). */
static u64 template_for(unsigned level, bool alt)
{
	if (level < 3)
		return alt ? 0x40456000 | EXO_PTE_TABLE | DESC_TABLE_WINDOW_BITS | EXO_PTE_UXNT
		           : 0x40456000 | EXO_PTE_TABLE;
	return alt ? 0x40123000 | EXO_PTE_PAGE | EXO_PTE_USER | EXO_PTE_RO | EXO_PTE_UXN | EXO_PTE_SW0
	           : 0x40123000 | EXO_PTE_PAGE | EXO_PTE_USER;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t control = data[0];
	unsigned level = level_from(control);
	u64 desc = read_word(data, size, 1);
	u64 set = read_word(data, size, 9);
	if ((control & CONTROL_TEMPLATE_MODE) || size < INPUT_FULL)
		desc ^= template_for(level, control & CONTROL_ALT_TEMPLATE);

	const char *why = model_disagreement(level, desc, set);
	if (why) {
		fprintf(stderr, "fuzz_desc: level %u desc %#018llx set %#018llx: %s\n", level,
		        (unsigned long long)desc, (unsigned long long)set, why);
		__builtin_trap();
	}
	if (model_decode(level, desc).result == 0)
		accepted++;
	else
		rejected++;
	return 0;
}
