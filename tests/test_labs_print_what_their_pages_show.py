"""Every lab program runs and exits 0, and prints what its page shows.

A page shows a program's output by including labs/output/NAME.txt (checked line by line against
a real run here) or labs/output/NAME.sample.txt (timings: a sample of one machine, checked line by
line with every number allowed to differ). Each program also runs with a bare `python3` from a
copy of labs/ alone, as a reader runs it from a fresh clone.
"""

import os
import shutil
import subprocess
import sys

import pytest

from labchecks import LAB_PAGES, OUTPUTS, PROGRAMS, ROOT, needs_kvm, output_problems, page_output_problems

FIXTURES = ROOT / "tests" / "fixtures" / "labs"


def output_file(program):
    found = [OUTPUTS / f"{program.stem}.txt", OUTPUTS / f"{program.stem}.sample.txt"]
    found = [f for f in found if f.exists()]
    assert len(found) == 1, f"{program.relative_to(ROOT)}: needs one of labs/output/{program.stem}.txt or .sample.txt"
    return found[0]


def run(command, cwd=ROOT, env=None):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@needs_kvm
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_lab_prints_what_its_page_shows(program):
    result = run([sys.executable, str(program.relative_to(ROOT))])
    assert result.returncode == 0, result.stderr
    problems = output_problems(output_file(program), result.stdout)
    assert not problems, "\n".join(problems)


@needs_kvm
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_lab_runs_with_a_bare_python3_from_a_fresh_copy(program, tmp_path):
    python = shutil.which("python3", path="/usr/bin:/bin") or shutil.which("python3")
    shutil.copytree(ROOT / "labs", tmp_path / "labs", symlinks=True)  # a link is copied as a link, never followed
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    result = run([python, f"labs/{program.name}"], cwd=tmp_path, env=env)
    assert result.returncode == 0, f"{python} labs/{program.name}: {result.stderr}"


def test_emulation_lab_runs_its_emulator_half_without_kvm(tmp_path):
    # The interpreter row still runs; the KVM row says why not; then the usual no-KVM message
    # and status 2 (tests/test_labs_fail_clearly.py checks that message for every lab).
    env = dict(os.environ, LABS_KVM_DEVICE=str(tmp_path / "no-kvm"))
    result = run([sys.executable, "labs/emulation.py", "1000"], env=env)
    assert result.returncode == 2, result.stderr
    assert "interpreter (Python)" in result.stdout and "µs per iteration" in result.stdout, result.stdout
    assert "KVM                       not run: Error: cannot open" in result.stdout, result.stdout


def test_every_output_file_belongs_to_a_program():
    stems = {p.stem for p in PROGRAMS}
    orphans = [f.name for f in OUTPUTS.glob("*.txt") if f.name.split(".")[0] not in stems]
    assert not orphans, f"labs/output/ files without a program: {orphans}"


@pytest.mark.parametrize("page", sorted(LAB_PAGES.glob("*.md")), ids=lambda p: p.name)
def test_every_output_block_is_checked_or_marked_as_a_sample(page):
    problems = page_output_problems(page)
    assert not problems, "\n".join(problems)


def test_pasted_or_unmarked_output_is_caught():
    problems = page_output_problems(FIXTURES / "page-with-pasted-output.md")
    assert len(problems) == 2, problems
    assert problems[0].startswith("tests/fixtures/labs/page-with-pasted-output.md:") and "not pasted text" in problems[0]
    assert "needs a line just before it saying 样例" in problems[1]


def test_output_that_differs_from_the_page_is_caught():
    printed = (OUTPUTS / "minimal_vm.txt").read_text()
    problems = output_problems(FIXTURES / "minimal_vm-wrong.txt", printed)
    assert problems and problems[0].startswith("tests/fixtures/labs/minimal_vm-wrong.txt:"), problems


def test_a_sample_still_has_to_have_the_shape_of_the_output():
    printed = (OUTPUTS / "exit_cost.sample.txt").read_text().replace("per CPUID handled", "per CPUID taken")
    problems = output_problems(OUTPUTS / "exit_cost.sample.txt", printed)
    assert problems and "per CPUID taken" in problems[0], problems


@pytest.mark.parametrize("page", sorted(p for p in LAB_PAGES.glob("*.md") if p.name != "index.md"),
                         ids=lambda p: p.name)
def test_every_lab_ends_with_exercises_and_checkable_answers(page):
    from labchecks import exercise_problems
    problems = exercise_problems(page)
    assert not problems, "\n".join(problems)


def test_a_lab_without_exercises_is_caught():
    from labchecks import exercise_problems
    assert exercise_problems(FIXTURES / "page-with-pasted-output.md") == [
        "tests/fixtures/labs/page-with-pasted-output.md: no `## 习题 {#exercises}` section"]


def test_every_answer_program_is_shown_on_a_page():
    pages = "".join(p.read_text(encoding="utf-8") for p in LAB_PAGES.glob("*.md"))
    missing = [p.name for p in PROGRAMS if f"labs/{p.name}" not in pages]
    assert not missing, f"lab programs no page includes: {missing}"
