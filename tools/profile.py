#!/usr/bin/env python3
"""Where a benchmark case's instructions go, function by function.

Runs one case of bench_abi or bench_libos alone in QEMU (-icount
shift=0,sleep=off, as `ninja bench` does) with the exoprof plugin
(tools/prof/exoprof.c), which counts instructions per address between the
case's BENCH_PROFILE_ON/OFF markers; then names each address's function
from the kernel's and the program's symbols and prints, per window (one
sample), the instructions of each function, most first.

  python3 tools/profile.py --case copy_table_wp
  python3 tools/profile.py --all --out build/bench/profile.txt   (ninja profile)
"""
import argparse
import bisect
import collections
import os
import subprocess
import sys
import tempfile

ABI_CASES = ["null_call", "upcall_roundtrip", "svc_reflect", "svc_reflect_light", "map_512", "copy_table_wp",
             "env_lifecycle", "cow_fault", "teardown_tiny", "copy_subtree_64m"]
LIBOS_CASES = ["getppid", "first_touch_fault", "pipe_round_trip"]
PLUGIN = "build/tools/exoprof.so"
# Operations in one window (one sample): the bench divides by these.
OPS_PER_WINDOW = {"null_call": 32, "upcall_roundtrip": 32, "svc_reflect": 32, "svc_reflect_light": 32,
                  "cow_fault": 32, "getppid": 32, "first_touch_fault": 32, "pipe_round_trip": 8}


def symbols(nm, elf):
    out = subprocess.run([nm, "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def run_case(qemu, case):
    program = "bench_abi" if case in ABI_CASES else "bench_libos"
    select = f"only={case}" if program == "bench_abi" else f"BENCH_ONLY={case}"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "exoprof.out")
        argv = [qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic", "-nic", "none",
                "-no-reboot", "-icount", "shift=0,sleep=off", "-kernel", "build/kernel.bin",
                "-initrd", "build/user/initrd.cpio", "-append", f"init={program} {select}",
                "-plugin", f"{PLUGIN},out={out}"]
        console = subprocess.run(argv, capture_output=True, text=True, timeout=900).stdout
        if "exo: power off (status 0)" not in console or not os.path.exists(out):
            sys.exit(f"{case}: the run failed:\n{console[-2000:]}")
        median = None
        for line in console.splitlines():
            if f"case={case} " in line and "median=" in line:
                median = int(line.split("median=")[1].split()[0])
        with open(out) as f:
            windows = int(f.readline().split()[1])
            counts = collections.Counter()
            for line in f:
                pc, count = line.split()
                counts[int(pc, 16)] += int(count)
    return program, windows, counts, median


def profile(qemu, nm, case, top):
    program, windows, counts, median = run_case(qemu, case)
    syms = sorted(symbols(nm, "build/kernel.elf") + symbols(nm, f"build/user/{program}"))
    addrs = [a for a, _ in syms]
    per_function = collections.Counter()
    for pc, count in counts.items():
        i = bisect.bisect_right(addrs, pc) - 1
        per_function[syms[i][1] if i >= 0 else "?"] += count
    total = sum(per_function.values())
    per_op = max(windows, 1) * OPS_PER_WINDOW.get(case, 1)
    lines = [f"case={case} program={program} windows={windows} insns_per_op={total / per_op:.0f} "
             f"bench_median={median}"]
    for name, count in per_function.most_common(top):
        lines.append(f"  {count / per_op:12.1f} {100 * count / max(total, 1):5.1f}%  {name}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--qemu", default="qemu-system-aarch64")
    parser.add_argument("--nm", default="llvm-nm-14")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--out")
    args = parser.parse_args()
    cases = ABI_CASES + LIBOS_CASES if args.all else [args.case]
    if cases == [None] or (args.case and args.case not in ABI_CASES + LIBOS_CASES):
        sys.exit(f"--case must be one of: {' '.join(ABI_CASES + LIBOS_CASES)} (or --all)")
    reports = [profile(args.qemu, args.nm, case, args.top) for case in cases]
    text = "\n\n".join(reports) + "\n"
    print(text, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
