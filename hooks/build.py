"""Build-time tweaks for the site (registered under `hooks:` in mkdocs.yml).

- Segment Chinese for search with the site's own dictionary
  (search/dictionary.txt): domain terms, and where each one splits.
- Print the glossary's abbreviation table from includes/abbreviations.md, the
  same file that gives every page its abbreviation tooltips.
- Publish only what readers load: no template partials, no source maps, no
  search languages the site does not use.
- Fail loudly, naming the file, where MkDocs would build a wrong site and
  exit 0: a key given twice in mkdocs.yml, an include that is not UTF-8, an
  abbreviation defined twice, front matter that does not parse, and a
  published address (published-urls.txt) that disappeared without a redirect,
  and a link, asset or #anchor of a built page that does not resolve (raw
  HTML <a href> included, which MkDocs does not check), named by the page's
  Markdown file and line.
- One build writes a site folder at a time (tools/sitedir.py's lock beside
  it); a write into it that fails (a full disk) names the file being written.
- Name the toggle of each nav section that has an index page, so that its
  nav landmark has a name of its own (axe landmark-unique).

Diagrams are hooks/diagrams.py's.
"""

from __future__ import annotations

import html
import json
import logging
import re
from fnmatch import fnmatch
from pathlib import Path

import rcssmin
import rjsmin
import yaml
from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import YAML_RE

from tools.addresses import link_problems, vanished_address_problems
from tools.editions import OFFLINE_NAME, PDF_NAME
from tools.sitebuild import display_name
from tools.sitedir import SiteBusy, SiteLock, write_failure, write_message

ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("mkdocs.hooks.build")


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
    """Refuse a configuration or include that would build a wrong site; then
    teach jieba (used by Material's search plugin) the site's domain terms."""
    _lock_site(config)
    config_file = Path(config.config_file_path)
    problems = duplicate_key_problems(config_file)
    for include in included_files(config):
        problems += encoding_problems(include, config_file.parent)
    if problems:
        raise PluginError("\n".join(problems))
    for problem in abbreviation_problems():
        log.error(problem)
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


def _abbreviation_lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _ABBR_LINE.match(line.strip())
        if match:
            yield number, match["abbr"], match["expansion"].strip()


def load_abbreviations(path: Path = ABBREVIATIONS) -> dict[str, str]:
    """{abbreviation: expansion} from the file every page's tooltips come from."""
    return {abbr: expansion for _, abbr, expansion in _abbreviation_lines(path)}


def abbreviation_problems(path: Path = ABBREVIATIONS) -> list[str]:
    """An abbreviation defined twice: Markdown would silently keep the last one.
    One that starts or ends with a sign (C++): the abbr extension matches at
    word boundaries, so it would never get a tooltip."""
    first: dict[str, int] = {}
    problems = []
    name = display_name(path)
    for number, abbr, _ in _abbreviation_lines(path):
        if not (abbr[:1].isalnum() and abbr[-1:].isalnum()):
            problems.append(f"{name}:{number}: *[{abbr}] starts or ends with a sign, so no page would ever show "
                            "its tooltip (abbreviations are matched as whole words); define it without the sign")
        if abbr in first:
            problems.append(f"{name}:{number}: *[{abbr}] is defined twice (first at line {first[abbr]}); "
                            "tooltips and the glossary would silently use the last one")
        first.setdefault(abbr, number)
    return problems


def glossary_cell(text: str) -> str:
    """An expansion as the text of a Markdown table cell, exactly as its
    tooltip shows it: HTML and Markdown (a [link](…), *emphasis*, `code`)
    shown as text, and `|` kept inside the cell."""
    text = html.escape(text, quote=False)
    for sign in "|[]*_`\\":
        text = text.replace(sign, f"&#{ord(sign)};")
    return text


def on_page_markdown(markdown: str, page, config, files) -> str:
    front_matter = front_matter_problem(markdown, page.file.src_uri) or description_problem(page)
    if front_matter:
        log.error(front_matter)
    if getattr(page.file, "generated_by", None) is None:
        source = page.file.content_string
        for problem in (heading_id_problems(markdown, source, page.file.src_uri)
                        + local_abbreviation_problems(source, page.file.src_uri)
                        + snippet_path_problems(source, page.file.src_uri, Path(config.config_file_path).parent)):
            log.error(problem)
    if GLOSSARY_MARKER not in markdown:
        return markdown
    rows = "\n".join(f"| {glossary_cell(abbr)} | {glossary_cell(expansion)} |"
                      for abbr, expansion in load_abbreviations().items())
    return markdown.replace(GLOSSARY_MARKER, f"| 缩写 | 含义 |\n| --- | --- |\n{rows}\n")


