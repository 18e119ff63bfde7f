"""Build-time tweaks for the site (registered under `hooks:` in mkdocs.yml).

- Segment Chinese for search with the site's own dictionary
  (search/dictionary.txt): domain terms, and where each one splits.
- Print the glossary's abbreviation table from includes/abbreviations.md, the
  same file that gives every page its abbreviation tooltips.
- Name the toggle of each nav section that has an index page, so that its
  nav landmark has a name of its own (axe landmark-unique).

Diagrams are hooks/diagrams.py's.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- search

DICTIONARY = ROOT / "search" / "dictionary.txt"


def load_search_dictionary(path: Path = DICTIONARY) -> list[list[str]]:
    """The domain terms of search/dictionary.txt, each as its indexed parts."""
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.append(line.split())
    return terms


def on_config(config):
    """Teach jieba (used by Material's search plugin) the site's domain terms."""
    import jieba

    jieba.setLogLevel(60)  # jieba's "Building prefix dict" chatter is not a build message
    for parts in load_search_dictionary():
        for part in parts:
            jieba.add_word(part)
        if len(parts) > 1:
            jieba.suggest_freq(tuple(parts), tune=True)
    return config


# ---------------------------------------------------------------- glossary

ABBREVIATIONS = ROOT / "includes" / "abbreviations.md"
GLOSSARY_MARKER = "<!-- abbreviations: filled in by hooks/build.py from includes/abbreviations.md -->"
_ABBR_LINE = re.compile(r"^\*\[(?P<abbr>[^\]]+)\]:\s*(?P<expansion>.+)$")


def load_abbreviations(path: Path = ABBREVIATIONS) -> dict[str, str]:
    """{abbreviation: expansion} from the file every page's tooltips come from."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ABBR_LINE.match(line.strip())
        if match:
            found[match["abbr"]] = match["expansion"].strip()
    return found


def on_page_markdown(markdown: str, page, config, files) -> str:
    if GLOSSARY_MARKER not in markdown:
        return markdown
    rows = "\n".join(f"| {abbr} | {expansion} |" for abbr, expansion in load_abbreviations().items())
    return markdown.replace(GLOSSARY_MARKER, f"| 缩写 | 含义 |\n| --- | --- |\n{rows}\n")


# ---------------------------------------------------------------- navigation

# With navigation.indexes, a nav section that has an index page (虚拟化分类,
# 深入) gets a toggle <label> holding only an icon, and the section's <nav>
# landmark is named by that empty label. Two such sections make two nav
# landmarks with the same empty name (axe: landmark-unique, on phones). The
# toggle is named after its section, which also names the landmark.
_SECTION_TOGGLE = re.compile(
    r'(<div class="md-nav__link md-nav__container">\s*<a [^>]*>\s*<span class="md-ellipsis">\s*'
    r'(?P<title>[^<]*?)\s*</span>\s*</a>\s*<label )(?![^>]*aria-label)')


def on_post_page(output: str, page, config) -> str:
    import html
    return _SECTION_TOGGLE.sub(lambda m: f'{m.group(1)}aria-label="{html.escape(m.group("title").strip())}" ', output)


def on_post_template(output: str, template_name: str, config) -> str:
    """The 404 page is a theme template, not a page: name its toggles too."""
    return on_post_page(output, None, config) if template_name.endswith(".html") else output
