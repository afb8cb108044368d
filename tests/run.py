#!/usr/bin/env python3
"""exo's test suite: host unit tests, then QEMU boot tests in parallel.

Prints one line per test (PASS/FAIL name [detail]) and ends with
"N passed, N failed"; exits non-zero if anything failed.  Run it with
`ninja test` (which builds everything first).
"""
import argparse
import concurrent.futures
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time

BUILD = "build"
KERNEL = f"{BUILD}/kernel.bin"
ELF = f"{BUILD}/kernel.elf"
SHIM = f"{BUILD}/test/shim.bin"
VIRT_DTB = f"{BUILD}/test/virt.dtb"
INITRD = "tests/qemu/initrd.txt"
USER_INITRD = f"{BUILD}/user/initrd.cpio"
TIMEOUT = 60  # seconds per QEMU run; a boot takes well under one

HOST_TESTS = [
    [f"{BUILD}/test/host_fdt", VIRT_DTB],
    [f"{BUILD}/test/host_frame"],
    [f"{BUILD}/test/host_pte"],
    [f"{BUILD}/test/host_printk"],
    [f"{BUILD}/test/host_desc"],
    [f"{BUILD}/test/host_cpio"],
    [f"{BUILD}/test/host_elf", f"{BUILD}/user/t_calls"],
    [f"{BUILD}/test/host_region"],
    [f"{BUILD}/test/host_core"],
    [f"{BUILD}/test/host_pt_model"],
]
# libFuzzer runs: (name, argv); a clean exit is a pass.
FUZZ_RUNS = [
    ("host/fuzz/descriptor_validator_vs_model",
     [f"{BUILD}/test/fuzz_desc", "-runs=2000000", "-seed=1"]),
    ("host/fuzz/pt_sequences_vs_model",
     [f"{BUILD}/test/fuzz_pt_seq", "-runs=8000", "-seed=1"]),
]


class Failure(Exception):
    pass


def run_fuzzers():
    results = []
    for name, argv in FUZZ_RUNS:
        proc = subprocess.run(argv, capture_output=True, text=True)
        runs = re.search(r"Done (\d+) runs", proc.stderr)
        detail = f"{runs.group(1)} inputs, seed 1" if runs else ""
        results.append((proc.returncode == 0 and runs is not None, name,
                        detail if proc.returncode == 0 else proc.stderr[-3000:]))
    return results


def run_host_tests():
    results = []
    for argv in HOST_TESTS:
        proc = subprocess.run(argv, capture_output=True, text=True)
        lines = proc.stdout.splitlines()
        pending = ""  # a test's own output comes before its PASS/FAIL line
        before = len(results)
        for line in lines:
            if line.startswith(("PASS ", "FAIL ")):
                results.append((line.startswith("PASS "), line[5:], pending))
                pending = ""
            else:
                pending += line + "\n"
        mine = results[before:]
        if not mine:
            results.append((False, os.path.basename(argv[0]), f"printed no test results\n{pending}"))
        elif proc.returncode != 0 and all(ok for ok, _, _ in mine):
            results.append((False, os.path.basename(argv[0]),
                            f"exit {proc.returncode}\n{pending}{proc.stderr[-3000:]}"))
    return results


class Qemu:
    """One QEMU run of the kernel; .out is the console, .status QEMU's exit."""

    def __init__(self, qemu, cmdline="", machine="virt", memory="512M", extra=(), until=None,
                 timeout=TIMEOUT, typed=None):
        argv = [qemu, "-M", machine, "-cpu", "cortex-a72", "-m", memory,
                "-nographic", "-nic", "none", "-no-reboot",
                "-kernel", KERNEL, "-append", cmdline, *extra]
        self.argv = argv
        self.timeout = timeout
        self.typed = typed
        self.out, self.status = self._run(argv, until)

    def _run(self, argv, until):
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if self.typed else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace")
        if isinstance(self.typed, list):
            return self._converse(proc)
        if self.typed:
            # Keys typed on the console once the program is up, a little apart.
            time.sleep(1.5)
            for key in self.typed:
                proc.stdin.write(key)
                proc.stdin.flush()
                time.sleep(0.02)
        if until is None:
            try:
                out, _ = proc.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                raise Failure(f"timed out after {self.timeout}s; console:\n{out[-2000:]}")
            return out.replace("\r", ""), proc.returncode
        # Read until a pattern appears, then stop QEMU ourselves.
        out = ""
        deadline = time.time() + self.timeout
        while time.time() < deadline and not re.search(until, out):
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096).decode(errors="replace")
                if not chunk:
                    break
                out += chunk.replace("\r", "")
        time.sleep(1)  # anything after the pattern (a power-off) would show now
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            out += os.read(proc.stdout.fileno(), 4096).decode(errors="replace")
        alive = proc.poll() is None
        proc.kill()
        proc.wait()
        return out, ("running" if alive else proc.returncode)

    def _converse(self, proc):
        """typed as [(pattern, keys)...]: each step's keys once its pattern shows after the last step's."""
        out, seen, deadline = "", 0, time.time() + self.timeout
        steps = list(self.typed)
        while time.time() < deadline:
            if steps:
                match = re.compile(steps[0][0], re.M).search(out, seen)
                if match:
                    seen = match.end()
                    for key in steps.pop(0)[1]:
                        proc.stdin.write(key)
                        proc.stdin.flush()
                        time.sleep(0.01)
                    continue
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096).decode(errors="replace")
                if not chunk:
                    break
                out += chunk.replace("\r", "")
        else:
            proc.kill()
            proc.wait()
            raise Failure(f"timed out after {self.timeout}s; console:\n{out[-2000:]}")
        proc.wait()
        if steps:
            raise Failure(f"the program ended before {steps[0][0]!r} showed; console:\n{out[-2000:]}")
        return out, proc.returncode

    def expect(self, *patterns):
        for pattern in patterns:
            if not re.search(pattern, self.out, re.M):
                raise Failure(f"console lacks /{pattern}/; console:\n{self.out[-2500:]}")

    def refute(self, *patterns):
        for pattern in patterns:
            if re.search(pattern, self.out, re.M):
                raise Failure(f"console has /{pattern}/; console:\n{self.out[-2500:]}")

    def powered_off(self, status):
        """A clean PSCI power-off (QEMU exit 0) after the marker with status."""
        self.expect(rf"^exo: power off \(status {status}\)$")
        if self.status != 0:
            raise Failure(f"QEMU exited {self.status}, not 0 (power-off); console:\n{self.out[-2000:]}")


