#!/usr/bin/env python3
"""Write the boot archive: a newc cpio with directories, files and symbolic links.

usage: mkarchive.py OUT [--strip OBJCOPY] [--align N] [--stage DIR] [--depfile FILE] [--watch DIR] ENTRY...

Each ENTRY is PATH=SOURCE (the file SOURCE at PATH), PATH->TARGET (a
symbolic link), PATH=c:MAJOR:MINOR (a character device) or SOURCE alone
(the file at the top, under its own name).  --strip OBJCOPY leaves ELF files' debug sections out (the build keeps them).
--align N starts the data of every file larger than N bytes at a multiple of N
(a FIFO entry named .exo-pad pads before it), so that exo, which maps the
archive page by page, finds a program's pages aligned.
--stage DIR adds every file, directory and link under DIR
at the same path (the staging directory: whatever a user wants in the
archive).  Directories on the way to each entry are made.  Entries are
written sorted, directories first; a later ENTRY for the same path wins.
--depfile writes every source for ninja, so changing one rebuilds; --watch DIR
adds a directory whose entries the command line globs (adding a file rebuilds).
"""
import os
import stat
import sys


def header(ino, mode, size, name, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08x" % f for f in fields) + name + b"\0"
    return head + b"\0" * (-len(head) % 4)


PAD_NAME = b".exo-pad"  # a FIFO entry's name: readers that know only files, directories and links skip it
ALIGN = 0  # --align N: the data of every file larger than N bytes starts N-aligned in the archive


def padding(position, name, size):
    """The padding entry (bytes) that makes the data of the entry (name, size) at position aligned."""
    if not ALIGN or size <= ALIGN:
        return b""
    header_size = len(header(0, 0, 0, name))
    if (position + header_size) % ALIGN == 0:
        return b""
    pad_header = len(header(0, 0, 0, PAD_NAME))
    fill = -(position + pad_header + header_size) % ALIGN
    return header(0, stat.S_IFIFO | 0o600, fill, PAD_NAME) + b"\0" * fill


def write(out, entries):
    """entries: path -> (mode, data bytes); parents added as directories."""
    for path in list(entries):
        parts = path.split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]), (stat.S_IFDIR | 0o755, b""))
    blob = bytearray()
    for ino, path in enumerate(sorted(entries), start=1):
        mode, data, *rdev = entries[path]
        if stat.S_ISREG(mode):
            blob += padding(len(blob), path.encode(), len(data))
        blob += header(ino, mode, len(data), path.encode(), *rdev)
        blob += data + b"\0" * (-len(data) % 4)
    blob += header(0, 0, 0, b"TRAILER!!!")
    with open(out, "wb") as f:
        f.write(blob + b"\0" * (-len(blob) % 512))


OBJCOPY = None  # --strip OBJCOPY: ELF files go in without their debug sections


def file_entry(source):
    with open(source, "rb") as f:
        data = f.read()
    if OBJCOPY and data[:4] == b"\x7fELF":
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as scratch:
            stripped = os.path.join(scratch, "stripped")
            subprocess.run([OBJCOPY, "--strip-debug", source, stripped], check=True)
            with open(stripped, "rb") as f:
                data = f.read()
    executable = os.stat(source).st_mode & 0o111
    return (stat.S_IFREG | (0o755 if executable else 0o644), data)


def stage(entries, root, deps):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]  # nor what hidden directories hold
        rel = os.path.relpath(dirpath, root)
        deps.append(dirpath)
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            path = os.path.normpath(os.path.join(rel, name))
            if name.startswith(".") or name == "README":
                continue
            if os.path.islink(full):
                entries[path] = (stat.S_IFLNK | 0o777, os.readlink(full).encode())
            elif os.path.isdir(full):
                entries[path] = (stat.S_IFDIR | 0o755, b"")
            else:
                entries[path] = file_entry(full)
                deps.append(full)


def main(argv):
    global OBJCOPY, ALIGN
    out, args = argv[1], argv[2:]
    entries, deps, depfile = {}, [], None
    while args:
        arg = args.pop(0)
        if arg == "--stage":
            stage(entries, args.pop(0), deps)
        elif arg == "--strip":
            OBJCOPY = args.pop(0)
        elif arg == "--align":
            ALIGN = int(args.pop(0))
        elif arg == "--watch":
            deps.append(args.pop(0))
        elif arg == "--depfile":
            depfile = args.pop(0)
        elif "=c:" in arg:
            path, numbers = arg.split("=c:", 1)
            major, minor = (int(n) for n in numbers.split(":"))
            entries[path.strip("/")] = (stat.S_IFCHR | 0o666, b"", (major, minor))
        elif "=d:" in arg:
            path, mode = arg.split("=d:", 1)
            entries[path.strip("/")] = (stat.S_IFDIR | int(mode, 8), b"")
        elif "->" in arg:
            path, target = arg.split("->", 1)
            entries[path.strip("/")] = (stat.S_IFLNK | 0o777, target.encode())
        elif "=" in arg:
            path, source = arg.split("=", 1)
            entries[path.strip("/")] = file_entry(source)
            deps.append(source)
        else:
            entries[os.path.basename(arg)] = file_entry(arg)
            deps.append(arg)
    write(out, entries)
    if depfile:
        with open(depfile, "w") as f:
            f.write(out + ": " + " ".join(d.replace(" ", "\\ ") for d in deps) + "\n")


if __name__ == "__main__":
    main(sys.argv)
