/*
 * The device-tree reader against QEMU virt's own DTB (dumped by the build
 * with -append "console=test a=b" and a 40-byte initrd), against targeted
 * corruptions, and against seeded random mutations under ASan/UBSan.
 * Usage: host_fdt VIRT.DTB
 */
#include "arch/arm64/platform.h"
#include "exo/bootinfo.h"
#include "exo/cmdline.h"
#include "exo/errno.h"
#include "tests/host/check.h"
#include <stdlib.h>
#include <string.h>

static u8 *virt_dtb;
static size_t virt_size;
static u8 *work;

static void put_be32(u8 *at, u32 value)
{
	at[0] = value >> 24, at[1] = value >> 16, at[2] = value >> 8, at[3] = value;
}

/* A fresh copy of the virt DTB to corrupt; header field n at 4*n. */
static u8 *copy(void)
{
	memcpy(work, virt_dtb, virt_size);
	return work;
}

static void reads_virt(void)
{
	struct fdt fdt;
	EXPECT(fdt_open(&fdt, virt_dtb, virt_size) == 0);
	struct boot_info info;
	const char *why = NULL;
	EXPECT(bootinfo_read(&fdt, 0x48000000, &info, &why) == 0);
	EXPECT(info.mem.nram == 1 && info.mem.ram[0].start == 0x40000000);
	EXPECT(info.mem.ram[0].end == 0x60000000); /* -m 512M */
	EXPECT(strcmp(info.cmdline, "console=test a=b") == 0);
	EXPECT(info.initrd_end - info.initrd_start == 40);
	EXPECT(memmap_is_reserved(&info.mem, info.initrd_start, info.initrd_start + 1));
	EXPECT(memmap_is_reserved(&info.mem, 0x48000000, 0x48000000 + fdt.size));
	struct platform plat;
	platform_defaults(&plat, 2);
	EXPECT(plat.psci_smc && plat.uart_pa == FALLBACK_UART_PA);
	platform_defaults(&plat, 1);
	EXPECT(!plat.psci_smc);
	platform_read_console(&fdt, &plat);
	EXPECT(plat.uart_from_dt && plat.uart_pa == 0x09000000 && !plat.psci_smc);
	EXPECT(platform_read_devices(&fdt, &plat, &why) == 0);
	EXPECT(plat.gic_dist_pa == 0x08000000 && plat.gic_cpu_pa == 0x08010000);
	EXPECT(plat.timer_intid == 27);
}

static void finds_nodes(void)
{
	struct fdt fdt;
	struct fdt_node node;
	fdt_open(&fdt, virt_dtb, virt_size);
	EXPECT(fdt_find_path(&fdt, "/", &node) == 0 && node.depth == 0);
	EXPECT(fdt_find_path(&fdt, "/memory", &node) == 0 && strcmp(node.name, "memory@40000000") == 0);
	EXPECT(fdt_find_path(&fdt, "/memory@40000000", &node) == 0);
	EXPECT(fdt_find_path(&fdt, "/mem", &node) == -E_NOENT);
	EXPECT(fdt_find_path(&fdt, "/cpus/cpu@0", &node) == -E_INVAL);
	node.off = 0;
	EXPECT(fdt_find_compatible(&fdt, "arm,primecell", &node) == 0); /* second string of a list */
	node.off = 0;
	EXPECT(fdt_find_compatible(&fdt, "arm,pl01", &node) == -E_NOENT); /* no prefix matches */
	u64 value;
	fdt_find_path(&fdt, "/chosen", &node);
	EXPECT(fdt_get_u64(&fdt, &node, "bootargs", &value) == -E_CORRUPT); /* a string, not a number */
}

/* Each corruption must be refused by fdt_open with a reason. */
static void expect_corrupt(u8 *blob, size_t size, const char *what)
{
	struct fdt fdt;
	int err = fdt_open(&fdt, blob, size);
	if (err != -E_CORRUPT || !fdt.why) {
		printf("    not refused: %s\n", what);
		check_failed_now = 1;
	}
}

static void refuses_corrupt_headers(void)
{
	u32 size = (u32)virt_size;
	expect_corrupt(copy(), 20, "shorter than a header");
	put_be32(copy(), 0xdeadbeef), expect_corrupt(work, size, "bad magic");
	put_be32(copy() + 4, size + 1), expect_corrupt(work, size, "totalsize beyond the buffer");
	put_be32(copy() + 4, 8), expect_corrupt(work, size, "totalsize below a header");
	put_be32(copy() + 8, size - 4), expect_corrupt(work, size, "structure block past the end");
	put_be32(copy() + 8, 0xfffffff0), expect_corrupt(work, size, "structure offset wraps");
	put_be32(copy() + 12, size + 100), expect_corrupt(work, size, "strings block past the end");
	put_be32(copy() + 16, 4), expect_corrupt(work, size, "memreserve inside the header");
	put_be32(copy() + 20, 2), expect_corrupt(work, size, "version 2");
}

