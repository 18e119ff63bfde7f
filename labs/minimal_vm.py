"""Lab 1, 最小的虚拟机: a real-mode guest adds two numbers, writes the sum to I/O port 0x10 and halts.

Run it with `python3 labs/minimal_vm.py`. docs/labs/minimal-vm.md walks through it.
"""

import fcntl
import sys

if __package__:
    from . import vmm
else:
    import vmm

# --8<-- [start:guest]
GUEST = vmm.Listing(16, [          # 16-bit real-mode code, loaded at guest-physical 0
    ("b0 02", "mov al, 2"),
    ("04 03", "add al, 3"),
    ("e6 10", "out 0x10, al"),     # a VM exit: KVM_EXIT_IO, handled below in user space
    ("f4", "hlt"),                 # a VM exit: KVM_EXIT_HLT, the guest is done
])
# --8<-- [end:guest]


def main() -> None:
    # --8<-- [start:setup]
    vm = vmm.VM(mem_size=1 << 20)      # /dev/kvm, KVM_CREATE_VM, memory slot, one vCPU
    vm.load(GUEST.code(), address=0)   # the guest's bytes, at guest-physical address 0
    vm.real_mode(ip=0)                 # KVM_SET_SREGS and KVM_SET_REGS: CS:IP = 0000:0000
    print(f"guest: {len(GUEST)} bytes at guest-physical 0x0, real mode")
    # --8<-- [end:setup]
    # --8<-- [start:loop]
    run = vm.run                       # struct kvm_run, shared with the kernel through mmap
    while True:
        fcntl.ioctl(vm.vcpu_fd, vmm.KVM_RUN, 0)     # runs the guest until its next exit
        reason = run.exit_reason
        print(f"KVM_RUN returned: {vmm.exit_name(reason)}")
        if reason == vmm.EXIT["IO"] and run.io.direction == vmm.KVM_EXIT_IO_OUT:
            io = run.io                # port, size, count, and where the bytes are
            data = vm.run_page[io.data_offset:io.data_offset + io.size]
            print(f"  OUT to port {io.port:#x}, size {io.size}, count {io.count}, "
                  f"data at kvm_run + {io.data_offset:#x}: {data[0]}")
            print(f"the guest computed 2 + 3 = {data[0]}")
        elif reason == vmm.EXIT["HLT"]:
            break
        else:
            raise vmm.GuestFailed(vm.describe_failure(reason))
    regs = vm.get_regs()                            # KVM_GET_REGS
    print(f"halted with rip = {regs.rip:#x}, al = {regs.rax & 0xff}")
    # --8<-- [end:loop]


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
