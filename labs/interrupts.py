"""Lab 5, 中断：from an interrupt this program injects to the timer ticks of devices in the kernel.

Part 1: no interrupt controller in the kernel. The guest installs a handler for vector 0x40 in its
own interrupt vector table; this program asks KVM for an interrupt window
(kvm_run.request_interrupt_window), waits for KVM_EXIT_IRQ_WINDOW_OPEN and injects the vector with
KVM_INTERRUPT. While the guest runs with interrupts disabled (cli), the window stays shut.

Part 2: KVM_CREATE_IRQCHIP and KVM_CREATE_PIT2 put a PIC and a PIT in the kernel. The guest
programs both and counts 10 timer ticks at 100 Hz with no exit to this program.

Part 3: a thread of this program raises IRQ 1 on the in-kernel PIC with KVM_IRQ_LINE while the
vCPU halts in the kernel.

Part 4: ioeventfd and irqfd: the guest's write to guest-physical 0x10000 (DOORBELL, an MMIO
address with no memory behind it) signals an eventfd in the kernel, a thread here answers through
another eventfd that raises IRQ 5; no exit either way.

Run it with `python3 labs/interrupts.py`. docs/labs/interrupts.md explains it. The times it
prints are samples of this machine at this moment.
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
import platform
import signal
import sys
import threading
import time
from collections import Counter

if __package__:
    from . import vmm
else:
    import vmm

COUNT = 0x500          # guest-physical byte where each guest's handler counts its interrupts
READY = 0x501          # part 3: the guest sets it to 1 once it waits with interrupts enabled
REPORT = 0x10          # an I/O port no device in the kernel claims: every OUT to it exits here


class Deadline(Exception):
    """The wall-clock limit passed (raised by the SIGALRM handler)."""


# --8<-- [start:run]
def run(vm: vmm.VM, handle, timeout: float = 10.0) -> None:
    """KVM_RUN until handle(exit_reason) returns True. With the PIC in the kernel a halted vCPU
    waits inside KVM_RUN, so only a signal can end a guest that never reports: SIGALRM
    interrupts KVM_RUN (EINTR), and its handler raises Deadline out of the ioctl."""
    def alarm(signum, frame):
        raise Deadline
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        while True:
            try:
                fcntl.ioctl(vm.vcpu_fd, vmm.KVM_RUN, 0)
            except InterruptedError:          # another signal, whose handler returned
                continue
            reason = vm.run.exit_reason
            vm.exits[reason] += 1
            if reason == vmm.EXIT["INTR"]:    # KVM saw a signal pending: enter again
                continue
            if handle(reason):
                return
    except Deadline:
        raise vmm.GuestFailed(f"time limit of {timeout:g} s reached; stopped at {vm.where()}\n"
                              + vm.dump_registers()) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
# --8<-- [end:run]


def unexpected(vm: vmm.VM, reason: int):
    """Any exit a part does not expect stops the lab with the monitor's description of it."""
    if reason == vmm.EXIT["IO"]:
        io = vm.run.io
        data = bytes(vm.run_page[io.data_offset:io.data_offset + io.size])
        raise vmm.GuestFailed(f"unexpected {'OUT to' if io.direction else 'IN from'} port "
                              f"{io.port:#x} (data {data.hex()}); at {vm.where()}")
    raise vmm.GuestFailed(vm.describe_failure(reason))


def run_until_report(vm: vmm.VM) -> int:
    """Parts 2-4: run until the guest's OUT to the REPORT port, the one exit they expect;
    return the byte it wrote. Any other exit is an error."""
    def handle(reason: int) -> bool:
        io = vm.run.io
        if reason == vmm.EXIT["IO"] and io.port == REPORT and io.direction == vmm.KVM_EXIT_IO_OUT:
            return True
        unexpected(vm, reason)
    run(vm, handle)
    return vm.run_page[vm.run.io.data_offset]


# ---------------------------------------------------------------- part 1