static void refuses_corrupt_structure(void)
{
	u32 size = (u32)virt_size;
	u32 struct_off = fdt_be32(virt_dtb + 8), struct_size = fdt_be32(virt_dtb + 36);
	u32 strings_size = fdt_be32(virt_dtb + 32);
	put_be32(copy() + struct_off, 7), expect_corrupt(work, size, "unknown first token");
	/* The last token is FDT_END; the one before closes the root node. */
	put_be32(copy() + struct_off + struct_size - 8, 4), expect_corrupt(work, size, "unclosed root");
	put_be32(copy() + struct_off + struct_size - 4, 4), expect_corrupt(work, size, "no FDT_END");
	put_be32(copy() + 36, struct_size - 8), expect_corrupt(work, size, "structure block cut short");
	/* The root's first property: its name offset and its length. */
	u32 prop = struct_off + 8; /* BEGIN_NODE + empty root name */
	EXPECT(fdt_be32(virt_dtb + prop) == 3);
	put_be32(copy() + prop + 8, strings_size), expect_corrupt(work, size, "name offset past strings");
	put_be32(copy() + prop + 4, 0x7fffffff), expect_corrupt(work, size, "property longer than blob");
	/*
	 * Strings block cut by one byte: its last name (QEMU adds names as
	 * properties use them, so some property uses it) loses its NUL.
	 */
	put_be32(copy() + 32, strings_size - 1), expect_corrupt(work, size, "unterminated name");
}

/* A tiny DTB writer for trees QEMU does not make. */
struct builder {
	u8 *blob;
	u32 len, cap;
};

static void emit32(struct builder *b, u32 value)
{
	if (b->len + 4 > b->cap)
		b->blob = realloc(b->blob, b->cap = b->cap * 2 + 64);
	put_be32(b->blob + b->len, value);
	b->len += 4;
}

/* Strings block: "#address-cells\0reg\0" (name offsets 0 and 15). */
static const char builder_strings[] = "#address-cells\0reg";

static void emit_prop(struct builder *b, u32 name_off, u32 value)
{
	emit32(b, 3), emit32(b, 4), emit32(b, name_off), emit32(b, value);
}

static void emit_node(struct builder *b) { emit32(b, 1), emit32(b, 0); /* empty name */ }

static u8 *finish(struct builder *b, u32 *size)
{
	emit32(b, 9);
	u32 struct_size = b->len - 56, strings_off = b->len;
	for (u32 i = 0; i < sizeof(builder_strings); i += 4) {
		u32 word = 0;
		for (u32 j = 0; j < 4; j++)
			word = word << 8 | (i + j < sizeof(builder_strings) ? (u8)builder_strings[i + j] : 0);
		emit32(b, word);
	}
	u32 header[10] = { FDT_MAGIC, b->len, 56, strings_off, 40, 17, 16, 0, sizeof(builder_strings),
		           struct_size };
	for (int i = 0; i < 10; i++)
		put_be32(b->blob + 4 * i, header[i]);
	*size = b->len;
	return b->blob;
}

static struct builder start_blob(void)
{
	struct builder b = { NULL, 0, 0 };
	for (int i = 0; i < 14; i++)
		emit32(&b, 0); /* header, then an empty reservation map at 40 */
	return b;
}

static void iterates_big_trees_linearly(void)
{
	enum { NODES = 20000 };
	struct builder b = start_blob();
	emit_node(&b);
	for (int i = 0; i < NODES; i++)
		emit_node(&b), emit32(&b, 2);
	emit32(&b, 2);
	u32 size;
	u8 *blob = finish(&b, &size);
	struct fdt fdt;
	struct fdt_node node = { 0 };
	EXPECT(fdt_open(&fdt, blob, size) == 0);
	u32 count = 0;
	while (fdt_next_node(&fdt, &node))
		count++;
	EXPECT(count == NODES + 1);
	free(blob);
}

/* root (#address-cells 1) > a (#address-cells 2) > b; then sibling c of a. */
static void cells_follow_the_parent(void)
{
	struct builder b = start_blob();
	emit_node(&b), emit_prop(&b, 0, 1);
	emit_node(&b), emit_prop(&b, 0, 2), emit_prop(&b, 15, 7);
	emit_node(&b), emit32(&b, 2);
	emit32(&b, 2);
	emit_node(&b), emit32(&b, 2);
	emit32(&b, 2);
	u32 size, seen[4][2], count = 0;
	u8 *blob = finish(&b, &size);
	struct fdt fdt;
	struct fdt_node node = { 0 };
	EXPECT(fdt_open(&fdt, blob, size) == 0);
	while (fdt_next_node(&fdt, &node) && count < 4)
		seen[count][0] = node.depth, seen[count++][1] = node.addr_cells;
	EXPECT(count == 4);
	EXPECT(seen[0][0] == 0 && seen[0][1] == 2); /* root: the default */
	EXPECT(seen[1][0] == 1 && seen[1][1] == 1); /* a: root's cells */
	EXPECT(seen[2][0] == 2 && seen[2][1] == 2); /* b: a's cells */
	EXPECT(seen[3][0] == 1 && seen[3][1] == 1); /* c: root's again */
	free(blob);
}

