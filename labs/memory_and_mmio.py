"""Lab 4, 内存与 MMIO: a device where no memory is, and the two address translations of a VM.

Part 1, real mode: the memory slot covers guest-physical 0x0-0xffff only. The guest writes to
0x10000 and reads 0x10004; no slot covers them, so each access is a KVM_EXIT_MMIO, and this
program plays a tiny "doubling" device there.

Part 2, long mode (64-bit) with four-level paging: this program builds the guest's page tables, the guest
reads and writes through guest-virtual addresses, and the program shows guest-virtual ->
guest-physical (KVM_TRANSLATE, and the same walk in Python) and guest-physical -> host (the slot).

Run it with `python3 labs/memory_and_mmio.py`. docs/labs/memory-and-mmio.md explains it.
"""

from __future__ import annotations

import struct
import sys

if __package__:
    from . import vmm
else:
    import vmm


# --8<-- [start:device]
class Doubler:
    """A device with two 32-bit registers: write a number to base + 0, read twice it at base + 4."""

    def __init__(self, base: int):
        self.base, self.value = base, 0

    def access(self, address: int, is_write: bool, size: int, data: bytes):
        offset = address - self.base
        if is_write and offset == 0:
            self.value = int.from_bytes(data, "little")
            print(f"  MMIO write {address:#x}, {size} byte(s): {self.value}")
            return True
        if not is_write and offset == 4:
            answer = (2 * self.value).to_bytes(8, "little")[:size]
            print(f"  MMIO read  {address:#x}, {size} byte(s): device answers {2 * self.value}")
            return answer
        return None                    # anything else: the monitor reports an unhandled access
# --8<-- [end:device]


# --8<-- [start:part1]
REAL_MODE_GUEST = vmm.Listing(16, [
    ("b8 00 10", "mov ax, 0x1000"),
    ("8e d8", "mov ds, ax"),                   # ds:0 is guest-physical 0x10000
    ("c6 06 00 00 15", "mov byte ptr [0], 0x15"),
    ("a0 04 00", "mov al, byte ptr [4]"),
    ("e6 10", "out 0x10, al"),
    ("f4", "hlt"),
])


def part1() -> None:
    print("part 1: real mode, memory slot 0x0-0xffff, a device at 0x10000")
    vm = vmm.VM(mem_size=0x10000)              # 64 KiB: nothing covers 0x10000
    vm.load(REAL_MODE_GUEST.code())
    vm.real_mode()
    device = Doubler(0x10000)

    def on_io(port, is_out, size, data):
        if port == 0x10 and is_out:
            print(f"  OUT to port 0x10: the guest read back {data[0]}")
            return True
        return None

    vm.run_until_halt(on_io=on_io, on_mmio=device.access, timeout=10)
    print(f"  exits: {vm.exit_counts()}")
# --8<-- [end:part1]


# --8<-- [start:layout]
# Guest-physical addresses of the guest's four levels of page tables (long mode, 4 KiB pages).
PML4, PDPT = 0x1000, 0x2000
PD_LOW, PD_HIGH = 0x3000, 0x4000   # guest-virtual 0-1 GiB and 3-4 GiB
PT_LOW, PT_HIGH = 0x5000, 0x6000   # guest-virtual 0x400000-0x5fffff and 0xc0000000-0xc01fffff
CODE, DATA = 0x8000, 0x9000        # guest-physical pages for code and data
DEVICE = 0x10000000                # guest-physical, far beyond the 1 MiB slot: MMIO
PRESENT_WRITABLE = 0x3

LONG_MODE_GUEST = vmm.Listing(64, [   # runs at guest-virtual 0x400000
    ("8b 04 25 00 10 40 00", "mov eax, dword ptr [0x401000]"),
    ("bb 00 00 00 c0", "mov ebx, 0xc0000000"),
    ("89 03", "mov dword ptr [rbx], eax"),
    ("8b 43 04", "mov eax, dword ptr [rbx + 4]"),
    ("89 04 25 04 10 40 00", "mov dword ptr [0x401004], eax"),
    ("f4", "hlt"),
], origin=0x400000)


