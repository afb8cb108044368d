#!/usr/bin/env python3
"""Run the benchmark programs in QEMU with -icount shift=0,sleep=off (the guest's
generic timer then counts instructions, so results repeat exactly) and write
build/bench/results.txt: one line per case,
  suite=S case=C median=N min=N p90=N unit=insns
Wall time of each QEMU run is printed beside, for scale only."""
import argparse
import os
import re
import subprocess
import sys
import time

PROGRAMS = ["bench_abi", "bench_libos"]
LINE = re.compile(r"^bench: (suite=\S+ case=\S+ (?:variant=\S+ mem_kib=\d+ )?median=\d+ min=\d+ p90=\d+ unit=insns)$", re.M)


# bench_libos's fork cases touch up to 256 MiB, which a copying child doubles.
MEMORY = {"bench_abi": "512M", "bench_libos": "2G"}


def run(qemu, program):
    argv = [qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", MEMORY[program], "-nographic", "-nic", "none",
            "-no-reboot", "-icount", "shift=0,sleep=off", "-kernel", "build/kernel.bin",
            "-initrd", "build/user/initrd.cpio", "-append", f"init={program}"]
    start = time.time()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800).stdout.replace("\r", "")
    wall = time.time() - start
    lines = LINE.findall(out)
    if not lines or "exo: power off (status 0)" not in out:
        sys.exit(f"{program} failed:\n{out[-3000:]}")
    return lines, wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--out", default="build/bench/results.txt")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    results = []
    for program in PROGRAMS:
        lines, wall = run(args.qemu, program)
        for line in lines:
            print(line)
        print(f"({program}: {wall:.1f} s of wall time under QEMU, for scale only)")
        results += lines
    with open(args.out, "w") as out:
        out.write("\n".join(results) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
