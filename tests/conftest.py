"""Shared fixtures: the site is built once per session and served once.

- `site`: a strict build of the project, served on 127.0.0.1;
- `browser`: the system Chromium through Playwright (never downloaded);
- `visits`: every page loaded once in Chromium (light, 1280 px), with what it
  did recorded and what axe finds;
- `phone_visits`: every page read through once on a 360 px phone in the dark
  scheme, with what the phone checks measure (sideways scroll, each diagram's
  fit, diagram text size) and what axe finds;
- `broken_site`: the project with every file of tests/fixtures/broken-pages/
  laid over docs/, built once (not strict) and served, for checks that must fail;
- `moved_site`: the project with a page moved (and redirected), built for a
  project path (/virtualization-docs/), not served.

`make test` runs the tests in four worker processes (pytest-xdist, `-n 4
--dist loadfile`: a module's tests run in one worker): then the main process
builds and serves the site and the broken site once, side by side, before the
workers start, and every worker uses those builds (SHARED_SITES below); each
worker builds the other fixture sites it needs itself. The costly session
fixtures (visits, phone_visits, moved_site) are each read by one module only
(test_every_page.py, test_every_page_on_a_phone.py,
test_a_moved_page_keeps_working.py), so each is made once per run. Figures
travel with each test's report (record_property) and are printed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from browsing import (DIAGRAM_FIT, DIAGRAM_TEXT_PX, SIDEWAYS, axe_at_the_end, phone_context, read_through,
                      reader_context, visit)
from checks import mermaid_fences
from tools.addresses import md_url
from tools.browser import INSTALL_HINT, LAUNCH_ARGS, find_test_chromium
from tools.sitebuild import ROOT, build, project_copy, serve_build

FIXTURES = Path(__file__).parent / "fixtures"



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


# Where the main process of a parallel run tells its workers about the sites it
# built: {fixture name: environment variable}.
SHARED_SITES = {"site": "VIRT_DOCS_SHARED_SITE", "broken_site": "VIRT_DOCS_SHARED_BROKEN_SITE"}


def _is_parallel_main(config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def _broken_project(tmp: Path) -> Path:
    """The project with every file of tests/fixtures/broken-pages/ laid over docs/."""
    return project_copy(tmp, {f"docs/{p.name}": p for p in sorted((FIXTURES / "broken-pages").iterdir())})


def pytest_configure(config):
    """In the main process of a parallel run: build and serve the site and the
    broken site once, side by side, before the workers start (they inherit the
    environment). Each worker would otherwise build the broken site again."""
    if not _is_parallel_main(config):
        return
    from concurrent.futures import ThreadPoolExecutor

    tmp = Path(tempfile.mkdtemp(prefix="sites-"))
    jobs = {"site": (ROOT, True), "broken_site": (_broken_project(tmp / "broken-project"), False)}
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(serve_build, project, tmp / name, strict=strict)
                   for name, (project, strict) in jobs.items()}
    config._shared_sites = (tmp, [])
    for name, future in futures.items():
        url, result, server = future.result()
        if server is not None:
            config._shared_sites[1].append(server)
        os.environ[SHARED_SITES[name]] = json.dumps({"root": str(jobs[name][0]), "dir": str(tmp / name) if server else "",
                                                     "url": url, "log": result.stderr})


def _shared_site(name: str) -> Site | None:
    """In a worker of a parallel run, the site the main process built for fixture `name`."""
    shared = os.environ.get(SHARED_SITES[name])
    if not shared:
        return None
    built = json.loads(shared)
    if not built["dir"]:
        pytest.fail(f"mkdocs build failed for {built['root']}:\n{built['log'][-4000:]}", pytrace=False)
    return Site(Path(built["root"]), Path(built["dir"]), built["url"], built["log"])


def pytest_unconfigure(config):
    tmp, servers = getattr(config, "_shared_sites", (None, []))
    for server in servers:
        server.shutdown()
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    shared = _shared_site("site")
    if shared:  # a worker of a parallel run: the main process built it
        yield shared
        return
    built, server = build_and_serve(ROOT, tmp_path_factory.mktemp("site"), strict=True)
    yield built
    server.shutdown()


@pytest.fixture(scope="session")
def broken_site(tmp_path_factory):
    shared = _shared_site("broken_site")
    if shared:
        yield shared
        return
    built, server = build_and_serve(_broken_project(tmp_path_factory.mktemp("broken-project")),
                                    tmp_path_factory.mktemp("broken-site"), strict=False)
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
def kvm():
    """What every lab test that runs a guest asks for: it skips the test where
    /dev/kvm cannot be opened, saying why; with LABS_REQUIRE_KVM=1 (.ci/run, on
    a machine that has /dev/kvm) it fails the test instead, so a machine that
    should run the labs never passes without running them."""
    from labs import vmm
    problem = vmm.kvm_available()
    if problem is None:
        return
    if os.environ.get("LABS_REQUIRE_KVM") == "1":
        pytest.fail(f"LABS_REQUIRE_KVM=1, but KVM is not usable here: {problem}", pytrace=False)
    pytest.skip(f"KVM is not usable here: {problem}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = find_test_chromium(playwright)
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


class Figures(list):
    """Measurements a test shows at the end of the run: each one travels with
    the test's report (record_property, so from xdist workers too)."""

    def __init__(self, record_property):
        super().__init__()
        self._record = record_property

    def append(self, line: str) -> None:
        super().append(line)
        self._record("figure", line)


@pytest.fixture
def figures(record_property):
    """Measurements a test wants shown: printed under "figures" at the end of every run."""
    return Figures(record_property)


def pytest_terminal_summary(terminalreporter):
    lines = [value for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for name, value in getattr(report, "user_properties", ()) if name == "figure"]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def visits(site, browser):
    """Every page of the site loaded once in Chromium, light scheme, 1280 px,
    axe included: {md path: Visit}."""
    fences = mermaid_fences(site.root / "docs")
    ctx = reader_context(browser, color_scheme="light")
    recorded = {md: visit(ctx, site.url_of(md), len(fences.get(md, [])), axe=True) for md in site.pages()}
    ctx.close()
    return recorded


@pytest.fixture(scope="session")
def phone_visits(site, browser):
    """Every page read through once on a 360 px phone in the dark scheme:
    {md path: {"sideways", "fit", "text_px", "axe"}}."""
    fences = mermaid_fences(site.root / "docs")
    ctx = phone_context(browser, color_scheme="dark")
    page = ctx.new_page()
    measured = {}
    for md in site.pages():
        read_through(page, site.url_of(md), len(fences.get(md, [])))
        measured[md] = {"sideways": page.evaluate(SIDEWAYS), "fit": page.evaluate(DIAGRAM_FIT),
                        "text_px": page.evaluate(DIAGRAM_TEXT_PX), "axe": axe_at_the_end(page)}
    ctx.close()
    return measured
