"""Answer to lab 2, exercise 1: send N bytes with one exit instead of N.

The guest writes the bytes into a buffer in its own memory and then makes one OUT to port 0x11
with the length, as a paravirtual device's driver fills a shared ring and then notifies the
device once. This program reads the buffer straight from guest memory.

Run it with `python3 labs/answer_exit_cost_batched.py`; the times it prints are samples of this
machine at this moment, so its first line names the host's KVM, as lab 2 does.
"""

from __future__ import annotations

import sys
import time

if __package__:
    from . import exit_cost, vmm
else:
    import exit_cost
    import vmm

N = 10000
BUFFER = 0x1000

# --8<-- [start:guest]
BATCHED = vmm.Listing(16, [
    ("bf 00 10", "mov di, 0x1000"),            # the buffer, in guest memory
    ("b9 10 27", "mov cx, 0x2710"),            # 10000 bytes
    ("c6 05 41", "mov byte ptr [di], 0x41"),   # write one byte into the buffer: no exit
    ("47", "inc di"),
    ("49", "dec cx"),
    ("75 f9", "jne 6"),
    ("b8 10 27", "mov ax, 0x2710"),
    ("e7 11", "out 0x11, ax"),                 # one notification: "10000 bytes are ready"
    ("f4", "hlt"),
])
# --8<-- [end:guest]


def run_batched() -> tuple[float, int, bytes]:
    vm = vmm.VM()
    vm.load(BATCHED.code())
    vm.real_mode()
    received = []

    def on_io(port, is_out, size, data):
        if port == 0x11 and is_out and size == 2:
            length = int.from_bytes(data, "little")
            received.append(bytes(vm.mem[BUFFER:BUFFER + length]))   # guest memory, no copy by KVM
            return True
        return None

    start = time.perf_counter()
    vm.run_until_halt(on_io=on_io, timeout=60)
    return time.perf_counter() - start, sum(vm.exits.values()), b"".join(received)


def main() -> None:
    print(f"host: {vmm.host_kind()}")
    one_by_one, exits = exit_cost.measure(exit_cost.BODIES["out"], N)
    print(f"{N} bytes, one OUT each:       exits to user space {exits:6}  total {one_by_one * 1e3:8.2f} ms")
    batched, exits, data = run_batched()
    assert data == b"A" * N
    print(f"{N} bytes in a buffer, one OUT: exits to user space {exits:6}  total {batched * 1e3:8.2f} ms")


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
