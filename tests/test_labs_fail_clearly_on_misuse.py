"""Misuse of the labs ends with a clear message, a non-zero status, no traceback and no hang;
what is not misuse (a harmless signal, a closed pipe, bytes that are not ASCII) does not break a run.

One test (or one parametrized group) per case of the review (docs: /work/shared/reviews/r4/labs.md
B1-B6, W1; reliability.md L6, L8, L10, L11), each with its neighbours. The guests are in
tests/fixtures/labs/guests.py; test_labs_fail_clearly.py holds the guests that fail.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from labchecks import PROGRAMS, ROOT, load_module, needs_kvm
from labs import vmm

GUESTS = load_module(ROOT / "tests" / "fixtures" / "labs" / "guests.py").GUESTS
VMM = [sys.executable, "-m", "labs.vmm"]


def guest_file(tmp_path, name):
    path = tmp_path / f"{name}.bin"
    path.write_bytes(GUESTS[name].code())
    return path


def run(command, env=None, timeout=60):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=timeout, env=env)
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    return result, stderr


# ---------------------------------------------------------------- B1, L11: bytes pass through

@needs_kvm
@pytest.mark.parametrize("encoding", [None, "ascii", "latin-1"])
def test_the_guests_bytes_reach_stdout_unchanged(tmp_path, encoding):
    env = dict(os.environ)
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    result, stderr = run(VMM + [str(guest_file(tmp_path, "utf8"))], env=env)
    assert result.returncode == 0, stderr
    assert result.stdout == "你好\n".encode() + b"\xff", result.stdout


# ---------------------------------------------------------------- B2, L10: a closed pipe

def closed_pipe_run(command, read=0, timeout=60):
    """Run with stdout into a pipe whose reader reads `read` bytes, then closes it."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = process.stdout.read(read) if read else b""
    process.stdout.close()
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"{command}: still running {timeout} s after its reader left")
    stderr = process.stderr.read().decode("utf-8", "replace")
    process.stderr.close()
    return status, got, stderr


@needs_kvm
def test_the_monitor_stops_quietly_when_its_reader_leaves(tmp_path):
    status, got, stderr = closed_pipe_run(VMM + [str(guest_file(tmp_path, "flood"))], read=10)
    assert got == b"A" * 10
    assert status == 141 and stderr == "", (status, stderr)


@needs_kvm
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_every_lab_stops_quietly_when_its_output_pipe_is_closed(program):
    args = {"exit_cost": ["100"], "emulation": ["100"]}.get(program.stem, [])
    status, _, stderr = closed_pipe_run([sys.executable, str(program), *args])
    assert status == 141, (status, stderr)
    assert "Traceback" not in stderr and "KVM" not in stderr, stderr   # never blames KVM


@needs_kvm
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("program", [None] + PROGRAMS, ids=lambda p: p.stem if p else "labs.vmm")
def test_a_full_disk_is_named_not_blamed_on_kvm(program, tmp_path):
    args = {"exit_cost": ["100"], "emulation": ["100"]}.get(program.stem if program else "", [])
    command = ([sys.executable, str(program), *args] if program
               else VMM + [str(guest_file(tmp_path, "hello"))])
    with open("/dev/full", "wb") as full:
        result = subprocess.run(command, cwd=ROOT, stdout=full, stderr=subprocess.PIPE, timeout=60)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr, stderr
    assert "No space left on device" in stderr and "KVM" not in stderr, stderr


# ---------------------------------------------------------------- B3: the lab's N

@pytest.mark.parametrize("program", ["exit_cost", "emulation"])
@pytest.mark.parametrize("args", [["abc"], ["1e4"], ["2.5"], [""], ["0"], ["-3"], ["70000"], ["1", "2"]],
                         ids=lambda a: " ".join(a) or "empty")
def test_a_bad_n_is_a_usage_error(program, args):
    result, stderr = run([sys.executable, f"labs/{program}.py", *args])
    assert result.returncode == 2, stderr
    assert "错误：" in stderr and "Error:" in stderr, stderr
    assert f"usage: python3 labs/{program}.py [N]" in stderr, stderr


