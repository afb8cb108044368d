/*
 * forkbench: what fork costs, measured from inside an ordinary static musl
 * program with the generic timer (CNTVCT_EL0), so that the same binary
 * runs on exo (linked with libos) and as /init under Linux (linked with
 * musl alone), and the two can be put side by side.
 *
 * For each fork variant and each size of touched private memory (0, 1,
 * 16, 64 and 256 MiB), timed from just before fork:
 *  - fork_exit_wait: until waitpid returns (the child calls _exit(0));
 *  - fork_to_child: until the child's first instruction after fork (it
 *    reads the counter and sends it through a pipe: a shared page would
 *    itself cost exo's fork a special slot);
 *  - fork_touch_all: until waitpid returns, the child having written every
 *    page of the touched memory once;
 * and, whatever the variant: spawn_wait (posix_spawn of this program,
 * which exits at once, and waitpid), vfork_exit_wait (clone with CLONE_VM
 * and CLONE_VFORK, as posix_spawn issues it, the child calling _exit at
 * once), and one fault of each kind (first touch of a fresh page; a write
 * to a page a child still maps copy-on-write).
 *
 * Each case runs in a fresh process (forkbench spawns itself with
 * BENCH_ONLY naming the case), so no case inherits another's state (a
 * parent whose pages an earlier fork left write-protected, say), and
 * before each timed fork the parent writes every page of its memory again,
 * untimed: each sample is a fork of a process that has just written all
 * its memory, not a second fork of memory the first already shared.
 *
 * One line per case:
 *   forkbench: system=exo|linux variant=V case=C mem_kib=K iters=N median=N min=N p90=N unit=insns
 * Under QEMU's -icount shift=0 the counter runs at one tick per 16
 * instructions and a nanosecond is an instruction; FORKBENCH_UNIT=ns labels
 * the same figures as wall-clock nanoseconds (runs without icount).
 * Linux cannot choose exo's variants: those lines say `n/a`; Linux's
 * lines say which transparent-huge-page setting was in force (read from
 * /sys, which forkbench mounts as Linux's /init).  Environment:
 * FORKBENCH_ONLY=CASE (one case, any variant and size), BENCH_ONLY=
 * CASE_VARIANT_KIB (one line: the spawned run, or tools/profile.py's).  As
 * Linux's /init with `poweroff` it ends the machine.
 */
#include "bench/stats.h"
#include <exo/fork.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_ITERS 51
#define BATCH 32 /* faults timed together, for resolution */
#define PAGE 4096ul

static const size_t sizes_kib[] = { 0, 1024, 16384, 65536, 262144 };
static const char *const exo_variants[] = { "cow", "eager", "shared", "async", "vfork" };

static const char *system_name, *unit, *thp, *only, *one_line;
static uint64_t samples[MAX_ITERS];

static uint64_t counter(void)
{
	uint64_t value;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(value));
	return value;
}

/* Counts to nanoseconds (instructions under icount) x16, the precision bench_figures keeps. */
static uint64_t ns_x16(uint64_t counts)
{
	uint64_t frequency;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
	return (uint64_t)((unsigned __int128)counts * 16000000000ull / frequency);
}

#define to_x16 ns_x16
#include "bench/signal_cases.h"

static uint32_t iters_for(size_t kib) { return kib == 0 ? 51 : kib <= 1024 ? 21 : kib <= 16384 ? 11 : kib <= 65536 ? 7 : 5; }

static void report(const char *name, const char *variant, size_t kib, uint32_t iters)
{
	struct bench_figures figures = bench_figures(samples, iters);
	printf("forkbench: system=%s variant=%s case=%s mem_kib=%zu iters=%u median=%llu min=%llu p90=%llu unit=%s%s%s\n",
	       system_name, variant, name, kib, iters, (unsigned long long)figures.median,
	       (unsigned long long)figures.min, (unsigned long long)figures.p90, unit, thp ? " thp=" : "", thp ? thp : "");
	fflush(stdout);
}

static void not_applicable(const char *name, const char *variant, size_t kib)
{
	printf("forkbench: system=%s variant=%s case=%s mem_kib=%zu n/a%s%s\n", system_name, variant, name, kib,
	       thp ? " thp=" : "", thp ? thp : "");
}

