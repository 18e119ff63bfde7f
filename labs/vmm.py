"""A very small virtual machine monitor on Linux KVM, in the standard library only.

Every lab imports this module; it also runs a flat guest binary from the command line:

    python3 -m labs.vmm GUEST.bin [--mem-mib N] [--timeout S]      (from the repository root)
    python3 path/to/labs/vmm.py GUEST.bin [...]                     (from anywhere)

The binary is loaded at guest-physical address 0 and started in real mode at its first byte
(CS:IP = 0000:0000). Bytes the guest writes to port 0xE9 (the debug console of Bochs and of
QEMU's isa-debugcon) go to stdout unchanged, byte for byte (UTF-8 text stays UTF-8). At the end the monitor prints, on stderr,
the exit that stopped the guest and how many exits of each reason it saw.

Exit status: 0 the guest halted (HLT); 1 the guest failed (triple fault, internal error, failed
entry, an access nothing handles, the time limit, stdout cannot be written); 2 it could not start (no /dev/kvm, no
permission, bad arguments, a guest file that is missing, empty, not a regular file or larger
than guest memory); 130 interrupted with Ctrl-C; 141 stdout was closed early (as in `| head`),
quietly, as other Unix tools end when a pipe closes.

Sources for every number and layout below (checked against the installed headers by
tests/test_labs_vmm_matches_kernel_headers.py):
  - include/uapi/linux/kvm.h            ioctl numbers, struct kvm_run, exit reasons
  - arch/x86/include/uapi/asm/kvm.h     struct kvm_regs, kvm_sregs, kvm_segment, kvm_dtable
  - include/uapi/asm-generic/ioctl.h    how _IO/_IOR/_IOW/_IOWR encode a request number
  - Documentation/virt/kvm/api.rst      what each ioctl and each exit means
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import mmap
import os
import re
import signal
import stat
import sys
import time
import traceback
from collections import Counter

# Tests point this at a missing file to see the "no KVM" message; readers never need to.
KVM_DEVICE = os.environ.get("LABS_KVM_DEVICE", "/dev/kvm")

# --8<-- [start:ioctls]
# include/uapi/asm-generic/ioctl.h (x86 uses these generic values): a request number packs
# the direction (bits 31-30), the size of the argument (bits 29-16), a type that names the
# driver (bits 15-8) and a number within it (bits 7-0). The C macros and their equivalents here:
#   _IO(KVMIO, nr)          _ioc(_IOC_NONE, nr)          no argument, or a plain integer
#   _IOR(KVMIO, nr, type)   _ioc(_IOC_READ, nr, size)    the kernel writes a struct for us
#   _IOW(KVMIO, nr, type)   _ioc(_IOC_WRITE, nr, size)   the kernel reads our struct
#   _IOWR(KVMIO, nr, type)  _ioc(_IOC_READ | _IOC_WRITE, nr, size)   both
_IOC_NONE, _IOC_WRITE, _IOC_READ = 0, 1, 2
KVMIO = 0xAE                                   # include/uapi/linux/kvm.h


def _ioc(direction: int, nr: int, size: int = 0) -> int:
    return (direction << 30) | (size << 16) | (KVMIO << 8) | nr
# --8<-- [end:ioctls]


# --8<-- [start:structs]
u8, u16, u32, u64 = ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64


class kvm_userspace_memory_region(ctypes.Structure):   # linux/kvm.h; api.rst, KVM_SET_USER_MEMORY_REGION
    _fields_ = [("slot", u32), ("flags", u32), ("guest_phys_addr", u64),
                ("memory_size", u64), ("userspace_addr", u64)]


# --8<-- [start:kvm_regs]
class kvm_regs(ctypes.Structure):                      # asm/kvm.h; api.rst, KVM_GET_REGS
    _fields_ = [(name, u64) for name in (
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags")]
# --8<-- [end:kvm_regs]


# --8<-- [start:kvm_sregs]
class kvm_segment(ctypes.Structure):                   # asm/kvm.h
    _fields_ = [("base", u64), ("limit", u32), ("selector", u16), ("type", u8),
                ("present", u8), ("dpl", u8), ("db", u8), ("s", u8), ("l", u8),
                ("g", u8), ("avl", u8), ("unusable", u8), ("padding", u8)]


class kvm_dtable(ctypes.Structure):                    # asm/kvm.h
    _fields_ = [("base", u64), ("limit", u16), ("padding", u16 * 3)]


class kvm_sregs(ctypes.Structure):                     # asm/kvm.h; api.rst, KVM_GET_SREGS
    _fields_ = [(name, kvm_segment) for name in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")]
    _fields_ += [("gdt", kvm_dtable), ("idt", kvm_dtable)]
    _fields_ += [(name, u64) for name in ("cr0", "cr2", "cr3", "cr4", "cr8", "efer", "apic_base")]
    _fields_ += [("interrupt_bitmap", u64 * 4)]        # (KVM_NR_INTERRUPTS + 63) / 64
# --8<-- [end:kvm_sregs]


class kvm_translation(ctypes.Structure):               # linux/kvm.h; api.rst, KVM_TRANSLATE
    _fields_ = [("linear_address", u64), ("physical_address", u64), ("valid", u8),
                ("writeable", u8), ("usermode", u8), ("pad", u8 * 5)]


# --8<-- [start:kvm_run]
class kvm_run_io(ctypes.Structure):                    # KVM_EXIT_IO
    _fields_ = [("direction", u8), ("size", u8), ("port", u16), ("count", u32),
                ("data_offset", u64)]                  # data sits at kvm_run + data_offset


class kvm_run_mmio(ctypes.Structure):                  # KVM_EXIT_MMIO
    _fields_ = [("phys_addr", u64), ("data", u8 * 8), ("len", u32), ("is_write", u8)]


class kvm_run_fail_entry(ctypes.Structure):            # KVM_EXIT_FAIL_ENTRY
    _fields_ = [("hardware_entry_failure_reason", u64), ("cpu", u32)]


class kvm_run_internal(ctypes.Structure):              # KVM_EXIT_INTERNAL_ERROR
    _fields_ = [("suberror", u32), ("ndata", u32), ("data", u64 * 16)]


class kvm_run_exit(ctypes.Union):                      # the union of exit details, 256 bytes
    _fields_ = [("io", kvm_run_io), ("mmio", kvm_run_mmio), ("fail_entry", kvm_run_fail_entry),
                ("internal", kvm_run_internal), ("padding", ctypes.c_char * 256)]


class kvm_run(ctypes.Structure):                       # linux/kvm.h; api.rst, “The kvm_run structure”
    _anonymous_ = ("exit",)
    _fields_ = [("request_interrupt_window", u8), ("immediate_exit", u8), ("padding1", u8 * 6),
                ("exit_reason", u32), ("ready_for_interrupt_injection", u8), ("if_flag", u8),
                ("flags", u16), ("cr8", u64), ("apic_base", u64), ("exit", kvm_run_exit)]
# --8<-- [end:kvm_run]
# --8<-- [end:structs]


# --8<-- [start:numbers]
# System ioctls (on the /dev/kvm descriptor)
KVM_GET_API_VERSION = _ioc(_IOC_NONE, 0x00)
KVM_CREATE_VM = _ioc(_IOC_NONE, 0x01)
KVM_CHECK_EXTENSION = _ioc(_IOC_NONE, 0x03)
KVM_GET_VCPU_MMAP_SIZE = _ioc(_IOC_NONE, 0x04)
# VM ioctls (on the descriptor KVM_CREATE_VM returned)
KVM_CREATE_VCPU = _ioc(_IOC_NONE, 0x41)
KVM_SET_USER_MEMORY_REGION = _ioc(_IOC_WRITE, 0x46, ctypes.sizeof(kvm_userspace_memory_region))
KVM_SET_TSS_ADDR = _ioc(_IOC_NONE, 0x47)
# vCPU ioctls (on the descriptor KVM_CREATE_VCPU returned)
KVM_RUN = _ioc(_IOC_NONE, 0x80)
KVM_GET_REGS = _ioc(_IOC_READ, 0x81, ctypes.sizeof(kvm_regs))
KVM_SET_REGS = _ioc(_IOC_WRITE, 0x82, ctypes.sizeof(kvm_regs))
KVM_GET_SREGS = _ioc(_IOC_READ, 0x83, ctypes.sizeof(kvm_sregs))
KVM_SET_SREGS = _ioc(_IOC_WRITE, 0x84, ctypes.sizeof(kvm_sregs))
KVM_TRANSLATE = _ioc(_IOC_READ | _IOC_WRITE, 0x85, ctypes.sizeof(kvm_translation))

KVM_API_VERSION = 12            # api.rst, KVM_GET_API_VERSION: "The return value ... must be 12"
KVM_CAP_SET_TSS_ADDR = 4
KVM_EXIT_IO_IN, KVM_EXIT_IO_OUT = 0, 1
# --8<-- [end:numbers]

# Exit reasons 0-40 of include/uapi/linux/kvm.h: 0-37 as in the 6.1 header (checked against the
# installed one by tests/test_labs_vmm_matches_kernel_headers.py), 38-40 added in later kernels.
# Kernels keep adding reasons; exit_name() prints any reason missing here as its number.
EXIT_REASONS = {
    0: "KVM_EXIT_UNKNOWN", 1: "KVM_EXIT_EXCEPTION", 2: "KVM_EXIT_IO", 3: "KVM_EXIT_HYPERCALL",
    4: "KVM_EXIT_DEBUG", 5: "KVM_EXIT_HLT", 6: "KVM_EXIT_MMIO", 7: "KVM_EXIT_IRQ_WINDOW_OPEN",
    8: "KVM_EXIT_SHUTDOWN", 9: "KVM_EXIT_FAIL_ENTRY", 10: "KVM_EXIT_INTR",
    11: "KVM_EXIT_SET_TPR", 12: "KVM_EXIT_TPR_ACCESS", 13: "KVM_EXIT_S390_SIEIC",
    14: "KVM_EXIT_S390_RESET", 15: "KVM_EXIT_DCR", 16: "KVM_EXIT_NMI",
    17: "KVM_EXIT_INTERNAL_ERROR", 18: "KVM_EXIT_OSI", 19: "KVM_EXIT_PAPR_HCALL",
    20: "KVM_EXIT_S390_UCONTROL", 21: "KVM_EXIT_WATCHDOG", 22: "KVM_EXIT_S390_TSCH",
    23: "KVM_EXIT_EPR", 24: "KVM_EXIT_SYSTEM_EVENT", 25: "KVM_EXIT_S390_STSI",
    26: "KVM_EXIT_IOAPIC_EOI", 27: "KVM_EXIT_HYPERV", 28: "KVM_EXIT_ARM_NISV",
    29: "KVM_EXIT_X86_RDMSR", 30: "KVM_EXIT_X86_WRMSR", 31: "KVM_EXIT_DIRTY_RING_FULL",
    32: "KVM_EXIT_AP_RESET_HOLD", 33: "KVM_EXIT_X86_BUS_LOCK", 34: "KVM_EXIT_XEN",
    35: "KVM_EXIT_RISCV_SBI", 36: "KVM_EXIT_RISCV_CSR", 37: "KVM_EXIT_NOTIFY",
    38: "KVM_EXIT_LOONGARCH_IOCSR", 39: "KVM_EXIT_MEMORY_FAULT", 40: "KVM_EXIT_TDX",
}
EXIT = {name[len("KVM_EXIT_"):]: number for number, name in EXIT_REASONS.items()}

INTERNAL_ERRORS = {     # kvm_run.internal.suberror, linux/kvm.h
    1: "KVM_INTERNAL_ERROR_EMULATION (an instruction KVM could not emulate)",
    2: "KVM_INTERNAL_ERROR_SIMUL_EX (an exception while delivering another)",
    3: "KVM_INTERNAL_ERROR_DELIVERY_EV (a VM exit KVM could not handle while the guest was"
       " delivering an interrupt or exception, for example through an IDT or a stack in MMIO)",
    4: "KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON",
}


def exit_name(reason: int) -> str:
    return EXIT_REASONS.get(reason, f"unknown exit reason {reason}")


class CannotStart(Exception):
    """The machine cannot be made: no KVM, or bad input. Exit status 2."""

    def reason(self) -> str:
        """One line for a table row: the English line of a bilingual message, else the first."""
        lines = str(self).splitlines() or [""]
        return next((line for line in lines if line.startswith("Error:")), lines[0])


class GuestFailed(Exception):
    """The guest stopped in a way nobody asked for. Exit status 1."""


class _Deadline(Exception):
    """The wall-clock limit has passed (run_until_halt)."""


NO_KVM_HELP = """\
错误：无法打开 {path}（{why}）。
Error: cannot open {path} ({why}).

