"""axe-core finds no WCAG 2.1 A/AA violation on any page, the 404 page
included, in light at 1280 px (the `visits` sweep) and in dark on a 360 px
phone (the `phone_visits` sweep), each page seen at its end as a reader who has
read it sees it; search and navigation work from the keyboard; the page
language is Chinese. The sweeps over every page are in test_every_page.py
and test_every_page_on_a_phone.py; this module keeps the rest."""

import pytest

from browsing import axe_violations, load_untouched, open_page, phone_context
from checks import axe_problems


def test_a_page_before_material_starts_has_no_axe_violation(site, browser):
    # What a reader who has not touched the page yet, and Lighthouse, get: the
    # loader waits for a first input (partials/start-on-first-input.html), so
    # tables are not wrapped yet and the site's own scripts alone set the boxes.
    ctx = phone_context(browser, color_scheme="dark")
    page = ctx.new_page()
    problems = []
    for path in ("deep/io-virtualization/", "labs/emulation/", "types/full-virtualization/", "glossary/"):
        load_untouched(page, site.url + path)
        problems += axe_problems(path, axe_violations(page))
    ctx.close()
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
    from tools.addresses import built_pages
    from bs4 import BeautifulSoup
    langs = {p.name: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").html.get("lang")
             for p in built_pages(site.dir)}
    assert set(langs.values()) == {"zh"}
