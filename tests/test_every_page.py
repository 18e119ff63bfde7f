"""Every page, loaded once in Chromium in light at 1280 px (the `visits`
sweep, made once per run: this module is the only one that reads it, and a
parallel run keeps a module on one worker): no axe violation, nothing in the
console, every diagram drawn, no request to another host, no diagram
JavaScript, no script before the first paint or the first input, and no
search index until the reader reaches for search.

Each promise's own broken-fixture test stays in the module named after it
(test_accessible_to_everyone.py, test_console_is_clean.py, ...)."""

from browsing import axe_of_the_404_page, reader_context
from checks import (
    axe_problems,
    console_problems,
    diagram_problems,
    early_index_problems,
    early_script_problems,
    mermaid_fences,
)

MERMAID_LIBRARY = "javascripts/vendor/mermaid/"


def test_no_page_has_an_axe_violation_in_light_at_1280_px(site, browser, visits, figures):
    problems = [p for md, v in visits.items() for p in axe_problems(md.relative_to(site.root).as_posix(), v.axe)]
    problems += axe_of_the_404_page(reader_context(browser, color_scheme="light"), site)
    figures.append(f"axe light 1280px: {len(visits) + 1} pages, {len(problems)} violations")
    assert problems == []


def test_every_page_loads_cleanly(visits):
    problems = []
    for md, v in visits.items():
        problems += console_problems(md.name, v)
    assert problems == []


def test_every_diagram_draws_on_direct_load(site, visits):
    problems = []
    for md, fences in mermaid_fences(site.root / "docs").items():
        v = visits[md]
        problems += diagram_problems(md.name, len(fences), v.diagrams, v.page_errors)
    assert problems == []


def test_no_page_requests_another_host(visits):
    outside = {md.name: v.outside_requests for md, v in visits.items() if v.outside_requests}
    assert outside == {}


def test_no_page_downloads_diagram_javascript_when_diagrams_were_rendered_at_build_time(visits):
    downloading = [md.name for md, v in visits.items()
                   if any(MERMAID_LIBRARY in url or "mermaid-loader" in url for url in v.requests)]
    assert downloading == []


def test_no_script_is_requested_before_the_first_paint_or_the_first_input(site, visits, figures):
    problems = [p for md, v in visits.items() for p in early_script_problems(md.name, v.paint)]
    assert problems == []
    costs = sorted(v.paint["started"] - v.paint["starting"] for v in visits.values() if v.paint.get("started"))
    figures.append(f"Material's start, from the first input to document$: {costs[len(costs) // 2]:.0f} ms "
                   f"(median of {len(costs)} pages, range {costs[0]:.0f}–{costs[-1]:.0f} ms, this machine's CPU)")


def test_no_page_fetches_the_search_index_until_the_reader_reaches_for_search(visits):
    problems = [p for md, v in visits.items() for p in early_index_problems(md.name, v.requests)]
    assert problems == []
