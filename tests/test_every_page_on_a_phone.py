"""Every page, read through once on a 360 px phone in the dark scheme (the
`phone_visits` sweep, made once per run: this module is the only one that
reads it): no axe violation, no sideways scroll, and every diagram whole
inside its column with readable text.

Each promise's own broken-fixture test stays in the module named after it
(test_accessible_to_everyone.py, test_reads_well_on_phones_and_in_dark.py,
test_diagrams_read_on_phones.py)."""

from browsing import SIDEWAYS, axe_of_the_404_page, open_page, phone_context
from checks import (
    axe_problems,
    diagram_text_problems,
    mermaid_fences,
    sideways_problems,
)


def test_no_page_has_an_axe_violation_in_dark_on_a_phone(site, browser, phone_visits, figures):
    problems = [p for md, m in phone_visits.items() for p in axe_problems(md.relative_to(site.root).as_posix(), m["axe"])]
    problems += axe_of_the_404_page(phone_context(browser, color_scheme="dark"), site)
    figures.append(f"axe dark 360px: {len(phone_visits) + 1} pages, {len(problems)} violations")
    assert problems == []


def test_no_page_scrolls_sideways_on_a_phone(site, browser, phone_visits):
    problems = []
    for md, view in phone_visits.items():
        problems += sideways_problems(md.name, view["sideways"])
    ctx = phone_context(browser)
    page = ctx.new_page()
    open_page(page, site.url + "no-such-page/")
    problems += sideways_problems("404.html", page.evaluate(SIDEWAYS))
    ctx.close()
    assert problems == []


def test_every_diagram_fits_its_column_on_a_phone(site, phone_visits):
    problems = []
    for md in mermaid_fences(site.root / "docs"):
        name = md.relative_to(site.root).as_posix()
        view = phone_visits[md]
        for number, box in enumerate(view["fit"], 1):
            if box["shown"] != 1:
                problems.append(f"{name}: diagram {number} shows {box['shown']} layouts at 360 px, not one")
            if box["overflow"] > 1:
                problems.append(f"{name}: diagram {number} sticks out of its column by {box['overflow']} px")
            if box["scrolls"]:
                problems.append(f"{name}: diagram {number} scrolls sideways inside its box")
        problems += diagram_text_problems(f"{name} at 360 px", view["text_px"])
    assert problems == []
