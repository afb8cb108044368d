#!/usr/bin/env python3
"""Fail if code that runs with the MMU off holds an absolute address.

Usage: check_early_relocs.py READELF STAMP OBJ...
Early boot code runs at physical addresses while linked at virtual ones, so
only PC-relative references work there.  An absolute relocation (ABS64, a
MOVW_UABS sequence) in its code or data would hand it a virtual address
before the MMU is on.  Debug sections are not loaded and are skipped.
"""
import subprocess
import sys

ABSOLUTE = ("R_AARCH64_ABS64", "R_AARCH64_ABS32", "R_AARCH64_ABS16", "R_AARCH64_MOVW_UABS")


def main():
    readelf, stamp, objs = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = []
    for obj in objs:
        out = subprocess.run([readelf, "-r", obj], check=True, capture_output=True, text=True).stdout
        section = ""
        for line in out.splitlines():
            if line.startswith("Relocation section"):
                section = line.split("'")[1]
            elif not section.startswith(".rela.debug") and any(r in line for r in ABSOLUTE):
                bad.append(f"{obj}: {section}: {line.strip()}")
    if bad:
        print("absolute relocations in MMU-off code:\n  " + "\n  ".join(bad), file=sys.stderr)
        sys.exit(1)
    open(stamp, "w").write("ok\n")


if __name__ == "__main__":
    main()
