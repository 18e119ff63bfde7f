"""labs/vmm.py uses the kernel's own ioctl numbers, struct layouts and exit reasons.

A C program compiled by gcc prints every number and offset from the installed uapi headers
(/usr/include/linux/kvm.h, which includes asm/kvm.h); the check compares them with vmm.py.
"""

import shutil

import pytest

from labchecks import KVM_HEADER, ROOT, header_problems, load_module

FIXTURE = ROOT / "tests" / "fixtures" / "labs" / "wrong_vmm.py"

pytestmark = pytest.mark.skipif(not KVM_HEADER.exists() or shutil.which("gcc") is None,
                                reason=f"needs gcc and {KVM_HEADER} (apt-get install gcc linux-libc-dev)")


def test_every_number_and_offset_matches_the_headers(tmp_path):
    problems = header_problems(tmp_path)
    assert not problems, "\n".join(problems)


def test_a_wrong_number_offset_or_name_is_caught(tmp_path):
    problems = header_problems(tmp_path, load_module(FIXTURE), "tests/fixtures/labs/wrong_vmm.py")
    text = "\n".join(problems)
    for expected in ("KVM_RUN is", "kvm_regs.rip is 120", "EXIT_REASONS[5] is 'KVM_EXIT_HALT'"):
        assert expected in text, text
    assert all(p.startswith("tests/fixtures/labs/wrong_vmm.py: ") for p in problems), text