def shim_boot(qemu, x0, dtb_file=None, dtb_at=0x44000000, machine="virt"):
    """Enter the kernel with x0 chosen by the test (see tests/qemu/shim.S)."""
    extra = ["-device", f"loader,file={SHIM},addr=0x40200000,force-raw=on",
             "-device", f"loader,addr=0x40200100,data={x0},data-len=8"]
    if dtb_file:
        extra += ["-device", f"loader,file={dtb_file},addr={dtb_at:#x},force-raw=on"]
    extra += ["-device", "loader,addr=0x40200000,cpu-num=0"]
    return Qemu(qemu, machine=machine, extra=extra)


def nm_symbols(nm):
    out = subprocess.run([nm, "--defined-only", ELF], capture_output=True, text=True, check=True)
    return {parts[2]: (int(parts[0], 16), parts[1])
            for parts in (line.split() for line in out.stdout.splitlines()) if len(parts) == 3}


# --- the QEMU tests: each returns a detail string or raises Failure ---

def t_backtrace_ends_at_libos_entries(ctx):
    """A debugger's backtrace in a libos handler ends at its entry: each entry's call-frame
    info says the return address (x30) is undefined, so gdb stops there instead of looping."""
    app = f"{BUILD}/user/cat"
    out = subprocess.run([ctx.nm, "--defined-only", app], capture_output=True, text=True, check=True).stdout
    addrs = {parts[2]: int(parts[0], 16) for parts in (line.split() for line in out.splitlines()) if len(parts) == 3}
    dump = subprocess.run([ctx.nm.replace("llvm-nm", "llvm-dwarfdump"), "--debug-frame", app],
                          capture_output=True, text=True, check=True).stdout
    fdes = re.findall(r"FDE cie=\S+ pc=([0-9a-f]+)\.\.\.[0-9a-f]+\n((?:  .*\n)+)", dump)
    ending = {int(start, 16) for start, body in fdes if "DW_CFA_undefined: W30" in body}
    for entry in ("libos_syscall_entry", "libos_fault_entry"):
        if addrs.get(entry) not in ending:
            raise Failure(f"{entry} (0x{addrs.get(entry, 0):x}) has no call-frame info ending the backtrace")
    return "libos_syscall_entry and libos_fault_entry end a backtrace"



def t_boot_demo(ctx):
    run = Qemu(ctx.qemu)
    run.expect(r"^exo: console up \d+ us after reset", r"entered at EL1, running at EL1",
               r"RAM 0x40000000-0x60000000 \(512 MiB\)", r"^exo: tick 3$")
    run.powered_off(0)
    return re.search(r"console up (\d+ us)", run.out).group(0)


def t_kernel_in_high_half(ctx):
    run = Qemu(ctx.qemu)
    printed = int(re.search(r"kmain at 0x([0-9a-f]+)", run.out).group(1), 16)
    stack = int(re.search(r"stack at 0x([0-9a-f]+)", run.out).group(1), 16)
    symbols = nm_symbols(ctx.nm)
    if printed != symbols["kmain"][0]:
        raise Failure(f"kmain printed 0x{printed:x}, nm says 0x{symbols['kmain'][0]:x}")
    # The image is linked at KERNEL_VA = PA + 0xffff000000000000, in RAM's first 16 MiB.
    def high(addr):
        return 0xffff000040000000 <= addr < 0xffff000041000000
    low = [name for name, (addr, kind) in symbols.items() if kind in "tTdDbBrR" and not high(addr)]
    if low or not high(stack):
        raise Failure(f"symbols outside 0xffff000040000000-0xffff000041000000: {low[:5]}, stack 0x{stack:x}")
    return f"{len(symbols)} symbols, kmain 0x{printed:x}"


def t_exit_code_through_semihosting(ctx):
    """With exit=semihosting (QEMU run with -semihosting), QEMU's exit code is the kernel's status."""
    results = []
    for program, want in (("hello", 0), ("crash null", 1)):
        run = Qemu(ctx.qemu, f"exit=semihosting init={program}", extra=["-semihosting", "-initrd", USER_INITRD])
        run.expect(rf"exo: power off \(status {want}\)")
        if run.status != want:
            raise Failure(f"init={program}: the kernel said status {want}, QEMU exited with {run.status}")
        results.append(f"{program}: {run.status}")
    plain = Qemu(ctx.qemu, "init=crash null", extra=["-initrd", USER_INITRD])
    plain.expect(r"exo: power off \(status 1\)")
    if plain.status != 0:
        raise Failure(f"without semihosting QEMU should end as PSCI's power-off does (0), not {plain.status}")
    return ", ".join(results) + "; without it, 0 (PSCI)"


def t_enters_at_el2(ctx):
    run = Qemu(ctx.qemu, "test=ttbr0", machine="virt,virtualization=on")
    run.expect(r"entered at EL2, running at EL1", r"selftest ttbr0: ok")
    run.powered_off(0)


def t_ram_size_from_dt(ctx):
    run = Qemu(ctx.qemu, "test=frames", memory="2G")
    run.expect(r"RAM 0x40000000-0xc0000000 \(2048 MiB\)", r"524288 in all",
               r"RAM end 0xc0000000 reachable", r"selftest frames: ok")
    run.powered_off(0)


def t_cmdline_and_initrd(ctx):
    run = Qemu(ctx.qemu, "hello=world  two", extra=["-initrd", INITRD])
    size = os.path.getsize(INITRD)
    run.expect(r'command line "hello=world  two"', rf"initrd 0x[0-9a-f]+-0x[0-9a-f]+ \({size} bytes\)")
    start = int(re.search(r"initrd 0x([0-9a-f]+)", run.out).group(1), 16)
    if start != 0x48000000:
        raise Failure(f"initrd at 0x{start:x}, QEMU puts it at 0x48000000 for 512 MiB")
    run.powered_off(0)


def selftest(name):
    def test(ctx):
        run = Qemu(ctx.qemu, f"test={name}")
        run.expect(rf"^exo: selftest {name}: ok$")
        run.powered_off(0)
        # The line before the verdict is the test's own summary.
        lines = run.out.splitlines()
        return lines[lines.index(f"exo: selftest {name}: ok") - 1]
    return test