# ---------------------------------------------------------------- loud failures

def duplicate_key_problems(path: Path) -> list[str]:
    """A key given twice in one mapping of a YAML file: YAML keeps the last
    one without a word (a second `theme:` drops custom_dir)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # MkDocs reports syntax errors itself, with line and column
    problems, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in first:
                        problems.append(f"{display_name(path)}:{line}: key `{key.value}` is given twice (first at "
                                        f"line {first[key.value]}); YAML would silently keep only this one")
                    first.setdefault(key.value, line)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: int(p.split(":")[1]))


def included_files(config) -> list[Path]:
    """Files pymdownx.snippets adds to pages: includes/ and auto_append."""
    base = Path(config.config_file_path).parent
    snippets = config.mdx_configs.get("pymdownx.snippets", {})
    found = set((base / "includes").rglob("*")) if (base / "includes").is_dir() else set()
    found |= {base / name for name in snippets.get("auto_append", [])}
    return sorted(p for p in found if p.is_file())


def encoding_problems(path: Path, base: Path) -> list[str]:
    """A file pages include that is not UTF-8, named with its line (MkDocs
    would blame the first page that includes it)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return [f"{display_name(path)}:1:1: starts with a byte-order mark (U+FEFF), which pages would show "
                "and which hides the first line's definition; save the file as UTF-8 without BOM"]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return [f"{display_name(path)}:{line}:{column}: not UTF-8 (byte 0x{data[error.start]:02x}); "
                "save the file as UTF-8"]
    return []


def front_matter_problem(markdown: str, name: str) -> str | None:
    """Front matter MkDocs could not read: it then shows it as page text and
    drops the page's description, without a warning."""
    match = YAML_RE.match(markdown)
    if not match:
        return None  # none, or read and removed by MkDocs
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if mark is not None and mark.line >= match.group(1).count("\n"):
            mark = getattr(error, "context_mark", None) or mark  # ran off the end: where it began
        where = f"docs/{name}:{mark.line + 2}" if mark else f"docs/{name}"
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return f"{where}: front matter does not parse ({problem}); the page would show it as text"
    if not isinstance(data, dict):
        return f"docs/{name}:2: front matter is not a list of `key: value` lines"
    return None


def description_problem(page) -> str | None:
    """A `description:` that is not one line of text. Material writes it into
    <meta name="description" content="…"> unescaped, so an ASCII double quote
    or angle bracket would cut the tag short or add markup to every page's head."""
    if "description" not in page.meta:
        return None
    value, name = page.meta["description"], f"docs/{page.file.src_uri}"
    if not isinstance(value, str) or not value.strip():
        return (f"{name}: `description:` must be one line of text, not {value!r}; search results and link "
                "previews show it")
    bad = re.search(r'["<>]', value)
    if bad:
        return (f"{name}: `description:` contains {bad.group(0)!r}, which would break the page's "
                "<meta name=\"description\"> tag; use full-width quotes “” or 「」 and words instead of < >")
    return None


def local_abbreviation_problems(source: str, name: str, path: Path = ABBREVIATIONS) -> list[str]:
    """A page that defines an abbreviation the site defines too: the site's
    definition is appended to every page last and silently wins."""
    site = load_abbreviations(path)
    return [f"docs/{name}:{number}: *[{match['abbr']}] is also defined in {display_name(path)}, which every page "
            "appends last, so this page's definition would never show; change it there, or use another word"
            for number, line in enumerate(source.splitlines(), 1)
            if (match := _ABBR_LINE.match(line.strip())) and match["abbr"] in site]


_SNIPPET = re.compile(r'^\s*-{1,}8<-{1,}\s+"([^"]+?)(?::[\w-]+)?"\s*$')