static int failures;

static void failed(const char *name, const char *variant, size_t kib, const char *what)
{
	failures++;
	printf("forkbench: system=%s variant=%s case=%s mem_kib=%zu failed: %s\n", system_name, variant, name, kib, what);
	fflush(stdout);
}

/* exo: fork as the variant; Linux: its own fork (copy-on-write). */
static pid_t fork_as(const char *variant) { return strcmp(system_name, "exo") == 0 ? exo_fork(variant) : fork(); }

static char *touched(size_t kib)
{
	if (kib == 0)
		return NULL;
	char *memory = mmap(NULL, kib * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (memory == MAP_FAILED)
		return NULL;
	for (size_t at = 0; at < kib * 1024; at += PAGE)
		memory[at] = 1;
	return memory;
}

enum fork_kind { EXIT_WAIT, TO_CHILD, TOUCH_ALL };
static const char *const kind_names[] = { "fork_exit_wait", "fork_to_child", "fork_touch_all" };

/* One sample of a fork case: its cost x16, or 0 if fork failed. */
static uint64_t fork_sample(enum fork_kind kind, const char *variant, char *memory, size_t kib, int clock_fd[2])
{
	BENCH_PROFILE_ON();
	uint64_t start = counter();
	pid_t pid = fork_as(variant);
	if (pid == 0) {
		if (kind == TO_CHILD) {
			uint64_t now = counter();
			write(clock_fd[1], &now, sizeof now);
		}
		for (size_t at = 0; kind == TOUCH_ALL && at < kib * 1024; at += PAGE)
			memory[at] = 2;
		_exit(0);
	}
	if (pid < 0)
		return 0;
	int status = -1;
	waitpid(pid, &status, 0);
	uint64_t end = counter();
	BENCH_PROFILE_OFF();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 0; /* the child did not do its part: no figure (and no read that would wait for ever) */
	if (kind == TO_CHILD && read(clock_fd[0], &end, sizeof end) != sizeof end)
		return 0;
	return ns_x16(end - start);
}

static void fork_case(enum fork_kind kind, const char *variant, size_t kib)
{
	const char *name = kind_names[kind];
	char *memory = touched(kib);
	if (kib && !memory)
		return failed(name, variant, kib, "mmap");
	int clock_fd[2] = { -1, -1 };
	if (kind == TO_CHILD && pipe(clock_fd) < 0)
		return failed(name, variant, kib, "pipe");
	uint32_t iters = iters_for(kib);
	for (uint32_t i = 0; i < iters; i++) {
		for (size_t at = 0; at < kib * 1024; at += PAGE)
			memory[at] = (char)i; /* untimed: the parent has just written all its memory */
		if (!(samples[i] = fork_sample(kind, variant, memory, kib, clock_fd)))
			return failed(name, variant, kib, "fork, or the child's exit");
	}
	if (kind == TO_CHILD)
		close(clock_fd[0]), close(clock_fd[1]);
	report(name, variant, kib, iters);
	if (memory)
		munmap(memory, kib * 1024);
}

/* clone(CLONE_VM | CLONE_VFORK | SIGCHLD) on the caller's stack; the child only calls _exit(0). */
static long vfork_exit(void)
{
	register long x0 __asm__("x0") = 0x100 | 0x4000 | 17;
	register long x1 __asm__("x1") = 0, x2 __asm__("x2") = 0, x3 __asm__("x3") = 0, x4 __asm__("x4") = 0;
	register long x8 __asm__("x8") = 220; /* clone */
	__asm__ volatile("svc #0\n"
	                 "cbnz x0, 1f\n"
	                 "mov x8, #93\n" /* exit: the child touches no memory */
	                 "svc #0\n"
	                 "1:"
	                 : "+r"(x0)
	                 : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x8)
	                 : "memory", "cc");
	return x0;
}

