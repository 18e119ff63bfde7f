"""Viewing any page requests nothing from any host but the site's own, and
pages download no Mermaid bytes: diagrams are SVG from the build. Built
without a browser, the site draws them in the reader's browser instead, from
its own copy of Mermaid, and only on pages that have them. Every page's own requests are checked in
test_every_page.py."""

from browsing import diagram_state, follow_link, open_page, reader_context, scroll_through, visit_alone
from checks import diagram_problems, mermaid_fences
from conftest import build_and_serve
from tools.addresses import md_url
from tools.sitebuild import project_copy

MERMAID_LIBRARY = "javascripts/vendor/mermaid/"


def test_built_without_a_browser_diagrams_draw_in_the_readers_browser(tmp_path, browser):
    project = project_copy(tmp_path / "project")
    built, server = build_and_serve(project, tmp_path / "site", strict=True, env={"CHROMIUM": "none", "REQUIRE_PRERENDERED_DIAGRAMS": ""})  # CI sets it
    url = built.url
    assert "diagrams will be drawn in the browser" in built.log
    ctx = reader_context(browser)
    page = ctx.new_page()
    fences = mermaid_fences(project / "docs")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_page(page, url)  # no diagram here: no Mermaid
    assert not any(MERMAID_LIBRARY in r for r in requests)
    problems = []
    for md, sources in fences.items():  # in-site navigation, then drawn from the site's own copy
        follow_link(page, url, md_url(md, project / "docs"))
        # The stand-in watches each diagram from when Material hands it over;
        # a reader who scrolled past before that scrolls back, so start after it.
        page.wait_for_function("window.mermaid && window.mermaid.lazyStandIn")
        page.wait_for_timeout(200)
        scroll_through(page)
        problems += diagram_problems(md.name, len(sources), diagram_state(page, len(sources)))
    ctx.close()
    server.shutdown()
    assert problems == []
    assert any(MERMAID_LIBRARY in r for r in requests) and all(r.startswith(url) for r in requests)


def test_an_outside_request_is_caught_and_named(broken_site, browser):
    v = visit_alone(browser, broken_site.url + "outside-request/")
    assert v.outside_requests == ["https://cdn.example.com/banner.png"]
