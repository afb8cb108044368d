/*
 * Who a process is and what it may use: the ids (every process runs as
 * root, uid and gid 0, as a Linux /init does), the file-creation mask, the
 * resource limits, and the usage counters.  Of the limits, RLIMIT_NOFILE
 * is enforced (by the descriptor table, whose size is its hard limit);
 * the others are kept and read back, with values saying what exo does:
 * RLIMIT_STACK is the 8 MiB the stack region has, RLIMIT_CORE is 0 (no
 * core is dumped), the rest unlimited.  A forked child copies them (this
 * memory); exec keeps the mask and RLIMIT_NOFILE (the exec block).
 * RLIMIT_NPROC is enforced by fork against every process there is (all
 * are root; Linux would let root past it, but nothing else bounds a fork
 * bomb that draws on its parent's quota); RLIMIT_AS, RLIMIT_DATA and
 * RLIMIT_STACK by mm.c.
 */
#include "libos/libos.h"
#include <string.h>

#define RLIM_INFINITY (~0ull)
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMITS 16
#define L_ESRCH 3

struct rlimit_l {
	u64 cur, max;
};

u32 libos_umask = 022;
static struct rlimit_l limits[RLIMITS];
static bool limits_set;

static void default_limits(void)
{
	for (u32 i = 0; i < RLIMITS; i++)
		limits[i] = (struct rlimit_l){ RLIM_INFINITY, RLIM_INFINITY };
	limits[RLIMIT_STACK].cur = 8 << 20;
	limits[RLIMIT_CORE].cur = 0;
	limits[RLIMIT_NOFILE] = (struct rlimit_l){ FS_MAX_FDS, FS_MAX_FDS };
	limits_set = true;
}

u64 libos_nofile(void) { return limits_set ? limits[RLIMIT_NOFILE].cur : FS_MAX_FDS; }
u64 libos_nproc(void) { return limits_set ? limits[RLIMIT_NPROC].cur : ~0ull; }
u64 libos_rlimit(u32 resource)
{
	if (!limits_set)
		return resource == RLIMIT_STACK ? 8 << 20 : ~0ull;
	return limits[resource].cur;
}

i64 id_umask(u64 mask)
{
	u32 before = libos_umask;
	libos_umask = (u32)mask & 0777;
	return before;
}

/* prlimit64 (and getrlimit, setrlimit): of ourselves only. */
i64 id_prlimit(i64 pid, u64 resource, const struct rlimit_l *wanted, struct rlimit_l *old)
{
	if (pid != 0 && (u64)pid != libos_process_of((u64)exo_self()))
		return -L_ESRCH; /* another process's limits are out of reach */
	if (resource >= RLIMITS)
		return -L_EINVAL;
	HOLD_LIBOS_LOCK();
	if (!limits_set)
		default_limits();
	struct rlimit_l now = limits[resource], next = now;
	if (wanted) {
		next = *wanted; /* a bad pointer faults (EFAULT) before anything changed */
		if (next.cur > next.max)
			return -L_EINVAL;
		if (next.max > now.max)
			return -L_EPERM; /* NOFILE: the table has no more; the others are unlimited already */
	}
	if (old)
		*old = now;
	limits[resource] = next;
	return 0;
}

/* What exec keeps: the mask, and RLIMIT_NOFILE (soft, hard). */
void id_export(u64 *words)
{
	HOLD_LIBOS_LOCK();
	if (!limits_set)
		default_limits();
	words[0] = libos_umask;
	words[1] = limits[RLIMIT_NOFILE].cur | limits[RLIMIT_NOFILE].max << 32;
}

void id_import(const u64 *words)
{
	default_limits();
	libos_umask = (u32)words[0] & 0777;
	limits[RLIMIT_NOFILE] = (struct rlimit_l){ words[1] & 0xffffffff, words[1] >> 32 };
}

/* getrusage: exo keeps no per-process CPU or fault accounting: all zero. */
i64 id_getrusage(i64 who, void *usage)
{
	if (who != 0 && who != -1 && who != 1) /* RUSAGE_SELF, _CHILDREN, _THREAD */
		return -L_EINVAL;
	memset(usage, 0, 144);
	return 0;
}

/* times: no CPU accounting (zeros); the result is clock ticks (100 a second) since boot. */
i64 id_times(void *tms)
{
	if (tms)
		memset(tms, 0, 32);
	return exo_clock() / 10000000;
}

/* sysinfo: the uptime; exo has no load average, and memory is the kernel's to count. */
i64 id_sysinfo(void *out)
{
	u8 info[112];
	memset(info, 0, sizeof(info));
	i64 uptime = exo_clock() / 1000000000;
	memcpy(info, &uptime, 8);
	u16 procs = 1;
	memcpy(info + 80, &procs, 2);
	u32 unit = 1;
	memcpy(info + 104, &unit, 4);
	memcpy(out, info, sizeof(info));
	return 0;
}
