"""Viewing any page requests nothing from any host but the site's own, and
pages without diagrams download no Mermaid bytes."""

from browsing import visit
from checks import mermaid_fences

MERMAID_LIBRARY = "javascripts/vendor/mermaid.min.js"


def test_no_page_requests_another_host(visits):
    outside = {md.name: v.outside_requests for md, v in visits.items() if v.outside_requests}
    assert outside == {}


def test_mermaid_is_downloaded_only_by_pages_with_diagrams(visits):
    with_diagrams = set(mermaid_fences())
    wrong = {md.name: "downloads Mermaid without a diagram" if md not in with_diagrams else "has diagrams but no Mermaid"
             for md, v in visits.items()
             if any(MERMAID_LIBRARY in url for url in v.requests) != (md in with_diagrams)}
    assert wrong == {}


def test_an_outside_request_is_caught_and_named(broken_site, browser):
    ctx = browser.new_context()
    v = visit(ctx, broken_site.url + "outside-request/", 0)
    ctx.close()
    assert v.outside_requests == ["https://cdn.example.com/banner.png"]
