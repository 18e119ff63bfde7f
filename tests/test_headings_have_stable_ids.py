"""Every heading from h2 down has an explicit English id and a permalink, so
shared section links survive rewording; each page has one h1 and no skipped
heading level. The ids are the build's rule (hooks/build.py fails on a heading
without one, or with one used twice; test_wrong_input_fails_the_build.py
proves it); this module checks what the built pages show."""

import re
from pathlib import Path

from checks import html_soup

from tools.addresses import built_pages


def heading_structure_problems(site_dir: Path) -> list[str]:
    """One h1; no skipped levels; every h2-h6 has a permalink. (That each has an
    explicit kebab-case id, used once, is the build's rule: hooks/build.py.)"""
    problems = []
    for page in built_pages(site_dir):
        name = page.relative_to(site_dir).as_posix()
        article = html_soup(page).select_one("article")
        if article is None:
            continue
        headings = article.find_all(re.compile(r"^h[1-6]$"))
        h1s = [h for h in headings if h.name == "h1"]
        if len(h1s) != 1:
            problems.append(f"{name}: {len(h1s)} h1 headings, expected exactly one")
        level = 1
        for h in headings:
            this = int(h.name[1])
            title = h.get_text("").rstrip("¶").strip()
            if this > level + 1:
                problems.append(f"{name}: heading level skipped before <{h.name}> {title}")
            level = this
            if this == 1:
                continue
            hid = h.get("id", "")
            if not h.select_one(f'a.headerlink[href="#{hid}"]'):
                problems.append(f"{name}: <{h.name}> {title} shows no permalink")
    return problems


def test_built_pages_have_one_h1_no_skipped_levels_and_permalinks(site):
    assert heading_structure_problems(site.dir) == []


def test_the_promised_shared_link_still_works(site):
    html = (site.dir / "types" / "paravirtualization" / "index.html").read_text(encoding="utf-8")
    assert 'id="performance"' in html
