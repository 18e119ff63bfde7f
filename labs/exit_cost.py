"""Lab 2, VM exit 的代价: what an exit to user space costs, against one the kernel handles itself
and against a loop with no exit at all.

Run it with `python3 labs/exit_cost.py [N]` (N loop iterations per guest, default 10000, at most
65535). docs/labs/exit-cost.md explains the figures. Every time it prints is a sample of this
machine at this moment.
"""

from __future__ import annotations

import os
import platform
import sys
import time

if __package__:
    from . import vmm
else:
    import vmm


# --8<-- [start:guests]
def guest(body: tuple[str, str], n: int) -> vmm.Listing:
    """mov si, n; then n times: the body, dec si, jne back; then hlt."""
    n_hex = n.to_bytes(2, "little").hex(" ")
    back = (-(len(bytes.fromhex(body[0])) + 3)) & 0xFF     # jne to the body's first byte
    return vmm.Listing(16, [
        (f"be {n_hex}", f"mov si, {n:#x}"),
        body,
        ("4e", "dec si"),
        (f"75 {back:02x}", "jne 3"),
        ("f4", "hlt"),
    ])


BODIES = {
    "out": ("e6 10", "out 0x10, al"),   # every iteration: KVM_EXIT_IO, back to this program
    "cpuid": ("0f a2", "cpuid"),        # every iteration: handled in the kernel, not here
    "nop": ("90", "nop"),               # no exit at all
}
# --8<-- [end:guests]


# --8<-- [start:measure]
def measure(body: tuple[str, str], n: int) -> tuple[float, int]:
    """Seconds for the whole guest to run, and how many exits reached user space."""
    with vmm.VM(mem_size=1 << 20) as vm:    # closed at the end: descriptors and memory
        vm.load(guest(body, n).code())
        vm.real_mode()

        def on_io(port, is_out, size, data):
            return True if port == 0x10 and is_out else None

        start = time.perf_counter()
        vm.run_until_halt(on_io=on_io, timeout=60)
        elapsed = time.perf_counter() - start
        return elapsed, sum(vm.exits.values())
# --8<-- [end:measure]


def main() -> None:
    n = vmm.parse_count(sys.argv[1:], default=10000)
    # --8<-- [start:report]
    kind = vmm.host_kind()
    print(f"host: {kind}; kernel {platform.release()}; CPU {cpu_model()}")
    print(f"{n} iterations per guest; best of 3 runs; times are samples of this machine")
    per = {}
    for name, body in BODIES.items():
        best, exits = min(measure(body, n) for _ in range(3))
        per[name] = best / n
        print(f"  {name:5}  exits to user space {exits:6}  total {best * 1e3:8.2f} ms"
              f"  per iteration {per[name] * 1e6:7.3f} µs")
    print(f"out   - nop: {(per['out'] - per['nop']) * 1e6:7.3f} µs per exit to this program and back")
    print(f"cpuid - nop: {(per['cpuid'] - per['nop']) * 1e6:7.3f} µs per CPUID handled in the kernel")
    if "kvm_pvm" in kind and os.path.exists("/sys/module/kvm_pvm/parameters/pvm_emul_batch"):
        # The PVM build of this site's test host: it emulates guests that are not PVM-aware.
        print("host kind: PVM, software only; this PVM build emulates every instruction of these guests,"
              " CPUID included, so no line here is a hardware VM exit or what VT-x or AMD-V costs")
    elif "kvm_pvm" in kind:
        print("host kind: PVM, software only; no line here is a hardware VM exit or what VT-x or AMD-V costs")
    else:
        print("host kind: hardware-assisted (VT-x or AMD-V); an exit here is a hardware VM exit"
              " plus the work of KVM and of this program")
    # --8<-- [end:report]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


if __name__ == "__main__":
    vmm.run_lab(main, takes_arguments=True)
    sys.exit(0)
