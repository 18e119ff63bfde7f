"""On a 360 px phone every diagram is shown whole, inside its column, with its
text at 11 px or more and no sideways scroll of its own; a diagram that cannot
be laid out that narrow is a build warning naming its page. Every diagram also
opens full size (查看大图) as a standalone SVG, coloured for the reader's scheme,
with no request outside the site. The fit of every diagram on the phone is
checked in test_every_page_on_a_phone.py."""

import re

import pytest

from browsing import reader_context
from checks import mermaid_fences
from hooks.diagram_variants import STANDALONE_CSS


def diagram_pages(site):
    return mermaid_fences(site.root / "docs")


def test_a_diagram_too_wide_for_a_phone_is_a_build_warning(broken_site):
    warning = re.search(r"WARNING\s+-\s+(wide-diagram\.md: diagram 1 is \d+ px wide in its phone layout[^\n]*)",
                        broken_site.log)
    assert warning, broken_site.log[-2000:]
    assert "below 11 px" in warning.group(1)


def zoom_links(page) -> list[str]:
    return page.locator("article .diagram-zoom a").evaluate_all("links => links.map(a => a.href)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_diagram_opens_full_size_in_the_reader_s_scheme(site, browser, scheme):
    ctx = reader_context(browser, color_scheme=scheme)
    page = ctx.new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site.url) else None)
    problems, backgrounds = [], set()
    for md, sources in diagram_pages(site).items():
        name = md.relative_to(site.root).as_posix()
        page.goto(site.url_of(md))
        titles = page.locator("article .mermaid-diagram > svg:first-child title").all_text_contents()
        links = zoom_links(page)
        if len(links) != len(sources):
            problems.append(f"{name}: {len(links)} 查看大图 links for {len(sources)} diagrams")
        for number, (link, title) in enumerate(zip(links, titles), 1):
            response = page.goto(link)
            alone = page.evaluate("""() => ({
                root: document.documentElement.localName,
                title: document.querySelector('title')?.textContent,
                background: getComputedStyle(document.documentElement).backgroundColor,
                text: (label => label.matches('.nodeLabel') ? getComputedStyle(label).color
                                                            : getComputedStyle(label).fill)(
                    document.querySelector('.nodeLabel, .messageText')),
            })""")
            if response.status != 200 or alone["root"] != "svg":
                problems.append(f"{name}: diagram {number}'s 查看大图 ({link}) is not an SVG ({response.status})")
                continue
            if alone["title"] != title:
                problems.append(f"{name}: diagram {number}'s 查看大图 is titled {alone['title']!r}, not {title!r}")
            if alone["text"] in ("rgb(0, 0, 0)", alone["background"]):
                problems.append(f"{name}: diagram {number}'s 查看大图 text is {alone['text']} on {alone['background']}")
            backgrounds.add(alone["background"])
    ctx.close()
    assert problems == [] and outside == []
    expected = "rgb(255, 255, 255)" if scheme == "light" else "rgb(30, 33, 41)"
    assert backgrounds == {expected}


def css_variables(css: str) -> dict[str, dict[str, str]]:
    """The --md-* values of diagram-standalone.css, per scheme."""
    light, _, dark = css.partition("@media (prefers-color-scheme: dark)")
    values = lambda block: dict(re.findall(r"(--md-[a-z-]+):\s*([^;]+);", block))  # noqa: E731
    return {"light": values(light), "dark": {**values(light), **values(dark)}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_full_size_colours_are_material_s_own(site, browser, scheme):
    expected = css_variables(STANDALONE_CSS.read_text(encoding="utf-8"))[scheme]
    ctx = reader_context(browser, color_scheme=scheme)
    page = ctx.new_page()
    page.goto(site.url + "hypervisor/")
    actual = page.evaluate("""names => Object.fromEntries(names.map(n =>
        [n, getComputedStyle(document.querySelector('article')).getPropertyValue(n).trim()]))""",
                           [n for n in expected if n != "--md-mermaid-font-family"])
    ctx.close()
    assert actual == {n: v for n, v in expected.items() if n != "--md-mermaid-font-family"}