def build_page_tables(vm: vmm.VM) -> None:
    def entry(table: int, index: int, target: int) -> None:
        struct.pack_into("<Q", vm.mem, table + 8 * index, target | PRESENT_WRITABLE)
    entry(PML4, 0, PDPT)                 # guest-virtual 0-512 GiB
    entry(PDPT, 0, PD_LOW)               # 0-1 GiB
    entry(PDPT, 3, PD_HIGH)              # 3-4 GiB
    entry(PD_LOW, 0x400000 >> 21, PT_LOW)
    entry(PD_HIGH, 0, PT_HIGH)
    entry(PT_LOW, 0, CODE)               # 0x400000   -> 0x8000
    entry(PT_LOW, 1, DATA)               # 0x401000   -> 0x9000
    entry(PT_HIGH, 0, DEVICE)            # 0xc0000000 -> 0x10000000
# --8<-- [end:layout]


# --8<-- [start:long]
def long_mode(vm: vmm.VM, entry_point: int) -> None:
    sregs = vm.get_sregs()
    for name in ("ds", "es", "fs", "gs", "ss"):
        segment = getattr(sregs, name)
        segment.base, segment.limit, segment.selector = 0, 0xFFFFFFFF, 0x10
        segment.type, segment.present, segment.s, segment.db, segment.g = 0x3, 1, 1, 1, 1
    cs = sregs.cs
    cs.base, cs.limit, cs.selector = 0, 0xFFFFFFFF, 0x08
    cs.type, cs.present, cs.s, cs.l, cs.db, cs.g = 0xB, 1, 1, 1, 0, 1   # 64-bit code
    sregs.cr3 = PML4
    sregs.cr4 = 0x20                     # PAE: long mode needs it
    sregs.efer = 0x500                   # LME | LMA: long mode enabled and active
    sregs.cr0 = 0x80000011               # PG | ET | PE
    vm.set_sregs(sregs)
    vm.set_regs(vmm.kvm_regs(rip=entry_point, rflags=0x2))
# --8<-- [end:long]


# --8<-- [start:walk]
def walk(vm: vmm.VM, virtual: int) -> int | None:
    """Guest-virtual -> guest-physical by reading the guest's own tables, as the MMU does:
    four levels, nine bits of the address each, then twelve bits of offset in the page."""
    table = vm.get_sregs().cr3 & ~0xFFF
    for shift in (39, 30, 21, 12):
        entry = struct.unpack_from("<Q", vm.mem, table + 8 * ((virtual >> shift) & 0x1FF))[0]
        if not entry & 1:
            return None
        table = entry & 0x000FFFFFFFFFF000
    return table | (virtual & 0xFFF)
# --8<-- [end:walk]


def part2() -> None:
    print("part 2: long mode with paging, memory slot 0x0-0xfffff")
    vm = vmm.VM(mem_size=1 << 20)
    build_page_tables(vm)
    vm.load(LONG_MODE_GUEST.code(), CODE)
    vm.mem[DATA:DATA + 4] = struct.pack("<I", 21)
    long_mode(vm, entry_point=0x400000)
    device = Doubler(DEVICE)
    vm.run_until_halt(on_mmio=device.access, timeout=10)
    print(f"  exits: {vm.exit_counts()}")
    # --8<-- [start:translate]
    print("  guest-virtual  KVM_TRANSLATE   Python walk    memory slot")
    for virtual in (0x400000, 0x401004, 0xC0000000, 0xC0000004, 0x800000):
        try:
            result = vm.translate(virtual)
            by_kvm = f"{result.physical_address:#x}" if result.valid else "not mapped"
        except OSError:
            by_kvm = "unsupported"       # some hosts lack KVM_TRANSLATE; the walk still works
        physical = walk(vm, virtual)
        by_walk = f"{physical:#x}" if physical is not None else "not mapped"
        if physical is None:
            host = "-"
        elif physical < len(vm.mem):
            host = f"host mmap + {physical:#x}"
        else:
            host = "no slot: MMIO"
        print(f"  {virtual:#12x}   {by_kvm:14}  {by_walk:13}  {host}")
    # --8<-- [end:translate]
    answer = struct.unpack_from("<I", vm.mem, DATA + 4)[0]
    print(f"  the guest stored {answer} at guest-virtual 0x401004; this program reads it at "
          f"host mmap + {DATA + 4:#x}")


def main() -> None:
    part1()
    part2()


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
