/*
 * The reference model (desc_model.h).  Each descriptor is first taken apart
 * into named fields, then each rule is one named comparison on one field:
 * slower and wordier than desc.c's masks on purpose, so that the two can
 * only agree by both following the rules.
 */
#include "tests/fuzz/desc_model.h"
#include "exo/errno.h"

#define LAST_LEVEL 3         /* levels 0..3; only level 3 holds pages */
#define ATTR_SLOT_NORMAL 2   /* the MAIR slot user pages must use */
#define SHARE_INNER 3        /* SH[1:0] = 0b11 */
#define ALL_RIGHTS (EXO_R | EXO_W | EXO_X)

/* Bits hi..lo of word, shifted down to bit 0. */
static u64 field(u64 word, unsigned hi, unsigned lo)
{
	unsigned width = hi - lo + 1;
	u64 ones = width == 64 ? ~0ull : (1ull << width) - 1;
	return (word >> lo) & ones;
}

/* word with bits hi..lo replaced by value (which must fit). */
static u64 with_field(u64 word, unsigned hi, unsigned lo, u64 value)
{
	u64 old = field(word, hi, lo);
	return word ^ (old << lo) ^ (value << lo);
}

/* A level-3 descriptor, field by field (ARM ARM D8.3, stage 1, 4 KiB). */
struct page_fields {
	u64 valid, type;     /* bits 0 and 1 */
	u64 attrindx;        /* 4:2, the MAIR slot */
	u64 ns, ap1, ap2;    /* 5, 6 (EL0 access), 7 (read-only) */
	u64 sh, af, ng;      /* 9:8, 10, 11 */
	u64 frame;           /* 47:12 */
	u64 oa_hi;           /* 51:48, output address bits beyond 48 */
	u64 contiguous;      /* 52 */
	u64 pxn, uxn;        /* 53, 54 */
	u64 sw;              /* 58:55, free for software */
	u64 top;             /* 63:59, reserved or PBHA: always 0 here */
};

/* A level-0..2 table descriptor, field by field. */
struct table_fields {
	u64 valid, type;     /* bits 0 and 1: 11 is a table, 01 a block */
	u64 low;             /* 11:2, ignored by the walk, read through the window */
	u64 frame;           /* 47:12, the next table */
	u64 oa_hi;           /* 51:48 */
	u64 ignored_52_54;   /* 54:52 */
	u64 sw;              /* 58:55, free for software */
	u64 pxn_table;       /* 59 */
	u64 uxn_table;       /* 60 */
	u64 ap_table_noel0;  /* 61, APTable[0] */
	u64 ap_table_ro;     /* 62, APTable[1] */
	u64 ns_table;        /* 63 */
};

static struct page_fields split_page(u64 desc)
{
	return (struct page_fields){
		.valid = field(desc, 0, 0),
		.type = field(desc, 1, 1),
		.attrindx = field(desc, 4, 2),
		.ns = field(desc, 5, 5),
		.ap1 = field(desc, 6, 6),
		.ap2 = field(desc, 7, 7),
		.sh = field(desc, 9, 8),
		.af = field(desc, 10, 10),
		.ng = field(desc, 11, 11),
		.frame = field(desc, 47, 12),
		.oa_hi = field(desc, 51, 48),
		.contiguous = field(desc, 52, 52),
		.pxn = field(desc, 53, 53),
		.uxn = field(desc, 54, 54),
		.sw = field(desc, 58, 55),
		.top = field(desc, 63, 59),
	};
}

static struct table_fields split_table(u64 desc)
{
	return (struct table_fields){
		.valid = field(desc, 0, 0),
		.type = field(desc, 1, 1),
		.low = field(desc, 11, 2),
		.frame = field(desc, 47, 12),
		.oa_hi = field(desc, 51, 48),
		.ignored_52_54 = field(desc, 54, 52),
		.sw = field(desc, 58, 55),
		.pxn_table = field(desc, 59, 59),
		.uxn_table = field(desc, 60, 60),
		.ap_table_noel0 = field(desc, 61, 61),
		.ap_table_ro = field(desc, 62, 62),
		.ns_table = field(desc, 63, 63),
	};
}

/*
 * The bits 11:2 every stored table carries, built as the page attributes
 * the window shows them as: normal memory, EL0, read-only, inner
 * shareable, accessed, not global.
 */
