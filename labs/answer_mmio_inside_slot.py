"""Answer to lab 4, exercise 1: put the device's address inside the memory slot.

The guest of part 1 now uses segment 0x800 (guest-physical 0x8000), which the 64 KiB slot
covers. Its accesses go to ordinary memory: no KVM_EXIT_MMIO, and no device sees them.
Run it with `python3 labs/answer_mmio_inside_slot.py`.
"""

import sys

if __package__:
    from . import vmm
else:
    import vmm

# --8<-- [start:guest]
INSIDE = vmm.Listing(16, [
    ("b8 00 08", "mov ax, 0x800"),
    ("8e d8", "mov ds, ax"),                   # ds:0 is guest-physical 0x8000: inside the slot
    ("c6 06 00 00 15", "mov byte ptr [0], 0x15"),
    ("a0 04 00", "mov al, byte ptr [4]"),
    ("e6 10", "out 0x10, al"),
    ("f4", "hlt"),
])
# --8<-- [end:guest]


def main() -> None:
    vm = vmm.VM(mem_size=0x10000)

    def on_io(port, is_out, size, data):
        if port == 0x10 and is_out:
            print(f"OUT to port 0x10: the guest read back {data[0]}")
            return True
        return None

    vm.load(INSIDE.code())
    vm.real_mode()
    vm.run_until_halt(on_io=on_io, on_mmio=lambda *access: None, timeout=10)
    print(f"exits: {vm.exit_counts()}")
    print(f"guest memory at 0x8000: {vm.mem[0x8000]} (the byte the guest wrote, in plain memory)")


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
