/*
 * The user-descriptor checks (arch/arm64/desc.c) on the host: explicit
 * cases with the expected verdict written out, each also held against the
 * reference model (tests/fuzz/desc_model.c), then a seeded random sweep
 * around valid descriptors.
 */
#include "arch/arm64/desc.h"
#include "exo/errno.h"
#include "tests/fuzz/desc_model.h"
#include "tests/host/check.h"

#define FRAME 0x40123000ull
#define NEXT_TABLE 0x40456000ull
/* Read-write, executable: so that setting RO or UXN is a flip the rules allow. */
#define GOOD_PAGE (FRAME | EXO_PTE_PAGE | EXO_PTE_USER)
#define GOOD_TABLE (NEXT_TABLE | EXO_PTE_TABLE)
#define RWX (EXO_R | EXO_W | EXO_X)
#define BIT(n) (1ull << (n))
#define SWEEP_VALUES 1000000

/* Bits of GOOD_PAGE a single flip of which still leaves a page user space may write. */
#define PAGE_FLIPS_ALLOWED (BIT(7) /* AP[2] */ | BIT(10) /* AF */ | EXO_PTE_ADDR_MASK | \
                            BIT(54) /* UXN */ | EXO_PTE_SW_MASK)
/* Likewise for GOOD_TABLE: the next table's address, software bits, the four limits. */
#define TABLE_FLIPS_ALLOWED (EXO_PTE_ADDR_MASK | EXO_PTE_SW_MASK | BIT(59) | BIT(60) | \
                             BIT(61) | BIT(62))

/* desc_decode's result, with info zeroed first so a failure leaves it predictable. */
static int decode(unsigned level, u64 desc, struct desc_info *info)
{
	*info = (struct desc_info){ 0 };
	return desc_decode(level, desc, info);
}

static bool accepted(unsigned level, u64 desc)
{
	struct desc_info info;
	return decode(level, desc, &info) == 0;
}

/* Fail the current test, saying which value, if desc.c and the model disagree. */
static void expect_model_agrees(unsigned level, u64 desc, u64 set)
{
	const char *why = model_disagreement(level, desc, set);
	if (!why)
		return;
	printf("    level %u desc %#018llx set %#018llx: %s\n", level, (unsigned long long)desc,
	       (unsigned long long)set, why);
	check_failed_now = 1;
}

/* Fail the current test, naming the case, if the verdict is not the one written down. */
static void expect_verdict(unsigned level, u64 desc, bool accept, const char *what)
{
	if (accepted(level, desc) == accept)
		return;
	printf("    %s (level %u desc %#018llx): expected %s\n", what, level,
	       (unsigned long long)desc, accept ? "accepted" : "rejected");
	check_failed_now = 1;
}

static void constants_match_model(void)
{
	EXPECT(DESC_TABLE_WINDOW_BITS == model_table_window_bits());
	EXPECT(DESC_TABLE_WINDOW_BITS == 0xfc8); /* spelled out: AttrIndx 2, AP 11, SH 11, AF, nG */
	EXPECT(DESC_SET_PAGE == model_settable_page_bits());
	EXPECT(DESC_SET_TABLE == model_settable_table_bits());
	EXPECT(!(DESC_SET_TABLE & BIT(63))); /* NSTable would be a different address space */
}

static void rw_page(void)
{
	struct desc_info info;
	u64 desc = GOOD_PAGE | EXO_PTE_UXN;
	EXPECT(decode(3, desc, &info) == 0);
	EXPECT(info.kind == DESC_PAGE && info.rights == (EXO_R | EXO_W));
	EXPECT(info.out.val == FRAME && info.stored == desc);
	expect_model_agrees(3, desc, 0);
}

static void ro_page(void)
{
	struct desc_info info;
	u64 desc = GOOD_PAGE | EXO_PTE_RO | EXO_PTE_UXN;
	EXPECT(decode(3, desc, &info) == 0);
	EXPECT(info.kind == DESC_PAGE && info.rights == EXO_R);
	EXPECT(info.out.val == FRAME && info.stored == desc);
	expect_model_agrees(3, desc, 0);
}

static void executable_pages(void)
{
	struct desc_info info;
	EXPECT(decode(3, GOOD_PAGE | EXO_PTE_RO, &info) == 0);
	EXPECT(info.kind == DESC_PAGE && info.rights == (EXO_R | EXO_X));
	EXPECT(decode(3, GOOD_PAGE, &info) == 0);
	EXPECT(info.rights == RWX && info.stored == GOOD_PAGE);
	expect_model_agrees(3, GOOD_PAGE | EXO_PTE_RO, 0);
	expect_model_agrees(3, GOOD_PAGE, 0);
}