def fault_report(name, *patterns):
    def test(ctx):
        run = Qemu(ctx.qemu, f"test={name}")
        run.expect(r"\*\*\* unexpected exception: ", r"ESR  0x[0-9a-f]{16}  FAR 0x[0-9a-f]{16}",
                   r"^  x0  [0-9a-f]{16}", r"x30 [0-9a-f]{16}  sp  ffff00004",
                   r"backtrace:", r"#1  0x[0-9a-f]+ <selftest_run\+0x", r"<kmain\+0x", *patterns)
        run.refute(r"selftest .*: (ok|FAILED)")
        run.powered_off(3)
    return test


def t_ttbr0_regression_is_not_vacuous(ctx):
    """The same switch, reached through TTBR0 like ../shared/seed/'s kernel, must die."""
    run = Qemu(ctx.qemu, "test=ttbr0-low")
    low = re.search(r"through TTBR0 at 0x([0-9a-f]+); a fetch after the switch, before 0x([0-9a-f]+)",
                    run.out)
    if not low:
        raise Failure(f"no call through TTBR0; console:\n{run.out[-1500:]}")
    start, end = int(low.group(1), 16), int(low.group(2), 16)
    run.expect(r"instruction abort without a change in exception level",
               r"translation fault at level 0, on an instruction fetch")
    far = int(re.search(r"FAR 0x([0-9a-f]+)", run.out).group(1), 16)
    if not start < far < end:
        raise Failure(f"FAR 0x{far:x} not after the switch in [0x{start:x}, 0x{end:x})")
    run.refute(r"selftest ttbr0-low: (ok|FAILED)")
    run.powered_off(3)
    return f"faulted at 0x{far:x}"


def t_stack_overflow(ctx):
    """Running out of kernel stack hits the guard page and is reported, not a hang."""
    run = Qemu(ctx.qemu, "test=stack-overflow")
    run.expect(r"kernel stack overflow: data abort without a change in exception level",
               r"ELR  0xffff00004[0-9a-f]+ <recurse\+0x")
    far = int(re.search(r"FAR 0x([0-9a-f]+)", run.out).group(1), 16)
    guard = nm_symbols(ctx.nm)["__stack_guard"][0]
    if not guard <= far < guard + 4096:
        raise Failure(f"FAR 0x{far:x} is not in the guard page at 0x{guard:x}")
    run.powered_off(3)
    return f"faulted in the guard page at 0x{far:x}"


def t_panic_halt(ctx):
    run = Qemu(ctx.qemu, "test=fault panic=halt", until=r"halted \(panic=halt\)")
    run.expect(r"unexpected exception", r"halted \(panic=halt\)")
    run.refute(r"power off")
    if run.status != "running":
        raise Failure(f"QEMU exited ({run.status}) instead of staying halted")


def t_no_device_tree(ctx):
    run = shim_boot(ctx.qemu, 0)
    run.expect(r"boot error: no device tree \(x0 = 0x0 at entry\)")
    run.powered_off(2)


def t_no_device_tree_at_el2(ctx):
    """Without a device tree PSCI must still power off when entered at EL2 (smc)."""
    run = shim_boot(ctx.qemu, 0, machine="virt,virtualization=on")
    run.expect(r"boot error: no device tree")
    run.powered_off(2)


def boot_with_dtb(ctx, blob, dtb_at=0x44000000):
    with tempfile.NamedTemporaryFile(suffix=".dtb", delete=False) as f:
        f.write(blob)
    try:
        return shim_boot(ctx.qemu, dtb_at, f.name, dtb_at)
    finally:
        os.unlink(f.name)


def corrupt_dtb(mutate, reason):
    def test(ctx):
        blob = bytearray(open(VIRT_DTB, "rb").read())
        mutate(blob)
        run = boot_with_dtb(ctx, blob)
        run.expect(reason)
        run.powered_off(2)
    return test


def t_dtb_past_ram_end(ctx):
    """A tree at the very end of RAM whose reservation map never ends: the
    parser reads past RAM; that must be a report on the console, not silence."""
    blob = bytearray(open(VIRT_DTB, "rb").read()[:0x2000])
    be32(blob, 16, 0x1ff0)  # reservation map: the last 16 bytes, all 0xff
    blob[0x1ff0:0x2000] = b"\xff" * 16
    run = boot_with_dtb(ctx, blob, dtb_at=0x60000000 - len(blob))
    run.expect(r"unexpected exception: data abort", r"external abort, on a read",
               r"the address is in the device-tree window", r"<fdt_open\+0x")
    run.powered_off(3)


def be32(blob, at, value):
    blob[at:at + 4] = value.to_bytes(4, "big")


def no_memory_type(blob):
    at = blob.find(b"memory\0", blob.find(b"memory@") + 8)
    blob[at:at + 6] = b"m3mory"  # the device_type value, not the node name


def t_orphans(ctx):
    """The first environment ends with a grandchild in a lower slot than its parent."""
    run = Qemu(ctx.qemu, "check=call init=t_calls orphans=1", extra=["-initrd", USER_INITRD])
    run.expect(r"^utest: left grandchild \d+ of thread \d+ behind$",
               r"^exo: all environments ended \(first exited with status 0\)$",
               r"^exo: frames: \d+ free, \d+ before the first environment: all returned$")
    run.refute(r"deadlock", r"BUG")
    run.powered_off(0)


def t_hello(ctx):
    """An unmodified musl program on libos: stdio with floating point, malloc, arguments."""
    run = Qemu(ctx.qemu, "check=exit init=hello -- one two", extra=["-initrd", USER_INITRD])
    run.expect(r"^hello from hello on exo \(2 arguments\)$", r'^  argv\[2\] = "two"$',
               r"^the 10th harmonic number is 2\.928968$",
               r"^malloc/free of 5050000 bytes and one 4 MiB block: ok$",
               r"^exo: frames: \d+ free, \d+ before the first environment: all returned$")
    run.powered_off(0)


