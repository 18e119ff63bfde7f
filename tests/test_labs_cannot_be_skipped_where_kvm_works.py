"""A lab test asks for the `kvm` fixture (tests/conftest.py): where /dev/kvm
cannot be opened it skips, saying why; with LABS_REQUIRE_KVM=1, which .ci/run
sets on a machine that has /dev/kvm, it fails instead, naming the reason.
Other skips (a test that needs root, a missing assembler) stay skips."""

import os
import subprocess
import sys

from labchecks import ROOT

FIXTURE = "tests/fixtures/labs/kvm-required/case_test_needs_kvm.py"


def run_without_kvm(require: str):
    env = dict(os.environ, LABS_REQUIRE_KVM=require, LABS_KVM_DEVICE="/nonexistent/kvm")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "--rootdir", str(ROOT), "-c", str(ROOT / "pytest.ini"), FIXTURE],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_a_lab_test_fails_where_kvm_is_required_but_missing():
    result = run_without_kvm("1")
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout, result.stdout  # failed in the fixture, before the test
    assert "LABS_REQUIRE_KVM=1, but KVM is not usable here" in result.stdout, result.stdout
    assert "/nonexistent/kvm" in result.stdout, result.stdout


def test_without_the_requirement_a_lab_test_skips_saying_why():
    result = run_without_kvm("0")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout and "KVM is not usable here" in result.stdout, result.stdout
