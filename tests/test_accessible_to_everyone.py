"""axe-core finds no WCAG 2.1 A/AA violation on any page, the 404 page
included, in light at 1280 px and in dark at 390 px (each scheme and each
width once: a full pass costs about 18 s); search and navigation work from
the keyboard; the page language is Chinese."""

import pytest

from browsing import axe_violations, diagram_state, open_page, reader_context
from checks import axe_problems, mermaid_fences

VIEWS = [("light", 1280), ("dark", 390)]


@pytest.mark.parametrize("scheme, width", VIEWS, ids=[f"{s}-{w}px" for s, w in VIEWS])
def test_no_page_has_an_axe_violation(site, browser, figures, scheme, width):
    # shadow roots open (reader_context), so axe also checks diagrams drawn in the browser
    ctx = reader_context(browser, viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = ctx.new_page()
    fences = mermaid_fences(site.root / "docs")
    targets = [(md.relative_to(site.root).as_posix(), site.url_of(md), len(fences.get(md, []))) for md in site.pages()]
    targets.append(("404.html", site.url + "no-such-page/", 0))
    problems = []
    for name, url, diagrams in targets:
        open_page(page, url)
        diagram_state(page, diagrams)  # axe sees the diagrams drawn
        # At the end of the page, a little way back up, as a reader who has read
        # it: the header and the back-to-top button in their scrolled states.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.mouse.wheel(0, -200)
        # Let animations settle: Material fades its back-to-top button in over
        # 125 ms, and axe would otherwise measure a half-transparent frame.
        page.wait_for_timeout(400)
        problems += axe_problems(name, axe_violations(page))
    ctx.close()
    figures.append(f"axe {scheme} {width}px: {len(targets)} pages, {len(problems)} violations")
    assert problems == []


@pytest.mark.parametrize("fixture, rule", [("low-contrast", "color-contrast"), ("image-without-alt", "image-alt")])
def test_an_inaccessible_page_is_reported_with_its_file(broken_site, browser, fixture, rule):
    page = browser.new_page()
    open_page(page, f"{broken_site.url}{fixture}/")
    problems = axe_problems(f"{fixture}.md", axe_violations(page))
    page.close()
    assert any(p.startswith(f"{fixture}.md: {rule}:") for p in problems), problems


def _tab_until(page, selector: str, limit: int = 60) -> bool:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return True
    return False


def test_search_works_from_the_keyboard_alone(site, context):
    page = context.new_page()
    open_page(page, site.url)
    assert _tab_until(page, "input[data-md-component=search-query]"), "Tab never reached the search box"
    page.keyboard.type("Pacifica")
    page.keyboard.press("End")
    page.locator(".md-search-result__item").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/hardware-virtualization/**")


def test_navigation_works_from_the_keyboard_alone(site, context):
    page = context.new_page()
    open_page(page, site.url)
    assert _tab_until(page, '.md-nav--primary a[href$="hypervisor/"]'), "Tab never reached the navigation"
    page.keyboard.press("Enter")
    page.wait_for_url("**/hypervisor/")


def test_the_page_language_is_chinese(site):
    from checks import built_pages
    from bs4 import BeautifulSoup
    langs = {p.name: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").html.get("lang")
             for p in built_pages(site.dir)}
    assert set(langs.values()) == {"zh"}