# --8<-- [start:inject-guest]
INJECT_GUEST = vmm.Listing(16, [                       # loaded at 0x1000, starts there
    ("bc 00 80", "mov sp, 0x8000"),                    # a stack for the interrupt frames
    ("c7 06 00 01 27 10", "mov word ptr [0x100], 0x1027"),   # IVT entry 0x40 (at 4 * 0x40):
    ("c7 06 02 01 00 00", "mov word ptr [0x102], 0"),        # handler at 0000:1027
    ("fa", "cli"),                                     # IF = 0: no interrupts from here
    ("e6 10", "out 0x10, al"),                         # tell the VMM
    ("b9 c8 00", "mov cx, 0xc8"),
    ("e2 fe", "loop 0x1015"),                          # 200 turns of a loop, interrupts off
    ("e6 11", "out 0x11, al"),
    ("fb", "sti"),                                     # IF = 1
    ("80 3e 00 05 03", "cmp byte ptr [0x500], 3"),     # wait until the handler ran 3 times
    ("72 f9", "jb 0x101a"),
    ("a0 00 05", "mov al, byte ptr [0x500]"),
    ("e6 12", "out 0x12, al"),                         # report the count
    ("f4", "hlt"),
    ("fe 06 00 05", "inc byte ptr [0x500]"),           # the handler, at 0x1027: count,
    ("cf", "iret"),                                    # and return to where it was
], origin=0x1000)
# --8<-- [end:inject-guest]

VECTOR = 0x40


# --8<-- [start:inject]
def inject(vm: vmm.VM, vector: int) -> None:
    fcntl.ioctl(vm.vcpu_fd, vmm.KVM_INTERRUPT, vmm.kvm_interrupt(irq=vector))


def part1() -> None:
    print("part 1: KVM_INTERRUPT from this program; no interrupt controller in the kernel")
    vm = vmm.VM()
    vm.load(INJECT_GUEST.code(), 0x1000)
    vm.real_mode(ip=0x1000)
    run_page = vm.run
    injected = 0

    def handle(reason: int) -> bool:
        nonlocal injected
        state = (f"if_flag {run_page.if_flag}, "
                 f"ready_for_interrupt_injection {run_page.ready_for_interrupt_injection}")
        port = run_page.io.port if reason == vmm.EXIT["IO"] else None
        if port == 0x10:
            print(f"  OUT 0x10, the guest ran cli:   {state}; request_interrupt_window = 1")
            run_page.request_interrupt_window = 1
        elif port == 0x11:
            print(f"  OUT 0x11, 200 loops later:    {state}; still no window")
        elif reason == vmm.EXIT["IRQ_WINDOW_OPEN"]:
            injected += 1
            print(f"  KVM_EXIT_IRQ_WINDOW_OPEN:      {state}; KVM_INTERRUPT {VECTOR:#x} ({injected})")
            inject(vm, VECTOR)
            if injected == 3:
                run_page.request_interrupt_window = 0
        elif port == 0x12:
            print(f"  OUT 0x12: the guest's handler ran {vm.run_page[run_page.io.data_offset]} times")
        elif reason == vmm.EXIT["HLT"]:
            return True
        else:
            unexpected(vm, reason)
        return False

    run(vm, handle)
    print(f"  exits: {vm.exit_counts()}")
# --8<-- [end:inject]


# ---------------------------------------------------------------- parts 2-4: devices in the kernel

