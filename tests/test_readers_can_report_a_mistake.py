"""Every page asks 这页有帮助吗？ (Material's feedback widget, with no analytics):
有帮助 thanks the reader and sends nothing anywhere; 有待改进 is one click to a
new GitHub issue on the configured repository, titled with the page and
carrying its address."""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from browsing import Visit, follow_link, reader_context, record
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


def _settle(page, visit, quiet_ms: int = 600) -> None:
    """Wait until the page has requested nothing for `quiet_ms` (Material's start, an instant navigation)."""
    count = -1
    while count != len(visit.requests):
        count = len(visit.requests)
        page.wait_for_timeout(quiet_ms)


def _helpful(page, visit) -> str:
    """Answer 有帮助 once the page has settled, and return the note shown; nothing may be sent."""
    _settle(page, visit)
    before = len(visit.requests)
    page.locator("form.md-feedback button[data-md-value='1']").click()
    note = page.locator(".md-feedback__note [data-md-value='1']")
    note.wait_for(state="visible", timeout=3000)
    page.wait_for_timeout(300)
    assert _sent(visit, before) == [] and visit.outside_requests == []
    assert page.locator("form.md-feedback button[data-md-value='1']").is_disabled()  # one answer a visit
    return note.inner_text()


def test_answers_thank_the_reader_or_open_an_issue_for_the_page_and_send_nothing_else(site, browser, figures):
    ctx = reader_context(browser)
    page = ctx.new_page()
    visit = Visit(site.url)
    record(page, visit, site.url)  # requests off 127.0.0.1 are recorded and blocked
    open_page(page, site.url + "hypervisor/")
    assert _helpful(page, visit) == "谢谢！"
    # After an in-site click (Material's instant navigation) the next page's widget works too.
    follow_link(page, site.url, "types/", within="article")
    page.wait_for_function("document.title.startsWith('虚拟化分类')")
    assert _helpful(page, visit) == "谢谢！"
    page.locator("form.md-feedback a[data-md-value='0']").click()
    page.wait_for_timeout(500)
    assert len(visit.outside_requests) == 1, visit.outside_requests
    issue = visit.outside_requests[0]
    query = parse_qs(urlparse(issue).query)
    assert issue.startswith(REPO_URL + "/issues/new?")
    assert query["title"] == ["页面反馈：虚拟化分类"]
    assert query["body"][0].split() == [f"页面：{site.url}types/"]
    figures.append(f"有待改进 on types/ opens {urlparse(issue)._replace(query='').geturl()}?title={query['title'][0]}"
                   f"&body={query['body'][0]!r}")
    ctx.close()