static void page_optional_bits(void)
{
	struct desc_info info;
	/* AF clear: the first access faults to the libos, which may want to know. */
	EXPECT(decode(3, GOOD_PAGE & ~EXO_PTE_AF, &info) == 0 && info.rights == RWX);
	EXPECT(decode(3, GOOD_PAGE | EXO_PTE_SW_MASK, &info) == 0);
	EXPECT(info.rights == RWX && info.stored == (GOOD_PAGE | EXO_PTE_SW_MASK));
	EXPECT(accepted(3, (GOOD_PAGE & ~EXO_PTE_ADDR_MASK) | EXO_PTE_ADDR_MASK));
}

static void page_bit_flips_match_model(void)
{
	for (unsigned bit = 0; bit < 64; bit++)
		expect_model_agrees(3, GOOD_PAGE ^ BIT(bit), 0);
}

static void page_bit_flips_match_expectations(void)
{
	char what[32];
	for (unsigned bit = 0; bit < 64; bit++) {
		snprintf(what, sizeof(what), "page bit %u flipped", bit);
		expect_verdict(3, GOOD_PAGE ^ BIT(bit), (PAGE_FLIPS_ALLOWED & BIT(bit)) != 0, what);
	}
}

/* The rules that matter most, each by name rather than by bit number. */
static void page_forbidden_attributes(void)
{
	u64 attr_cleared = GOOD_PAGE & ~(7ull << 2), sh_cleared = GOOD_PAGE & ~(3ull << 8);
	expect_verdict(3, GOOD_PAGE | BIT(5), false, "NS set");
	expect_verdict(3, GOOD_PAGE | BIT(52), false, "Contiguous set");
	expect_verdict(3, GOOD_PAGE & ~EXO_PTE_PXN, false, "PXN clear");
	expect_verdict(3, GOOD_PAGE & ~EXO_PTE_EL0, false, "AP[1] clear (kernel only)");
	expect_verdict(3, GOOD_PAGE & ~EXO_PTE_NG, false, "nG clear (global)");
	expect_verdict(3, attr_cleared | (u64)MAIR_DEVICE_nGnRnE << 2, false, "device nGnRnE");
	expect_verdict(3, attr_cleared | (u64)MAIR_DEVICE_nGnRE << 2, false, "device nGnRE");
	expect_verdict(3, attr_cleared | (u64)MAIR_NORMAL_NC << 2, false, "normal non-cacheable");
	expect_verdict(3, sh_cleared, false, "non-shareable");
	expect_verdict(3, sh_cleared | 2ull << 8, false, "outer shareable");
	expect_verdict(3, sh_cleared | 1ull << 8, false, "SH reserved value");
	expect_verdict(3, GOOD_PAGE | BIT(63), false, "bit 63 set");
	expect_verdict(3, GOOD_PAGE | BIT(59), false, "bit 59 set");
	expect_verdict(3, GOOD_PAGE | BIT(48), false, "OA bit 48 set");
	expect_verdict(3, GOOD_PAGE & ~2ull, false, "bits 1:0 = 01 at level 3 (reserved)");
	expect_model_agrees(3, attr_cleared | (u64)MAIR_DEVICE_nGnRE << 2, 0);
	expect_model_agrees(3, sh_cleared, 0);
}

static void blocks_rejected(void)
{
	/* A block carrying every attribute a page would need: the type alone refuses it. */
	u64 block = 0x40200000ull | EXO_PTE_USER | EXO_PTE_VALID; /* bits 1:0 = 01 */
	u64 gib_block = 0x40000000ull | EXO_PTE_USER | EXO_PTE_VALID;
	for (unsigned level = 0; level < 3; level++) {
		expect_verdict(level, block, false, "2 MiB block");
		expect_verdict(level, gib_block, false, "1 GiB block");
		expect_verdict(level, (GOOD_TABLE & ~2ull), false, "table with bit 1 clear");
		expect_model_agrees(level, block, 0);
	}
}

static void table_normalized(void)
{
	struct desc_info info;
	u64 stored = GOOD_TABLE | DESC_TABLE_WINDOW_BITS | EXO_PTE_PXNT;
	for (unsigned level = 0; level < 3; level++) {
		EXPECT(decode(level, GOOD_TABLE, &info) == 0);
		EXPECT(info.kind == DESC_TABLE && info.rights == RWX);
		EXPECT(info.out.val == NEXT_TABLE && info.stored == stored);
		/* The window bits already there, as in a value read back: accepted, unchanged. */
		EXPECT(decode(level, GOOD_TABLE | DESC_TABLE_WINDOW_BITS, &info) == 0);
		EXPECT(info.stored == stored);
		EXPECT(decode(level, stored, &info) == 0 && info.stored == stored);
		expect_model_agrees(level, GOOD_TABLE | DESC_TABLE_WINDOW_BITS, 0);
	}
}

