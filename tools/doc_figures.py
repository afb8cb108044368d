#!/usr/bin/env python3
"""Bring the documents' benchmark figures up to date from the last runs: doc/benchmarks.md's
side-by-side table (build/bench/forkbench.md, from `ninja bench-compare`) and plot
(build/bench/forkbench.svg), its suite=real table (build/bench/real.md, from `ninja bench-real`,
if there is one), and doc/fork.md's tables of exo's fork cases (build/bench/results.txt, from
`ninja bench`). Prints what it changed."""
import os
import re
import shutil
import sys

BENCH = "build/bench"
SIZES = (0, 1024, 16384, 65536, 262144)


def fork_results():
    found = {}
    with open(f"{BENCH}/results.txt") as f:
        for line in f:
            fields = dict(item.split("=", 1) for item in line.split())
            if fields["suite"] == "fork":
                found[(fields["case"], fields["variant"], int(fields["mem_kib"]))] = int(fields["median"])
    return found


def row(results, case, variant):
    return " | ".join(f"{results[(case, variant, kib)]:,}" for kib in SIZES)


def update_fork_md(results):
    path = "doc/fork.md"
    with open(path) as f:
        text = f.read()
    before = text
    for variant in ("cow", "eager", "shared", "async", "vfork"):
        text = re.sub(rf"^\| `{variant}` \| [0-9, |]+\| ", f"| `{variant}` | {row(results, 'fork_exit_wait', variant)} | ",
                      text, flags=re.M)
    for case, variant in (("fork_to_child", "cow"), ("fork_to_child", "shared"), ("fork_to_child", "vfork"),
                          ("fork_touch_all", "cow"), ("fork_touch_all", "eager")):
        text = re.sub(rf"^\| `{case}`, `{variant}` \| [0-9, |]+\|$", f"| `{case}`, `{variant}` | {row(results, case, variant)} |",
                      text, flags=re.M)
    with open(path, "w") as f:
        f.write(text)
    return text != before


def replace_table(text, name):
    """The table between <!-- NAME ... --> and <!-- /NAME --> replaced by build/bench/NAME's."""
    with open(f"{BENCH}/{name}") as f:
        table = "".join(line for line in f if line.startswith("|") or not line.strip())
    start = text.index(f"<!-- {name}")
    start = text.index("\n", start) + 1
    end = text.index(f"<!-- /{name} -->")
    return text[:start] + table.strip("\n") + "\n" + text[end:]


def update_benchmarks_md():
    path = "doc/benchmarks.md"
    with open(path) as f:
        text = f.read()
    updated = replace_table(text, "forkbench.md")
    if os.path.exists(f"{BENCH}/real.md"):
        updated = replace_table(updated, "real.md")
    with open(path, "w") as f:
        f.write(updated)
    shutil.copy(f"{BENCH}/forkbench.svg", "doc/forkbench.svg")
    return updated != text


def main():
    changed = []
    if update_fork_md(fork_results()):
        changed.append("doc/fork.md")
    if update_benchmarks_md():
        changed.append("doc/benchmarks.md")
    print("updated: " + (", ".join(changed) if changed else "nothing (already current)"))
    print("copied build/bench/forkbench.svg to doc/forkbench.svg")


if __name__ == "__main__":
    sys.exit(main())
