"""How the benchmarks boot: exo or Debian's Linux in QEMU (virt, cortex-a72), deterministic
(-icount shift=0,sleep=off: the generic timer then counts instructions, one tick per 16) or in
wall time, with the console read line by line so that long runs can show progress."""
import subprocess
import sys
import threading
import time

EXO_KERNEL, EXO_INITRD = "build/kernel.bin", "build/user/initrd.cpio"
LINUX_KERNEL, LINUX_INITRD = "build/linux/vmlinuz", "build/linux/initramfs.cpio"


def qemu_argv(qemu, memory, icount, kernel, initrd, append):
    argv = [qemu, "-M", "virt", "-cpu", "cortex-a72", "-m", memory, "-nographic", "-nic", "none", "-no-reboot"]
    if icount:
        argv += ["-icount", "shift=0,sleep=off"]
    return argv + ["-kernel", kernel, "-initrd", initrd, "-append", append]


def exo_argv(qemu, program, memory="2G", icount=True, env=""):
    return qemu_argv(qemu, memory, icount, EXO_KERNEL, EXO_INITRD, f"init={program} {env}".strip())


def linux_argv(qemu, program, memory="2G", icount=True, thp="always", env=""):
    append = (f"console=ttyAMA0 quiet panic=-1 rdinit=/{program} transparent_hugepage={thp} {env} -- poweroff")
    return qemu_argv(qemu, memory, icount, LINUX_KERNEL, LINUX_INITRD, " ".join(append.split()))


def run(argv, on_line=None, timeout=3600):
    """The console's lines (CR dropped) and the wall time; on_line(line) is called as each arrives."""
    start = time.time()
    lines = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace") as proc:
        watchdog = threading.Timer(timeout, proc.kill)  # a guest that hangs in silence ends too
        watchdog.start()
        try:
            for raw in proc.stdout:
                line = raw.replace("\r", "").rstrip("\n")
                lines.append(line)
                if on_line:
                    on_line(line)
        finally:
            watchdog.cancel()
    if time.time() - start >= timeout:
        sys.exit(f"{argv[0]}: no end after {timeout} s:\n" + "\n".join(lines[-40:]))
    return lines, time.time() - start