static void table_limits(void)
{
	struct desc_info info;
	EXPECT(decode(1, GOOD_TABLE | EXO_PTE_APT_RO, &info) == 0);
	EXPECT(info.rights == (EXO_R | EXO_X));
	EXPECT(decode(1, GOOD_TABLE | EXO_PTE_UXNT, &info) == 0);
	EXPECT(info.rights == (EXO_R | EXO_W));
	EXPECT(decode(1, GOOD_TABLE | EXO_PTE_APT_NOEL0 | EXO_PTE_APT_RO, &info) == 0);
	EXPECT(info.rights == 0);
	EXPECT(decode(1, GOOD_TABLE | EXO_PTE_PXNT | EXO_PTE_SW_MASK, &info) == 0);
	EXPECT(info.rights == RWX && (info.stored & EXO_PTE_SW_MASK) == EXO_PTE_SW_MASK);
}

static void table_other_low_bits_rejected(void)
{
	char what[48];
	for (unsigned bit = 2; bit < 12; bit++) {
		snprintf(what, sizeof(what), "table low bit %u alone", bit);
		expect_verdict(0, GOOD_TABLE | BIT(bit), false, what);
		snprintf(what, sizeof(what), "window bits with bit %u flipped", bit);
		expect_verdict(2, GOOD_TABLE | (DESC_TABLE_WINDOW_BITS ^ BIT(bit)), false, what);
		expect_model_agrees(2, GOOD_TABLE | (DESC_TABLE_WINDOW_BITS ^ BIT(bit)), 0);
	}
}

static void table_bit_flips(void)
{
	char what[32];
	for (unsigned level = 0; level < 3; level++) {
		for (unsigned bit = 0; bit < 64; bit++) {
			snprintf(what, sizeof(what), "table bit %u flipped", bit);
			expect_verdict(level, GOOD_TABLE ^ BIT(bit), (TABLE_FLIPS_ALLOWED & BIT(bit)) != 0,
			               what);
			expect_model_agrees(level, GOOD_TABLE ^ BIT(bit), 0);
		}
	}
}

static void invalid_entries(void)
{
	struct desc_info info;
	for (unsigned level = 0; level < 4; level++) {
		EXPECT(decode(level, 0, &info) == 0 && info.kind == DESC_INVALID);
		/* Bit 0 clear but something else set: a libos bug, not an empty slot. */
		expect_verdict(level, GOOD_PAGE & ~1ull, false, "page with bit 0 clear");
		expect_verdict(level, BIT(63), false, "only bit 63");
		expect_verdict(level, 2, false, "only bit 1");
	}
}

static void bad_levels_rejected(void)
{
	unsigned levels[] = { 4, 5, 8, 255, 0x80000000u, ~0u };
	for (unsigned i = 0; i < ARRAY_LEN(levels); i++) {
		expect_verdict(levels[i], 0, false, "empty entry beyond level 3");
		expect_verdict(levels[i], GOOD_PAGE, false, "page beyond level 3");
		expect_verdict(levels[i], GOOD_TABLE, false, "table beyond level 3");
		expect_model_agrees(levels[i], GOOD_TABLE, 0);
	}
}

static void take_rights_page(void)
{
	struct desc_info info;
	EXPECT(desc_take_rights(3, GOOD_PAGE, EXO_PTE_RO) == (GOOD_PAGE | EXO_PTE_RO));
	EXPECT(decode(3, desc_take_rights(3, GOOD_PAGE, EXO_PTE_UXN), &info) == 0);
	EXPECT(info.rights == (EXO_R | EXO_W));
	/* Bits outside DESC_SET_PAGE are dropped: nothing may be gained, nor the type changed. */
	EXPECT(desc_take_rights(3, GOOD_PAGE, ~0ull) == (GOOD_PAGE | DESC_SET_PAGE));
	EXPECT(decode(3, desc_take_rights(3, GOOD_PAGE, ~0ull), &info) == 0 && info.rights == EXO_R);
	EXPECT(desc_take_rights(3, GOOD_PAGE, EXO_PTE_PXNT | BIT(5) | BIT(52)) == GOOD_PAGE);
	expect_model_agrees(3, GOOD_PAGE, ~0ull);
	expect_model_agrees(3, GOOD_PAGE, EXO_PTE_RO | EXO_PTE_SW0);
}

