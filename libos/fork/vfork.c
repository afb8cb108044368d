/*
 * The vfork variant: fork() as vfork().  The child runs in our address
 * space, on our stack, until it execs or exits, and we wait (proc.c's
 * vfork path, which posix_spawn's clone(CLONE_VM|CLONE_VFORK) uses too).
 * Nothing is copied, so it costs the same at every size.
 *
 * musl's fork() was called, not vfork(), and two things follow:
 *  - in the child it rewrites the thread's control block (its tid, its
 *    robust list, the thread list) for a new process, and that block is
 *    ours;
 *  - the child returns from fork() and goes on calling functions, whose
 *    frames land where fork()'s own frames still are for us (a real vfork
 *    is a leaf that keeps no frame).
 * So both are saved before the child runs and put back when it has left:
 * the block, and the stack just above where we made the call.  As with
 * any vfork, the child may change nothing else, and the caller should be
 * single-threaded (musl's child also resets process-wide thread counts,
 * which are ours).
 */
#include "libos/fork/fork.h"
#include <string.h>

/*
 * musl on AArch64 keeps the thread's control block (struct pthread)
 * just below the thread pointer: Debian 12's musl (1.2.3) finds it 200
 * bytes below (its __pthread_self subtracts 200).  Exactly that is saved:
 * a wider range would also undo the child's writes to the variables the
 * linker put beside it.
 */
#define TCB_BELOW 200
#define TCB_ABOVE 0
/* musl's fork() and _Fork() frames, above the sp of our svc: generously. */
#define FRAMES 2048
#define STACK_TOP 0x0000800000000000ull /* mm.c's: the main thread's stack */

static i64 vfork_fork(struct exo_upcall *up)
{
	u8 tcb_saved[TCB_BELOW + TCB_ABOVE], frames_saved[FRAMES]; /* on the upcall stack: not the child's */
	u8 *tcb = (u8 *)up->regs.tp - TCB_BELOW, *frames = (u8 *)up->regs.sp;
	u64 frames_len = MIN(FRAMES, STACK_TOP - up->regs.sp); /* a thread's stack may end sooner: it is mapped */
	u64 started = fork_stat ? fork_now_ns() : 0;
	memcpy(tcb_saved, tcb, sizeof(tcb_saved));
	memcpy(frames_saved, frames, frames_len);
	i64 child = libos_vfork(up, 0);
	if (child > 0) {
		memcpy(tcb, tcb_saved, sizeof(tcb_saved));
		memcpy(frames, frames_saved, frames_len);
		LIBOS_SAFE->forks_made++;
		if (fork_stat)
			libos_report("libos: fork: pid %lu -> %ld variant=vfork tables=0 tables_shared=0 entries_cow=0 "
			             "pages_copied=0 pages_shared=0 ns=%lu\n", libos.env, child, fork_now_ns() - started);
	}
	return child;
}

const struct fork_variant fork_vfork = { .name = "vfork", .fork = vfork_fork };