def app(cmdline, patterns, typed=None, refute=(), status=0, timeout=TIMEOUT, checks=True):
    """An app from the boot archive: patterns on the console, a clean end, every frame back; with
    checks, the isolation checker at every environment's end (a walk of all RAM each: a test of
    many short-lived processes may leave it out)."""
    def test(ctx):
        run = Qemu(ctx.qemu, ("check=exit " if checks else "") + cmdline, extra=["-initrd", USER_INITRD],
                   typed=typed, timeout=timeout)
        run.expect(*patterns,
                   r"^exo: frames: \d+ free, \d+ before the first environment: all returned$",
                   *([r"^exo: isolation checks at \d+ environment ends and root changes: all clean$"] if checks else []))
        run.refute(*refute)
        run.powered_off(status)
    return test


def crash(how, kind, before=()):
    """A program that faults ends with a report (and the SIGSEGV status); the kernel goes on."""
    def test(ctx):
        run = Qemu(ctx.qemu, f"check=exit init=crash -- {how}", extra=["-initrd", USER_INITRD])
        run.expect(rf"^crash: {how}$", *before,
                   rf"^libos: segmentation fault: {kind} at 0x[0-9a-f]+ \(pc 0x[0-9a-f]+\), process 1 killed$",
                   r"^exo: all environments ended \(first exited with status 11\)$",
                   r"^exo: frames: \d+ free, \d+ before the first environment: all returned$",
                   r"^exo: isolation checks at \d+ environment ends and root changes: all clean$")
        run.powered_off(1)
    return test


# apps/fork's checks, in order, and the variants each run of it uses as its default.
FORK_VARIANTS = ("cow", "eager", "shared", "async")
FORK_CHECKS = [re.escape(name) for name in (
    "getppid in the child is the parent's pid",
    "fork returns the child's pid to the parent",
    "no children left: ECHILD",
    "waitpid(0) waits for a child in the caller's group",
    "child exits with its status",
    "child's writes stay in the child (data, bss, heap, mmap, stack)",
    "parent's writes after fork stay in the parent",
    "a pipe across fork carries data and then end-of-file",
    "MAP_SHARED memory stays shared",
    "MADV_DONTFORK memory is not in the child",
    "MADV_WIPEONFORK memory is zero in the child",
    "the parent keeps advised memory as it was",
    "MADV_DOFORK gives the child the memory again",
    "MADV_WIPEONFORK on shared memory is EINVAL",
    "a chain of 50 forks, each waiting for the next",
    "200 children alive at once, each reaped by waitpid(-1) with its status",
    "40 children waited for in reverse order, each with its status",
    "1000 forks in a loop, each reaped with its status",
    "20 rounds of fork, exec and wait, each with its output and status; a failed exec exits 127",
    "echo a b c | cat | cat, built with fork, dup2 and execve: the words, end-of-file, three exits",
    "a callee-saved FP register keeps its value in both",
    "fork with a thread running: the child makes and joins its own",
    "a thread forks and waits for its child",
    "RLIMIT_NPROC: fork is EAGAIN once as many processes run",
    "exo_fork chooses the variant for one call (cow, eager, shared, async)",
    "exo_fork of an unknown variant fails with EINVAL",
    "per-region advice (copy at fork, copy-on-write, shared tables) holds under cow, eager, shared and "
    "async, memory private both ways; MAP_SHARED and left-out memory refuse it",
    "100 forks whose children write what the parent writes: each side sees its own bytes, no frame is left behind",
    "a fork bomb under a fixed quota ends by itself, and fork works after it",
    "a child that faults after fork ends by SIGSEGV",
    "new memory after fork, touched on both sides",
    "the child's mprotect (read-only, then read-write) and write stay in the child",
    "the parent's mprotect and write after fork stay in the parent",
    "an orphan's parent is init (pid 1), and its grandparent cannot wait for it",
    "init reaps an orphan with its exit status",
    "a pipe's end is seen once the orphaned grandchild holding it exits")]

LINUX_KERNEL = f"{BUILD}/linux/vmlinuz"
LINUX_INITRAMFS = f"{BUILD}/linux/initramfs.cpio"


def conformance_lines(out):
    """The app's own lines, from its first to its last, without the system-specific ones
    ("~ ..."), kernel log lines or exo's."""
    lines = out.replace("\r", "").splitlines()
    try:
        first = lines.index("check: start, argc 2")
        last = max(i for i, line in enumerate(lines) if line.startswith("check: done"))
    except ValueError:
        raise Failure(f"no complete run of libc_check; console:\n{out[-2500:]}")
    return [line for line in lines[first:last + 1]
            if not line.startswith(("~", "[", "exo:", "libos:"))]