static void take_rights_table(void)
{
	struct desc_info info;
	u64 stored = GOOD_TABLE | DESC_TABLE_WINDOW_BITS | EXO_PTE_PXNT;
	EXPECT(decode(1, desc_take_rights(1, stored, EXO_PTE_APT_RO), &info) == 0);
	EXPECT(info.rights == (EXO_R | EXO_X) && info.stored == (stored | EXO_PTE_APT_RO));
	EXPECT(desc_take_rights(0, stored, ~0ull) == (stored | DESC_SET_TABLE));
	EXPECT(decode(0, desc_take_rights(0, stored, ~0ull), &info) == 0 && info.rights == 0);
	/* A page's read-only bit means nothing in a table: it is not passed through. */
	EXPECT(desc_take_rights(2, GOOD_TABLE, EXO_PTE_RO | EXO_PTE_UXN | BIT(63)) == GOOD_TABLE);
	expect_model_agrees(2, stored, ~0ull);
	expect_model_agrees(2, GOOD_TABLE, EXO_PTE_UXNT);
}

static void take_rights_invalid(void)
{
	for (unsigned level = 0; level < 4; level++) {
		EXPECT(desc_take_rights(level, 0, ~0ull) == 0);
		EXPECT(desc_take_rights(level, GOOD_PAGE & ~1ull, ~0ull) == (GOOD_PAGE & ~1ull));
	}
}

/* xorshift64 (Marsaglia): reproducible without depending on the C library's rand. */
static u64 sweep_state = 0x9e3779b97f4a7c15ull;

static u64 next_random(void)
{
	sweep_state ^= sweep_state << 13;
	sweep_state ^= sweep_state >> 7;
	sweep_state ^= sweep_state << 17;
	return sweep_state;
}

/* Levels 0..4, weighted towards 3: pages have the most rules. */
static unsigned random_level(void)
{
	unsigned pick = next_random() & 7;
	return pick <= 4 ? pick : 3;
}

/* A valid descriptor for the level, now and then one of the other kind. */
static u64 random_template(unsigned level)
{
	static const u64 pages[] = { GOOD_PAGE, GOOD_PAGE | EXO_PTE_RO | EXO_PTE_UXN | EXO_PTE_SW0 };
	static const u64 tables[] = { GOOD_TABLE,
		                      GOOD_TABLE | DESC_TABLE_WINDOW_BITS | EXO_PTE_PXNT | EXO_PTE_APT_RO };
	u64 pick = next_random();
	bool page = (level == 3) != ((pick & 7) == 0);
	return page ? pages[(pick >> 3) & 1] : tables[(pick >> 3) & 1];
}

/* Bits to flip: one, two, or a sparse random set (about 1/8 or 1/32 of them). */
static u64 random_flips(void)
{
	switch (next_random() & 3) {
	case 0:
		return BIT(next_random() & 63);
	case 1:
		return BIT(next_random() & 63) | BIT(next_random() & 63);
	case 2:
		return next_random() & next_random() & next_random();
	default:
		return next_random() & next_random() & next_random() & next_random() & next_random();
	}
}

static void random_sweep(void)
{
	unsigned long accepts = 0, disagreements = 0;
	for (unsigned long i = 0; i < SWEEP_VALUES; i++) {
		unsigned level = random_level();
		u64 desc = random_template(level) ^ random_flips();
		u64 set = next_random() & next_random();
		if (model_disagreement(level, desc, set)) {
			if (disagreements++ < 10) /* enough to debug, not a flood */
				expect_model_agrees(level, desc, set);
			check_failed_now = 1;
		}
		accepts += model_decode(level, desc).result == 0;
	}
	printf("    %lu of %d values accepted, %lu disagreements\n", accepts, SWEEP_VALUES,
	       disagreements);
	/* The sweep is only worth something if it reaches both verdicts often. */
	EXPECT(accepts > SWEEP_VALUES / 10 && accepts < SWEEP_VALUES - SWEEP_VALUES / 10);
}

int main(void)
{
	RUN("desc", constants_match_model);
	RUN("desc", rw_page);
	RUN("desc", ro_page);
	RUN("desc", executable_pages);
	RUN("desc", page_optional_bits);
	RUN("desc", page_bit_flips_match_model);
	RUN("desc", page_bit_flips_match_expectations);
	RUN("desc", page_forbidden_attributes);
	RUN("desc", blocks_rejected);
	RUN("desc", table_normalized);
	RUN("desc", table_limits);
	RUN("desc", table_other_low_bits_rejected);
	RUN("desc", table_bit_flips);
	RUN("desc", invalid_entries);
	RUN("desc", bad_levels_rejected);
	RUN("desc", take_rights_page);
	RUN("desc", take_rights_table);
	RUN("desc", take_rights_invalid);
	RUN("desc", random_sweep);
	return check_failures != 0;
}
