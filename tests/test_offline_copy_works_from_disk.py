"""The offline copy works from disk: unzipped and opened from file:// in
Chromium, every page loads with its diagrams drawn and without an error,
search finds 半虚拟化 and AMD-V in their sections, and nothing is requested
from off the disk (iframe-worker is the site's own copy, not a CDN's).

The copy is built once per session, the way `make site` builds it
(tools/editions.py: a separate build with Material's offline plugin).
"""

import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browsing import follow_link, reader_context, search, visit_from_disk
from checks import (
    DOCS,
    console_problems,
    diagram_problems,
    html_soup,
    mermaid_fences,
    script_tags,
    search_misses,
    search_queries,
)
from conftest import FIXTURES

from tools.browser import open_page
from tools.editions import OFFLINE_FOLDER, OFFLINE_NAME, make_offline


def offline_path(md: Path, docs: Path = DOCS) -> str:
    """Where a Markdown page is in the offline copy (.html URLs): types/index.md -> types/index.html."""
    return md.relative_to(docs).with_suffix(".html").as_posix()


def offline_reference_problems(copy: Path) -> list[str]:
    """No page of the offline copy loads a stylesheet, script, image or frame
    from off the disk, and no address in it starts at the root (/…), which
    from file:// is the root of the file system, not the copy's folder (the
    site's 404.html has such links: the copy leaves it out)."""
    problems = []
    for page in sorted(copy.rglob("*.html")):
        soup = html_soup(page)
        name = page.relative_to(copy).as_posix()
        for el in soup.select("a[href], link[href], img[src], iframe[src], source[src]") + script_tags(soup):
            ref = el.get("href") or el.get("src")
            if ref.startswith("/") and not ref.startswith("//"):
                problems.append(f"{name}: <{el.name}> points at {ref}, which from disk is file://{ref}")
            elif el.name == "a" or (el.name == "link" and set(el.get("rel", [])) & {"canonical", "alternate"}):
                continue  # addresses, not loaded
            elif urlparse(ref).scheme not in ("", "data", "blob", "file"):
                problems.append(f"{name}: <{el.name}> loads {ref} from off the disk")
    return problems


def offline_expected(expected: str, docs: Path = DOCS) -> str:
    """A search expectation (`page/` or `page/#id`) at the offline copy's .html address."""
    path, _, fragment = expected.partition("#")
    if path == "" or (docs / path / "index.md").is_file():
        path += "index.html"
    elif path.endswith("/"):
        path = path[:-1] + ".html"
    return path + (f"#{fragment}" if fragment else "")

OFFLINE_QUERIES = ("半虚拟化", "AMD-V")


@pytest.fixture(scope="session")
def offline_copy(site, tmp_path_factory) -> Path:
    """The zip, unpacked: the folder a reader opens."""
    out = tmp_path_factory.mktemp("offline")
    archive = make_offline(site.root, out / OFFLINE_NAME)
    with zipfile.ZipFile(archive) as unzipped:
        unzipped.extractall(out / "unpacked")
    return out / "unpacked" / OFFLINE_FOLDER


def disk_problems(name: str, visit) -> list[str]:
    return console_problems(name, visit) + [f"{name}: requests {url}, which is not on the disk"
                                            for url in visit.outside_requests]


def test_the_zip_unpacks_to_one_folder_with_the_home_page(offline_copy, figures):
    archive = offline_copy.parent.parent / OFFLINE_NAME
    figures.append(f"offline zip: {archive.stat().st_size:,} bytes ({archive.stat().st_size / 1024 / 1024:.1f} MB), "
                   f"{len(zipfile.ZipFile(archive).namelist())} files")
    assert (offline_copy / "index.html").is_file()
    assert (offline_copy / "search" / "search_index.js").is_file()  # search without a server
    assert not (offline_copy / "404.html").exists()  # no server on disk ever shows it
    assert list(offline_copy.rglob("*iframe-worker*"))


def test_no_page_of_the_copy_loads_anything_from_off_the_disk(offline_copy):
    assert offline_reference_problems(offline_copy) == []


def test_every_page_loads_from_disk_with_its_diagrams(offline_copy, browser):
    docs = FIXTURES.parent.parent / "docs"
    fences = mermaid_fences(docs)
    ctx = reader_context(browser)
    problems = []
    for md in sorted(docs.rglob("*.md")):
        name = offline_path(md, docs)
        visit = visit_from_disk(ctx, offline_copy / name, len(fences.get(md, [])))
        problems += disk_problems(name, visit) + diagram_problems(name, len(fences.get(md, [])), visit.diagrams)
    ctx.close()
    assert problems == []


def test_search_and_navigation_work_from_disk(offline_copy, browser):
    rows = [(n, q, offline_expected(e)) for n, q, e in search_queries() if q in OFFLINE_QUERIES]
    assert sorted(q for _, q, _ in rows) == sorted(OFFLINE_QUERIES)
    ctx = reader_context(browser)
    page = ctx.new_page()
    home = (offline_copy / "index.html").as_uri()
    open_page(page, home)
    follow_link(page, offline_copy.as_uri() + "/", "hypervisor.html", within="nav.md-nav--primary")
    assert page.locator("article h1").inner_text().startswith("Hypervisor")
    open_page(page, home)
    results = {q: search(page, q)["groups"] for _, q, _ in rows}
    ctx.close()
    misses, _, _ = search_misses(results, rows)
    assert misses == []


def test_an_offline_page_that_asks_a_cdn_or_links_from_the_root_is_reported_with_its_file(browser):
    copy = FIXTURES / "editions" / "offline-cdn"
    assert offline_reference_problems(copy) == [
        "index.html: <a> points at /virtualization-docs/, which from disk is file:///virtualization-docs/",
        "index.html: <script> loads https://unpkg.com/iframe-worker/shim from off the disk"]
    ctx = reader_context(browser)
    visit = visit_from_disk(ctx, copy / "index.html", material=False)
    ctx.close()
    assert "index.html: requests https://unpkg.com/iframe-worker/shim, which is not on the disk" in \
        disk_problems("index.html", visit)