u64 model_table_window_bits(void)
{
	u64 bits = 0;
	bits = with_field(bits, 4, 2, ATTR_SLOT_NORMAL);
	bits = with_field(bits, 6, 6, 1);
	bits = with_field(bits, 7, 7, 1);
	bits = with_field(bits, 9, 8, SHARE_INNER);
	bits = with_field(bits, 10, 10, 1);
	bits = with_field(bits, 11, 11, 1);
	return bits;
}

/* Read-only, UXN and the software bits: nothing a page could gain from. */
u64 model_settable_page_bits(void)
{
	u64 bits = 0;
	bits = with_field(bits, 7, 7, 1);
	bits = with_field(bits, 54, 54, 1);
	bits = with_field(bits, 58, 55, 0xf);
	return bits;
}

/* The software bits and the four hierarchical limits; never NSTable. */
u64 model_settable_table_bits(void)
{
	u64 bits = 0;
	bits = with_field(bits, 58, 55, 0xf);
	bits = with_field(bits, 59, 59, 1);
	bits = with_field(bits, 60, 60, 1);
	bits = with_field(bits, 61, 61, 1);
	bits = with_field(bits, 62, 62, 1);
	return bits;
}

/* The first page rule desc breaks, NULL if none (valid is already known to be 1). */
static const char *page_broken_rule(const struct page_fields *p)
{
	if (p->type != 1)
		return "page: bits 1:0 must be 11";
	if (p->attrindx != ATTR_SLOT_NORMAL)
		return "page: AttrIndx must be the normal slot";
	if (p->ns != 0)
		return "page: NS must be 0";
	if (p->ap1 != 1)
		return "page: AP[1] (EL0) must be 1";
	if (p->sh != SHARE_INNER)
		return "page: SH must be inner shareable";
	if (p->ng != 1)
		return "page: nG must be 1";
	if (p->oa_hi != 0)
		return "page: OA bits 51:48 must be 0";
	if (p->contiguous != 0)
		return "page: Contiguous must be 0";
	if (p->pxn != 1)
		return "page: PXN must be 1";
	if (p->top != 0)
		return "page: bits 63:59 must be 0";
	return NULL;
}

/* The first table rule desc breaks, NULL if none (valid is already known to be 1). */
static const char *table_broken_rule(const struct table_fields *t)
{
	if (t->type != 1)
		return "table: bits 1:0 must be 11 (no blocks)";
	if (t->low != 0 && t->low != field(model_table_window_bits(), 11, 2))
		return "table: bits 11:2 must be 0 or the window bits";
	if (t->oa_hi != 0)
		return "table: OA bits 51:48 must be 0";
	if (t->ignored_52_54 != 0)
		return "table: bits 54:52 must be 0";
	if (t->ns_table != 0)
		return "table: NSTable must be 0";
	return NULL;
}

static u32 page_rights(const struct page_fields *p)
{
	u32 rights = EXO_R;
	if (p->ap2 == 0)
		rights |= EXO_W;
	if (p->uxn == 0)
		rights |= EXO_X;
	return rights;
}

static u32 table_rights(const struct table_fields *t)
{
	if (t->ap_table_noel0)
		return 0;
	u32 rights = ALL_RIGHTS;
	if (t->ap_table_ro)
		rights &= ~EXO_W;
	if (t->uxn_table)
		rights &= ~EXO_X;
	return rights;
}

/* What the kernel keeps: the window bits in 11:2 and PXNTable set. */
static u64 table_stored(u64 desc)
{
	u64 stored = with_field(desc, 11, 2, field(model_table_window_bits(), 11, 2));
	return with_field(stored, 59, 59, 1);
}

static struct model_verdict rejected(const char *rule)
{
	return (struct model_verdict){ .result = -E_INVAL, .broken = rule };
}

static struct model_verdict decode_page(u64 desc)
{
	struct page_fields p = split_page(desc);
	const char *broken = page_broken_rule(&p);
	if (broken)
		return rejected(broken);
	return (struct model_verdict){
		.kind = DESC_PAGE,
		.rights = page_rights(&p),
		.out = p.frame << 12,
		.stored = desc,
	};
}

