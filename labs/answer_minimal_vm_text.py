"""Answer to lab 1, exercise 1: the guest prints its sum as text on the debug console (port 0xE9).

Run it with `python3 labs/answer_minimal_vm_text.py`; the same bytes also run under
`python3 -m labs.vmm`, which passes the bytes of port 0xE9 to stdout unchanged.
labs/asm/answer_minimal_vm_text.asm is the same guest for NASM.
"""

import sys

if __package__:
    from . import vmm
else:
    import vmm

# --8<-- [start:guest]
GUEST = vmm.Listing(16, [
    ("b0 02", "mov al, 2"),
    ("04 03", "add al, 3"),
    ("04 30", "add al, 0x30"),     # 0x30 is the character '0': 5 becomes '5'
    ("e6 e9", "out 0xe9, al"),
    ("b0 0a", "mov al, 0xa"),      # a newline
    ("e6 e9", "out 0xe9, al"),
    ("f4", "hlt"),
])
# --8<-- [end:guest]


def main() -> None:
    vm = vmm.VM()
    vm.load(GUEST.code())
    vm.real_mode()
    text = []

    def on_io(port, is_out, size, data):
        if port == 0xE9 and is_out:
            text.append(data.decode("ascii"))
            return True
        return None

    vm.run_until_halt(on_io=on_io)
    print(f"the guest printed: {''.join(text)!r}")
    print(f"exits: {vm.exit_counts()}")


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
