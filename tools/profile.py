#!/usr/bin/env python3
"""Where a benchmark case's instructions go, function by function.

Runs one case of bench_abi or bench_libos alone in QEMU (the argv of
bench/run.py: -icount shift=0,sleep=off) with the exoprof plugin
(tools/prof/exoprof.c, build/tools/exoprof.so), which counts instructions
per address between the case's BENCH_PROFILE_ON/OFF markers; then names
each address's function from the kernel's (build/kernel.elf) and the
program's (build/user/PROGRAM) symbols and prints the instructions of each
function per operation (the window's count over windows, divided by the
operations the case times in one sample), most first, beside the median
the same run reported.

  python3 tools/profile.py --case copy_table_wp
  python3 tools/profile.py --case map_512 --lines 20     (hottest addresses, disassembled)
  python3 tools/profile.py --all --out build/bench/profile.txt   (ninja profile)
  python3 tools/profile.py --real pipeline_exec --shell busybox --variant shared
      (a suite=real loop of bench/real.sh, between /profmark on and off: every process and the
       kernel, per iteration, as the difference of 16 iterations and none)
"""
import argparse
import bisect
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

PLUGIN = "build/tools/exoprof.so"
KERNEL = "build/kernel.elf"
RESULTS = "build/bench/results.txt"
# Each program, its source (where its cases are found) and how one case is chosen on the kernel
# command line: bench_abi reads only=NAME (rt_arg); libos hands a musl program only the words
# with a capital letter as its environment, so bench_libos reads BENCH_ONLY=NAME.
PROGRAMS = {
    "bench_abi": ("bench/abi.c", re.compile(r'bench_report\("abi", "(\w+)"'), "only={}"),
    "bench_libos": ("bench/libos.c", re.compile(r'\breport\("(\w+)"'), "BENCH_ONLY={}"),
    "forkbench": ("apps/forkbench/forkbench.c", None, "BENCH_ONLY={}"),
}
# forkbench's cases, named CASE_VARIANT_KIB as its BENCH_ONLY reads them.
FORK_VARIANTS = ("cow", "eager", "shared", "async", "vfork")
FORK_SIZES = (0, 1024, 16384, 65536, 262144)
FORKBENCH_CASES = ([f"{kind}_{variant}_{kib}" for kind in ("fork_exit_wait", "fork_to_child", "fork_touch_all")
                    for variant in FORK_VARIANTS for kib in FORK_SIZES]
                   + [f"vfork_exit_wait_vfork_{kib}" for kib in FORK_SIZES]
                   + [f"spawn_wait_spawn_{kib}" for kib in FORK_SIZES]
                   + ["first_touch_fault_none_0", "cow_fault_cow_0", "cow_fault_shared_0",
                      "signal_roundtrip_none_0", "sigsegv_handled_none_0"])
# Operations timed in one sample (one window), where it is not one: the bench divides by these.
OPS_PER_WINDOW = {"null_call": 32, "upcall_roundtrip": 32, "svc_reflect": 32, "svc_reflect_light": 32,
                  "cow_fault": 32, "getppid": 32, "first_touch_fault": 32, "pipe_round_trip": 8,
                  "cow_fault_cow_0": 32, "cow_fault_shared_0": 32, "first_touch_fault_none_0": 32,
                  "signal_roundtrip": 32, "sigsegv_handled": 32, "signal_roundtrip_none_0": 32,
                  "sigsegv_handled_none_0": 32}


def tool(name, *fallbacks):
    for candidate in (name,) + fallbacks:
        if shutil.which(candidate):
            return candidate
    return name


def cases_of(program):
    source, pattern, _ = PROGRAMS[program]
    if pattern is None:
        return FORKBENCH_CASES
    with open(source) as f:
        found = pattern.findall(f.read())
    return [next(group for group in match if group) if isinstance(match, tuple) else match for match in found]


def program_of(case):
    found = [program for program in PROGRAMS if case in cases_of(program)]
    if len(found) != 1:
        every = [c for program in PROGRAMS for c in cases_of(program)]
        sys.exit(f"--case {case}: not a benchmark case; the cases are: {' '.join(every)}")
    return found[0]


