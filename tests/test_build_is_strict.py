"""The site builds with --strict, and a broken link, a missing anchor or a
missing Mermaid install stops the build with a message naming the cause."""

from pathlib import Path

import pytest

from conftest import FIXTURES
from tools.sitebuild import build, project_copy


def test_site_builds_strictly_without_warnings(site):
    warnings = [line for line in site.log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert warnings == []


def _broken_build(tmp_path: Path, overlay=None, node_modules=True):
    project = project_copy(tmp_path / "project", overlay, node_modules=node_modules)
    return build(project, tmp_path / "site", "http://127.0.0.1:1/")


@pytest.fixture(scope="module")
def strict_failures(tmp_path_factory):
    """One build with a dead link, a missing anchor and a broken diagram, each
    in a page of its own: strict mode reports every problem before it stops,
    so one build serves the three checks below (each a separate build cost
    about 7 s)."""
    return _broken_build(tmp_path_factory.mktemp("strict"), {
        "docs/dead-link.md": FIXTURES / "dead-link.md",
        "docs/missing-anchor.md": FIXTURES / "missing-anchor.md",
        "docs/broken-diagram.md": FIXTURES / "broken-pages" / "broken-diagram.md",
    })


def _reported(result, line_start: str, *parts: str) -> bool:
    """The build failed, and one of its ERROR or WARNING lines contains every part."""
    return result.returncode != 0 and any(
        line.startswith(line_start) and all(part in line for part in parts) for line in result.stderr.splitlines())


def test_dead_link_fails_the_build_naming_the_file(strict_failures):
    assert _reported(strict_failures, "WARNING", "'dead-link.md'", "no-such-page.md"), strict_failures.stderr


def test_missing_anchor_fails_the_build_naming_the_file(strict_failures):
    assert _reported(strict_failures, "WARNING", "'missing-anchor.md'", "#no-such-section"), strict_failures.stderr


def test_a_broken_diagram_fails_the_build_naming_the_file(strict_failures):
    assert _reported(strict_failures, "ERROR", "broken-diagram.md: Mermaid diagram 1 does not parse"), \
        strict_failures.stderr


def test_missing_mermaid_install_says_which_command_to_run(tmp_path):
    result = _broken_build(tmp_path, node_modules=False)
    assert result.returncode != 0
    assert "node_modules/mermaid/dist/mermaid.esm.min.mjs" in result.stderr
    assert "npm ci" in result.stderr