static struct model_verdict decode_table(u64 desc)
{
	struct table_fields t = split_table(desc);
	const char *broken = table_broken_rule(&t);
	if (broken)
		return rejected(broken);
	return (struct model_verdict){
		.kind = DESC_TABLE,
		.rights = table_rights(&t),
		.out = t.frame << 12,
		.stored = table_stored(desc),
	};
}

struct model_verdict model_decode(unsigned level, u64 desc)
{
	if (level > LAST_LEVEL)
		return rejected("level must be 0..3");
	if (desc == 0)
		return (struct model_verdict){ .kind = DESC_INVALID };
	if (field(desc, 0, 0) == 0)
		return rejected("a nonzero entry must be valid");
	return level == LAST_LEVEL ? decode_page(desc) : decode_table(desc);
}

/* stored with field hi..lo OR-ed with the same field of set. */
static u64 raise_field(u64 stored, u64 set, unsigned hi, unsigned lo)
{
	return with_field(stored, hi, lo, field(stored, hi, lo) | field(set, hi, lo));
}

u64 model_take_rights(unsigned level, u64 stored, u64 set)
{
	if (field(stored, 0, 0) == 0)
		return stored; /* nothing to take rights from */
	if (level == LAST_LEVEL) {
		stored = raise_field(stored, set, 7, 7);   /* AP[2]: read-only */
		stored = raise_field(stored, set, 54, 54); /* UXN */
		return raise_field(stored, set, 58, 55);   /* software */
	}
	stored = raise_field(stored, set, 58, 55); /* software */
	stored = raise_field(stored, set, 59, 59); /* PXNTable */
	stored = raise_field(stored, set, 60, 60); /* UXNTable */
	stored = raise_field(stored, set, 61, 61); /* APTable[0]: no EL0 */
	return raise_field(stored, set, 62, 62);   /* APTable[1]: read-only */
}

/* --- desc.c against the model --- */

static const char *decode_disagreement(int result, const struct desc_info *got,
                                       const struct model_verdict *want)
{
	if (result != want->result)
		return want->result ? "desc.c accepts what the model rejects"
		                    : "desc.c rejects what the model accepts";
	if (result != 0)
		return NULL; /* *got is unspecified on failure */
	if (got->kind != want->kind)
		return "kind differs";
	if (got->rights != want->rights)
		return "rights differ";
	if (got->out.val != want->out)
		return "out differs";
	if (got->stored != want->stored)
		return "stored differs";
	return NULL;
}

/* take_rights on an accepted descriptor's stored value, by properties. */
static const char *take_rights_disagreement(unsigned level, const struct desc_info *before, u64 set)
{
	u64 taken = desc_take_rights(level, before->stored, set);
	if (taken != model_take_rights(level, before->stored, set))
		return "take_rights(stored) differs from the model";
	if (desc_take_rights(level, taken, set) != taken)
		return "take_rights applied twice changes more";
	if (before->kind == DESC_INVALID)
		return taken == before->stored ? NULL : "take_rights changed an invalid entry";
	struct desc_info after;
	if (desc_decode(level, taken, &after) != 0)
		return "take_rights made a descriptor decode rejects";
	if (after.kind != before->kind || after.out.val != before->out.val)
		return "take_rights changed the kind or the frame";
	if ((after.rights & ~before->rights) != 0)
		return "take_rights granted a right";
	if (after.stored != taken)
		return "take_rights result does not decode to itself";
	return NULL;
}

const char *model_disagreement(unsigned level, u64 desc, u64 set)
{
	struct desc_info got;
	int result = desc_decode(level, desc, &got);
	struct model_verdict want = model_decode(level, desc);
	const char *why = decode_disagreement(result, &got, &want);
	if (why || level > LAST_LEVEL)
		return why; /* take_rights has no meaning beyond level 3 */
	/* The engine's inline check of a last-level entry says exactly what decode says. */
	u32 leaf = desc_leaf_rights(desc);
	if (level == LAST_LEVEL && desc != 0 && leaf != (result == 0 ? got.rights : DESC_LEAF_BAD))
		return "desc_leaf_rights(desc) differs from desc_decode";
	/* Its rules cover any value (invalid ones come back unchanged): raw values too. */
	if (desc_take_rights(level, desc, set) != model_take_rights(level, desc, set))
		return "take_rights(desc) differs from the model";
	return result == 0 ? take_rights_disagreement(level, &got, set) : NULL;
}