def snippet_path_problems(source: str, name: str, base: Path) -> list[str]:
    """An included file that is, or passes through, a symbolic link leading
    outside the repository: pymdownx.snippets follows links, so a link could
    publish a file of the build machine."""
    problems, root = [], base.resolve()
    for number, line in enumerate(source.splitlines(), 1):
        match = _SNIPPET.match(line)
        if match and (base / match.group(1)).exists():
            target = (base / match.group(1)).resolve()
            if root not in target.parents:
                problems.append(f"docs/{name}:{number}: the include {match.group(1)!r} leads outside the "
                                f"repository (to {target}) through a symbolic link; include files of the "
                                "repository only")
    return problems


_HEADING = re.compile(r'<h([2-6])\b[^>]*?\bid="([^"]*)"[^>]*>(.*?)</h\1>', re.S)
_KEBAB_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


_MD_HEADING = re.compile(r"^\s*(#{2,6})(?!#)\s*(\S.*?)\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s*(-{2,}|={2,})\s*$")
_MD_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_EXPLICIT_ID = re.compile(r"\{\s*#([^\s}]+)[^}]*\}$")


def heading_id_problems(markdown: str, source: str, name: str) -> list[str]:
    """Each h2-h6 in the Markdown has an explicit ASCII kebab-case id: shared
    links point at ids, and one made up by MkDocs (_1) moves when a heading is added."""
    problems, fence, previous = [], None, ""
    lines = source.splitlines()
    for line in markdown.splitlines():
        opened = _MD_FENCE.match(line)
        if opened and (fence is None or opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence)):
            fence = opened.group(1) if fence is None else None
            previous = ""
            continue
        where = f"docs/{name}:{lines.index(line) + 1}" if line in lines else f"docs/{name}"
        above, previous = previous.strip(), line
        if fence is None and _SETEXT_UNDERLINE.match(line) and above and not above.startswith(("|", "-", "*", "+", ">", "<", "#")):
            problems.append(f"{where}: a setext heading (a line underlined with {line.strip()[:3]}…) gets no "
                            f"explicit id; write it as `## {above} {{#english-id}}`")
            continue
        match = _MD_HEADING.match(line) if fence is None else None
        if not match:
            continue
        explicit = _EXPLICIT_ID.search(match.group(2))
        if not explicit:
            problems.append(f"{where}: heading has no explicit id, write it as `{match.group(1)} {match.group(2)} {{#english-id}}`")
        elif not _KEBAB_ID.match(explicit.group(1)):
            problems.append(f"{where}: heading id #{explicit.group(1)} is not ASCII kebab-case")
    return problems


def duplicate_id_problems(content: str, name: str) -> list[str]:
    """No two h2-h6 share an id: a link can only ever reach the first."""
    problems, seen = [], set()
    for _, hid, inner in _HEADING.findall(content):
        title = html.unescape(re.sub(r"<[^>]+>", "", inner)).rstrip("¶").strip()
        if hid in seen:
            problems.append(f"docs/{name}: heading 「{title}」 uses id #{hid} again; links can reach only the first")
        seen.add(hid)
    return problems


_ANY_HEADING = re.compile(r"<h([2-6])\b([^>]*)>(.*?)</h\1>", re.S)
_ID_ATTRIBUTE = re.compile(r'\bid="([^"]*)"')


def made_up_id_problems(content: str, name: str) -> list[str]:
    """An h2-h6 in the page's HTML with no id, or with one MkDocs made up
    (_1, _2: Chinese titles): it came from an include, raw HTML or a form the
    Markdown check above cannot see, and its address would move."""
    problems = []
    for _, attributes, inner in _ANY_HEADING.findall(content):
        title = html.unescape(re.sub(r"<[^>]+>", "", inner)).rstrip("¶").strip()
        found = _ID_ATTRIBUTE.search(attributes)
        if not found or re.fullmatch(r"_\d+", found.group(1)):
            problems.append(f"docs/{name}: heading 「{title}」 has {'an id made up by MkDocs (#' + found.group(1) + ')' if found else 'no id'}; "
                            "if it comes from an include or raw HTML, give it an explicit id there ({#english-id} "
                            "or id=\"english-id\")")
    return problems


# Code blocks (the labs' program listings and outputs) stay out of the search
# index: readers search for words the prose explains, and listings would make
# the index, which every first search downloads, twice as large.
_CODE_BLOCK = re.compile(r'<div class="(language-\w+ )?highlight">|<pre>(?=<code)')



