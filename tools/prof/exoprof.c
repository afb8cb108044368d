/*
 * exoprof: a QEMU TCG plugin that counts guest instructions per address,
 * only inside windows that the guest opens with `hint #0x7e` and closes
 * with `hint #0x7f` (QEMU runs unknown hints as no-ops, so the markers
 * cost one instruction each without the plugin).
 *
 *   qemu-system-aarch64 ... -plugin build/tools/exoprof.so,out=FILE
 *
 * Each translated block gets a counter that QEMU adds to inline on every
 * entry; the markers snapshot all counters, and each block's executions
 * inside windows are charged to every instruction in it.  A block left
 * early (an exception) is counted whole, and the rest of the block that
 * holds the opening marker is not: a few instructions per window.
 * At exit FILE gets `windows N`, then `pc count` lines (a pc may repeat:
 * a block translated again).  tools/profile.py reads it.
 */
#include "tools/prof/qemu_plugin_api.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

EXOPROF_EXPORT int qemu_plugin_version = 1;

#define MARK_OPEN 0xd5032fdfu  /* hint #0x7e */
#define MARK_CLOSE 0xd5032fffu /* hint #0x7f */

struct block {
	uint64_t count;  /* executions, added to by QEMU inline */
	uint64_t opened; /* count when the window opened */
	uint64_t inside; /* executions inside windows */
	uint32_t n;
	uint64_t pc[];
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
	for (size_t i = 0; i < nblocks; i++)
		blocks[i]->opened = blocks[i]->count;
}

static void close_window(unsigned int vcpu, void *arg)
{
	(void)vcpu, (void)arg;
	if (!open_now)
		return;
	open_now = 0;
	for (size_t i = 0; i < nblocks; i++)
		blocks[i]->inside += blocks[i]->count - blocks[i]->opened;
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
	struct block *block = calloc(1, sizeof(*block) + n * sizeof(uint64_t));
	if (!block)
		return;
	block->n = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		block->pc[i] = qemu_plugin_insn_vaddr(insn);
		uint32_t word = word_of(insn);
		if (word == MARK_OPEN || word == MARK_CLOSE)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, word == MARK_OPEN ? open_window : close_window,
			                                       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
	if (nblocks == capacity) {
		capacity = capacity ? 2 * capacity : 4096;
		blocks = realloc(blocks, capacity * sizeof(*blocks));
	}
	/* A block translated while a window is open starts inside it. */
	blocks[nblocks++] = block;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &block->count, 1);
}

static void at_exit(qemu_plugin_id_t id, void *arg)
{
	(void)id, (void)arg;
	close_window(0, NULL);
	FILE *out = fopen(out_path, "w");
	if (!out) {
		qemu_plugin_outs("exoprof: cannot write the output file\n");
		return;
	}
	fprintf(out, "windows %llu\n", (unsigned long long)windows);
	for (size_t i = 0; i < nblocks; i++)
		if (blocks[i]->inside)
			for (uint32_t k = 0; k < blocks[i]->n; k++)
				fprintf(out, "%llx %llu\n", (unsigned long long)blocks[i]->pc[k],
				        (unsigned long long)blocks[i]->inside);
	fclose(out);
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
