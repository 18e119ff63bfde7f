"""The site builds with --strict, and a broken link, a missing anchor or a
missing Mermaid install stops the build with a message naming the cause."""

from pathlib import Path

from conftest import FIXTURES
from tools.sitebuild import build, project_copy


def test_site_builds_strictly_without_warnings(site):
    warnings = [line for line in site.log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert warnings == []


def _broken_build(tmp_path: Path, overlay=None, node_modules=True):
    project = project_copy(tmp_path / "project", overlay, node_modules=node_modules)
    return build(project, tmp_path / "site", "http://127.0.0.1:1/")


def test_dead_link_fails_the_build_naming_the_file(tmp_path):
    result = _broken_build(tmp_path, {"docs/dead-link.md": FIXTURES / "dead-link.md"})
    assert result.returncode != 0
    assert "dead-link.md" in result.stderr and "no-such-page.md" in result.stderr


def test_missing_anchor_fails_the_build_naming_the_file(tmp_path):
    result = _broken_build(tmp_path, {"docs/missing-anchor.md": FIXTURES / "missing-anchor.md"})
    assert result.returncode != 0
    assert "missing-anchor.md" in result.stderr and "no-such-section" in result.stderr


def test_a_broken_diagram_fails_the_build_naming_the_file(tmp_path):
    result = _broken_build(tmp_path, {"docs/broken-diagram.md": FIXTURES / "broken-pages" / "broken-diagram.md"})
    assert result.returncode != 0
    assert "broken-diagram.md: Mermaid diagram 1 does not parse" in result.stderr


def test_missing_mermaid_install_says_which_command_to_run(tmp_path):
    result = _broken_build(tmp_path, node_modules=False)
    assert result.returncode != 0
    assert "node_modules/mermaid/dist/mermaid.esm.min.mjs" in result.stderr
    assert "npm ci" in result.stderr