# ---------------------------------------------------------------- every lab's arguments: help, or none

TAKES_N = ("exit_cost", "emulation")


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_help_prints_the_usage_and_exits_0(program, flag):
    # No KVM is touched: the help comes before the lab opens /dev/kvm.
    env = dict(os.environ, LABS_KVM_DEVICE="/nonexistent/kvm")
    result, stderr = run([sys.executable, f"labs/{program.name}", flag], env=env)
    stdout = result.stdout.decode("utf-8")
    assert result.returncode == 0 and stderr == "", (result.returncode, stderr)
    shape = " [N]" if program.stem in TAKES_N else "   (no arguments"
    assert stdout.startswith(f"usage: python3 labs/{program.name}{shape}"), stdout
    assert "-h, --help" in stdout and "\n\n" in stdout, stdout   # then what the lab does (its docstring)


@pytest.mark.parametrize("args", [["extra"], ["1000"], ["--verbose"], ["a", "b"]], ids=" ".join)
@pytest.mark.parametrize("program", [p for p in PROGRAMS if p.stem not in TAKES_N], ids=lambda p: p.stem)
def test_a_lab_without_arguments_refuses_one(program, args):
    env = dict(os.environ, LABS_KVM_DEVICE="/nonexistent/kvm")   # refused before KVM is opened
    result, stderr = run([sys.executable, f"labs/{program.name}", *args], env=env)
    assert result.returncode == 2 and result.stdout == b"", (result.returncode, stderr)
    assert "错误：这个程序不接受参数" in stderr and "Error: this program takes no arguments" in stderr, stderr
    assert f"usage: python3 labs/{program.name}" in stderr and "/dev/kvm" not in stderr, stderr


def test_the_monitor_run_from_its_file_path_names_that_path_in_its_usage():
    path = str(ROOT / "labs" / "vmm.py")
    result, stderr = run([sys.executable, path, "--help"])
    assert result.returncode == 0 and f"usage: python3 {path} ".encode() in result.stdout, result.stdout
    result, stderr = run(VMM + ["--help"])
    assert result.returncode == 0 and result.stdout.startswith(b"usage: python3 -m labs.vmm "), result.stdout


@needs_kvm
def test_the_monitor_runs_from_its_file_path_in_another_directory(tmp_path):
    guest = guest_file(tmp_path, "hello")
    result = subprocess.run([sys.executable, str(ROOT / "labs" / "vmm.py"), str(guest)], cwd=tmp_path,
                            capture_output=True, timeout=60)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0 and result.stdout.startswith(b"OK\n"), stderr
    assert "guest halted: KVM_EXIT_HLT" in stderr and "Traceback" not in stderr, stderr


# ---------------------------------------------------------------- Ctrl-C

