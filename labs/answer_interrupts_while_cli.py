"""Answer to lab 5, exercise 1: inject while the guest has interrupts disabled.

The guest of part 1 runs cli and tells this program so (OUT 0x10). This program calls
KVM_INTERRUPT at once, without asking for an interrupt window, and stops at the guest's next
OUT (0x11, 200 loop turns later, interrupts still off) to see whether the handler ran.
Run it with `python3 labs/answer_interrupts_while_cli.py`.
"""

import sys

if __package__:
    from . import interrupts, vmm
else:
    import interrupts
    import vmm


INJECT_GUEST = interrupts.INJECT_GUEST      # the guest of part 1, unchanged


# --8<-- [start:answer]
def main() -> None:
    vm = vmm.VM()
    vm.load(interrupts.INJECT_GUEST.code(), 0x1000)
    vm.real_mode(ip=0x1000)
    run_page = vm.run

    def handle(reason: int) -> bool:
        port = run_page.io.port if reason == vmm.EXIT["IO"] else None
        if port == 0x10:
            print(f"OUT 0x10, the guest ran cli: if_flag {run_page.if_flag}, ready_for_interrupt_injection "
                  f"{run_page.ready_for_interrupt_injection}; KVM_INTERRUPT 0x40 all the same")
            interrupts.inject(vm, 0x40)
            return False
        if port == 0x11:
            print(f"OUT 0x11, 200 loops later, interrupts still off: the handler ran "
                  f"{vm.mem[interrupts.COUNT]} time(s)")
            return True
        interrupts.unexpected(vm, reason)

    interrupts.run(vm, handle)
    print(f"exits: {vm.exit_counts()}")
# --8<-- [end:answer]


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
