"""Where /dev/kvm can be opened, .ci/run (LABS_REQUIRE_KVM=1) fails if any lab test was skipped,
and every run prints how many lab tests ran (tests/labs_gate.py)."""

import os
import subprocess
import sys

import pytest

from labchecks import ROOT
from labs import vmm

FIXTURE = "tests/fixtures/labs/gate/case_test_labs_skipped.py"


def run_gate(require: str):
    env = dict(os.environ, LABS_REQUIRE_KVM=require)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", FIXTURE],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.skipif(vmm.kvm_available() is not None, reason=f"KVM is not usable here: {vmm.kvm_available()}")
def test_a_skipped_lab_test_fails_the_run_where_kvm_works():
    result = run_gate("1")
    assert result.returncode == 1, result.stdout
    assert "labs: 1 lab tests ran, 1 skipped" in result.stdout, result.stdout
    assert "case_test_labs_skipped.py::test_labs_skipped" in result.stdout, result.stdout


def test_without_the_requirement_a_skip_is_only_counted():
    result = run_gate("0")
    assert result.returncode == 0, result.stdout
    assert "labs: 1 lab tests ran, 1 skipped" in result.stdout, result.stdout
