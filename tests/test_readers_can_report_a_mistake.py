"""Every page asks 这页有帮助吗？ (Material's feedback widget, with no analytics):
the answer is sent nowhere, and 有待改进 links to a new GitHub issue on the
configured repository, titled with the page and carrying its address."""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from browsing import follow_link, record, reader_context, Visit
from provenance import feedback_problems
from tools.browser import open_page
from tools.sitebuild import default_repo_url

FIXTURES = Path(__file__).parent / "fixtures"
REPO_URL = os.environ.get("REPO_URL") or default_repo_url()


def test_every_page_asks_whether_it_helped_and_links_a_mistake_to_an_issue_for_that_page(site):
    pages = {site.dir / site.url_of(md)[len(site.url):] / "index.html": site.url_of(md) for md in site.pages()}
    assert feedback_problems(site.dir, pages, REPO_URL) == []


def test_a_missing_widget_or_an_issue_link_without_the_page_is_reported_with_its_file():
    site = FIXTURES / "provenance-site"
    pages = {site / "hypervisor/index.html": "http://127.0.0.1:8000/hypervisor/",
             site / "glossary/index.html": "http://127.0.0.1:8000/glossary/"}
    problems = feedback_problems(site, pages, REPO_URL)
    assert problems[0].startswith("hypervisor/index.html: 有待改进 opens an issue titled '页面反馈：Hypervisor' with body")
    assert problems[1:] == ["glossary/index.html: no feedback widget"]


def _sent(visit, before: int) -> list[str]:
    """What the page requested since `before`, less the favicon Chromium asks for on its own time."""
    return [url for url in visit.requests[before:] if not url.endswith("/favicon.png")]


def _answer(page, value: str) -> dict:
    page.locator(f"form.md-feedback button[data-md-value='{value}']").click()
    note = page.locator(f".md-feedback__note [data-md-value='{value}']")
    note.wait_for(state="visible", timeout=3000)
    link = note.locator("a")
    return {"note": note.inner_text(), "href": link.get_attribute("href") if link.count() else None}


def test_answering_shows_a_note_and_sends_nothing_anywhere(site, browser, figures):
    ctx = reader_context(browser)
    page = ctx.new_page()
    visit = Visit(site.url)
    record(page, visit, site.url)
    open_page(page, site.url + "hypervisor/")
    page.locator("form.md-feedback").wait_for(state="visible")
    page.wait_for_load_state("networkidle")  # Material's own start (search index, favicon) is over
    before = len(visit.requests)
    answer = _answer(page, "0")
    page.wait_for_timeout(300)
    assert _sent(visit, before) == [] and visit.outside_requests == []
    query = parse_qs(urlparse(answer["href"]).query)
    assert answer["href"].startswith(REPO_URL + "/issues/new?")
    assert query["title"] == ["页面反馈：Hypervisor"]
    assert query["body"][0].startswith(f"页面：{site.url}hypervisor/")
    assert page.locator("form.md-feedback button[data-md-value='1']").is_disabled()  # one answer a visit
    figures.append(f"有待改进 on hypervisor/ opens {answer['href']}")
    # After an in-site click (Material's instant navigation) the next page's widget works too.
    follow_link(page, site.url, "types/", within="article")
    page.locator("form.md-feedback").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    before = len(visit.requests)
    assert _answer(page, "1") == {"note": "谢谢！", "href": None}
    page.wait_for_timeout(300)
    assert _sent(visit, before) == [] and visit.outside_requests == []
    ctx.close()
