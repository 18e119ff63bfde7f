"""On a 360 px phone no page scrolls sideways (wide tables and diagrams scroll
in their own box); the colour scheme follows the system, with a toggle
labelled in Chinese. Sideways scroll on every page is checked in
test_every_page_on_a_phone.py."""

import pytest

from browsing import DIAGRAM_TEXT_PX, SIDEWAYS, open_page, phone_context, reader_context
from checks import diagram_text_problems, mermaid_fences, sideways_problems


@pytest.fixture(scope="module")
def phone(browser):
    ctx = phone_context(browser)
    yield ctx.new_page()
    ctx.close()


# At 360 px the same check runs in test_diagrams_read_on_phones.py, with the phone layouts.
@pytest.mark.parametrize("width", [1280])
def test_diagram_text_stays_readable(site, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems = []
    for md in mermaid_fences(site.root / "docs"):
        open_page(page, site.url_of(md))
        problems += diagram_text_problems(f"{md.name} at {width} px", page.evaluate(DIAGRAM_TEXT_PX))
    page.close()
    assert problems == []


def test_a_diagram_too_wide_to_read_is_reported(broken_site, phone):
    open_page(phone, broken_site.url + "wide-diagram/")
    problems = diagram_text_problems("wide-diagram.md", phone.evaluate(DIAGRAM_TEXT_PX))
    assert problems and problems[0].startswith("wide-diagram.md: diagram 1 text is drawn at ")


def test_the_comparison_table_scrolls_in_its_own_box_on_a_phone(site, phone):
    open_page(phone, site.url + "types/")
    box = phone.evaluate("""() => { const w = document.querySelector('article table').closest('.md-typeset__scrollwrap');
        return w && {scroll: w.scrollWidth, client: w.clientWidth, overflow: getComputedStyle(w).overflowX}; }""")
    assert box and box["scroll"] > box["client"] and box["overflow"] == "auto"


def test_a_page_that_scrolls_sideways_is_reported(broken_site, phone):
    open_page(phone, broken_site.url + "too-wide/")
    problems = sideways_problems("too-wide.md", phone.evaluate(SIDEWAYS))
    assert problems and problems[0].startswith("too-wide.md: scrolls ")


@pytest.mark.parametrize("system, scheme", [("light", "default"), ("dark", "slate")])
def test_the_colour_scheme_follows_the_system(site, browser, system, scheme):
    ctx = reader_context(browser, color_scheme=system)
    page = ctx.new_page()
    open_page(page, site.url)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
    ctx.close()


# `context` first: without a browser it fails before the site is built (test_browser_is_found_or_explained.py).
def test_the_scheme_toggle_is_labelled_in_chinese(context, site):
    page = context.new_page()
    open_page(page, site.url)
    labels = page.locator("form[data-md-component=palette] label").evaluate_all(
        "els => els.map(el => el.getAttribute('title') || el.getAttribute('aria-label'))")
    assert labels and all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels)
