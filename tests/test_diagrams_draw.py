"""Every Mermaid fence in docs/ is drawn as an SVG with a text alternative and
no Mermaid error: on a direct load, after an in-site (instant) click, and after
switching light/dark; in dark mode its text stays readable.
The direct load of every page is checked in test_every_page.py."""

import re

from browsing import (
    DIAGRAM_INK,
    diagram_state,
    follow_link,
    open_page,
    scroll_through,
    set_scheme,
    visit_alone,
)
from checks import diagram_problems, mermaid_fences

from tools.addresses import md_url


def _rgb(css: str, behind: str | None = None) -> tuple[float, ...]:
    """An rgb()/rgba() colour as opaque RGB, blended over `behind` if translucent."""
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    alpha = values[3] if len(values) > 3 else 1.0
    if alpha >= 1 or behind is None:
        return tuple(values[:3])
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(values[:3], _rgb(behind), strict=True))


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of CSS colour `a` (blended over `b`) against opaque `b`."""
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    hi, lo = sorted((luminance(_rgb(a, b)), luminance(_rgb(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def diagram_contrast_problems(name: str, ink: dict, minimum: float = 4.5) -> list[str]:
    """Diagram text stands out from the page background."""
    problems = []
    for i, colours in enumerate(ink["ink"], 1):
        worst = min((contrast_ratio(c, ink["background"]) for c in colours), default=0)
        if worst < minimum:
            problems.append(f"{name}: diagram {i} text contrast {worst:.2f}:1 against the page, below {minimum}:1")
    return problems

FENCES = mermaid_fences()


def test_the_site_has_at_least_five_diagrams():
    assert sum(len(f) for f in FENCES.values()) >= 5


def test_diagrams_draw_after_instant_navigation_from_a_page_without_any(site, context):
    page = context.new_page()
    failed = []  # Material falls back to a full load when its request for the page fails
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    open_page(page, site.url)  # the home page has no diagram
    page.evaluate("window.__sameDocument = true")
    for md, fences in FENCES.items():
        follow_link(page, site.url, md_url(md))
        assert page.evaluate("window.__sameDocument === true"), \
            f"navigation to {md_url(md)} reloaded the page: instant navigation is off or failed {failed}"
        scroll_through(page)
        assert diagram_problems(md.name, len(fences), diagram_state(page, len(fences))) == []


def test_diagrams_survive_the_palette_switch_and_stay_readable_in_both_schemes(site, context):
    page = context.new_page()
    problems = []
    for md, fences in FENCES.items():
        open_page(page, site.url_of(md))
        scroll_through(page)
        for scheme in ("slate", "default"):
            set_scheme(page, scheme)
            state = diagram_state(page, len(fences))
            problems += diagram_problems(f"{md.name} ({scheme})", len(fences), state)
            problems += diagram_contrast_problems(f"{md.name} ({scheme})", page.evaluate(DIAGRAM_INK))
    assert problems == []


def test_a_broken_diagram_is_reported_with_its_file(broken_site, browser):
    v = visit_alone(browser, broken_site.url + "broken-diagram/", 1)
    problems = diagram_problems("broken-diagram.md", 1, v.diagrams, v.page_errors)
    assert problems and problems[0].startswith("broken-diagram.md: 0 of 1 Mermaid diagrams drawn")


def test_low_contrast_diagram_text_is_reported():
    ink = {"background": "rgb(30, 33, 41)", "ink": [["rgb(51, 51, 51)"]]}
    assert diagram_contrast_problems("dark.md", ink) == [
        "dark.md: diagram 1 text contrast 1.27:1 against the page, below 4.5:1"]