/* Rename a property everywhere in the blob (its name in the strings block): the reader no longer finds it. */
static void rename_prop(u8 *blob, const char *name)
{
	size_t len = strlen(name) + 1;
	for (size_t i = 0; i + len <= virt_size; i++)
		if (memcmp(blob + i, name, len) == 0)
			blob[i + len - 2] ^= 0x20; /* last letter's case */
}

static u64 seed_of(u8 *blob)
{
	struct fdt fdt;
	struct boot_info info;
	const char *why = NULL;
	EXPECT(fdt_open(&fdt, blob, virt_size) == 0);
	EXPECT(bootinfo_read(&fdt, 0x48000000, &info, &why) == 0);
	return info.seed;
}

/* The hash key's secret: QEMU gives rng-seed and kaslr-seed; either alone still gives one. */
static void seed_from_either_property(void)
{
	u64 both = seed_of(copy());
	u8 *blob = copy();
	rename_prop(blob, "rng-seed");
	u64 kaslr_only = seed_of(blob);
	blob = copy();
	rename_prop(blob, "kaslr-seed");
	u64 rng_only = seed_of(blob);
	rename_prop(blob, "rng-seed");
	u64 neither = seed_of(blob);
	EXPECT(both != 0 && kaslr_only != 0 && rng_only != 0);
	EXPECT(kaslr_only != both && rng_only != both && kaslr_only != rng_only);
	EXPECT(neither == 0);
}

static void cmdline_words(void)
{
	char value[8];
	EXPECT(cmdline_get("a test=ttbr0 panic=halt", "test", value, sizeof(value)));
	EXPECT(strcmp(value, "ttbr0") == 0);
	EXPECT(cmdline_get("a test=ttbr0 panic", "panic", value, sizeof(value)) && value[0] == '\0');
	EXPECT(!cmdline_get("testing=1 atest=2", "test", value, sizeof(value)));
	EXPECT(cmdline_get("x=averyverylongvalue", "x", value, sizeof(value)));
	EXPECT(strcmp(value, "averyve") == 0); /* truncated, terminated */
	EXPECT(!cmdline_get("", "x", value, sizeof(value)));
}

/* Whatever a mutation does, every reader either works or says no. */
static void survive(const u8 *blob, size_t size)
{
	struct fdt fdt;
	if (fdt_open(&fdt, blob, size) < 0)
		return;
	struct boot_info info;
	const char *why;
	struct platform plat;
	bootinfo_read(&fdt, 0x48000000, &info, &why);
	platform_defaults(&plat, 1);
	platform_read_console(&fdt, &plat);
	platform_read_devices(&fdt, &plat, &why);
}

static void survives_mutations(void)
{
	u32 seed = 0x5eed1234;
	size_t used = fdt_be32(virt_dtb + 12) + fdt_be32(virt_dtb + 32); /* end of strings */
	printf("    seed 0x%x, 20000 mutated trees\n", seed);
	for (int round = 0; round < 20000; round++) {
		copy();
		for (int flips = 1 + round % 4; flips > 0; flips--) {
			seed = seed * 1103515245 + 12345;
			size_t at = (seed >> 8) % used;
			seed = seed * 1103515245 + 12345;
			work[at] ^= (u8)(1u << ((seed >> 16) % 8));
		}
		survive(work, virt_size);
	}
}

static int load(const char *path)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return -1;
	fseek(file, 0, SEEK_END);
	virt_size = (size_t)ftell(file);
	rewind(file);
	virt_dtb = malloc(virt_size);
	work = malloc(virt_size);
	size_t got = fread(virt_dtb, 1, virt_size, file);
	fclose(file);
	return got == virt_size ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2 || load(argv[1]) < 0) {
		printf("FAIL host/fdt/load: usage: host_fdt VIRT.DTB\n");
		return 1;
	}
	RUN("fdt", reads_virt);
	RUN("fdt", finds_nodes);
	RUN("fdt", refuses_corrupt_headers);
	RUN("fdt", refuses_corrupt_structure);
	RUN("fdt", iterates_big_trees_linearly);
	RUN("fdt", cells_follow_the_parent);
	RUN("fdt", cmdline_words);
	RUN("fdt", seed_from_either_property);
	RUN("fdt", survives_mutations);
	free(virt_dtb);
	free(work);
	return check_failures != 0;
}