_ABBR_TAG = re.compile(r"<abbr\b[^>]*>(.*?)</abbr>", re.S)


def plain_abbreviation_table(content: str) -> str:
    """The glossary's abbreviation table shows each expansion beside its
    abbreviation, so its cells carry no tooltips: Material mounts a tooltip
    for every <abbr>, and this one table holds a third of the glossary's, which
    made the first tap on that page wait for them."""
    start = content.find('id="abbreviations"')
    if start < 0:
        return content
    table_start = content.find("<table", start)
    table_end = content.find("</table>", table_start)
    if table_start < 0 or table_end < 0:
        return content
    return content[:table_start] + _ABBR_TAG.sub(r"\1", content[table_start:table_end]) + content[table_end:]


def on_page_content(content: str, page, config, files) -> str:
    content = plain_abbreviation_table(content)
    if getattr(page.file, "generated_by", None) is None:  # pages written here, not made by a plugin
        for problem in duplicate_id_problems(content, page.file.src_uri) + made_up_id_problems(content, page.file.src_uri):
            log.error(problem)
    return _CODE_BLOCK.sub(lambda m: m.group(0)[:-1] + " data-search-exclude>", content)


# ---------------------------------------------------------------- what is published

_INLINE = re.compile(r"(<(script|style)\b[^>]*>)(.*?)(</\2>)", re.S)


