"""Answer to lab 3, exercise 1: a loop that counts up, run by all three engines, which must agree.

The interpreter of lab 3 learns three more instructions (xor si, si; inc si; cmp si, imm16).
Run it with `python3 labs/answer_emulation_count_up.py`; Unicorn is optional, and a missing
/dev/kvm ends it as in lab 3 (the KVM row says why, then the usual explanation, exit status 2).
"""

import sys

if __package__:
    from . import vmm
else:
    import vmm

N = 50000

# --8<-- [start:guest]
COUNT_UP = vmm.Listing(16, [
    ("31 f6", "xor si, si"),
    ("46", "inc si"),
    ("81 fe 50 c3", "cmp si, 0xc350"),     # 50000
    ("75 f9", "jne 2"),
    ("f4", "hlt"),
])
# --8<-- [end:guest]


# --8<-- [start:interpreter]
def interpret(code: bytes) -> int:
    ip, si, zf = 0, 0, False
    while True:
        opcode = code[ip]
        if code[ip:ip + 2] == b"\x31\xf6":                   # xor si, si
            si, zf, ip = 0, True, ip + 2
        elif opcode == 0x46:                                 # inc si
            si, ip = (si + 1) & 0xFFFF, ip + 1
            zf = si == 0
        elif code[ip:ip + 2] == b"\x81\xfe":                 # cmp si, imm16
            zf = si == int.from_bytes(code[ip + 2:ip + 4], "little")
            ip += 4
        elif opcode == 0x75:                                 # jne rel8
            offset = code[ip + 1] - 256 if code[ip + 1] > 127 else code[ip + 1]
            ip = ip + 2 + (offset if not zf else 0)
        elif opcode == 0xF4:                                 # hlt
            return si
        else:
            raise ValueError(f"the interpreter does not know opcode {opcode:#04x} at {ip:#x}")
# --8<-- [end:interpreter]


def main() -> None:
    code = COUNT_UP.code()
    print(f"interpreter (Python): si = {interpret(code)}")
    try:
        from unicorn import Uc, UC_ARCH_X86, UC_MODE_16
        from unicorn.x86_const import UC_X86_REG_SI
        emulator = Uc(UC_ARCH_X86, UC_MODE_16)
        emulator.mem_map(0, 0x10000)
        emulator.mem_write(0, code)
        emulator.emu_start(0, len(code) - 1)
        print(f"Unicorn (QEMU TCG):   si = {emulator.reg_read(UC_X86_REG_SI)}")
    except ImportError:
        print("Unicorn (QEMU TCG):   not run: Unicorn is not installed (python3 -m venv ~/kvm-labs && ~/kvm-labs/bin/pip install unicorn==2.1.4, then run this with ~/kvm-labs/bin/python3)")
    try:
        vm = vmm.VM()
    except vmm.CannotStart as error:
        print(f"KVM:                  not run: {error.reason()}")
        raise                 # the same explanation and exit status 2 as every lab
    vm.load(code)
    vm.real_mode()
    vm.run_until_halt(timeout=60)
    print(f"KVM:                  si = {vm.get_regs().rsi & 0xFFFF}")


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
