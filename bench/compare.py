#!/usr/bin/env python3
"""ninja bench-compare: apps/forkbench on exo and, as /init, on Debian's own arm64 Linux kernel,
in the same QEMU (virt, cortex-a72, 2 GiB): deterministic (-icount shift=0,sleep=off, figures in
guest instructions) for exo, Linux with transparent huge pages always and Linux with them never;
then, labelled noisy, in wall time. Writes build/bench/forkbench.txt (every line of every run),
build/bench/forkbench.md (the deterministic figures side by side, with ratios) and
build/bench/forkbench.svg (fork+exit+wait against memory, log-log, by gnuplot), and prints the
table. A progress line per case while the runs go."""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_runs  # noqa: E402

OUT = "build/bench"
VARIANTS = ("cow", "eager", "shared", "async", "vfork")
SIZES = (0, 1024, 16384, 65536, 262144)
FORK_CASES = ("fork_exit_wait", "fork_to_child", "fork_touch_all")
# (system, mode, thp): the deterministic runs first, which the table and plot use.
RUNS = [("exo", "icount", None), ("linux", "icount", "always"), ("linux", "icount", "never"),
        ("exo", "wall", None), ("linux", "wall", "always")]


def parse(line):
    """A forkbench line's fields, or None."""
    if not line.startswith("forkbench: system="):
        return None
    fields = {}
    for item in line[len("forkbench: "):].split():
        key, _, value = item.partition("=")
        fields[key] = value if value else True
    return fields


def run_one(qemu, index, total, system, mode, thp):
    label = f"[{index + 1}/{total}] {system}" + (f" thp={thp}" if thp else "") + f" ({mode})"
    env = "FORKBENCH_UNIT=ns" if mode == "wall" else ""
    if system == "exo":
        argv = qemu_runs.exo_argv(qemu, "forkbench", icount=mode == "icount", env=env)
    else:
        argv = qemu_runs.linux_argv(qemu, "forkbench", icount=mode == "icount", thp=thp, env=env)
    print(f"{label}: booting", flush=True)

    def progress(line):
        fields = parse(line)
        if fields and "n/a" not in fields:
            figure = f"median {int(fields['median']):,} {fields['unit']}" if "median" in fields else line
            size = f"{int(fields['mem_kib']) // 1024} MiB" if "fault" not in fields["case"] else "one fault"
            print(f"{label}: {fields['case']} {fields['variant']} {size}: {figure}", flush=True)

    lines, wall = qemu_runs.run(argv, progress, timeout=3600)
    kept = [line[len("forkbench: "):] for line in lines if parse(line)]
    failed = [line for line in lines if line.startswith("forkbench: ") and " failed: " in line]
    if "forkbench: done" not in lines or not kept or failed:
        sys.exit(f"{label}: forkbench did not finish cleanly:\n" + "\n".join((failed or lines)[-40:]))
    if system == "linux" and not any(f"thp={thp}" in line for line in kept):
        sys.exit(f"{label}: asked for transparent_hugepage={thp}, but Linux's lines say otherwise")
    print(f"{label}: done in {wall:.0f} s of wall time", flush=True)
    return kept


def figure_of(results, system, case, variant, kib, thp=None):
    for fields in results:
        if (fields.get("system") == system and fields.get("case") == case and fields.get("variant") == variant
                and int(fields.get("mem_kib", -1)) == kib and fields.get("unit") == "insns"
                and (thp is None or fields.get("thp") == thp) and "median" in fields):
            return int(fields["median"])
    return None


def cell(value):
    return f"{value:,}" if value is not None else "n/a"