def symbols(nm, elf):
    """(address, name) of every function symbol, by address."""
    out = subprocess.run([nm, "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def run_qemu(qemu, mem, append):
    """Boot exo with the plugin: the console, and the windows and per-address counts it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "exoprof.out")
        argv = [qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", mem, "-nographic", "-nic", "none",
                "-no-reboot", "-icount", "shift=0,sleep=off", "-kernel", "build/kernel.bin",
                "-initrd", "build/user/initrd.cpio", "-append", append,
                "-plugin", f"{PLUGIN},out={out}"]
        console = subprocess.run(argv, capture_output=True, text=True, timeout=900).stdout.replace("\r", "")
        if "exo: power off (status 0)" not in console or not os.path.exists(out):
            sys.exit(f"{append}: the run failed:\n{console[-2000:]}")
        counts = collections.Counter()
        with open(out) as f:
            windows = int(f.readline().split()[1])
            for line in f:
                pc, count = line.split()
                counts[int(pc, 16)] += int(count)
    return console, windows, counts


def run_case(qemu, case, program):
    select = PROGRAMS[program][2].format(case)
    console, windows, counts = run_qemu(qemu, "2G" if program == "forkbench" else "512M", f"init={program} {select}")
    median = None
    for line in console.splitlines():
        found = re.search(rf"case={case} median=(\d+)", line) or \
            (program == "forkbench" and re.search(r"^forkbench: system=\S+ .* median=(\d+)", line))
        if found:
            median = int(found.group(1))
    return windows, counts, median


def disassembly(objdump, elf):
    """address -> instruction text, from objdump -d."""
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", elf], capture_output=True, text=True).stdout
    text = {}
    for line in out.splitlines():
        found = re.match(r"\s*([0-9a-f]+):\s+(.*)$", line)
        if found:
            text[int(found.group(1), 16)] = " ".join(found.group(2).split())
    return text


KERNEL_BASE = 0xffff000000000000
# libos functions whose entries count events a fork causes.
EVENTS = {"fork_cow_fault": "copy-on-write faults looked at", "unshare": "shared tables made private",
          "libos_on_fault": "fault upcalls", "libos_on_syscall": "system calls answered by libos"}


def summary(syms, counts, per_op):
    """Kernel against user instructions; the kernel's calls by kind and libos's events, counted
    as the executions of each function's first instruction."""
    kernel = sum(c for pc, c in counts.items() if pc >= KERNEL_BASE)
    user = sum(c for pc, c in counts.items() if pc < KERNEL_BASE)
    out = [f"  split: kernel {kernel / per_op:.0f}, user (libos and the program) {user / per_op:.0f}"]
    calls = sorted(((counts.get(addr, 0) / per_op, name[len("call_"):]) for addr, name in syms
                    if addr >= KERNEL_BASE and name.startswith("call_") and counts.get(addr)), reverse=True)
    if calls:
        out.append("  kernel calls per op: " + ", ".join(f"{name} {n:g}" for n, name in calls))
    events = [(EVENTS[name], counts.get(addr, 0) / per_op) for addr, name in syms
              if name in EVENTS and addr < KERNEL_BASE and counts.get(addr)]
    if events:
        out.append("  libos per op: " + ", ".join(f"{what} {n:g}" for what, n in events))
    return out


def profile(args, case):
    program = program_of(case)
    windows, counts, median = run_case(args.qemu, case, program)
    elf = f"build/user/{program}"
    syms = sorted(symbols(args.nm, KERNEL) + symbols(args.nm, elf))
    addrs = [a for a, _ in syms]

    def where(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i] if i >= 0 else (0, "?")

    per_function = collections.Counter()
    for pc, count in counts.items():
        per_function[where(pc)[1]] += count
    total = sum(per_function.values())
    ops = OPS_PER_WINDOW.get(case, 1)
    per_op = max(windows, 1) * ops
    head = (f"case={case} program={program} windows={windows} insns_per_op={total / per_op:.0f} "
            f"bench_median={median}")
    if median:
        head += f" diff={100 * (total / per_op - median) / median:+.2f}%"
    head += f" insns_per_window={total / max(windows, 1):.0f} ops_per_window={ops}"
    lines = [head]
    for name, count in per_function.most_common(args.top):
        lines.append(f"  {count / per_op:12.1f} {100 * count / max(total, 1):5.1f}%  {name}")
    rest = per_function.most_common()[args.top:]
    if rest:
        count = sum(c for _, c in rest)
        share = 100 * count / max(total, 1)
        lines.append(f"  {count / per_op:12.1f} {share:5.1f}%  ({len(rest)} other functions)")
    lines.append(f"  {total / per_op:12.1f} 100.0%  total per op")
    lines += summary(syms, counts, per_op)
    if args.lines:
        text = {}
        for binary in (KERNEL, elf):
            text.update(disassembly(args.objdump, binary))
        lines.append("  hottest addresses (instructions per op, function+offset, instruction):")
        for pc, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:args.lines]:
            base, name = where(pc)
            lines.append(f"  {count / per_op:10.2f}  {pc:016x}  {name}+{pc - base:#x}  {text.get(pc, '')}")
    return "\n".join(lines)


# Where unmodified programs and libos's loader lie: Debian's static bash and busybox are linked
# at 0x400000 without symbols; the loader (LOADER_BASE) has libos's.
LOADER = "build/user/loader"
PROGRAM_END = 0x10000000


def profile_real(args):
    """suite=real's loop (bench/real.sh profile): K iterations and 0, each between /profmark on and
    off, in every process and the kernel; their difference over K, per function."""
    shell, case, times = args.shell, args.real, args.times
    runs = []
    for n in (times, 0):
        append = f"init=/bin/bash EXO_FORK={args.variant} -- /bench/real.sh profile {case} {shell} {n}"
        console, windows, counts = run_qemu(args.qemu, "2G", append)
        if windows != 1 or "real: done" not in console:
            sys.exit(f"{append}: expected one window and the script's end:\n{console[-2000:]}")
        runs.append(counts)
    syms = sorted(symbols(args.nm, KERNEL) + symbols(args.nm, LOADER))
    addrs = [a for a, _ in syms]

    def where(pc):
        if pc < PROGRAM_END:
            return f"({shell}, no symbols)"
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else "?"

    per_function = collections.Counter()
    for sign, counts in ((1, runs[0]), (-1, runs[1])):
        for pc, count in counts.items():
            per_function[where(pc)] += sign * count
    total = sum(per_function.values())
    kernel = sum(c for pc, c in runs[0].items() if pc >= KERNEL_BASE) - \
        sum(c for pc, c in runs[1].items() if pc >= KERNEL_BASE)
    lines = [f"real case={shell}_{case} variant={args.variant} iterations={times} "
             f"insns_per_iteration={total / times:.0f} (kernel {kernel / times:.0f})"]
    for name, count in per_function.most_common(args.top):
        lines.append(f"  {count / times:12.1f} {100 * count / max(total, 1):5.1f}%  {name}")
    calls = sorted(((runs[0].get(a, 0) - runs[1].get(a, 0)) / times, name[len("call_"):]) for a, name in syms
                   if a >= KERNEL_BASE and name.startswith("call_") and runs[0].get(a))
    lines.append("  kernel calls per iteration: " + ", ".join(f"{n[1]} {n[0]:g}" for n in reversed(calls) if n[0]))
    entered = sorted(((runs[0].get(a, 0) - runs[1].get(a, 0)) / times, name) for a, name in syms
                     if a < KERNEL_BASE and runs[0].get(a))
    lines.append("  libos functions entered per iteration: " +
                 ", ".join(f"{n[1]} {n[0]:g}" for n in reversed(entered[-args.top:]) if n[0]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", help="one case, e.g. copy_table_wp")
    parser.add_argument("--all", action="store_true",
                        help=f"every case in {RESULTS} (or, without it, in the bench sources)")
    parser.add_argument("--qemu", default="qemu-system-aarch64")
    parser.add_argument("--nm", default=tool("llvm-nm-14", "llvm-nm"))
    parser.add_argument("--objdump", default=tool("llvm-objdump-14", "llvm-objdump"))
    parser.add_argument("--top", type=int, default=15, help="functions shown (default 15)")
    parser.add_argument("--lines", type=int, nargs="?", const=20, default=0,
                        help="also the N hottest addresses, disassembled (N defaults to 20)")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--real", metavar="CASE", help="a suite=real loop instead (cmdsubst, subshell, pipeline_exec)")
    parser.add_argument("--shell", default="bash", choices=("bash", "busybox"), help="with --real")
    parser.add_argument("--variant", default="cow", help="with --real: EXO_FORK (default cow)")
    parser.add_argument("--times", type=int, default=16, help="with --real: iterations (default 16)")
    args = parser.parse_args()
    if args.real:
        print(profile_real(args))
        return
    if args.all:
        if os.path.exists(RESULTS):
            with open(RESULTS) as f:
                # forkbench's lines name a case by its case, variant and size together.
                cases = [f"{m[0]}_{m[1]}_{m[2]}" if m[1] else m[0]
                         for m in re.findall(r"case=(\S+)(?: variant=(\S+) mem_kib=(\d+))?", f.read())]
        else:
            cases = [c for program in PROGRAMS for c in cases_of(program)]
    elif args.case:
        cases = [args.case]
    else:
        parser.error("give --case NAME (or --all)")
    for needed in (PLUGIN, KERNEL, "build/kernel.bin", "build/user/initrd.cpio"):
        if not os.path.exists(needed):
            sys.exit(f"{needed} is missing: run `ninja {needed} build/user/initrd.cpio` first")
    reports = []
    for case in cases:
        reports.append(profile(args, case))
        print(reports[-1] + "\n", flush=True)
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            f.write("\n\n".join(reports) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
