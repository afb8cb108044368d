/*
 * The async variant, after Async-fork (VLDB 2023): fork returns as soon
 * as shared's does (our last-level tables linked read-only into the child,
 * and in our own tree), and the child, in its first act and before any of
 * its code runs, makes every table it shares with us its own, so that the
 * copying happens on the child's time, not in our fork.  A table the child
 * has copied is linked by us alone: when we first write through it,
 * shared.c's unshare finds it so (EXO_FRAME_MAPS counts a table's links)
 * and write-protects its pages in place rather than copying it again, so
 * neither side pays for a table twice.  A table we write before the child
 * has run is copied on our side as under shared, and the child then copies
 * from it as well: that is the case the Async-fork paper avoids with a
 * second CPU copying while the parent runs; exo runs on one CPU, so
 * "in the background" means when the child first runs.
 *
 * Everything else is shared's: the fault path, the special slots, the
 * unshare before any other change to a shared table.
 */
#include "libos/fork/fork.h"

static int async_copy_space(struct fork_job *job) { return fork_shared.copy_space(job); }

const struct fork_variant fork_async = { .name = "async", .copy_space = async_copy_space, .child_start = fork_unshare_all };