def vcpu_made(pid):
    try:
        return any("kvm-vcpu" in os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:                                      # a descriptor closed while we looked
        return False


@needs_kvm
def test_ctrl_c_stops_the_monitor_with_status_130(tmp_path):
    process = subprocess.Popen(VMM + [str(guest_file(tmp_path, "forever")), "--timeout", "60"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30                 # wait until the vCPU exists
        while time.monotonic() < deadline and process.poll() is None and not vcpu_made(process.pid):
            time.sleep(0.05)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)               # what a terminal sends on Ctrl-C
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = stderr.decode("utf-8", "replace")
    assert process.returncode == 130, (process.returncode, stderr)
    assert "interrupted (Ctrl-C) at CS:IP 0000:0000" in stderr and "exits:" in stderr, stderr
    assert "Traceback" not in stderr, stderr


# ---------------------------------------------------------------- B6, L6, L7: the guest file, the options

def test_a_huge_guest_file_is_refused_from_its_size(tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as file:                       # 5 GiB, sparse: nothing is written
        file.truncate(5 << 30)
    start = time.monotonic()
    result, stderr = run(VMM + [str(big), "--mem-mib", "3072"], timeout=30)
    assert time.monotonic() - start < 10, "the file was read before it was refused"
    assert result.returncode == 2, stderr
    assert "(5368709120 bytes) is larger than guest memory (3072 MiB" in stderr, stderr
    assert "at most 3072 MiB" in stderr and "--mem-mib 5120" not in stderr, stderr


@needs_kvm
def test_a_guest_file_too_large_for_the_memory_asked_names_the_memory_that_fits(tmp_path):
    guest = tmp_path / "three.bin"
    guest.write_bytes(b"\xf4" * (3 << 20))
    result, stderr = run(VMM + [str(guest)])
    assert result.returncode == 2 and "use --mem-mib 3 or more" in stderr, stderr
    assert run(VMM + [str(guest), "--mem-mib", "3", "--timeout", "5"])[0].returncode != 2


@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "/dev/null", "directory", "fifo"])
def test_a_guest_that_is_not_a_regular_file_is_refused_without_contradiction(tmp_path, kind):
    path = kind
    if kind == "directory":
        path = str(tmp_path)
    elif kind == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)                                  # opening it would wait for a writer
    result, stderr = run(VMM + [path], timeout=20)
    assert result.returncode == 2, stderr
    assert "is not a regular file" in stderr and "不是普通文件" in stderr, stderr
    assert "bytes)" not in stderr and "字节" not in stderr, stderr   # no size to contradict


@pytest.mark.parametrize("extra, says", [
    (["--timeout", "1e9"], "at most 86400"), (["--timeout", "nan"], "at most 86400"),
    (["--timeout", "inf"], "at most 86400"), (["--timeout", "0"], "above 0"),
    (["--timeout", "abc"], "invalid float value"), (["--mem-mib", "4096"], "between 1 and 3072"),
    (["--mem-mib", "1e12"], "invalid int value"), (["--mem-mib", "-1"], "between 1 and 3072"),
    ([], "the following arguments are required: guest"),
])
def test_bad_options_say_the_real_limits(tmp_path, extra, says):
    result, stderr = run(VMM + ([str(tmp_path / "x.bin")] if extra else []) + extra)
    assert result.returncode == 2 and "usage:" in stderr and says in stderr, stderr


# ---------------------------------------------------------------- L8: a deadline before the first run

@needs_kvm
@pytest.mark.parametrize("name", ["hello", "forever"])
def test_a_tiny_time_limit_stops_cleanly(tmp_path, name):
    for _ in range(5):                                   # the alarm may land anywhere
        result, stderr = run(VMM + [str(guest_file(tmp_path, name)), "--timeout", "1e-6"])
        if result.returncode == 0:                       # hello may halt before the alarm
            assert name == "hello", stderr
            continue
        assert result.returncode == 1 and "time limit of 1e-06 s reached" in stderr, stderr


# ---------------------------------------------------------------- W1: a harmless signal

@needs_kvm
def test_a_handled_signal_does_not_end_the_run():
    hits = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: hits.append(signum))
    done = threading.Event()

    def pester():
        while not done.wait(0.002):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    thread = threading.Thread(target=pester)
    try:
        with vmm.VM() as vm:
            vm.load(GUESTS["nested_loop"].code())
            vm.real_mode()
            thread.start()
            start = time.monotonic()
            vm.run_until_halt(timeout=60)                # raises GuestFailed if a signal ends it
            took = time.monotonic() - start
            assert vm.exits[vmm.EXIT["HLT"]] == 1
            if took > 0.2:                               # long enough for signals to land in KVM_RUN
                assert hits and vm.interruptions > 0, (len(hits), vm.interruptions, took)
    finally:
        done.set()
        if thread.is_alive():
            thread.join()
        signal.signal(signal.SIGUSR1, previous)


