"""Every lab program runs on the oldest Python that the labs' setup section names.

docs/labs/index.md promises `Python 3.N 或更新`. Each file in labs/ is parsed with that grammar,
and the annotations Python would evaluate at import (no `from __future__ import annotations`)
and a few newer library calls are checked against it. A file that needs a newer Python fails,
with its name and line.
"""

import pytest

from labchecks import LABS, ROOT, python_version_problems, setup_minimum

FIXTURES = ROOT / "tests" / "fixtures" / "labs"


@pytest.mark.parametrize("program", sorted(LABS.glob("*.py")), ids=lambda p: p.name)
def test_lab_runs_on_the_python_the_setup_names(program):
    problems = python_version_problems(program, setup_minimum())
    assert not problems, "\n".join(problems)


def test_the_setup_names_a_python_older_than_the_tests_use():
    assert setup_minimum() == (3, 8)


def test_an_annotation_an_older_python_cannot_evaluate_is_caught_and_named():
    problems = python_version_problems(FIXTURES / "needs_python_39.py", (3, 8))
    assert problems == ["tests/fixtures/labs/needs_python_39.py:5: the annotation `tuple[float, int]`, "
                        "evaluated at import (add `from __future__ import annotations`), needs Python 3.9, "
                        "the setup page promises Python 3.8"], problems


def test_a_separator_in_bytes_hex_is_caught_below_3_8():
    problems = python_version_problems(LABS / "exit_cost.py", (3, 7))
    assert any(p.startswith("labs/exit_cost.py:") and "`bytes.hex()` with a separator needs Python 3.8" in p
               for p in problems), problems
