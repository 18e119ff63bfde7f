"""Lab 3, 模拟与虚拟化: the same guest bytes, run three ways.

  1. interpreted, one instruction at a time, by the small Python interpreter below;
  2. translated into host code by Unicorn, a library built on a fork of QEMU's TCG (optional: in a venv, see docs/labs/index.md);
  3. handed to KVM.

Run it with `python3 labs/emulation.py [N]` (N loop iterations, default 50000, at most 65535).
Without Unicorn the second row says how to install it. Without /dev/kvm the first two rows still
run, the third says why KVM did not, and the lab then explains a missing /dev/kvm like every other
lab (vmm.run_lab: Chinese and English, exit status 2). docs/labs/emulation.md explains the
figures, which are samples of this machine at this moment.
"""

from __future__ import annotations

import sys
import time

if __package__:
    from . import vmm
else:
    import vmm


# --8<-- [start:guest]
def loop_guest(n: int) -> vmm.Listing:
    """n iterations of a three-instruction loop, then hlt; no I/O, so no exit until the end."""
    return vmm.Listing(16, [
        (f"be {n.to_bytes(2, 'little').hex(' ')}", f"mov si, {n:#x}"),
        ("90", "nop"),
        ("4e", "dec si"),
        ("75 fc", "jne 3"),
        ("f4", "hlt"),
    ])
# --8<-- [end:guest]


# --8<-- [start:interpreter]
def interpret(code: bytes) -> tuple[int, int]:
    """Fetch, decode, execute: just enough x86 for the loop above. Returns (si, instructions)."""
    ip, si, zf, count = 0, 0, False, 0
    while True:
        opcode = code[ip]
        count += 1
        if opcode == 0xBE:                               # mov si, imm16
            si, ip = int.from_bytes(code[ip + 1:ip + 3], "little"), ip + 3
        elif opcode == 0x90:                             # nop
            ip += 1
        elif opcode == 0x4E:                             # dec si
            si, ip = (si - 1) & 0xFFFF, ip + 1
            zf = si == 0
        elif opcode == 0x75:                             # jne rel8
            offset = code[ip + 1] - 256 if code[ip + 1] > 127 else code[ip + 1]
            ip = ip + 2 + (offset if not zf else 0)
        elif opcode == 0xF4:                             # hlt
            return si, count
        else:
            raise ValueError(f"the interpreter does not know opcode {opcode:#04x} at {ip:#x}")
# --8<-- [end:interpreter]


# --8<-- [start:engines]
def run_unicorn(code: bytes) -> float:
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_16
    emulator = Uc(UC_ARCH_X86, UC_MODE_16)
    emulator.mem_map(0, 0x10000)
    emulator.mem_write(0, code)
    start = time.perf_counter()
    emulator.emu_start(0, len(code) - 1)             # stop when it reaches the hlt
    return time.perf_counter() - start


def run_kvm(code: bytes) -> float:
    with vmm.VM(mem_size=1 << 20) as vm:
        vm.load(code)
        vm.real_mode()
        start = time.perf_counter()
        vm.run_until_halt(timeout=60)
        return time.perf_counter() - start
# --8<-- [end:engines]


def main() -> None:
    n = vmm.parse_count(sys.argv[1:], default=50000)
    code = loop_guest(n).code()
    # --8<-- [start:report]
    print(f"host: {vmm.host_kind()}")
    print(f"guest: {len(code)} bytes, {n} iterations of nop; dec si; jne "
          f"({3 * n + 2} instructions); best of 3; times are samples of this machine")
    python_time = float("inf")
    for _ in range(3):                                   # best of 3, like the other two engines
        start = time.perf_counter()
        si, count = interpret(code)
        python_time = min(python_time, time.perf_counter() - start)
        assert si == 0 and count == 3 * n + 2
    print(f"  interpreter (Python)      {python_time * 1e3:9.2f} ms  "
          f"{python_time / n * 1e6:8.3f} µs per iteration")
    times, no_kvm = {}, None
    for name, engine in (("Unicorn (QEMU TCG)", run_unicorn), ("KVM", run_kvm)):
        try:
            times[name] = min(engine(code) for _ in range(3))
        except ImportError:
            print(f"  {name:24}  not run: Unicorn is not installed (python3 -m venv ~/kvm-labs && ~/kvm-labs/bin/pip install unicorn==2.1.4, then run this with ~/kvm-labs/bin/python3)")
            continue
        except vmm.CannotStart as error:
            print(f"  {name:24}  not run: {error.reason()}")
            no_kvm = error
            continue
        print(f"  {name:24}  {times[name] * 1e3:9.2f} ms  {times[name] / n * 1e6:8.3f} µs per iteration")
    if len(times) == 2:
        ratio = times["KVM"] / times["Unicorn (QEMU TCG)"]
        print(f"KVM / Unicorn: {ratio:.1f} (above 1: KVM was the slower one here)")
    # --8<-- [end:report]
    if no_kvm:
        raise no_kvm          # the same explanation and exit status 2 as every lab


if __name__ == "__main__":
    vmm.run_lab(main, takes_arguments=True)
    sys.exit(0)
