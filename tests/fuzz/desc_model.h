/*
 * A reference model of the user-descriptor rules (arch/arm64/desc.c),
 * written separately and field by field so that a slip in desc.c's masks
 * does not repeat itself here.  Shared by tests/host/test_desc.c and
 * tests/fuzz/fuzz_desc.c.  It uses desc.h only for the names both sides
 * report in (enum desc_kind); every bit position is its own.
 */
#ifndef TESTS_FUZZ_DESC_MODEL_H
#define TESTS_FUZZ_DESC_MODEL_H

#include "arch/arm64/desc.h"

struct model_verdict {
	int result;          /* 0, or -E_INVAL */
	const char *broken;  /* the first rule broken, by name; NULL if none */
	enum desc_kind kind;
	u32 rights;
	u64 out;
	u64 stored;
};

/* What desc_decode(level, desc) should say. */
struct model_verdict model_decode(unsigned level, u64 desc);

/* What desc_take_rights(level, stored, set) should return; level 0..3 only. */
u64 model_take_rights(unsigned level, u64 stored, u64 set);

/*
 * Run desc.c's desc_decode and desc_take_rights on (level, desc, set) and
 * hold them against the model and against the properties take_rights must
 * have (rights never grow, its result decodes to itself, applying it twice
 * changes nothing).  NULL if all agree, else what differed.  The only part
 * of the model that calls desc.c.
 */
const char *model_disagreement(unsigned level, u64 desc, u64 set);

/* The model's own encodings of desc.h's constants, for cross-checking them. */
u64 model_table_window_bits(void);
u64 model_settable_page_bits(void);
u64 model_settable_table_bits(void);

#endif
