#!/usr/bin/env python3
"""Run the benchmark programs on exo in QEMU with -icount shift=0,sleep=off (the guest's
generic timer then counts instructions, so results repeat exactly) and write
build/bench/results.txt: one line per case,
  suite=S case=C [variant=V mem_kib=K] median=N min=N p90=N unit=insns
then print them as a table. bench_abi measures the kernel's calls, bench_libos libos's,
apps/forkbench fork (its lines become suite=fork). Wall time of each QEMU run is printed
beside, for scale only."""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_runs  # noqa: E402

BENCH_LINE = re.compile(r"^bench: (suite=\S+ case=\S+ (?:variant=\S+ mem_kib=\d+ )?median=\d+ min=\d+ p90=\d+ unit=insns)$")
FORKBENCH_LINE = re.compile(r"^forkbench: system=exo variant=(\S+) case=(\S+) mem_kib=(\d+) iters=\d+ "
                            r"(median=\d+ min=\d+ p90=\d+ unit=insns)$")
# bench_abi and bench_libos need little memory; forkbench touches up to 256 MiB, which a copying child doubles.
PROGRAMS = [("bench_abi", "512M"), ("bench_libos", "512M"), ("forkbench", "2G")]


def results_of(program, lines):
    """The results.txt lines of one program's console."""
    out = []
    for line in lines:
        found = BENCH_LINE.match(line)
        if found:
            out.append(found.group(1))
        found = FORKBENCH_LINE.match(line)
        if found and found.group(2) not in ("first_touch_fault", "signal_roundtrip", "sigsegv_handled"):
            # bench_libos's suite=libos has these
            variant, case, kib, figures = found.groups()
            out.append(f"suite=fork case={case} variant={variant} mem_kib={kib} {figures}")
    return out


def table(results):
    """The results as a table: one row per case, instructions with thousands separated."""
    rows = []
    for line in results:
        fields = dict(item.split("=", 1) for item in line.split())
        name = fields["case"] + (f" {fields['variant']}" if "variant" in fields else "")
        size = f"{int(fields['mem_kib']) // 1024} MiB" if "mem_kib" in fields else ""
        rows.append((fields["suite"], name, size, *(f"{int(fields[k]):,}" for k in ("median", "min", "p90"))))
    head = ("suite", "case", "memory", "median", "min", "p90")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    text = ["  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in [head] + rows]
    return "\n".join(text) + "\n(guest instructions, QEMU -icount shift=0: median, min and p90 of each case's samples)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--out", default="build/bench/results.txt")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    results = []
    for program, memory in PROGRAMS:
        print(f"running {program} on exo...", flush=True)
        lines, wall = qemu_runs.run(qemu_runs.exo_argv(args.qemu, program, memory), timeout=1800)
        got = results_of(program, lines)
        failed = [line for line in lines if line.startswith("forkbench: ") and " failed: " in line]
        if not got or failed or "exo: power off (status 0)" not in lines:
            sys.exit(f"{program} failed:\n" + "\n".join(lines[-60:]))
        print(f"({program}: {wall:.1f} s of wall time under QEMU, for scale only)")
        results += got
    with open(args.out, "w") as out:
        out.write("\n".join(results) + "\n")
    print(table(results))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
