"""Every page says how old it is and where its source lives: 最后更新 and 创建日期
from git history (or, without history, the build date, labelled as such, never
a wrong date), and edit and view-source buttons on the configured repository.
REPO_URL configures it; in CI a build without it fails rather than publish
the placeholder of mkdocs.yml."""

import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from hooks.provenance import history_problem
from provenance import BEIJING, build_date_problems, date_problems, git_dates, source_link_problems
from tools.sitebuild import ROOT, build, default_repo_url, project_copy

FIXTURES = Path(__file__).parent / "fixtures"
REPO_URL = os.environ.get("REPO_URL") or default_repo_url()
FORK = "https://github.com/someone/virtualization-docs-fork"


def test_every_page_shows_the_dates_git_log_gives_for_its_file(site, figures):
    docs = site.root / "docs"
    assert date_problems(site.dir, docs) == []
    dated = [md for md in docs.rglob("*.md") if git_dates(md)[0] is not None]
    figures.append(f"page dates: {len(dated)} of {len(list(docs.rglob('*.md')))} pages dated from git "
                   f"(the rest not committed yet, labelled 构建日期)")


def test_dates_that_differ_from_git_log_or_are_missing_are_reported_with_their_file():
    problems = date_problems(FIXTURES / "provenance-site", ROOT / "docs")
    expected = [
        "glossary.md (glossary/index.html): shows no dates, expected 最后更新 and 创建日期",
        "hypervisor.md (hypervisor/index.html): 最后更新 is 2020年1月1日 (2020-01-01), git log says ",
        "hypervisor.md (hypervisor/index.html): 创建日期 is 2020年1月1日 (2020-01-01), git log says ",
        "hypervisor.md (hypervisor/index.html): JSON-LD dates are {'dateModified': '2020-01-01', ",
        "references.md (references/index.html): shows ['构建日期'], expected 最后更新 and 创建日期",
    ]
    assert len(problems) == len(expected) and all(p.startswith(e) for p, e in zip(problems, expected)), problems


def test_without_git_history_every_page_shows_the_build_date_and_says_so(broken_site):
    # broken_site is a copy of the project in a temporary folder, outside git.
    today = datetime.now(BEIJING).date()
    assert "No git history to date pages from: not a git repository" in broken_site.log
    assert build_date_problems(broken_site.dir, broken_site.root / "docs", {today, today - timedelta(days=1)}) == []


def test_a_page_showing_git_dates_fails_the_build_date_check_with_its_file(site):
    today = datetime.now(BEIJING).date()
    problems = build_date_problems(site.dir, site.root / "docs", {today})
    assert "hypervisor/index.html: shows ['创建日期', '最后更新'], expected only the build date (构建日期)" in problems
    assert any(p.startswith("references/index.html: the build date reads")
               for p in build_date_problems(FIXTURES / "provenance-site", ROOT / "docs", {today}) if "references" in p)


def test_a_shallow_clone_or_a_folder_outside_git_is_not_taken_for_history(tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", str(clone)], check=True)
    assert history_problem(str(clone / "docs")).startswith("a shallow clone")
    assert history_problem(str(tmp_path)) == "not a git repository"
    assert history_problem(str(ROOT / "docs")) is None, "the tests need the full git history (not a shallow clone)"


def test_source_buttons_open_the_page_on_the_configured_repository(site):
    assert source_link_problems(site.dir, site.root / "docs", REPO_URL) == []


def test_source_buttons_pointing_elsewhere_are_reported_with_their_file(site):
    problems = source_link_problems(site.dir, site.root / "docs", FORK)
    assert any(p.startswith("hypervisor/index.html: source buttons are ") for p in problems)


def test_in_ci_a_build_without_repo_url_fails_and_says_why(tmp_path, figures):
    project = project_copy(tmp_path / "project", node_modules=False)
    result = build(project, tmp_path / "site", "http://127.0.0.1:1/", env={"CI": "true", "REPO_URL": None})
    assert result.returncode != 0
    message = next(line for line in result.stderr.splitlines() if "REPO_URL" in line)
    assert "REPO_URL is not set, and this is a CI build (CI=true)" in message
    figures.append(f"CI=true without REPO_URL: {message.strip()}")


def _build_a_copy(tmp_path, env) -> list[str]:
    """Build a copy of the project, diagrams left to the browser (faster); return the copy."""
    project = project_copy(tmp_path / "project")
    result = build(project, tmp_path / "site", "http://127.0.0.1:1/", env={"CHROMIUM": "none", "REQUIRE_PRERENDERED_DIAGRAMS": None, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def test_in_ci_the_site_links_to_the_repository_repo_url_names(tmp_path):
    project = _build_a_copy(tmp_path, {"CI": "true", "REPO_URL": FORK})
    assert source_link_problems(tmp_path / "site", project / "docs", FORK) == []


def test_a_local_build_without_repo_url_links_to_the_default_of_mkdocs_yml(tmp_path):
    project = _build_a_copy(tmp_path, {"CI": None, "REPO_URL": None})
    assert source_link_problems(tmp_path / "site", project / "docs", default_repo_url()) == []