@needs_kvm
def test_the_time_limit_holds_under_a_stream_of_signals():
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: None)
    done = threading.Event()

    def pester():
        while not done.wait(0.001):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    thread = threading.Thread(target=pester)
    try:
        with vmm.VM() as vm:
            vm.load(GUESTS["forever"].code())
            vm.real_mode()
            # The signals start once the VM is made: the promise is about the run loop
            # (KVM_RUN re-entered after EINTR); the set-up ioctls are not retried.
            thread.start()
            start = time.monotonic()
            with pytest.raises(vmm.GuestFailed, match="time limit of 0.5 s reached"):
                vm.run_until_halt(timeout=0.5)
            assert time.monotonic() - start < 5
    finally:
        done.set()
        if thread.is_alive():
            thread.join()
        signal.signal(signal.SIGUSR1, previous)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)   # no alarm left behind


# ---------------------------------------------------------------- B5: what a handler returns

def in_then_out(answer_in, answer_out=True):
    seen = []

    def on_io(port, is_out, size, data):
        seen.append(data)
        return answer_out if is_out else answer_in

    with vmm.VM() as vm:
        vm.load(GUESTS["in_then_out"].code())
        vm.real_mode()
        vm.run_until_halt(on_io=on_io, timeout=10)
    return seen


@needs_kvm
def test_a_handler_that_answers_with_bytes_is_read_by_the_guest():
    assert in_then_out(bytes([42]))[-1] == bytes([42])


@needs_kvm
@pytest.mark.parametrize("answer, says", [
    (42, "returned int 42 for the IN from port 0x10 of 1 byte(s)"),
    (True, "returned bool True for the IN from port 0x10"),
    (b"", "returned 0 byte(s) (empty)"),
    (b"\x01\x02", "returned 2 byte(s) (01 02)"),
    ("*", "returned str '*'"),
])
def test_a_handler_that_answers_a_read_wrongly_is_named(answer, says):
    with pytest.raises(vmm.GuestFailed) as failure:
        in_then_out(answer)
    assert says in str(failure.value) and "must return exactly 1 byte(s)" in str(failure.value), failure.value


@needs_kvm
@pytest.mark.parametrize("answer", [1, b"\x00", False])
def test_a_handler_that_answers_a_write_wrongly_is_named(answer):
    with pytest.raises(vmm.GuestFailed, match="for the OUT to port 0x11; it must return True"):
        in_then_out(bytes([7]), answer_out=answer)


@needs_kvm
def test_an_mmio_handler_that_answers_with_a_number_is_named():
    with vmm.VM() as vm:
        vm.load(GUESTS["unhandled_mmio_read"].code())
        vm.real_mode()
        with pytest.raises(vmm.GuestFailed, match=r"on_mmio handler returned int 42 for the read "
                                                  r"from 0x100010 of 2 byte\(s\)"):
            vm.run_until_halt(on_mmio=lambda address, is_write, size, data: 42, timeout=10)


# ---------------------------------------------------------------- B4: descriptors and memory

CHILD = """
import os, resource, sys
sys.path.insert(0, {root!r})
from labs import vmm
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))     # 20 VMs of 3 descriptors would not fit
before = len(os.listdir("/proc/self/fd"))
for _ in range(100):
    with vmm.VM() as vm:                                   # closed at the end of the block
        vm.load(bytes([0xf4])); vm.real_mode(); vm.run_until_halt()
for _ in range(100):
    vm = vmm.VM()                                          # dropped: closed when Python frees it
    run = vm.run                                           # a view into kvm_run outlives close()
    vm.close(); vm.close()                                 # twice: harmless
for _ in range(100):
    try:
        vmm.VM(mem_size=12345)                             # not whole pages: KVM refuses the slot
    except OSError:
        pass
del run, vm                                                # the view held the last kvm_run mapping
after = len(os.listdir("/proc/self/fd"))
print(before, after)
"""


@needs_kvm
def test_vms_give_back_their_descriptors():
    result, stderr = run([sys.executable, "-c", CHILD.format(root=str(ROOT))], timeout=120)
    assert result.returncode == 0, stderr
    before, after = result.stdout.split()
    assert before == after, result.stdout
