"""A pytest plugin that counts the lab tests (tests/test_labs_*.py, and the gate's own fixture)
and, when asked, fails the run if /dev/kvm can be opened here and a lab test was skipped anyway.

.ci/run asks with LABS_REQUIRE_KVM=1: on a machine with KVM every lab must really run.
"""

from __future__ import annotations

import os

_outcomes: dict[str, str] = {}


def _is_lab_test(nodeid: str) -> bool:
    return "test_labs_" in nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def pytest_runtest_logreport(report):
    if not _is_lab_test(report.nodeid):
        return
    if report.skipped:
        _outcomes[report.nodeid] = "skipped"
    elif report.when == "call" or report.failed:
        _outcomes.setdefault(report.nodeid, "ran")


def _kvm_problem() -> str | None:
    from labs import vmm
    return vmm.kvm_available()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ran = sum(1 for outcome in _outcomes.values() if outcome == "ran")
    skipped = sorted(nodeid for nodeid, outcome in _outcomes.items() if outcome == "skipped")
    terminalreporter.write_line(f"labs: {ran} lab tests ran, {len(skipped)} skipped")
    if os.environ.get("LABS_REQUIRE_KVM") != "1":
        return
    problem = _kvm_problem()
    if problem is None and (skipped or ran == 0):
        terminalreporter.write_line("labs: /dev/kvm can be opened here, yet these lab tests did not run:",
                                    red=True)
        for nodeid in skipped or ["(no lab test ran at all)"]:
            terminalreporter.write_line(f"  {nodeid}", red=True)


def pytest_sessionfinish(session, exitstatus):
    """The run's exit status: set here, since the summary above is printed after this hook.
    In a parallel run only the main process judges: it sees every worker's reports, while a
    worker sees only its own share."""
    if os.environ.get("LABS_REQUIRE_KVM") != "1" or hasattr(session.config, "workerinput"):
        return
    ran = sum(1 for outcome in _outcomes.values() if outcome == "ran")
    skipped = [nodeid for nodeid, outcome in _outcomes.items() if outcome == "skipped"]
    if (skipped or ran == 0) and _kvm_problem() is None and session.exitstatus == 0:
        session.exitstatus = 1
