#!/usr/bin/env python3
"""ninja bench-real: suite=real, fork-heavy loops of Debian's unmodified bash and busybox sh
(bench/real.sh: command substitution, a subshell, a pipeline that execs a program), per
iteration, on exo under each fork variant and on Debian's Linux in the same QEMU (virt,
cortex-a72, -icount shift=0,sleep=off: figures in guest instructions).  Writes
build/bench/real.txt (suite=real lines, Linux's with variant=linux) and build/bench/real.md (side
by side, with exo's ratio to Linux), and prints the table."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_runs  # noqa: E402

OUT = "build/bench"
VARIANTS = ("cow", "eager", "shared", "async")
CASES = ("cmdsubst", "subshell", "pipeline_exec")
SHELLS = ("bash", "busybox")


def summary(samples):
    """Median, min and p90 as bench/stats.h takes them: the sorted samples' middle, first and 90th percentile."""
    ordered = sorted(samples)
    return {"median": ordered[len(ordered) // 2], "min": ordered[0], "p90": ordered[len(ordered) * 9 // 10]}


def samples_of(lines, label):
    if "real: done" not in lines:
        sys.exit(f"{label}: bench/real.sh did not finish:\n" + "\n".join(lines[-40:]))
    found = {}
    for line in lines:
        if line.startswith("real: shell="):
            fields = dict(item.split("=", 1) for item in line[len("real: "):].split())
            found.setdefault((fields["shell"], fields["case"]), []).append(int(fields["sample"]))
    return found


def run(qemu, system, variant):
    label = f"{system}" + (f" {variant}" if variant else "")
    print(f"{label}: booting", flush=True)
    if system == "exo":
        argv = qemu_runs.qemu_argv(qemu, "2G", True, qemu_runs.EXO_KERNEL, qemu_runs.EXO_INITRD,
                                   f"init=/bin/bash EXO_FORK={variant} -- /bench/real.sh")
    else:
        argv = qemu_runs.qemu_argv(qemu, "2G", True, qemu_runs.LINUX_KERNEL, qemu_runs.LINUX_INITRD,
                                   "console=ttyAMA0 quiet panic=-1 rdinit=/bin/bash -- /bench/real.sh")
    lines, wall = qemu_runs.run(argv, timeout=1800)
    print(f"{label}: {wall:.0f} s wall", flush=True)
    return samples_of(lines, label)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results = {("linux", None): run(args.qemu, "linux", None)}
    for variant in VARIANTS:
        results[("exo", variant)] = run(args.qemu, "exo", variant)
    lines, rows = [], []
    for shell in SHELLS:
        for case in CASES:
            linux = summary(results[("linux", None)][(shell, case)])
            lines.append(f"suite=real case={shell}_{case} variant=linux median={linux['median']} "
                         f"min={linux['min']} p90={linux['p90']} unit=insns")
            row = [f"`{shell}` {case}", f"{linux['median']:,}"]
            for variant in VARIANTS:
                exo = summary(results[("exo", variant)][(shell, case)])
                lines.append(f"suite=real case={shell}_{case} variant={variant} median={exo['median']} "
                             f"min={exo['min']} p90={exo['p90']} unit=insns")
                row.append(f"{exo['median']:,} ({exo['median'] / linux['median']:.2f}x)")
            rows.append(row)
    with open(f"{OUT}/real.txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    table = ["| case (per iteration, median) | Linux | " + " | ".join(f"exo {v}" for v in VARIANTS) + " |",
             "|---|" + "---|" * (1 + len(VARIANTS))]
    table += ["| " + " | ".join(row) + " |" for row in rows]
    with open(f"{OUT}/real.md", "w") as f:
        f.write("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