def compact(text: str, name: str = "") -> str:
    """The site's own inline CSS or script (overrides/main.html), minified by
    rcssmin and rjsmin: written to be read, shipped small. `name` ending in .css
    is a stylesheet; anything else is HTML whose <script> and <style> bodies
    are minified."""
    if name.endswith(".css"):
        return rcssmin.cssmin(text)
    minify = {"script": rjsmin.jsmin, "style": rcssmin.cssmin}
    text = _INLINE.sub(lambda m: m.group(1) + minify[m.group(2)](m.group(3)) + m.group(4), text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def on_env(env, config, files):
    env.filters["compact"] = compact
    return env


def on_files(files, config):
    """Leave out what no reader loads: template partials (extra.css is
    inlined by overrides/main.html), source maps, and the search language
    files of languages the site does not use."""
    search = config.plugins.get("material/search") or config.plugins.get("search")
    langs = set(search.config.lang) if search is not None else {"en"}
    keep = {"lunr.stemmer.support.min.js", "lunr.multi.min.js"} | {f"lunr.{lang}.min.js" for lang in langs}
    if langs & {"ja", "jp"}:
        keep.add("tinyseg.js")
    if "th" in langs:
        keep.add("wordcut.js")
    _sources.clear()
    _sources.update({file.dest_uri: file.src_uri for file in files if file.is_documentation_page()})
    for file in list(files):
        path = file.src_uri
        unused = (path.startswith("partials/") and not file.is_documentation_page()
                  or fnmatch(path, "assets/**.map")
                  or path.startswith("assets/javascripts/lunr/") and path.rsplit("/", 1)[-1] not in keep)
        if unused and not file.is_documentation_page():
            files.remove(file)
    return files


def compact_search_index(site_dir: Path) -> None:
    """Material's search plugin writes its index with every Chinese character
    and every U+200B (jieba's word break) as a six-byte \\uXXXX escape. The
    same JSON as UTF-8, without spaces, is about 40 % smaller raw and 14 %
    smaller gzipped: what a reader downloads at the first search."""
    index = site_dir / "search" / "search_index.json"
    if index.is_file():
        data = json.loads(index.read_text(encoding="utf-8"))
        index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def on_post_build(config) -> None:
    """The search index, compacted (MkDocs runs hooks after plugins, so the
    search plugin has written it). A link that does not resolve, or a
    published address that no longer does, fails the build, not only the tests."""
    compact_search_index(Path(config.site_dir))
    listed = Path(config.config_file_path).parent / "published-urls.txt"
    offline = config.plugins.get("material/offline") or config.plugins.get("offline")
    if offline is not None and offline.config.enabled:
        return  # the offline copy's addresses are files (page.html), not the published ones
    for problem in built_link_problems(Path(config.site_dir), config.site_url, Path(config.docs_dir)):
        log.error(problem)
    if listed.is_file():
        for problem in vanished_address_problems(Path(config.site_dir), listed, display_name(listed)):
            log.error(problem)


# ---------------------------------------------------------------- links

_sources: dict[str, str] = {}  # built file (hypervisor/index.html) -> its Markdown (hypervisor.md)


def built_link_problems(site_dir: Path, site_url: str, docs: Path) -> list[str]:
    """Every link, asset and #anchor of the built pages resolves, raw HTML
    <a href> in a page's Markdown included (MkDocs checks only Markdown
    links), each named by the Markdown file and the line that holds it. The
    editions (PDF, zip) are written after the build, by `make site`. A
    Markdown link is MkDocs's to check (validation: in mkdocs.yml), not
    reported twice."""
    problems = []
    for built, ref, problem in link_problems(site_dir, site_url, written_later=(PDF_NAME, OFFLINE_NAME)):
        source = _sources.get(built)
        if source is None:  # a theme template (404.html)
            problems.append(f"{built} (a theme template): {problem}")
            continue
        try:
            text = (docs / source).read_text(encoding="utf-8")
        except OSError:
            text = ""
        quoted = re.compile(r"""(?:href|src)\s*=\s*["']?""" + re.escape(ref) + r"""(?:["'\s>]|$)""")
        number = next((n for n, line in enumerate(text.splitlines(), 1) if quoted.search(line)), None)
        fragment = ref.partition("#")[2]
        if number is None and (re.search(r"\.md(?:#|$)", ref) or fragment and re.search(
                r"\]\(\s*<?[^)\s]*#" + re.escape(fragment) + r"\b|^\s*\[[^\]]+\]:\s*\S*#" + re.escape(fragment) + r"\b",
                text, re.M)):
            continue  # a Markdown link: MkDocs has reported it
        where = f"docs/{source}" + (f":{number}" if number else f" (built as {built})")
        problems.append(f"{where}: {problem}")
    return problems


# ---------------------------------------------------------------- one build per folder; writes that fail

_lock: SiteLock | None = None


def _lock_site(config) -> None:
    """Wait for another build writing the same folder (two `mkdocs build`
    into one folder: the second's cleaning pulled files from under the first)."""
    global _lock
    if _lock is not None and _lock.site_dir != Path(config.site_dir).absolute():
        _unlock()
    if _lock is None:
        _lock = SiteLock(Path(config.site_dir))
    try:
        _lock.acquire(say=log.info)
    except SiteBusy as busy:
        raise PluginError(str(busy)) from None


def _unlock() -> None:
    global _lock
    if _lock is not None:
        _lock.release()
        _lock = None


def on_build_error(error) -> None:
    """Let the next build in; a write that failed names the file (a full disk
    was a bare `OSError: [Errno 28]`, or blamed the page being written)."""
    site_dir = _lock.site_dir if _lock is not None else None
    _unlock()
    if isinstance(error, OSError) and site_dir is not None:
        path = write_failure(error, site_dir)
        if path is not None:
            raise PluginError(write_message(error, path)) from error


def on_shutdown() -> None:
    """The end of `mkdocs build` (after every hook's on_post_build: the print
    page is written after this hook's): let the next build in."""
    _unlock()


# ---------------------------------------------------------------- navigation

# With navigation.indexes, a nav section that has an index page (虚拟化分类,
# 深入) gets a toggle <label> holding only an icon, and the section's <nav>
# landmark is named by that empty label. Two such sections make two nav
# landmarks with the same empty name (axe: landmark-unique, on phones). The
# toggle is named after its section, which also names the landmark.
_SECTION_TOGGLE = re.compile(
    r'<div class="md-nav__link md-nav__container">\s*<a [^>]*>\s*<span class="md-ellipsis">\s*'
    r'(?P<title>[^<]*?)\s*</span>\s*</a>\s*<label [^>]*\bid="(?P<id>[^"]+)"')


def on_post_page(output: str, page, config) -> str:
    """Name each such section's <nav> after its title (aria-label on the nav,
    not on the <label>, where ARIA does not allow one)."""
    for match in _SECTION_TOGGLE.finditer(output):
        title = html.escape(match.group("title").strip())
        output = output.replace(f'aria-labelledby="{match.group("id")}"', f'aria-label="{title}"')
    return output


def on_post_template(output: str, template_name: str, config) -> str:
    """The 404 page is a theme template, not a page: name its toggles too."""
    return on_post_page(output, None, config) if template_name.endswith(".html") else output
