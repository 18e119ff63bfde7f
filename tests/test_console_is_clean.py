"""No page logs a JavaScript error or warning, throws, or fails a request in
Chromium: on a direct load and after in-site (instant) navigation. The direct load of every page is checked in
test_every_page.py."""

from browsing import Visit, diagram_state, follow_link, open_page, reader_context, record, scroll_through, visit_alone
from checks import console_problems, mermaid_fences
from tools.addresses import md_url


def test_in_site_navigation_is_clean(site, browser):
    ctx = reader_context(browser)
    page = ctx.new_page()
    trail = Visit(site.url)
    record(page, trail, site.url)
    open_page(page, site.url)
    fences = mermaid_fences(site.root / "docs")
    for md in [md for md in site.pages() if md_url(md)]:
        follow_link(page, site.url, md_url(md), within=".md-nav--primary")
        scroll_through(page)
        diagram_state(page, len(fences.get(md, [])))
    page.locator("a.md-logo").first.click()  # and home again
    page.wait_for_url(site.url)
    ctx.close()
    assert console_problems("in-site navigation", trail) == []


def test_a_script_that_throws_is_reported_with_its_page(broken_site, browser):
    v = visit_alone(browser, broken_site.url + "throws/")
    assert console_problems("throws.md", v) == ["throws.md: page error: fixture: this script throws"]
