/*
 * A model-based harness for the kernel's core on the fake machine, shared by
 * the host test (tests/host/test_pt_model.c) and the libFuzzer target
 * (tests/fuzz/fuzz_pt_seq.c).
 *
 * A sequence runs operations across a small family of environments through
 * the kernel's own functions (env_create, env_destroy, env_take_event,
 * frames_alloc/free, frame_share, pt_alloc, pt_write, pt_copy, root changes
 * as call_env_set_root does them), legal and illegal, acting as callers the
 * kernel would allow (env_target first, as exo/calls.c does).  After every
 * step it checks: the isolation checker finds nothing; an independent
 * shadow (family tree, ended environments, husks, frame owners, types,
 * levels, shares, reference counts) agrees with the kernel's records; every
 * page reachable from a live environment's root is one the model lets that
 * address space reach; nothing free is referenced, nothing is kept that no
 * live environment can reach, and frames and quota add up.  pt_write,
 * pt_copy, root changes, frame calls and env_target are predicted
 * (accept or refuse) and compared with the kernel's answer.
 */
#ifndef TESTS_HOST_PT_MODEL_H
#define TESTS_HOST_PT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

/* Where a sequence's choices come from: a seeded generator, or the fuzzer's input bytes. */
struct pt_source {
	/* A value in [0, bound) (bound >= 1); sets exhausted when there is no more input. */
	uint32_t (*draw)(struct pt_source *src, uint32_t bound);
	bool exhausted; /* the sequence ends at the next step */
	void *ctx;
};

struct pt_model_stats {
	uint64_t steps, accepted, refused;
	uint64_t writes_accepted, writes_refused, copies_accepted, copies_refused;
	uint64_t env_ends, pending_ends, heirs, husks, husks_dissolved, first_ends;
	uint64_t pages_checked; /* reachable (table, entry, principal) pages the walk judged */
	uint64_t shared_links, shared_pages; /* ...reached through an ancestor's shared table, or its shared frame */
	uint64_t relations_checked; /* env_relation answers compared with a walk of the model's tree */
	uint32_t max_live, max_tables;
};

/* Print every operation and its outcome (to reproduce a failure by hand). */
extern bool pt_model_trace;

/*
 * One sequence on a fresh fake machine: the first environment, at most
 * max_steps operations (fewer if src runs out), then the first
 * environment's end and the frame count.  0 if the kernel and the model
 * agreed throughout; otherwise 1, after printing the disagreement with
 * label, step and the operations before it.
 */
int pt_model_run(struct pt_source *src, uint32_t max_steps, const char *label,
                 struct pt_model_stats *stats);

#endif
