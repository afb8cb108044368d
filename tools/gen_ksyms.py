#!/usr/bin/env python3
"""Write the kernel's symbol table (assembly) from `nm -n` of a linked kernel.

Usage: gen_ksyms.py NM ELF OUT.S   (ELF may be '-' for an empty table)
Only functions (text symbols) go in: backtraces name code addresses.
"""
import subprocess
import sys


def text_symbols(nm, elf):
    """Functions in address order, and where the text ends."""
    out = subprocess.run([nm, "-n", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    symbols, text_end = [], 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        if parts[2] == "_etext":
            text_end = int(parts[0], 16)
        elif parts[1] in "tT" and not parts[2].startswith("$"):
            symbols.append((int(parts[0], 16), parts[2]))
    return symbols, text_end


def main():
    nm, elf, out = sys.argv[1:4]
    symbols, text_end = ([], 0) if elf == "-" else text_symbols(nm, elf)
    lines = ['\t.section .ksyms, "a"', "\t.balign 8",
             "\t.globl ksyms_count, ksyms_text_end, ksyms_addrs, ksyms_name_offsets, ksyms_names",
             f"ksyms_count:\n\t.quad {len(symbols)}",
             f"ksyms_text_end:\n\t.quad 0x{text_end:x}", "ksyms_addrs:"]
    lines += [f"\t.quad 0x{addr:x}" for addr, _ in symbols]
    lines.append("ksyms_name_offsets:")
    offset = 0
    for _, name in symbols:
        lines.append(f"\t.long {offset}")
        offset += len(name) + 1
    lines.append("ksyms_names:")
    lines += [f'\t.asciz "{name}"' for _, name in symbols]
    lines.append("\t.byte 0")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