# --8<-- [start:irqchip]
class IrqchipVM(vmm.VM):
    """vmm.VM with a PIC (and an I/O APIC) and optionally a PIT in the kernel. They must exist
    before the vCPU (api.rst, KVM_CREATE_IRQCHIP), so this repeats vmm.VM.__init__ in that order."""

    def __init__(self, pit: bool, mem_size: int = 1 << 20):
        self.kvm = vmm.open_kvm()
        for cap, name in ((vmm.KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"), (vmm.KVM_CAP_PIT2, "KVM_CAP_PIT2")):
            if not fcntl.ioctl(self.kvm, vmm.KVM_CHECK_EXTENSION, cap):
                raise vmm.CannotStart(f"this KVM lacks {name}")
        self.fd = fcntl.ioctl(self.kvm, vmm.KVM_CREATE_VM, 0)
        if fcntl.ioctl(self.kvm, vmm.KVM_CHECK_EXTENSION, vmm.KVM_CAP_SET_TSS_ADDR):
            try:
                vmm.ioctl_ulong(self.fd, vmm.KVM_SET_TSS_ADDR, 0xFFFBD000)
            except OSError:
                if os.path.isdir("/sys/module/kvm_intel"):
                    raise
        fcntl.ioctl(self.fd, vmm.KVM_CREATE_IRQCHIP, 0)                # before the vCPU
        if pit:
            fcntl.ioctl(self.fd, vmm.KVM_CREATE_PIT2, vmm.kvm_pit_config(flags=0))
        self.mem = mmap.mmap(-1, mem_size, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        self.host_address = ctypes.addressof(ctypes.c_char.from_buffer(self.mem))
        fcntl.ioctl(self.fd, vmm.KVM_SET_USER_MEMORY_REGION, vmm.kvm_userspace_memory_region(
            slot=0, flags=0, guest_phys_addr=0, memory_size=mem_size, userspace_addr=self.host_address))
        self.vcpu_fd = fcntl.ioctl(self.fd, vmm.KVM_CREATE_VCPU, 0)    # after the irqchip
        size = fcntl.ioctl(self.kvm, vmm.KVM_GET_VCPU_MMAP_SIZE, 0)
        self.run_page = mmap.mmap(self.vcpu_fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self.run = vmm.kvm_run.from_buffer(self.run_page)
        self.exits: Counter = Counter()
# --8<-- [end:irqchip]


# --8<-- [start:pic]
def pic_setup(vector: int, mask: int) -> list[tuple[str, str]]:
    """The first 35 bytes of each guest below, at 0x1000: the IVT entry for `vector` points at
    HANDLER (0000:1100), then ICW1-4 program the master PIC with vector base 0x20, and OCW1
    masks every IRQ line but the ones whose bit in `mask` is 0."""
    entry = (4 * vector).to_bytes(2, "little").hex(" ")
    segment = (4 * vector + 2).to_bytes(2, "little").hex(" ")
    return [
        ("bc 00 80", "mov sp, 0x8000"),
        (f"c7 06 {entry} 00 11", f"mov word ptr [{4 * vector:#x}], 0x1100"),
        (f"c7 06 {segment} 00 00", f"mov word ptr [{4 * vector + 2:#x}], 0"),
        ("b0 11", "mov al, 0x11"), ("e6 20", "out 0x20, al"),    # ICW1: edge, ICW4 follows
        ("b0 20", "mov al, 0x20"), ("e6 21", "out 0x21, al"),    # ICW2: IRQ n -> vector 0x20 + n
        ("b0 04", "mov al, 4"), ("e6 21", "out 0x21, al"),       # ICW3: a slave PIC on IRQ 2
        ("b0 01", "mov al, 1"), ("e6 21", "out 0x21, al"),       # ICW4: 8086 mode
        (f"b0 {mask:02x}", f"mov al, {mask:#x}"), ("e6 21", "out 0x21, al"),   # OCW1: the mask
    ]


HANDLER = vmm.Listing(16, [                            # at 0x1100, for IRQs through the PIC
    ("fe 06 00 05", "inc byte ptr [0x500]"),           # count
    ("50", "push ax"),
    ("b0 20", "mov al, 0x20"),
    ("e6 20", "out 0x20, al"),                         # EOI: end of interrupt, to the PIC
    ("58", "pop ax"),
    ("cf", "iret"),
], origin=0x1100)
# --8<-- [end:pic]


def start(vm: vmm.VM, guest: vmm.Listing) -> None:
    vm.load(guest.code(), 0x1000)
    vm.load(HANDLER.code(), 0x1100)
    vm.real_mode(ip=0x1000)


# ---------------------------------------------------------------- part 2

# --8<-- [start:timer-guest]
TIMER_GUEST = vmm.Listing(16, pic_setup(0x20, 0xFE) + [   # IRQ 0 (the PIT) -> vector 0x20
    ("b0 34", "mov al, 0x34"),                          # PIT: channel 0, low then high byte,
    ("e6 43", "out 0x43, al"),                          # mode 2 (rate generator)
    ("b0 9c", "mov al, 0x9c"),
    ("e6 40", "out 0x40, al"),
    ("b0 2e", "mov al, 0x2e"),
    ("e6 40", "out 0x40, al"),                          # divisor 0x2e9c = 11932: about 100 Hz
    ("fb", "sti"),
    ("f4", "hlt"),                                      # wait for the next tick
    ("80 3e 00 05 0a", "cmp byte ptr [0x500], 0xa"),
    ("72 f8", "jb 0x1030"),                             # fewer than 10 ticks: halt again
    ("a0 00 05", "mov al, byte ptr [0x500]"),
    ("e6 10", "out 0x10, al"),                          # report: the only exit to this program
    ("f4", "hlt"),
], origin=0x1000)
# --8<-- [end:timer-guest]


# --8<-- [start:timer]
def part2() -> None:
    print("part 2: KVM_CREATE_IRQCHIP and KVM_CREATE_PIT2; the guest counts timer ticks")
    vm = IrqchipVM(pit=True)
    start(vm, TIMER_GUEST)
    began = time.perf_counter()
    ticks = run_until_report(vm)
    elapsed = time.perf_counter() - began
    print(f"  the guest counted {ticks} ticks in {elapsed:.3f} s; "
          f"exits to this program: {vm.exit_counts()}")
# --8<-- [end:timer]


# ---------------------------------------------------------------- part 3

# --8<-- [start:line-guest]
LINE_GUEST = vmm.Listing(16, pic_setup(0x21, 0xFD) + [    # IRQ 1 -> vector 0x21
    ("fb", "sti"),
    ("c6 06 01 05 01", "mov byte ptr [0x501], 1"),      # ready
    ("f4", "hlt"),
    ("80 3e 00 05 03", "cmp byte ptr [0x500], 3"),
    ("72 f8", "jb 0x1029"),
    ("a0 00 05", "mov al, byte ptr [0x500]"),
    ("e6 10", "out 0x10, al"),
    ("f4", "hlt"),
], origin=0x1000)
# --8<-- [end:line-guest]


def wait_for(condition, seconds: float = 5.0) -> None:
    limit = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > limit:
            raise TimeoutError
        time.sleep(0.001)


def device_thread(work) -> threading.Thread:
    """A thread like a device model's I/O thread. It blocks SIGALRM, so the time limit's signal
    always interrupts KVM_RUN in the main thread."""
    def body():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            work()
        except (TimeoutError, OSError):   # the guest never got there: the time limit reports it
            pass
    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


# --8<-- [start:line]
def irq_line(vm: vmm.VM, irq: int, level: int) -> None:
    fcntl.ioctl(vm.fd, vmm.KVM_IRQ_LINE, vmm.kvm_irq_level(irq=irq, level=level))


def part3() -> None:
    print("part 3: KVM_IRQ_LINE from another thread while the vCPU halts in the kernel")
    vm = IrqchipVM(pit=False)
    start(vm, LINE_GUEST)
    said = []

    def raise_irq1():
        wait_for(lambda: vm.mem[READY] == 1)
        for n in range(1, 4):
            irq_line(vm, 1, 1)                          # an edge on IRQ 1: 0 -> 1
            irq_line(vm, 1, 0)
            wait_for(lambda: vm.mem[COUNT] == n)
            said.append(f"  thread: KVM_IRQ_LINE irq 1, level 1 then 0; the guest's count is now {n}")

    thread = device_thread(raise_irq1)
    count = run_until_report(vm)
    thread.join()
    print("\n".join(said))
    print(f"  the guest reported {count} interrupts; exits to this program: {vm.exit_counts()}")
# --8<-- [end:line]

# ---------------------------------------------------------------- part 4

# --8<-- [start:eventfd]
def eventfd() -> int:
    """A new eventfd: os.eventfd on Python 3.10 and later, else the C library's eventfd(2)."""
    if hasattr(os, "eventfd"):
        return os.eventfd(0, os.EFD_CLOEXEC)
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "eventfd"):
        raise vmm.CannotStart("no eventfd() in this C library: part 4 needs Linux eventfd(2)")
    fd = libc.eventfd(0, os.O_CLOEXEC)                # EFD_CLOEXEC has O_CLOEXEC's value
    if fd < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return fd
# --8<-- [end:eventfd]


# --8<-- [start:doorbell-guest]
DOORBELL = 0x10000     # guest-physical; the 64 KiB memory slot ends below it (as in lab 4)
DOORBELL_GUEST = vmm.Listing(16, pic_setup(0x25, 0xDF) + [   # IRQ 5 -> vector 0x25
    ("b8 00 10", "mov ax, 0x1000"),
    ("8e c0", "mov es, ax"),                            # es:0 is guest-physical 0x10000
    ("fa", "cli"),
    ("31 db", "xor bx, bx"),                            # bx: doorbells rung so far
    ("43", "inc bx"),
    ("26 88 1e 00 00", "mov byte ptr es:[0], bl"),      # ring the doorbell
    ("38 1e 00 05", "cmp byte ptr [0x500], bl"),        # as many interrupts as doorbells?
    ("73 05", "jae 0x103c"),
    ("fb", "sti"),                                      # no: wait for one (sti; hlt cannot
    ("f4", "hlt"),                                      # miss an interrupt that comes between)
    ("fa", "cli"),
    ("eb f5", "jmp 0x1031"),
    ("80 fb 03", "cmp bl, 3"),                          # yes: 3 doorbells yet?
    ("72 ea", "jb 0x102b"),
    ("a0 00 05", "mov al, byte ptr [0x500]"),
    ("e6 10", "out 0x10, al"),
    ("f4", "hlt"),
], origin=0x1000)
# --8<-- [end:doorbell-guest]


# --8<-- [start:doorbell]
def part4() -> None:
    print("part 4: KVM_IOEVENTFD and KVM_IRQFD: a doorbell and an interrupt, both through eventfds")
    vm = IrqchipVM(pit=False, mem_size=0x10000)
    for cap, name in ((vmm.KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"), (vmm.KVM_CAP_IRQFD, "KVM_CAP_IRQFD")):
        if not fcntl.ioctl(vm.kvm, vmm.KVM_CHECK_EXTENSION, cap):
            raise vmm.CannotStart(f"this KVM lacks {name}")
    doorbell, interrupt = eventfd(), eventfd()
    # A 1-byte write to guest-physical 0x10000 adds 1 to `doorbell`, in the kernel: no
    # KVM_EXIT_MMIO (flags 0: an MMIO address; KVM_IOEVENTFD_FLAG_PIO would make it a port).
    fcntl.ioctl(vm.fd, vmm.KVM_IOEVENTFD, vmm.kvm_ioeventfd(addr=DOORBELL, len=1, fd=doorbell))
    # A write to `interrupt` raises GSI 5 (IRQ 5 of the PIC), in the kernel.
    fcntl.ioctl(vm.fd, vmm.KVM_IRQFD, vmm.kvm_irqfd(fd=interrupt, gsi=5))
    start(vm, DOORBELL_GUEST)
    said = []

    def device():
        for n in range(1, 4):
            rung = int.from_bytes(os.read(doorbell, 8), sys.byteorder)   # blocks until rung
            said.append(f"  thread: doorbell eventfd read {rung} (ring {n}); writing 1 to the irqfd")
            os.write(interrupt, (1).to_bytes(8, sys.byteorder))

    thread = device_thread(device)
    count = run_until_report(vm)
    thread.join()
    print("\n".join(said))
    print(f"  the guest reported {count} interrupts; exits to this program: {vm.exit_counts()}")
# --8<-- [end:doorbell]


def main() -> None:
    print(f"host: {vmm.host_kind()}; kernel {platform.release()}")
    part1()
    part2()
    part3()
    part4()


if __name__ == "__main__":
    vmm.run_lab(main)
    sys.exit(0)