这些实验需要 Linux 的 KVM。/ These labs need Linux KVM:
  - 权限：先用 ls -l /dev/kvm 看它属于哪个用户和组、谁能读写。属于 kvm 组且组可读写（crw-rw----）时，
    把自己加入 kvm 组（sudo usermod -aG kvm $USER），重新登录后再试；只有属主能读写（如 crw------- root root）时，
    加入 kvm 组也没有用：以属主（root）运行，或请管理员改变 /dev/kvm 的属组和权限。
    Permission: first see who may open it:  ls -l /dev/kvm.  If it belongs to group kvm and the group
    may read and write (crw-rw----), add yourself to the kvm group and log in again:
    sudo usermod -aG kvm $USER.  If only its owner may (e.g. crw------- root root), the kvm group does
    not help: run as that owner (root), or ask the admin to change the group and mode of /dev/kvm.
  - 虚拟机里（包括云服务器）：要宿主机开启嵌套虚拟化（nested virtualization），把 VT-x 或 AMD-V 交给这台虚拟机。
    公开的 PVM 只运行为它修改过的 64 位客户机内核，不能指望它运行这些实模式客户机。
    Inside a VM (a cloud server too): the host must enable nested virtualization and pass VT-x or
    AMD-V through. Public PVM runs only PVM-aware 64-bit guest kernels: do not count on it here.
  - Windows 上：在 Windows 11 的 WSL2 里运行，嵌套虚拟化默认打开；若 .wslconfig 里写了
    nestedVirtualization=false，改回 true，再运行 wsl --shutdown。
    On Windows: use WSL2 on Windows 11, where nested virtualization is on by default; if .wslconfig
    says nestedVirtualization=false, make it true and run wsl --shutdown.
  - 物理机上：在固件（BIOS/UEFI）里打开 VT-x 或 AMD-V，然后 modprobe kvm_intel 或 kvm_amd。
    On a physical machine: enable VT-x or AMD-V in the firmware, then modprobe kvm_intel or kvm_amd."""


def open_kvm(path: str | None = None) -> int:
    """Open /dev/kvm and check the API version (api.rst, KVM_GET_API_VERSION)."""
    path = path or KVM_DEVICE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as error:
        raise CannotStart(NO_KVM_HELP.format(path=path, why=error.strerror)) from None
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
    except OSError as error:
        raise CannotStart(NO_KVM_HELP.format(path=path, why=f"not a KVM device: {error.strerror}")) from None
    if version != KVM_API_VERSION:
        raise CannotStart(f"KVM API version {version}, expected {KVM_API_VERSION} (api.rst, KVM_GET_API_VERSION)")
    return fd


def kvm_available() -> str | None:
    """None when /dev/kvm opens, else the reason it does not (for tests and labs that can skip)."""
    try:
        os.close(open_kvm())
    except CannotStart as error:
        return error.reason()
    return None


_libc = ctypes.CDLL(None, use_errno=True)


def ioctl_ulong(fd: int, request: int, argument: int) -> int:
    """An ioctl whose argument is an unsigned long, such as KVM_SET_TSS_ADDR.
    fcntl.ioctl passes an int argument as a C int, and 0xfffbd000 does not fit in one."""
    result = _libc.ioctl(ctypes.c_int(fd), ctypes.c_ulong(request), ctypes.c_ulong(argument))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def host_kind() -> str:
    """Which KVM module drives /dev/kvm here, and whether this host itself runs under a hypervisor."""
    module = next((name for name in ("kvm_intel", "kvm_amd", "kvm_pvm")
                   if os.path.isdir(f"/sys/module/{name}")), "unknown")
    try:
        flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo")
                      if line.startswith("flags")), [])
    except OSError:
        flags = []
    hardware = "vmx" if "vmx" in flags else "svm" if "svm" in flags else "no vmx/svm"
    under = "yes" if "hypervisor" in flags else "no"
    return f"{module} ({hardware}; hypervisor flag: {under})"


class Listing:
    """Guest code as rows of (bytes in hex, assembly). The bytes are what runs; the assembly is
    what the page shows beside them, and tests/test_labs_show_the_code_that_runs.py disassembles
    the bytes and fails when the two differ. Text after ';' in the assembly is a comment."""

    def __init__(self, bits: int, rows: list[tuple[str, str]], origin: int = 0):
        self.bits, self.rows, self.origin = bits, rows, origin

    def code(self) -> bytes:
        return b"".join(bytes.fromhex(hexbytes) for hexbytes, _ in self.rows)

    def __len__(self) -> int:
        return len(self.code())


def _wrong_answer(answer, handler: str, access: str, size: int = 0) -> str:
    """The message for a handler that returned something it must not: a write handler returns
    True or None, a read handler exactly `size` bytes or None."""
    if isinstance(answer, (bytes, bytearray)):
        got = f"{len(answer)} byte(s) ({bytes(answer[:16]).hex(' ') or 'empty'})"
    else:
        got = f"{type(answer).__name__} {answer!r:.60}"
    if size:
        return (f"the {handler} handler returned {got} for the {access} of {size} byte(s); it "
                f"must return exactly {size} byte(s), e.g. n.to_bytes({size}, 'little') for a number n")
    return (f"the {handler} handler returned {got} for the {access}; "
            f"it must return True (handled) or None (nothing there)")


def _answer(answer, size: int, handler: str, access: str) -> bytes:
    """What a handler returned for an IN or an MMIO read: exactly `size` bytes, or a GuestFailed
    that says what is wrong (bytes(42) would be 42 zero bytes: the guest would silently read 0)."""
    if isinstance(answer, (bytes, bytearray)) and len(answer) == size:
        return bytes(answer)
    raise GuestFailed(_wrong_answer(answer, handler, access, size))


# --8<-- [start:vm]
class VM:
    """One virtual machine: guest memory at guest-physical 0, and one vCPU."""

    def __init__(self, mem_size: int = 1 << 20):
        self.kvm = open_kvm()
        try:
            self._create(mem_size)
        except BaseException:
            self.close()               # a half-made VM gives back what it has (see close())
            raise

    def _create(self, mem_size: int) -> None:
        self.fd = fcntl.ioctl(self.kvm, KVM_CREATE_VM, 0)              # api.rst, KVM_CREATE_VM
        # Intel VMX needs three pages for a real-mode TSS below 4 GiB before the first
        # KVM_RUN (api.rst, KVM_SET_TSS_ADDR); the address must not overlap guest memory or MMIO.
        if fcntl.ioctl(self.kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR):
            try:
                ioctl_ulong(self.fd, KVM_SET_TSS_ADDR, 0xFFFBD000)
            except OSError:
                if os.path.isdir("/sys/module/kvm_intel"):
                    raise
        # Guest memory is ordinary anonymous memory of this process.
        self.mem = mmap.mmap(-1, mem_size, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        host_address = ctypes.addressof(ctypes.c_char.from_buffer(self.mem))
        region = kvm_userspace_memory_region(slot=0, flags=0, guest_phys_addr=0,
                                             memory_size=mem_size, userspace_addr=host_address)
        fcntl.ioctl(self.fd, KVM_SET_USER_MEMORY_REGION, region)        # api.rst, KVM_SET_USER_MEMORY_REGION
        self.host_address = host_address
        self.vcpu_fd = fcntl.ioctl(self.fd, KVM_CREATE_VCPU, 0)         # api.rst, KVM_CREATE_VCPU
        # kvm_run: the page(s) that KVM_RUN fills in at every exit, shared through mmap.
        size = fcntl.ioctl(self.kvm, KVM_GET_VCPU_MMAP_SIZE, 0)
        self.run_page = mmap.mmap(self.vcpu_fd, size, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE)
        self.run = kvm_run.from_buffer(self.run_page)
        self.exits: Counter = Counter()
        self.interruptions = 0         # KVM_RUN calls a signal interrupted (run_until_halt)

    def load(self, code: bytes, address: int = 0) -> None:
        self.mem[address:address + len(code)] = code

    def get_regs(self) -> kvm_regs:
        regs = kvm_regs()
        fcntl.ioctl(self.vcpu_fd, KVM_GET_REGS, regs)
        return regs

    def set_regs(self, regs: kvm_regs) -> None:
        fcntl.ioctl(self.vcpu_fd, KVM_SET_REGS, regs)

    def get_sregs(self) -> kvm_sregs:
        sregs = kvm_sregs()
        fcntl.ioctl(self.vcpu_fd, KVM_GET_SREGS, sregs)
        return sregs

    def set_sregs(self, sregs: kvm_sregs) -> None:
        fcntl.ioctl(self.vcpu_fd, KVM_SET_SREGS, sregs)

    def real_mode(self, ip: int = 0) -> None:
        """Start at 0000:ip in real mode: the vCPU starts at F000:FFF0 like a reset PC."""
        sregs = self.get_sregs()
        for segment in (sregs.cs, sregs.ds, sregs.es, sregs.fs, sregs.gs, sregs.ss):
            segment.base, segment.selector = 0, 0
        self.set_sregs(sregs)
        self.set_regs(kvm_regs(rip=ip, rflags=0x2))      # bit 1 of RFLAGS is always 1
# --8<-- [end:vm]

    def close(self) -> None:
        """Give back the descriptors and the memory: a process may hold about 1024 descriptors,
        and each VM holds three. `with vmm.VM() as vm:` closes it at the end of the block; a VM
        nobody refers to any more is closed when Python frees it."""
        self.__dict__.pop("run", None)                 # the ctypes view into run_page
        for name in ("run_page", "mem"):
            area = self.__dict__.pop(name, None)
            if area is not None:
                try:
                    area.close()                       # munmap
                except BufferError:                    # someone still holds a view into it:
                    pass                               # it is unmapped when that view goes
        for name in ("vcpu_fd", "fd", "kvm"):
            fd = self.__dict__.pop(name, None)
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> "VM":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def translate(self, linear: int) -> kvm_translation:
        """Guest-virtual to guest-physical through the guest's own page tables (api.rst, KVM_TRANSLATE)."""
        result = kvm_translation(linear_address=linear)
        fcntl.ioctl(self.vcpu_fd, KVM_TRANSLATE, result)
        return result

    # --8<-- [start:run]
    def run_until_halt(self, on_io=None, on_mmio=None, timeout: float = 10.0) -> None:
        """KVM_RUN until the guest halts. on_io(port, is_out, size, data) and
        on_mmio(address, is_write, size, data) return the bytes an IN or a read gets,
        True for a handled write, or None when nothing is there (an error)."""
        end = time.monotonic() + timeout
        # SIGALRM only interrupts KVM_RUN; its handler does nothing. It fires at the deadline
        # and then every 50 ms, so one that lands just before KVM_RUN starts is followed by another.
        previous = signal.signal(signal.SIGALRM, lambda signum, frame: None)
        signal.setitimer(signal.ITIMER_REAL, max(timeout, 1e-6), 0.05)
        try:
            while True:
                if time.monotonic() >= end:
                    raise _Deadline
                # A signal whose handler returns makes KVM_RUN fail with EINTR (KVM_EXIT_INTR
                # in exit_reason), and Python's fcntl.ioctl does not retry it: it raises
                # InterruptedError. So the monitor runs the guest again itself, unless the
                # deadline has passed (api.rst, KVM_RUN; KVM_EXIT_INTR).
                try:
                    fcntl.ioctl(self.vcpu_fd, KVM_RUN, 0)
                except InterruptedError:
                    self.interruptions += 1
                    continue
                except OSError as error:
                    raise GuestFailed(f"KVM_RUN failed: {error.strerror} (errno {error.errno}); "
                                      f"at {self.where()}\n" + self.dump_registers()) from None
                reason = self.run.exit_reason
                self.exits[reason] += 1
                if reason == EXIT["HLT"]:
                    return
                if reason == EXIT["IO"]:
                    self._io(on_io)
                elif reason == EXIT["MMIO"]:
                    self._mmio(on_mmio)
                elif reason != EXIT["INTR"]:
                    raise GuestFailed(self.describe_failure(reason))
        except _Deadline:
            raise GuestFailed(f"time limit of {timeout:g} s reached: the guest never halted; "
                              f"stopped at {self.where()}\n" + self.dump_registers()) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _io(self, on_io) -> None:
        io = self.run.io
        is_out = io.direction == KVM_EXIT_IO_OUT
        for i in range(io.count):                        # count > 1 for rep outs/ins
            offset = io.data_offset + i * io.size
            data = bytes(self.run_page[offset:offset + io.size])
            answer = on_io(io.port, is_out, io.size, data) if on_io else None
            if answer is None:
                raise GuestFailed(
                    f"unhandled port I/O: {'OUT to' if is_out else 'IN from'} port {io.port:#x}, "
                    f"size {io.size} byte(s)" + (f", data {data.hex(' ')}" if is_out else "")
                    + f"; at {self.where()}\n" + self.dump_registers())
            if not is_out:
                self.run_page[offset:offset + io.size] = _answer(
                    answer, io.size, "on_io", f"IN from port {io.port:#x}")
            elif answer is not True:
                raise GuestFailed(_wrong_answer(answer, "on_io", f"OUT to port {io.port:#x}"))

    # --8<-- [start:mmio]
    def _mmio(self, on_mmio) -> None:
        mmio = self.run.mmio
        data = bytes(mmio.data[:mmio.len])
        answer = on_mmio(mmio.phys_addr, bool(mmio.is_write), mmio.len, data) if on_mmio else None
        if answer is None:
            raise GuestFailed(
                f"unhandled MMIO: {'write to' if mmio.is_write else 'read from'} guest-physical "
                f"{mmio.phys_addr:#x}, size {mmio.len} byte(s)"
                + (f", data {data.hex(' ')}" if mmio.is_write else "")
                + " (no memory slot and no device there)"
                + f"; at {self.where()}\n" + self.dump_registers())
        if not mmio.is_write:          # exactly mmio.len bytes, or _answer() says what is wrong
            answer = _answer(answer, mmio.len, "on_mmio", f"read from {mmio.phys_addr:#x}")
            mmio.data[:mmio.len] = list(answer)
        elif answer is not True:
            raise GuestFailed(_wrong_answer(answer, "on_mmio", f"write to {mmio.phys_addr:#x}"))
    # --8<-- [end:mmio]
    # --8<-- [end:run]

    def describe_failure(self, reason: int) -> str:
        run = self.run
        text = f"{exit_name(reason)} ({reason})"
        if reason == EXIT["SHUTDOWN"]:
            text += ": the guest shut down, usually a triple fault (an exception while " \
                    "delivering a double fault)"
        elif reason == EXIT["INTERNAL_ERROR"]:
            internal = run.internal
            text += f": suberror {INTERNAL_ERRORS.get(internal.suberror, internal.suberror)}"
            if internal.ndata:
                text += ", data " + " ".join(f"{internal.data[i]:#x}"
                                             for i in range(min(internal.ndata, 16)))
        elif reason == EXIT["FAIL_ENTRY"]:
            fail = run.fail_entry
            text += (f": the processor refused to enter the guest, hardware entry failure "
                     f"reason {fail.hardware_entry_failure_reason:#x} on CPU {fail.cpu}")
        else:
            text += ": this monitor does not handle this exit"
        return f"{text}; at {self.where()}\n" + self.dump_registers()

    def where(self) -> str:
        try:
            regs, sregs = self.get_regs(), self.get_sregs()
        except OSError:
            return "an unknown place (the registers could not be read)"
        linear = sregs.cs.base + regs.rip
        place = f"CS:IP {sregs.cs.selector:04x}:{regs.rip:04x} (linear {linear:#x})"
        if not sregs.cr0 & 0x80000000 and linear + 8 <= len(self.mem):
            place += f", bytes there: {bytes(self.mem[linear:linear + 8]).hex(' ')}"
        return place

    def dump_registers(self) -> str:
        try:
            regs, sregs = self.get_regs(), self.get_sregs()
        except OSError as error:
            return f"  (registers unavailable: {error.strerror})"
        general = "  ".join(f"{name}={getattr(regs, name):#x}" for name in
                            ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp"))
        lines = [f"  registers: {general}",
                 f"  rip={regs.rip:#x}  rflags={regs.rflags:#x}  cr0={sregs.cr0:#x}  "
                 f"cr3={sregs.cr3:#x}  cr4={sregs.cr4:#x}  efer={sregs.efer:#x}"]
        segments = "  ".join(f"{name}={getattr(sregs, name).selector:04x}"
                             f"(base {getattr(sregs, name).base:#x})" for name in ("cs", "ds", "ss"))
        lines.append(f"  {segments}  gdt={sregs.gdt.base:#x}/{sregs.gdt.limit:#x}  "
                     f"idt={sregs.idt.base:#x}/{sregs.idt.limit:#x}")
        return "\n".join(lines)

    def exit_counts(self) -> str:
        return ", ".join(f"{exit_name(reason)} {count}" for reason, count in sorted(self.exits.items())) or "none"


def quiet_broken_pipe() -> int:
    """stdout was closed before we finished (`... | head`): stop without a word, as cat or grep
    do when a pipe closes. Status 141 is what a shell shows for a tool that SIGPIPE ended."""
    try:                                   # nothing more may be flushed to the closed pipe,
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # not even at exit
    except (OSError, ValueError):
        pass
    return 141


class OutputFailed(Exception):
    """stdout cannot be written (a full disk, /dev/full): not KVM's fault. Exit status 1."""


def _output_failed(error: OSError) -> OutputFailed:
    return OutputFailed(f"错误：无法写出标准输出（{error.strerror}）。\n"
                        f"Error: cannot write to standard output: {error.strerror}.")


class _CheckedStdout:
    """sys.stdout for a lab: a failed print (a full disk) is an OutputFailed, so that it is
    not reported as a failed KVM call; a closed pipe stays a BrokenPipeError."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _output_failed(error) from None

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _output_failed(error) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def flush_stdout() -> None:
    sys.stdout.flush()


class ShowUsage(Exception):
    """-h or --help: the usage goes to stdout, exit status 0 (run_lab)."""


HELP = ("-h", "--help")


def _program() -> str:
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "lab"


def _usage_text(usage: str) -> str:
    """The usage line, then the first paragraph of the running lab's docstring."""
    doc = (getattr(sys.modules.get("__main__"), "__doc__", None) or "").strip()
    return usage + ("\n\n" + doc.split("\n\n", 1)[0] if doc else "")


def no_arguments(argv: list) -> None:
    """The labs that take no argument: -h/--help prints the usage (status 0), anything else is
    a usage error (CannotStart, exit status 2), as in labs 2 and 3."""
    usage = f"usage: python3 labs/{_program()}   (no arguments; -h, --help: this help)"
    if any(arg in HELP for arg in argv):
        raise ShowUsage(_usage_text(usage))
    if argv:
        raise CannotStart(f"错误：这个程序不接受参数：{' '.join(argv)}。\nError: this program takes no "
                          f"arguments: {' '.join(argv)}.\n{usage}")


def parse_count(argv: list, default: int, name: str = "N") -> int:
    """The one optional argument of labs 2 and 3: a loop count that fits in the guest's 16-bit
    counter. -h/--help prints the usage (status 0); anything else is a usage error (CannotStart,
    exit status 2), never a traceback."""
    usage = f"usage: python3 labs/{_program()} [{name}]   ({name}: 1 to 65535, default {default}; -h, --help: this help)"
    if any(arg in HELP for arg in argv):
        raise ShowUsage(_usage_text(usage))
    if len(argv) > 1:
        raise CannotStart(f"错误：参数太多：{' '.join(argv)}。\nError: too many arguments: "
                          f"{' '.join(argv)}.\n{usage}")
    if not argv:
        return default
    try:
        n = int(argv[0], 10)
    except ValueError:
        n = None
    if n is None or not 1 <= n <= 0xFFFF:
        raise CannotStart(f"错误：{name} 必须是 1 到 65535 之间的整数（16 位计数器），而不是 {argv[0]!r}。\n"
                          f"Error: {name} must be a whole number from 1 to 65535 (a 16-bit counter), "
                          f"not {argv[0]!r}.\n{usage}")
    return n


def _failed_call(error: OSError) -> str | None:
    """The KVM ioctl that failed, read from the line of the lab that made the call: the innermost
    line of the traceback that calls an ioctl with a KVM_ request, or None."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        found = re.search(r"ioctl\w*\(.*?\b(KVM_[A-Z0-9_]+)", frame.line or "")
        if found:
            return found.group(1)
    return None


def run_lab(main, takes_arguments: bool = False) -> None:
    """Run a lab's main(); turn the monitor's errors into a message and an exit status. A lab
    whose main() reads no arguments is checked here: -h/--help, or a usage error."""
    if hasattr(sys.stdout, "reconfigure"):     # e.g. PYTHONIOENCODING=ascii: µs prints as \xb5s
        sys.stdout.reconfigure(errors="backslashreplace")
    if not isinstance(sys.stdout, _CheckedStdout):
        sys.stdout = _CheckedStdout(sys.stdout)
    try:
        if not takes_arguments:
            no_arguments(sys.argv[1:])
        main()
        flush_stdout()
    except ShowUsage as usage:
        try:
            print(usage)
            flush_stdout()
        except BrokenPipeError:
            sys.exit(quiet_broken_pipe())
        except OutputFailed as error:
            print(error, file=sys.stderr)
            sys.exit(1)
        sys.exit(0)
    except BrokenPipeError:                    # before OSError: the pipe, not KVM, failed
        sys.exit(quiet_broken_pipe())
    except OutputFailed as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    except CannotStart as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    except GuestFailed as error:
        print(f"guest failed: {error}", file=sys.stderr)
        sys.exit(1)
    except OSError as error:
        call = _failed_call(error)
        if call:
            print(f"错误：{call} 调用失败（{error.strerror}）。\nError: {call} failed: {error.strerror} "
                  f"(errno {error.errno}).", file=sys.stderr)
        else:
            print(f"错误：KVM 调用失败（{error.strerror}）。\nError: a KVM call failed: {error.strerror} "
                  f"(errno {error.errno}).", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C)", file=sys.stderr)
        sys.exit(130)


MAX_MEM_MIB = 3072      # guest memory stays below 3 GiB, clear of the TSS pages at 0xfffbd000
MAX_TIMEOUT = 86400     # one day


FILE_KINDS = [(stat.S_ISDIR, ("目录", "a directory")), (stat.S_ISCHR, ("字符设备", "a character device")),
              (stat.S_ISBLK, ("块设备", "a block device")), (stat.S_ISFIFO, ("管道（FIFO）", "a pipe (FIFO)")),
              (stat.S_ISSOCK, ("套接字", "a socket"))]


def read_guest(path: str, mem_mib: int) -> bytes:
    """The guest file's bytes, or CannotStart with the reason, judged from its size before
    anything is read: a 5 GiB file is refused at once, and /dev/zero (whose size says nothing)
    is refused as not a regular file."""
    mem_size = mem_mib << 20

    def refuse(chinese: str, english: str):
        space = "" if chinese.startswith("（") else " "
        raise CannotStart(f"错误：客户机文件 {path}{space}{chinese}。\nError: guest file {path} {english}.")

    try:
        info = os.stat(path)                # not open(): opening a FIFO would wait for a writer
    except OSError as error:
        raise CannotStart(f"错误：无法读取客户机文件 {path}（{error.strerror}）。\n"
                          f"Error: cannot read guest file {path}: {error.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((kinds for test, kinds in FILE_KINDS if test(info.st_mode)), ("特殊文件", "a special file"))
        refuse(f"不是普通文件，而是{kind[0]}；监视器只装入普通文件",
               f"is not a regular file but {kind[1]}; the monitor loads only regular files")
    if info.st_size == 0:
        refuse("是空的：没有可以执行的第一条指令", "is empty: there is no first instruction to run")
    if info.st_size > mem_size:
        need = -(-info.st_size // (1 << 20))             # MiB, rounded up
        if need <= MAX_MEM_MIB:
            hint_zh, hint_en = f"用 --mem-mib {need} 或更大的值", f"use --mem-mib {need} or more"
        else:
            hint_zh = f"监视器最多给客户机 {MAX_MEM_MIB} MiB 内存，这个文件装不下"
            hint_en = f"the monitor gives a guest at most {MAX_MEM_MIB} MiB, too little for this file"
        refuse(f"（{info.st_size} 字节）比客户机内存（{mem_mib} MiB，{mem_size} 字节）大；{hint_zh}",
               f"({info.st_size} bytes) is larger than guest memory ({mem_mib} MiB = {mem_size} bytes); "
               f"{hint_en}")
    try:
        with open(path, "rb") as file:
            return file.read(mem_size)
    except OSError as error:
        raise CannotStart(f"错误：无法读取客户机文件 {path}（{error.strerror}）。\n"
                          f"Error: cannot read guest file {path}: {error.strerror}.") from None


# --8<-- [start:cli]
DEBUG_PORT = 0xE9       # Bochs' and QEMU isa-debugcon's debug console


def main(argv=None) -> int:
    prog = "python3 -m labs.vmm" if __package__ else f"python3 {sys.argv[0]}"   # -m, or the file's path
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Run a flat guest binary in real mode on KVM.")
    parser.add_argument("guest", help="flat binary, loaded at 0 and started at its first byte")
    parser.add_argument("--mem-mib", type=int, default=1, metavar="N",
                        help=f"guest memory in MiB (1 to {MAX_MEM_MIB}, default 1)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help=f"wall-clock limit in seconds (above 0, at most {MAX_TIMEOUT}; default 10)")
    args = parser.parse_args(argv)
    if not 1 <= args.mem_mib <= MAX_MEM_MIB:
        parser.error(f"--mem-mib must be between 1 and {MAX_MEM_MIB}")
    if not 0 < args.timeout <= MAX_TIMEOUT:           # also refuses nan and inf
        parser.error(f"--timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT} (one day)")
    try:
        code = read_guest(args.guest, args.mem_mib)   # before any VM exists
    except CannotStart as error:
        print(error, file=sys.stderr)
        return 2

    def on_io(port, is_out, size, data):
        if port == DEBUG_PORT and is_out:
            try:
                sys.stdout.buffer.write(data)         # the guest's bytes, unchanged
                sys.stdout.buffer.flush()
            except BrokenPipeError:
                raise
            except OSError as error:                  # e.g. > /dev/full
                raise OutputFailed(f"错误：无法写出客户机的输出（{error.strerror}）。\nError: cannot "
                                   f"write the guest's output to stdout: {error.strerror}.") from None
            return True
        if port == DEBUG_PORT:
            return bytes([DEBUG_PORT]) * size        # Bochs answers 0xE9 to a read
        return None

    try:
        vm = VM(args.mem_mib << 20)
        vm.load(code)
        vm.real_mode()
    except CannotStart as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        call = _failed_call(error)
        print(f"错误：无法创建虚拟机（{call + ' 失败：' if call else ''}{error.strerror}）。\nError: cannot create "
              f"the virtual machine: {call + ' failed: ' if call else ''}{error.strerror} (errno {error.errno}).",
              file=sys.stderr)
        return 2
    with vm:
        try:
            vm.run_until_halt(on_io=on_io, timeout=args.timeout)
        except BrokenPipeError:                       # `| head` closed stdout: stop quietly
            return quiet_broken_pipe()
        except OutputFailed as error:
            print(error, file=sys.stderr)
            return 1
        except GuestFailed as error:
            print(f"\nguest failed: {error}\nexits: {vm.exit_counts()}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"\ninterrupted (Ctrl-C) at {vm.where()}\nexits: {vm.exit_counts()}", file=sys.stderr)
            return 130
        print(f"\nguest halted: KVM_EXIT_HLT at {vm.where()}\nexits: {vm.exit_counts()}",
              file=sys.stderr)
    return 0
# --8<-- [end:cli]


if __name__ == "__main__":
    sys.exit(main())


# ==================================================================================================
# Interrupts (lab 5, labs/interrupts.py): the numbers and structs that lab adds. Kept in one block
# at the end; tests/test_labs_vmm_matches_kernel_headers.py checks them against the headers too.
# --8<-- [start:interrupts]
class kvm_interrupt(ctypes.Structure):                 # linux/kvm.h; api.rst, KVM_INTERRUPT
    _fields_ = [("irq", u32)]                          # the vector to inject


class kvm_irq_level(ctypes.Structure):                 # linux/kvm.h; api.rst, KVM_IRQ_LINE
    _fields_ = [("irq", u32), ("level", u32)]          # irq: the GSI (0-15: the PIC's pins)


class kvm_pit_config(ctypes.Structure):                # linux/kvm.h; api.rst, KVM_CREATE_PIT2
    _fields_ = [("flags", u32), ("pad", u32 * 15)]


class kvm_irqfd(ctypes.Structure):                     # linux/kvm.h; api.rst, KVM_IRQFD
    _fields_ = [("fd", u32), ("gsi", u32), ("flags", u32), ("resamplefd", u32), ("pad", u8 * 16)]


class kvm_ioeventfd(ctypes.Structure):                 # linux/kvm.h; api.rst, KVM_IOEVENTFD
    _fields_ = [("datamatch", u64), ("addr", u64), ("len", u32), ("fd", ctypes.c_int32),
                ("flags", u32), ("pad", u8 * 36)]


KVM_CREATE_IRQCHIP = _ioc(_IOC_NONE, 0x60)                                       # VM ioctl
KVM_IRQ_LINE = _ioc(_IOC_WRITE, 0x61, ctypes.sizeof(kvm_irq_level))              # VM ioctl
KVM_IRQFD = _ioc(_IOC_WRITE, 0x76, ctypes.sizeof(kvm_irqfd))                     # VM ioctl
KVM_CREATE_PIT2 = _ioc(_IOC_WRITE, 0x77, ctypes.sizeof(kvm_pit_config))          # VM ioctl
KVM_IOEVENTFD = _ioc(_IOC_WRITE, 0x79, ctypes.sizeof(kvm_ioeventfd))             # VM ioctl
KVM_INTERRUPT = _ioc(_IOC_WRITE, 0x86, ctypes.sizeof(kvm_interrupt))             # vCPU ioctl
KVM_CAP_IRQCHIP, KVM_CAP_IRQFD, KVM_CAP_PIT2, KVM_CAP_IOEVENTFD = 0, 32, 33, 36
KVM_IOEVENTFD_FLAG_PIO = 1 << 1        # the address is an I/O port, not a guest-physical address
# --8<-- [end:interrupts]
