"""Shared links work: every page has its own preview text and canonical URL,
every published address keeps resolving, the address bar follows the section
being read, and a wrong address gets a Chinese 404 page with search."""

import urllib.error
import urllib.request
from pathlib import Path

from browsing import open_page, reader_context
from checks import html_soup
from conftest import FIXTURES
from playwright.sync_api import expect

from tools.addresses import address_problems, built_pages


def preview_problems(site_dir: Path) -> list[str]:
    """Every page has its own description, og:title, og:description, og:url and canonical link."""
    problems, owners = [], {}
    for page in built_pages(site_dir):
        name = page.relative_to(site_dir).as_posix()
        head = html_soup(page).head
        description = head.select_one('meta[name="description"]')
        content = description.get("content", "").strip() if description else ""
        if not content:
            problems.append(f"{name}: no <meta name=\"description\">")
        elif content in owners:
            problems.append(f"{name}: same description as {owners[content]}")
        owners.setdefault(content, name)
        for prop in ("og:title", "og:description"):
            if not head.select_one(f'meta[property="{prop}"]'):
                problems.append(f"{name}: no {prop}")
        if name != "404.html":
            canonical = head.select_one('link[rel="canonical"]')
            og_url = head.select_one('meta[property="og:url"]')
            if not canonical or not og_url or canonical["href"] != og_url["content"]:
                problems.append(f"{name}: canonical link and og:url missing or different")
    return problems


def test_every_page_has_its_own_description_and_preview_tags(site):
    assert preview_problems(site.dir) == []


def test_a_repeated_description_is_reported():
    problems = preview_problems(FIXTURES / "previews-site")
    assert "b/index.html: same description as a/index.html" in problems
    assert "a/index.html: no og:description" in problems


def test_every_published_address_still_resolves(site):
    assert address_problems(site.dir) == []


def test_a_vanished_address_is_reported_with_file_and_line(site):
    problems = address_problems(site.dir, FIXTURES / "published-urls-vanished.txt")
    assert problems[0] == ("tests/fixtures/published-urls-vanished.txt:3: /types/paravirtualization/#benchmarks disappeared "
                           "without a redirect (add one under `redirects:` in mkdocs.yml, or restore the page or heading id)")


def test_the_address_bar_follows_the_section_being_read(site, context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 600})
    open_page(page, site.url + "hardware-virtualization/")
    seen = []
    for _ in range(8):
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(400)
        seen.append(page.evaluate("location.hash"))
    assert "#amd-v" in seen and seen[-1] == "#how-it-works"


def test_a_missing_page_gets_the_chinese_404_with_search_and_a_way_home(site, context):
    try:
        urllib.request.urlopen(site.url + "no-such-page/")
        raise AssertionError("a missing page answered 200")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    page = context.new_page()
    open_page(page, site.url + "no-such-page/")
    assert "页面不存在" in page.locator("article h1").inner_text()
    page.fill("#not-found-query", "半虚拟化")
    page.press("#not-found-query", "Enter")
    page.wait_for_url("**/?q=*")
    expect(page.locator("input[data-md-component=search-query]")).to_have_value("半虚拟化")
    open_page(page, site.url + "no-such-page/")
    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(site.url)


def test_the_404_page_at_any_depth_loads_cleanly_and_its_links_land_on_pages(site, browser):
    from browsing import visit_alone
    from checks import console_problems
    deep = site.url + "no/such/page/deep/"
    v = visit_alone(browser, deep)
    expected = "404.html: console error: Failed to load resource: the server responded with a status of 404 (Not Found)"
    problems = console_problems("404.html", v)
    problems.remove(expected)  # the page's own status, logged by Chromium
    assert problems == [] and v.outside_requests == []
    ctx = reader_context(browser)
    page = ctx.new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    open_page(page, deep)
    assert missing == [deep]  # every asset loads at that depth
    links = page.eval_on_selector_all("article ul a", "links => links.map(a => a.href)")
    ctx.close()
    assert len(links) == len(site.pages())
    for link in links:
        assert link.startswith(site.url), link
        assert urllib.request.urlopen(link).status == 200, link


def test_the_sitemap_lists_every_page(site):
    sitemap = (site.dir / "sitemap.xml").read_text(encoding="utf-8")
    for page in site.pages():
        assert f"<loc>{site.url_of(page)}</loc>" in sitemap


def test_an_address_no_file_can_have_gets_the_404_page(site):
    # A name too long for the file system, or holding a NUL byte: the
    # server answers as a static host does, not with an empty response.
    import urllib.error
    for path in ["a" * 5000 + "/", "%00/", "no-such-page/"]:
        try:
            urllib.request.urlopen(site.url + path)
            raise AssertionError(f"{path[:20]}… was served with status 200")
        except urllib.error.HTTPError as error:
            assert error.code == 404 and "页面不存在" in error.read().decode("utf-8"), path[:20]