def t_libc_differential(ctx, exo_init="libc_check"):
    """libc_check under exo, and as /init under Debian's Linux in the same QEMU: same lines."""
    exo = Qemu(ctx.qemu, f"check=exit init={exo_init} -- poweroff", extra=["-initrd", USER_INITRD])
    exo.expect(r"^exo: isolation checks at \d+ environment ends and root changes: all clean$")
    exo.powered_off(0)
    linux = subprocess.run([ctx.qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic",
                            "-nic", "none", "-no-reboot", "-kernel", LINUX_KERNEL,
                            "-initrd", LINUX_INITRAMFS,
                            "-append", "console=ttyAMA0 quiet panic=-1 -- poweroff"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", timeout=TIMEOUT).stdout
    ours, theirs = conformance_lines(exo.out), conformance_lines(linux)
    if ours != theirs:
        import difflib
        diff = "\n".join(difflib.unified_diff(theirs, ours, "linux", "exo", lineterm=""))
        raise Failure(f"exo and Linux differ:\n{diff}")
    if "check: done, 0 failures" not in ours:
        raise Failure("the app found failures:\n" + "\n".join(ours))
    return f"{len(ours)} lines identical"


def t_fork_differential(ctx):
    """apps/fork under exo (cow) and as /init under Debian's Linux in the same QEMU: same lines."""
    return app_differential(ctx, "fork")


def t_signals_differential(ctx):
    """apps/signals under exo and as /init under Debian's Linux in the same QEMU: same lines."""
    return app_differential(ctx, "signals")


def t_jobs_differential(ctx):
    """apps/jobs (process groups, sessions, job control) under exo and as /init under Linux: same lines."""
    return app_differential(ctx, "jobs")


def app_differential(ctx, name, exo_env="", exo_init=None):
    """An app that prints "NAME: ..." lines and ends "NAME: N passed, N failed", on both systems
    (on exo linked with libos, or, with exo_init, the same program as Linux runs it, unmodified,
    started by libos's loader)."""
    exo = Qemu(ctx.qemu, f"check=exit init={exo_init or name} {exo_env} -- poweroff", extra=["-initrd", USER_INITRD],
               timeout=480)
    exo.expect(r"^exo: isolation checks at \d+ environment ends and root changes: all clean$")
    exo.powered_off(0)
    linux = subprocess.run([ctx.qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic",
                            "-nic", "none", "-no-reboot", "-kernel", LINUX_KERNEL,
                            "-initrd", LINUX_INITRAMFS,
                            "-append", f"console=ttyAMA0 quiet panic=-1 rdinit=/{name} -- poweroff"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", timeout=480).stdout

    def lines(out):
        kept = [line for line in out.replace("\r", "").splitlines()
                if line.startswith(f"{name}: ")]
        if not kept or not re.match(rf"^{name}: \d+ passed, \d+ failed$", kept[-1]):
            raise Failure(f"no complete run of apps/{name}; console:\n{out[-2500:]}")
        return kept
    ours, theirs = lines(exo.out), lines(linux)
    if ours != theirs:
        import difflib
        diff = "\n".join(difflib.unified_diff(theirs, ours, "linux", "exo", lineterm=""))
        raise Failure(f"exo and Linux differ:\n{diff}")
    if not ours[-1].endswith(" 0 failed"):
        raise Failure("the app found failures:\n" + "\n".join(ours))
    return f"{len(ours)} lines identical"


LINUX_CONSOLES_LOCK = threading.Lock()


def linux_console(ctx, init, args, timeout=480):
    """The console of Debian's Linux in the same QEMU running init (a path) with args; cached per run."""
    with LINUX_CONSOLES_LOCK:
        cache = ctx.__dict__.setdefault("linux_consoles", {})
        key = (init, args)
        entry = cache.setdefault(key, {"lock": threading.Lock()})
    with entry["lock"]:  # one boot per script, whichever test asks first
        if "out" not in entry:
            entry["out"] = subprocess.run(
                [ctx.qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic", "-nic", "none",
                 "-no-reboot", "-kernel", LINUX_KERNEL, "-initrd", LINUX_INITRAMFS,
                 "-append", f"console=ttyAMA0 quiet panic=-1 rdinit={init} -- {args}"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                timeout=timeout).stdout
    return entry["out"]


def script_differential(init, args, name, exo_env=""):
    """A shell script from tests/scripts, run by Debian's unmodified shell on exo (through libos's
    loader) and under Debian's Linux in the same QEMU: the lines between its "=== begin NAME" and
    "=== end NAME" markers must be the same, and exo must end clean, every frame back."""
    def test(ctx):
        exo = Qemu(ctx.qemu, f"check=exit init={init} {exo_env} -- {args}", extra=["-initrd", USER_INITRD],
                   timeout=480)
        exo.expect(r"^exo: frames: \d+ free, \d+ before the first environment: all returned$",
                   r"^exo: isolation checks at \d+ environment ends and root changes: all clean$")
        exo.powered_off(0)

        def lines(out, system):
            out = out.replace("\r", "").splitlines()
            try:
                begin, end = out.index(f"=== begin {name}"), out.index(f"=== end {name}")
            except ValueError:
                raise Failure(f"no complete run of {name} on {system}; console:\n" + "\n".join(out[-40:]))
            return out[begin + 1:end]
        ours, theirs = lines(exo.out, "exo"), lines(linux_console(ctx, init, args), "Linux")
        if ours != theirs:
            import difflib
            diff = "\n".join(difflib.unified_diff(theirs, ours, "linux", "exo", lineterm=""))
            raise Failure(f"exo and Linux differ:\n{diff}")
        return f"{len(ours)} lines identical"
    return test


def user_program(cmdline, memory="512M", expect=(), timeout=TIMEOUT, qemu_args=(), open_check=True):
    """Boot a test program from the boot archive; each "utest: PASS/FAIL name" line is a
    test of its own.  The run must end with every environment gone and every frame back."""
    def test(ctx):
        # check=call opens EXO_DEBUG_CHECK, which the test runtime counts frames with.
        run = Qemu(ctx.qemu, ("check=call " if open_check else "") + cmdline, memory=memory,
                   extra=["-initrd", USER_INITRD, *qemu_args],
                   timeout=timeout)
        results = []
        pending = ""
        for line in run.out.splitlines():
            match = re.match(r"^utest: (PASS|FAIL) (\S+)(.*)$", line)
            if match:
                results.append((match.group(1) == "PASS", f"qemu/{match.group(2)}",
                                match.group(3).strip(" ():") + ("\n" + pending if pending else "")))
                pending = ""
            elif line.startswith("utest:   ") or line.startswith("exo: env ") or line.startswith("exo: check"):
                pending += line + "\n"
        summary = re.search(r"^utest: (\d+) passed, (\d+) failed$", run.out, re.M)
        problems = []
        if not summary:
            problems.append("no summary line")
        if not re.search(r"^exo: frames: \d+ free, \d+ before the first environment: all returned$",
                         run.out, re.M):
            problems.append("frames not all returned")
        for pattern in expect:
            if not re.search(pattern, run.out, re.M):
                problems.append(f"console lacks /{pattern}/")
        if not re.search(r"^exo: power off \(status 0\)$", run.out, re.M) or run.status != 0:
            problems.append(f"did not power off with status 0 (QEMU {run.status})")
        results.append((not problems, f"qemu/{cmdline.split()[0]}[{' '.join(cmdline.split()[1:])}]/whole_run",
                        "; ".join(problems) + ("\n" + run.out[-2500:] if problems else "")))
        return results
    test.multi = True
    return test


def t_profile_counts_a_window(ctx):
    """The profiler (tools/profile.py with the exoprof plugin) sees one case's instructions: per
    operation within 3% of the benchmark's own median, most of them in the fast path."""
    out = subprocess.run([sys.executable, "tools/profile.py", "--case", "null_call", "--qemu", ctx.qemu,
                          "--nm", ctx.nm], capture_output=True, text=True, timeout=300)
    head = re.search(r"insns_per_op=(\d+) bench_median=(\d+)", out.stdout)
    if out.returncode or not head:
        raise Failure(f"profile failed: {out.stdout[-500:]}{out.stderr[-500:]}")
    per_op, median = int(head.group(1)), int(head.group(2))
    if abs(per_op - median) > median * 0.03 or "fast_call" not in out.stdout:
        raise Failure(f"profile says {per_op} per call, the bench {median}:\n{out.stdout}")
    return f"{per_op} per call, bench median {median}"


QEMU_TESTS = [
    ("qemu/boot_and_power_off", t_boot_demo),
    ("qemu/kernel_symbols_in_high_half", t_kernel_in_high_half),
    ("tools/backtrace_ends_at_libos_entries", t_backtrace_ends_at_libos_entries),
    ("qemu/drops_from_el2_to_el1", t_enters_at_el2),
    ("qemu/exit_code_through_semihosting", t_exit_code_through_semihosting),
    ("qemu/ram_size_from_device_tree_2g", t_ram_size_from_dt),
    ("qemu/cmdline_and_initrd_from_device_tree", t_cmdline_and_initrd),
    ("qemu/timer_ticks", selftest("ticks")),
    ("qemu/frame_allocator", selftest("frames")),
    ("qemu/ttbr0_switch_keeps_kernel_running", selftest("ttbr0")),
    ("qemu/ttbr0_regression_fails_if_kernel_in_ttbr0", t_ttbr0_regression_is_not_vacuous),
    ("qemu/fault_report_unmapped_write", fault_report(
        "fault", r"data abort without a change in exception level \(EC 0x25\)",
        r"FAR 0xffff7fffdead0000", r"translation fault at level \d, on a write",
        r"ELR  0xffff00004[0-9a-f]+ <arch_selftest_fault\+0x")),
    ("qemu/kernel_text_read_only", fault_report(
        "write-text", r"data abort without a change", r"permission fault at level 3, on a write")),
    ("qemu/kernel_data_not_executable", fault_report(
        "exec-data", r"instruction abort without a change",
        r"permission fault at level 3, on an instruction fetch")),
    ("qemu/undefined_instruction_report", fault_report(
        "undef", r"unknown reason \(undefined instruction\?\) \(EC 0x00\)")),
    ("qemu/kernel_stack_overflow_report", t_stack_overflow),
    ("qemu/panic_halt_stops_without_power_off", t_panic_halt),
    ("qemu/no_device_tree", t_no_device_tree),
    ("qemu/no_device_tree_at_el2_still_powers_off", t_no_device_tree_at_el2),
    ("qemu/dtb_bad_magic", corrupt_dtb(lambda b: be32(b, 0, 0xdeadbeef),
                                       r"unusable: bad magic")),
    ("qemu/dtb_totalsize_too_big", corrupt_dtb(lambda b: be32(b, 4, 0x10000000),
                                               r"unusable: totalsize out of range")),
    ("qemu/dtb_garbage_structure", corrupt_dtb(
        lambda b: be32(b, int.from_bytes(b[8:12], "big"), 0x77),
        r"unusable: malformed token in structure block")),
    ("qemu/dtb_past_the_end_of_ram_is_reported", t_dtb_past_ram_end),
    ("qemu/dtb_without_memory", corrupt_dtb(no_memory_type,
                                            r"device tree: no memory node")),
    ("qemu/calls", user_program("init=t_calls", expect=[r"16-bit ASIDs"])),
    ("qemu/hostile", user_program("init=t_hostile", expect=[
        r"^exo: env \d+ killed: fault inside its fault handler at 0x40 \(pc 0x[0-9a-f]+\)$",
        r"^exo: env \d+ killed: no handler for svc #0 \(SVC from AArch64\) at 0x[0-9a-f]+ \(pc 0x",
        r"^exo: env \d+ killed: no handler for exception \(unknown reason",
        r"^exo: env \d+ killed: svc #0 inside an upcall handler \(light system calls do not nest\)",
        r"^exo: env \d+ killed: upcall stack not writable at 0xd80 ",
        r"^exo: env \d+ killed: upcall stack not writable at 0xfffffffffffffd80 ",
        r"^exo: env \d+ killed: no handler for alert 0x2a at 0x[0-9a-f]+ \(pc 0x"])),
    ("qemu/isolation", user_program("init=t_isolation")),
    ("qemu/fault", user_program("init=t_fault", expect=[
        r"^exo: env \d+ killed: fault inside its fault handler at 0x20000100000 \(pc 0x[0-9a-f]+\)$"])),
    ("qemu/isolation_debug_check_closed", user_program("init=t_isolation debug_check_closed=1",
                                                       open_check=False)),
    # Deterministic time (the timer counts instructions): the bound on a release's steps holds exactly.
    ("qemu/isolation_icount", user_program("init=t_isolation only=bounded_ stall_bound_ms=10",
                                           qemu_args=["-icount", "shift=0,sleep=off"])),
    ("qemu/fuzz", user_program("init=t_fuzz seed=20261124 calls=100000", timeout=300)),
    ("qemu/first_env_end_takes_grandchildren", t_orphans),
    ("qemu/libos/hello_musl_printf_malloc", t_hello),
    ("qemu/libos/ls_lists_the_boot_archive", app("init=ls", [r"^\s+\d+  welcome\.txt$", r"^\s+\d+  hello$"])),
    ("qemu/libos/cat_reads_a_file", app("init=cat -- welcome.txt",
                                        [r"^Welcome to exo\.$", r"^This file lives in the boot archive\.$"])),
    ("qemu/libos/echo_arguments", app("init=echo -- one two", [r"^one two$"])),
    ("qemu/libos/null_dereference_reported", crash("null", "a read")),
    ("qemu/libos/write_to_text_reported", crash("readonly", "a write")),
    ("qemu/libos/stack_overflow_reported", crash("stack", "a write")),
    ("qemu/libos/partial_mprotect_faults", crash("mprotect", "a write",
                                                     before=[r"^crash: neighbours written$"])),
    ("qemu/libos/posix_spawn_waitpid", app("init=spawn", [
        r"^spawned child$", r"^spawn echo: exited with 0$",
        r"^spawn nonexistent: No such file or directory$",
        r"^libos: segmentation fault: a read at 0x0 \(pc 0x[0-9a-f]+\), process \d+ killed$",
        r"^spawn crash: killed by signal 11$", r"^spawn: done$"])),
    ("qemu/libos/execve_replaces_the_image", app("init=spawn -- exec", [
        r"^spawn: pid 1 execs echo$", r"^after exec$"], refute=[r"^execve:"])),
    ("qemu/libos/shell_session", app("init=init", [
        r"^exo\$ echo hi there$", r"^hi there$", r"^\s+53  welcome\.txt$",
        r"^sh: crash: killed by signal 11 \(segmentation fault\)$", r"^sh: nosuch: not found$",
        r"^Welcome to exo\.$", r"^piped along$", r"^init: sh exited with status 3$",
        r"^exo: all environments ended \(first exited with status 768\)$",  # init passes sh's 3 on
        r"^traced$", r"^\[pid \d+\] writev\(1, 0x[0-9a-f]+, 2\) = 7$"],  # NAME=VALUE before a program
        typed=[(r"exo\$ ", line + "\r") for line in (
            "echo hi there", "ls", "crash null", "nosuch", "cat welcome.txt", "echo piped along | cat | cat",
            "EXO_STRACE=1 echo traced", "exit 3")], status=1)),
    ("qemu/libos/shell_job_control", app("init=init", [
        r"^a  b c d e f$", r"^one$", r"^exo\$ exo\$ echo one\x1b\[K$", r"^one$",
        r"^spin: spinning$", r"^\^C$", r"^after ctrl-c$",
        r"^spin: spinning$", r"^\^Z$", r"^sh: stopped: spin \(fg continues it\)$", r"^spin$", r"^\^C$",
        r"^exo\$ abc\^C$", r"^sh: too many pipeline stages \(at most 8\)$", r'^sh: no closing "$',
        r"^sh: too many words \(at most 64\)$", r"^init: sh exited with status 0$"],
        typed=[(r"exo\$ ", "echo \"a  b\" 'c d' e\\ f\r"), (r"exo\$ ", "echo one\r"), (r"exo\$ ", "\x1b[A\r"),
               (r"exo\$ ", "spin\r"), (r"spin: spinning", "\x03"), (r"exo\$ ", "echo after ctrl-c\r"),
               (r"exo\$ ", "spin\r"), (r"spin: spinning", "\x1a"), (r"exo\$ ", "fg\r"), (r"(?m)^spin$", "\x03"),
               (r"exo\$ ", "abc\x03"), (r"exo\$ ", "echo x" + " | cat" * 8 + "\r"),
               (r"exo\$ ", "echo \"open\r"), (r"exo\$ ", "echo" + " w" * 64 + "\r"), (r"exo\$ ", "exit 0\r")])),
    ("qemu/libos/strace", app("init=cat EXO_STRACE=1 -- welcome.txt", [
        r'^\[pid 1\] openat\(-100, "welcome\.txt", 0x[0-9a-f]+\) = 3$',
        r"^\[pid 1\] read\(3, 0x[0-9a-f]+, 4096\) = 53$",
        r'^\[pid 1\] write\(1, "Welcome to exo\.\\nThis file lives \.\.\.", 53\) = 53$',
        r"^\[pid 1\] exit_group\(0\) = 0$"])),
    ("qemu/libos/threads_mutex_cond_join", app("init=threads", [
        r"^threads: 8 threads, counter 16000 \(want 16000\), join results sum 280 \(want 280\)$",
        r"^exo: all environments ended \(first exited with status 0\)$"])),
    ("qemu/libos/libc_conformance_same_as_linux", t_libc_differential),
    *[(f"qemu/libos/fork_semantics[{variant}]", app(f"init=fork EXO_FORK={variant}", [
        rf"^~ fork: default variant {variant}$",
        *[rf"^(~ )?fork: {name}: ok$" for name in FORK_CHECKS],
        rf"^fork: {len(FORK_CHECKS) - 6} passed, 0 failed$",
        r"^~ fork: exo's own: 6 passed, 0 failed$"], refute=[r"FAILED"], timeout=480))
      for variant in FORK_VARIANTS],
    # Threads that write while their process forks, apart: 150 forks, without the checker at each end.
    *[(f"qemu/libos/fork_threads_keep_writes[{variant}]", app(f"init=fork EXO_FORK={variant} -- race", [
        r"^fork: two threads keep every write while the process forks 150 times: ok$",
        r"^fork: 1 passed, 0 failed$"], refute=[r"FAILED"], checks=False))
      for variant in ("cow", "shared", "async")],
    ("qemu/libos/fork_same_as_linux", t_fork_differential),
    ("qemu/libos/signals_same_as_linux", t_signals_differential),
    ("qemu/libos/jobs_same_as_linux", t_jobs_differential),
    # execve both ways: an app linked with libos (init) spawns unmodified bash, which runs a libos app.
    # The first process writes a file and execs: the file's pages are the first process's, and its
    # new image must not free them with the old address space.
    ("qemu/real/first_process_execs_keeps_files", app(
        "init=/bin/busybox -- sh -c echo${IFS}kept>/tmp/a;exec${IFS}cat${IFS}/tmp/a", [r"^kept$"])),
    # A static-pie (musl's rcrt1: ET_DYN, relocating itself) through the loader, as init and from bash.
    ("qemu/real/static_pie", app("init=/musl/echo_pie -- hello from a static-pie", [
        r"^hello from a static-pie$"])),
    ("qemu/real/static_pie_from_bash", app(
        "init=/bin/bash -- -c /musl/echo_pie${IFS}run${IFS}by${IFS}bash;/musl/echo_pie${IFS}again", [
            r"^run by bash$", r"^again$"])),
    ("qemu/real/exec_crossings", app("init=init -- /bin/bash -c /echo${IFS}from${IFS}echo", [
        r"^from echo$", r"^init: /bin/bash exited with status 0$"])),
    # Debian's bash, typed at: readline (pselect6), job control over an app.  Under init, as
    # `ninja run-bash` starts it: as pid 1 its jobs' groups would be orphaned (Linux's rule), so
    # Ctrl-Z would be thrown away.
    ("qemu/real/bash_interactive", app("init=init PATH=/bin:/ HOME=/ TERM=vt100 -- /bin/bash -i", [
        r"^42$", r"^slept$", r"^spin: spinning$", r"^\^C$", r"^tick$", r"^\^Z$", r"^\[1\]\+\s+Stopped",
        r"^tick$", r"^\^C$", r"^after$", r"^init: /bin/bash exited with status 0$"],
        typed=[(r"bash-5\.2# ", "echo $((6*7))\r"), (r"bash-5\.2# ", "sleep 0.3; echo slept\r"),
               (r"bash-5\.2# ", "/spin\r"), (r"spin: spinning", "\x03"),
               (r"bash-5\.2# ", "(while :; do echo tick; sleep 0.2; done)\r"), (r"(?m)^tick$", "\x1a"),
               (r"bash-5\.2# ", "fg\r"), (r"(?m)^tick$", "\x03"),
               (r"bash-5\.2# ", "echo after\r"), (r"bash-5\.2# ", "exit\r")])),
    # The very binaries Linux runs (musl, not linked with libos), through the loader.
    ("qemu/real/musl_libc_check", lambda ctx: t_libc_differential(ctx, "/musl/libc_check")),
    *[(f"qemu/real/musl_{name}", lambda ctx, name=name: app_differential(ctx, name, exo_init=f"/musl/{name}"))
      for name in ("fork", "signals", "jobs")],
    *[(f"qemu/real/{script}[{variant}]", script_differential(init, args, script, f"EXO_FORK={variant}"))
      for script, init, args in (("basics", "/bin/bash", "/scripts/basics.sh"),
                                 ("applets", "/bin/busybox", "sh /scripts/applets.sh"),
                                 ("files", "/bin/bash", "/scripts/files.sh"))
      # Not vfork: its child borrows the parent's memory until exec or exit, and a shell's forked
      # child runs on (subshells, builtins), so it would write over its parent (POSIX's vfork rule).
      for variant in ("cow", "eager", "shared", "async")],
    *[(f"qemu/libos/jobs[{variant}]", app(f"init=jobs EXO_FORK={variant}", [
        r"^jobs: \d+ passed, 0 failed$"], refute=[r"FAILED"], timeout=300))
      for variant in ("eager", "shared", "async")],
    *[(f"qemu/libos/signals[{variant}]", app(f"init=signals EXO_FORK={variant}", [
        r"^signals: \d+ passed, 0 failed$"], refute=[r"FAILED"], timeout=480))
      for variant in ("eager", "shared", "async")],  # vfork: the parent waits while the child signals it
    ("qemu/libos/fork_semantics[vfork]", app("init=fork EXO_FORK=vfork", [
        r"^~ fork: default variant vfork$",
        *[rf"^fork: vfork: {re.escape(name)}: ok$" for name in (
            "the parent resumes after the child has ended, and sees its write",
            "the child is another process, with its own pid",
            "the child's exit status")],
        r"^from the vfork child$",
        r"^fork: vfork: the child execs, the parent goes on: ok$",
        r"^fork: vfork: the child forks and waits for its own child: ok$",
        r"^fork: vfork: the parent's thread state is intact \(a thread made and joined\): ok$",
        r"^fork: 6 passed, 0 failed$"], refute=[r"FAILED"])),
    ("qemu/libos/forkstat", app("init=fork EXO_FORKSTAT=1", [
        r"^libos: fork: pid 1 -> \d+ variant=cow tables=[1-9]\d* tables_shared=[1-9]\d* entries_cow=[1-9]\d* "
        r"pages_copied=\d+ pages_shared=\d+ ns=\d+$",
        r"^libos: forkstat: pid \d+: 0 forks, [1-9]\d* copy-on-write faults, 0 tables unshared$",
        r"^libos: fork: pid 1 -> \d+ variant=eager tables=[1-9]\d* tables_shared=\d+ entries_cow=0 "
        r"pages_copied=[1-9]\d* pages_shared=\d+ ns=\d+$",
        r"^libos: fork: pid 1 -> \d+ variant=shared tables=\d+ tables_shared=[1-9]\d* entries_cow=\d+ "
        r"pages_copied=\d+ pages_shared=\d+ ns=\d+$",
        r"^libos: forkstat: pid \d+: 0 forks, \d+ copy-on-write faults, [1-9]\d* tables unshared$",
        # async: the child makes its shared tables its own in its first act, before its code runs.
        r"^libos: fork: pid 1 -> (\d+) variant=async tables=\d+ tables_shared=[1-9]\d* entries_cow=0 "
        r"pages_copied=\d+ pages_shared=\d+ ns=\d+\r?\nlibos: forkstat: pid \1: 0 forks, \d+ copy-on-write faults, "
        r"[1-9]\d* tables unshared\r?$",
        r"^libos: forkstat: pid 1: \d+ forks, [1-9]\d* copy-on-write faults, \d+ tables unshared$"], timeout=480)),
    ("qemu/libos/strace_names_errors", app("init=cat EXO_STRACE=1 -- nothere", [
        r'^\[pid 1\] openat\(-100, "nothere", 0x[0-9a-f]+\) = -1 ENOENT$',
        r"^exo: all environments ended \(first exited with status 256\)$"], status=1)),
    ("qemu/libos/console_line_editing", app("init=cat", [r"^abd$"], typed="abc\x7fd\r\x04")),
    ("qemu/profile_counts_a_window", t_profile_counts_a_window),
    ("qemu/calls_few_asids", user_program("init=t_calls asid_bits=2 only=asid",
                                          expect=[r"2-bit ASIDs", r"ASID generations (\d+) -> (?!\1\b)\d+"])),
]


def run_qemu_test(ctx, name, test):
    if getattr(test, "multi", False):
        try:
            return test(ctx)
        except Failure as failure:
            return [(False, name, str(failure))]
        except Exception as error:
            return [(False, name, f"{type(error).__name__}: {error}")]
    try:
        return True, name, test(ctx) or ""
    except Failure as failure:
        return False, name, str(failure)
    except Exception as error:  # a bug in the test itself is a failure too
        return False, name, f"{type(error).__name__}: {error}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--nm", required=True)
    parser.add_argument("-j", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("filter", nargs="?", default="")
    ctx = parser.parse_args()
    passed = failed = 0

    def report(ok, name, detail):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        first, _, rest = detail.strip().partition("\n")
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f"  ({first})" if first and ok else ""))
        if not ok and detail.strip():
            print("    " + detail.strip().replace("\n", "\n    "))
        sys.stdout.flush()

    for result in run_host_tests() + run_fuzzers():
        if ctx.filter in result[1]:
            report(*result)
    chosen = [(name, test) for name, test in QEMU_TESTS if ctx.filter in name]
    with concurrent.futures.ThreadPoolExecutor(max_workers=ctx.j) as pool:
        for result in pool.map(lambda item: run_qemu_test(ctx, *item), chosen):
            for one in (result if isinstance(result, list) else [result]):
                report(*one)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
