"""Shared fixtures: the site is built once per session and served once.

- `site`: a strict build of the project, served on 127.0.0.1;
- `browser`: the system Chromium through Playwright (never downloaded);
- `visits`: every page loaded once in Chromium, with what it did recorded;
- `broken_site`: the project with every file of tests/fixtures/broken-pages/
  laid over docs/, built once (not strict) and served, for checks that must fail;
- `moved_site`: the project with a page moved (and redirected), built for a
  project path (/virtualization-docs/), not served.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from browsing import reader_context, visit
from checks import mermaid_fences
from tools.addresses import md_url
from tools.browser import INSTALL_HINT, LAUNCH_ARGS, find_chromium
from tools.sitebuild import ROOT, build, project_copy, serve_build

FIXTURES = Path(__file__).parent / "fixtures"

# Counts the lab tests; with LABS_REQUIRE_KVM=1 (.ci/run) a skipped one fails the run where KVM works.
pytest_plugins = ["labs_gate"]


@dataclass
class Site:
    root: Path      # the project that was built
    dir: Path       # the built site
    url: str        # where it is served, with a trailing slash
    log: str        # what mkdocs printed

    def pages(self) -> list[Path]:
        """The Markdown pages, in docs/ order."""
        return sorted((self.root / "docs").rglob("*.md"))

    def url_of(self, md: Path) -> str:
        return self.url + md_url(md, self.root / "docs")


def build_and_serve(project: Path, site_dir: Path, strict: bool, env: dict | None = None) -> tuple[Site, object]:
    """Build `project` for a free port on 127.0.0.1 and serve it there; call server.shutdown() when done."""
    url, result, server = serve_build(project, site_dir, strict=strict, env=env)
    if server is None:
        pytest.fail(f"mkdocs build failed for {project}:\n{result.stderr[-4000:]}", pytrace=False)
    return Site(project, site_dir, url, result.stderr), server


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    built, server = build_and_serve(ROOT, tmp_path_factory.mktemp("site"), strict=True)
    yield built
    server.shutdown()


@pytest.fixture(scope="session")
def broken_site(tmp_path_factory):
    overlay = {f"docs/{p.name}": p for p in sorted((FIXTURES / "broken-pages").iterdir())}
    project = project_copy(tmp_path_factory.mktemp("broken-project"), overlay)
    built, server = build_and_serve(project, tmp_path_factory.mktemp("broken-site"), strict=False)
    yield built
    server.shutdown()


@pytest.fixture(scope="session")
def moved_site(tmp_path_factory):
    """The project with desktop-virtualization.md moved to desktop.md (nav,
    links and a redirect updated), built for a GitHub project path."""
    tmp = tmp_path_factory.mktemp("moved")
    project = project_copy(tmp / "project")
    for path in [project / "mkdocs.yml", *(project / "docs").rglob("*.md")]:
        path.write_text(path.read_text(encoding="utf-8").replace("desktop-virtualization.md", "desktop.md"),
                        encoding="utf-8")
    (project / "docs" / "desktop-virtualization.md").rename(project / "docs" / "desktop.md")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "redirect_maps: {}", "redirect_maps:\n        desktop-virtualization.md: desktop.md"), encoding="utf-8")
    url = "http://127.0.0.1:1/virtualization-docs/"
    result = build(project, tmp / "site", url)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build failed for {project}:\n{result.stderr[-4000:]}", pytrace=False)
    return Site(project, tmp / "site", url, result.stderr)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
        if executable is None:
            pytest.fail(INSTALL_HINT, pytrace=False)
        chromium = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile, light scheme, desktop width, shadow roots open."""
    ctx = reader_context(browser, color_scheme="light")
    yield ctx
    ctx.close()


FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures():
    """Measurements a test wants shown: printed at the end of every run."""
    return FIGURES


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def visits(site, browser):
    """Every page of the site loaded once in Chromium: {md path: Visit}."""
    fences = mermaid_fences(site.root / "docs")
    ctx = reader_context(browser)
    recorded = {md: visit(ctx, site.url_of(md), len(fences.get(md, []))) for md in site.pages()}
    ctx.close()
    return recorded