def md_table(head, rows):
    text = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(text + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def ratio(linux, exo):
    return f"{linux / exo:.2f}" if linux and exo else ""


def markdown(results):
    """The deterministic figures: fork cases by variant and size, then the others."""
    head = ["case", "memory"] + [f"exo {v}" for v in VARIANTS] + [
        "Linux, THP always", "Linux, THP never", "Linux (always) ÷ exo cow", "Linux (never) ÷ exo cow"]
    rows = []
    for case in FORK_CASES:
        for kib in SIZES:
            exo = [figure_of(results, "exo", case, v, kib) for v in VARIANTS]
            linux = [figure_of(results, "linux", case, "cow", kib, thp) for thp in ("always", "never")]
            rows.append([case, f"{kib // 1024} MiB"] + [cell(x) for x in exo + linux] +
                        [ratio(linux[0], exo[0]), ratio(linux[1], exo[0])])
    other_head = ["case", "memory", "exo", "Linux, THP always", "Linux, THP never", "Linux (always) ÷ exo",
                  "Linux (never) ÷ exo"]
    other_rows = []
    for case, variant, sizes in (("vfork_exit_wait", "vfork", SIZES), ("spawn_wait", "spawn", SIZES),
                                 ("first_touch_fault", "none", (0,)), ("cow_fault", "cow", (0,)),
                                 ("signal_roundtrip", "none", (0,)), ("sigsegv_handled", "none", (0,))):
        for kib in sizes:
            exo = figure_of(results, "exo", case, variant, kib)
            linux = [figure_of(results, "linux", case, variant, kib, thp) for thp in ("always", "never")]
            size = f"{kib // 1024} MiB" if case in ("vfork_exit_wait", "spawn_wait") else "one"
            other_rows.append([case, size, cell(exo)] + [cell(x) for x in linux] +
                              [ratio(linux[0], exo), ratio(linux[1], exo)])
    return md_table(head, rows) + "\n" + md_table(other_head, other_rows)


def ensure_gnuplot():
    if shutil.which("gnuplot"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's gnuplot-nox for the plot", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "gnuplot-nox"],
                       stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return shutil.which("gnuplot") is not None


def plot(results, svg):
    """fork+exit+wait against touched memory, log-log: one line per system and variant."""
    series = [(f"exo {v}", "exo", v, None) for v in VARIANTS] + \
             [("Linux, THP always", "linux", "cow", "always"), ("Linux, THP never", "linux", "cow", "never")]
    data = os.path.join(OUT, "forkbench.dat")
    with open(data, "w") as out:
        for title, system, variant, thp in series:
            out.write(f"# {title}\n")
            for kib in SIZES:
                value = figure_of(results, system, "fork_exit_wait", variant, kib, thp)
                if value:
                    out.write(f"{max(kib, 256)} {value}\n")  # 0 KiB drawn at 256 KiB, labelled 0
            out.write("\n\n")
    plots = ", ".join(f"'{data}' index {i} with linespoints title '{title}'" for i, (title, *_) in enumerate(series))
    script = f"""set terminal svg size 860,520 dynamic font 'sans,12'
set output '{svg}'
set logscale xy
set grid
set key top left
set title 'fork + _exit + waitpid, QEMU virt cortex-a72 -icount shift=0'
set xlabel 'private memory touched before fork'
set ylabel 'guest instructions'
set xtics ('0' 256, '1 MiB' 1024, '16 MiB' 16384, '64 MiB' 65536, '256 MiB' 262144)
set format y '10^{{%L}}'
plot {plots}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--no-wall", action="store_true", help="the deterministic runs only")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    for old in ("forkbench.txt", "forkbench.md", "forkbench.svg"):  # no stale result survives a failed run
        if os.path.exists(os.path.join(OUT, old)):
            os.remove(os.path.join(OUT, old))
    runs = [run for run in RUNS if not (run[1] == "wall" and args.no_wall)]
    lines = []
    for index, (system, mode, thp) in enumerate(runs):
        lines += run_one(args.qemu, index, len(runs), system, mode, thp)
    with open(os.path.join(OUT, "forkbench.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")
    results = [parse("forkbench: " + line) for line in lines]
    table = markdown(results)
    with open(os.path.join(OUT, "forkbench.md"), "w") as out:
        out.write("Guest instructions (median), QEMU 7.2 virt, cortex-a72, 2 GiB, -icount shift=0,sleep=off.\n\n")
        out.write(table)
    print(table)
    svg = os.path.join(OUT, "forkbench.svg")
    if ensure_gnuplot():
        plot(results, svg)
        print(f"wrote {OUT}/forkbench.txt, forkbench.md and forkbench.svg")
    else:
        print(f"wrote {OUT}/forkbench.txt and forkbench.md (no gnuplot: no plot)")


if __name__ == "__main__":
    main()
