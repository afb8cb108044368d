/*
 * exoprof: a QEMU TCG plugin that counts guest instructions per address,
 * only inside windows that the guest opens with `hint #0x7e` and closes
 * with `hint #0x7f` (QEMU runs unknown hints as no-ops, so the markers
 * cost one instruction each without the plugin).
 *
 *   qemu-system-aarch64 ... -plugin build/tools/exoprof.so,out=FILE
 *
 * Every instruction of a translated block but the markers gets a counter
 * that QEMU adds 1 to, inline (no call into the plugin), each time the
 * instruction starts.  An instruction is counted as executed when the next
 * one in its block starts, so one that faults and is never completed is
 * not counted, as QEMU's -icount does not count it; the last one of a
 * block (and the one before a marker) is counted when it starts.  Only
 * the markers call into the plugin: each snapshots all counters, and the
 * difference from open to close is the window's.  Neither marker is
 * counted.  Left over: an access to a device in the middle of a block
 * under -icount is redone by QEMU in a block of its own, which plugins do
 * not see, so that instruction is missed (one instruction per access).
 *
 * At exit FILE gets `windows N`, then one `pc count` line (hex address,
 * decimal count) per address with instructions inside windows, in address
 * order.  tools/profile.py reads it.
 */
#include "tools/prof/qemu_plugin_api.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

EXOPROF_EXPORT int qemu_plugin_version = 1;

/* HINT #imm is 0xd503201f | imm << 5. */
#define MARK_OPEN (0xd503201fu | 0x7eu << 5)  /* 0xd5032fdf */
#define MARK_CLOSE (0xd503201fu | 0x7fu << 5) /* 0xd5032fff */

/* One instruction of one translated block. */
struct insn {
	uint64_t starts; /* added to by QEMU inline each time the instruction starts */
	uint64_t opened; /* starts when the window opened */
	uint64_t inside; /* starts inside windows */
	uint64_t pc;
	struct insn *done; /* whose starts count this one's completions; NULL for a marker */
	int marker;
};

struct block {
	size_t n;
	struct insn insn[];
};

static struct block **blocks;
static size_t nblocks, capacity;
static uint64_t windows;
static int open_now;
static const char *out_path = "exoprof.out";

static void open_window(unsigned int vcpu, void *arg)
{
	(void)vcpu, (void)arg;
	if (open_now)
		return;
	open_now = 1;
	windows++;
	for (size_t b = 0; b < nblocks; b++)
		for (size_t i = 0; i < blocks[b]->n; i++)
			blocks[b]->insn[i].opened = blocks[b]->insn[i].starts;
}

static void close_window(unsigned int vcpu, void *arg)
{
	(void)vcpu, (void)arg;
	if (!open_now)
		return;
	open_now = 0;
	for (size_t b = 0; b < nblocks; b++)
		for (size_t i = 0; i < blocks[b]->n; i++)
			blocks[b]->insn[i].inside += blocks[b]->insn[i].starts - blocks[b]->insn[i].opened;
}

static uint32_t word_of(const struct qemu_plugin_insn *insn)
{
	uint32_t word = 0;
	if (qemu_plugin_insn_size(insn) == 4)
		memcpy(&word, qemu_plugin_insn_data(insn), 4);
	return word;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	size_t n = qemu_plugin_tb_n_insns(tb);
	if (nblocks == capacity) {
		size_t more = capacity ? 2 * capacity : 4096;
		struct block **grown = realloc(blocks, more * sizeof(*blocks));
		if (!grown)
			return;
		blocks = grown, capacity = more;
	}
	/* Counters start at zero, so a block translated inside a window starts inside it. */
	struct block *block = calloc(1, sizeof(*block) + n * sizeof(struct insn));
	if (!block)
		return;
	block->n = n;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t word = word_of(insn);
		block->insn[i].pc = qemu_plugin_insn_vaddr(insn);
		block->insn[i].marker = word == MARK_OPEN || word == MARK_CLOSE;
		if (block->insn[i].marker)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, word == MARK_OPEN ? open_window : close_window,
			                                       QEMU_PLUGIN_CB_NO_REGS, NULL);
		else
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
			                                           &block->insn[i].starts, 1);
	}
	for (size_t i = 0; i < n; i++)
		if (!block->insn[i].marker)
			block->insn[i].done = i + 1 < n && !block->insn[i + 1].marker ? &block->insn[i + 1]
			                                                              : &block->insn[i];
	blocks[nblocks++] = block;
}

struct line {
	uint64_t pc, count;
};

static int by_pc(const void *a, const void *b)
{
	uint64_t x = ((const struct line *)a)->pc, y = ((const struct line *)b)->pc;
	return x < y ? -1 : x > y;
}

static void at_exit(qemu_plugin_id_t id, void *arg)
{
	(void)id, (void)arg;
	close_window(0, NULL);
	size_t total = 0, used = 0;
	for (size_t b = 0; b < nblocks; b++)
		total += blocks[b]->n;
	struct line *lines = malloc((total ? total : 1) * sizeof(*lines));
	FILE *out = fopen(out_path, "w");
	if (!out || !lines) {
		qemu_plugin_outs("exoprof: cannot write the output file\n");
		if (out)
			fclose(out);
		free(lines);
		return;
	}
	for (size_t b = 0; b < nblocks; b++)
		for (size_t i = 0; i < blocks[b]->n; i++) {
			const struct insn *insn = &blocks[b]->insn[i];
			if (insn->done && insn->done->inside)
				lines[used++] = (struct line){ insn->pc, insn->done->inside };
		}
	qsort(lines, used, sizeof(*lines), by_pc);
	fprintf(out, "windows %llu\n", (unsigned long long)windows);
	for (size_t i = 0; i < used;) {
		uint64_t pc = lines[i].pc, count = 0;
		for (; i < used && lines[i].pc == pc; i++)
			count += lines[i].count; /* the same address in several blocks */
		fprintf(out, "%llx %llu\n", (unsigned long long)pc, (unsigned long long)count);
	}
	fclose(out);
	free(lines);
}

EXOPROF_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "out=", 4) == 0)
			out_path = argv[i] + 4;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