static void vfork_case(size_t kib)
{
	uint32_t iters = iters_for(kib);
	for (uint32_t i = 0; i < iters; i++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		long pid = vfork_exit();
		if (pid < 0)
			return failed("vfork_exit_wait", "vfork", kib, "clone");
		int status = -1;
		if (waitpid((pid_t)pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return failed("vfork_exit_wait", "vfork", kib, "the child's exit");
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[i] = ns_x16(end - start);
	}
	report("vfork_exit_wait", "vfork", kib, iters);
}

static void spawn_case(const char *self, size_t kib)
{
	uint32_t iters = iters_for(kib);
	char *args[] = { (char *)self, "exit", NULL };
	for (uint32_t i = 0; i < iters; i++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		pid_t pid;
		if (posix_spawn(&pid, self, NULL, NULL, args, environ) != 0)
			return failed("spawn_wait", "spawn", kib, "posix_spawn");
		int status = -1;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return failed("spawn_wait", "spawn", kib, "the child's exit");
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[i] = ns_x16(end - start);
	}
	report("spawn_wait", "spawn", kib, iters);
}

/* BATCH faults per sample on fresh pages: demand-zero, or copy-on-write while a child holds them. */
static void fault_case(const char *name, const char *variant, bool cow)
{
	uint32_t iters = MAX_ITERS;
	size_t pages = (size_t)iters * BATCH;
	volatile char *area = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int hold[2];
	if (area == MAP_FAILED || pipe(hold) < 0)
		return failed(name, variant, 0, "mmap");
	/* 4 KiB faults on both systems: with huge pages Linux would take one fault per 2 MiB. */
	madvise((void *)area, pages * PAGE, MADV_NOHUGEPAGE);
	pid_t pid = -1;
	if (cow) {
		for (size_t i = 0; i < pages; i++)
			area[i * PAGE] = 1;
		if ((pid = fork_as(variant)) == 0) {
			char byte;
			_exit(read(hold[0], &byte, 1) == 1 ? 0 : 1);
		}
	}
	for (uint32_t s = 0; s < iters; s++) {
		BENCH_PROFILE_ON();
		uint64_t start = counter();
		for (int i = 0; i < BATCH; i++)
			area[((size_t)s * BATCH + i) * PAGE] = 2;
		uint64_t end = counter();
		BENCH_PROFILE_OFF();
		samples[s] = ns_x16(end - start) / BATCH;
	}
	if (pid > 0) {
		write(hold[1], "x", 1);
		waitpid(pid, NULL, 0);
	}
	close(hold[0]), close(hold[1]);
	munmap((void *)area, pages * PAGE);
	report(name, variant, 0, iters);
}

/* A signal round trip (bench/signal_cases.h): no fork, the same on both systems. */
static void signal_case(const char *name)
{
	bool segv = strcmp(name, "sigsegv_handled") == 0;
	if (!(segv ? sigsegv_handled_samples : signal_roundtrip_samples)(samples, MAX_ITERS))
		return failed(name, "none", 0, "a handler did not run");
	report(name, "none", 0, MAX_ITERS);
}

/*
 * Can this system run the case?  Linux forks only its own way (its cow);
 * a vfork child that writes all its parent's memory copies nothing, so
 * fork_touch_all has no vfork case.
 */
static bool applicable(const char *name, const char *variant)
{
	bool on_linux = strcmp(system_name, "linux") == 0;
	if (strcmp(variant, "vfork") == 0 && strcmp(name, "vfork_exit_wait") != 0)
		return !on_linux && strcmp(name, "fork_touch_all") != 0;
	if (strcmp(variant, "eager") == 0 || strcmp(variant, "shared") == 0 || strcmp(variant, "async") == 0)
		return !on_linux;
	return true;
}

/* Every case, in the order the table shows them. */
static void each_case(void (*fn)(const char *name, const char *variant, size_t kib))
{
	fn("first_touch_fault", "none", 0);
	fn("signal_roundtrip", "none", 0);
	fn("sigsegv_handled", "none", 0);
	fn("cow_fault", "cow", 0);
	fn("cow_fault", "shared", 0);
	for (size_t s = 0; s < sizeof sizes_kib / sizeof sizes_kib[0]; s++) {
		for (size_t v = 0; v < sizeof exo_variants / sizeof exo_variants[0]; v++)
			for (enum fork_kind kind = EXIT_WAIT; kind <= TOUCH_ALL; kind++)
				fn(kind_names[kind], exo_variants[v], sizes_kib[s]);
		fn("vfork_exit_wait", "vfork", sizes_kib[s]);
		fn("spawn_wait", "spawn", sizes_kib[s]);
	}
}

static const char *self_path;

/* The case named by BENCH_ONLY, in this process (a spawned run, or tools/profile.py's). */
static void run_here(const char *name, const char *variant, size_t kib)
{
	char label[96];
	snprintf(label, sizeof label, "%s_%s_%zu", name, variant, kib);
	if (strcmp(one_line, label) != 0 || !applicable(name, variant))
		return;
	if (strcmp(name, "first_touch_fault") == 0 || strcmp(name, "cow_fault") == 0)
		return fault_case(name, variant, strcmp(name, "cow_fault") == 0);
	if (strcmp(name, "signal_roundtrip") == 0 || strcmp(name, "sigsegv_handled") == 0)
		return signal_case(name);
	if (strcmp(name, "vfork_exit_wait") == 0)
		return vfork_case(kib);
	if (strcmp(name, "spawn_wait") == 0)
		return spawn_case(self_path, kib);
	for (enum fork_kind kind = EXIT_WAIT; kind <= TOUCH_ALL; kind++)
		if (strcmp(name, kind_names[kind]) == 0)
			fork_case(kind, variant, kib);
}

/*
 * The whole run: each case in a process of its own, forkbench spawned
 * with BENCH_ONLY=CASE_VARIANT_KIB, which prints its line (cases this
 * system cannot run say n/a here, unspawned).
 */
static void run_alone(const char *name, const char *variant, size_t kib)
{
	if (only && strcmp(only, name) != 0)
		return;
	if (!applicable(name, variant))
		return not_applicable(name, variant, kib);
	char label[96], *env[256];
	snprintf(label, sizeof label, "BENCH_ONLY=%s_%s_%zu", name, variant, kib);
	int count = 0;
	env[count++] = label;
	for (char **entry = environ; *entry && count < 255; entry++)
		if (strncmp(*entry, "BENCH_ONLY=", 11) != 0)
			env[count++] = *entry;
	env[count] = NULL;
	char *args[] = { (char *)self_path, NULL };
	pid_t pid;
	int status = -1;
	if (posix_spawn(&pid, self_path, NULL, NULL, args, env) != 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failed(name, variant, kib, "its run did not end well");
}

/* Linux as /init: which transparent-huge-page setting is in force, from /sys (mounted here). */
static const char *thp_setting(void)
{
	static char setting[16];
	mkdir("/sys", 0555);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	FILE *file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[64] = "";
	if (!file || !fgets(line, sizeof line, file)) {
		if (file)
			fclose(file);
		return "unknown";
	}
	fclose(file);
	char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
	if (!open || !close || close - open - 1 >= (long)sizeof setting)
		return "unknown";
	memcpy(setting, open + 1, (size_t)(close - open - 1));
	return setting;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0; /* spawn_wait's child */
	system_name = exo_fork_variant() ? "exo" : "linux";
	unit = getenv("FORKBENCH_UNIT") ? getenv("FORKBENCH_UNIT") : "insns";
	only = getenv("FORKBENCH_ONLY");
	one_line = getenv("BENCH_ONLY");
	self_path = argv[0][0] ? argv[0] : "forkbench";
	if (strcmp(system_name, "linux") == 0) {
		if (getpid() == 1)
			setenv("FORKBENCH_THP", thp_setting(), 1); /* the spawned runs print it */
		thp = getenv("FORKBENCH_THP");
	}
	if (one_line) {
		each_case(run_here); /* one case, this process */
		fflush(stdout);
		return failures != 0;
	}
	each_case(run_alone);
	printf("forkbench: done%s\n", failures ? " (with failures)" : "");
	fflush(stdout);
	if (getpid() == 1 && argc > 1 && strcmp(argv[1], "poweroff") == 0) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return failures != 0;
}
