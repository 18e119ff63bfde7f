"""`python3 -m labs.vmm` ends every bad guest and bad input with a clear message and a status:
never a traceback, never a hang.

The guests are the vmm.Listing programs of tests/fixtures/labs/guests.py, written to .bin files.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from labchecks import NO_KVM_SAYS, PROGRAMS, ROOT, load_module, needs_kvm, no_kvm_problems
from labs import vmm

GUESTS = load_module(ROOT / "tests" / "fixtures" / "labs" / "guests.py").GUESTS

# guest, extra arguments, exit status, what the message must say (all of it)
CASES = [
    ("hello", [], 0, ["guest halted: KVM_EXIT_HLT", "exits: KVM_EXIT_IO 3, KVM_EXIT_HLT 1"]),
    ("rep_outsb", [], 0, ["guest halted: KVM_EXIT_HLT"]),
    ("forever", ["--timeout", "1"], 1, ["time limit of 1 s reached", "CS:IP 0000:0000",
                                        "bytes there: eb fe", "registers: rax="]),
    ("triple_fault", [], 1, ["KVM_EXIT_SHUTDOWN (8)", "triple fault", "CS:IP 0000:000e",
                             "registers: rax=", "idt=0x0/0x0"]),
    ("run_from_mmio", [], 1, ["KVM_EXIT_INTERNAL_ERROR (17)", "KVM_INTERNAL_ERROR_EMULATION",
                              "CS:IP ffff:0010 (linear 0x100000)", "registers: rax="]),
    ("unhandled_out", [], 1, ["unhandled port I/O: OUT to port 0x80, size 1 byte(s), data 41"]),
    ("unhandled_out_word", [], 1, ["unhandled port I/O: OUT to port 0x3f8, size 2 byte(s), data 34 12"]),
    ("unhandled_in", [], 1, ["unhandled port I/O: IN from port 0x60, size 1 byte(s)"]),
    ("unhandled_mmio_write", ["--mem-mib", "1"], 1,
     ["unhandled MMIO: write to guest-physical 0x100000, size 1 byte(s), data 05"]),
    ("unhandled_mmio_read", ["--mem-mib", "1"], 1,
     ["unhandled MMIO: read from guest-physical 0x100010, size 2 byte(s)"]),
]


def run_vmm(*args, env=None, timeout=30, **options):
    result = subprocess.run([sys.executable, "-m", "labs.vmm", *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True, timeout=timeout, env=env, **options)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@needs_kvm
@pytest.mark.parametrize("name, extra, status, says", CASES, ids=[c[0] for c in CASES])
def test_each_guest_ends_with_its_message_and_status(tmp_path, name, extra, status, says):
    guest = tmp_path / f"{name}.bin"
    guest.write_bytes(GUESTS[name].code())
    result = run_vmm(guest, *extra)
    assert result.returncode == status, result.stderr
    for text in says:
        assert text in result.stderr, f"{name}: missing {text!r} in:\n{result.stderr}"


@needs_kvm
def test_debug_console_text_goes_to_stdout(tmp_path):
    guest = tmp_path / "hello.bin"
    guest.write_bytes(GUESTS["hello"].code())
    assert run_vmm(guest).stdout.startswith("OK\n")


@needs_kvm
def test_a_failed_entry_is_named_with_its_reason(tmp_path):
    # No guest binary makes VT-x or AMD-V refuse an entry (KVM fixes up the state a real-mode
    # guest can reach), so the kvm_run page is filled in as the kernel would.
    vm = vmm.VM(1 << 20)
    vm.real_mode()
    vm.run.exit_reason = vmm.EXIT["FAIL_ENTRY"]
    vm.run.fail_entry.hardware_entry_failure_reason = 0x80000021
    vm.run.fail_entry.cpu = 1
    text = vm.describe_failure(vm.run.exit_reason)
    assert text.startswith("KVM_EXIT_FAIL_ENTRY (9): the processor refused to enter the guest, "
                           "hardware entry failure reason 0x80000021 on CPU 1"), text
    assert "registers: rax=" in text and "CS:IP 0000:0000" in text


@pytest.mark.parametrize("content, extra, says", [
    (None, [], "cannot read guest file"),
    (b"", [], "is empty"),
    (b"\xf4" * ((1 << 20) + 1), ["--mem-mib", "1"], "is larger than guest memory (1 MiB = 1048576 bytes)"),
], ids=["missing", "empty", "too-large"])
def test_a_bad_guest_file_is_refused_before_any_vm(tmp_path, content, extra, says):
    guest = tmp_path / "guest.bin"
    if content is not None:
        guest.write_bytes(content)
    # No KVM at all: the file is checked first, so the message is about the file.
    env = dict(os.environ, LABS_KVM_DEVICE=str(tmp_path / "no-kvm"))
    result = run_vmm(guest, *extra, env=env)
    assert result.returncode == 2 and says in result.stderr and "错误：" in result.stderr, result.stderr


def test_no_kvm_is_explained_in_chinese_and_english(tmp_path):
    guest = tmp_path / "hello.bin"
    guest.write_bytes(GUESTS["hello"].code())
    env = dict(os.environ, LABS_KVM_DEVICE=str(tmp_path / "kvm"))
    result = run_vmm(guest, env=env)
    assert result.returncode == 2, result.stderr
    for text in NO_KVM_SAYS:
        assert text in result.stderr, result.stderr


def run_without_kvm(program, tmp_path):
    env = dict(os.environ, LABS_KVM_DEVICE=str(tmp_path / "kvm"), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(program), "1000"] if program.stem == "emulation"
                          else [sys.executable, str(program)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_every_lab_explains_a_missing_kvm_the_same_way(program, tmp_path):
    result = run_without_kvm(program, tmp_path)
    problems = no_kvm_problems(program, result.returncode, result.stderr)
    assert not problems, "\n".join(problems) + "\n" + result.stderr


def test_a_lab_that_swallows_a_missing_kvm_is_caught(tmp_path):
    fixture = ROOT / "tests" / "fixtures" / "labs" / "no_kvm_one_line.py"
    result = run_without_kvm(fixture, tmp_path)
    problems = no_kvm_problems(fixture, result.returncode, result.stderr)
    assert problems and problems[0].startswith("tests/fixtures/labs/no_kvm_one_line.py: "), problems
    assert "status 0" in problems[0] and "lacks" in problems[-1], problems


@needs_kvm
def test_no_permission_is_explained():
    if os.geteuid() != 0 or os.stat(vmm.KVM_DEVICE).st_mode & 0o007:
        pytest.skip("needs root, and a /dev/kvm that not everyone may open, to become a user who may not open it")
    # pytest's tmp_path is private to root; the other user needs a folder it may read.
    tmp_path = Path(tempfile.mkdtemp(prefix="labs-nobody-"))
    try:
        check_as_nobody(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def check_as_nobody(tmp_path):
    guest = tmp_path / "hello.bin"
    guest.write_bytes(GUESTS["hello"].code())
    # The other user needs a Python and a copy of labs/ it may read.
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no /usr/bin/python3 for the other user")
    shutil.copytree(ROOT / "labs", tmp_path / "labs", symlinks=True)  # a link is copied as a link, never followed
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result = subprocess.run([python, "-m", "labs.vmm", str(guest)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=30, env={"PATH": "/usr/bin:/bin"},
                            preexec_fn=lambda: (os.setgroups([]), os.setgid(65534), os.setuid(65534)))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "Permission denied" in result.stderr and "kvm group" in result.stderr, result.stderr


@pytest.mark.parametrize("extra", [["--mem-mib", "0"], ["--timeout", "-1"]])
def test_bad_arguments_are_usage_errors(tmp_path, extra):
    result = run_vmm(tmp_path / "x.bin", *extra)
    assert result.returncode == 2 and "usage:" in result.stderr, result.stderr


FAILING_CALL = '''
import fcntl, sys
sys.path.insert(0, {root!r})
from labs import vmm


def main():
    with vmm.VM() as vm:
        fcntl.ioctl(vm.fd, vmm.KVM_CREATE_VCPU, 0)    # vCPU 0 exists already: EEXIST


vmm.run_lab(main)
'''


@needs_kvm
def test_a_failed_kvm_call_is_named(tmp_path):
    # run_lab reads the name of the ioctl from the lab's line that made the call.
    lab = tmp_path / "lab.py"
    lab.write_text(FAILING_CALL.format(root=str(ROOT)))
    result = subprocess.run([sys.executable, str(lab)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "错误：KVM_CREATE_VCPU 调用失败（File exists）" in result.stderr, result.stderr
    assert "Error: KVM_CREATE_VCPU failed: File exists (errno 17)." in result.stderr, result.stderr
