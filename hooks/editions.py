"""The print page and the offline copy (registered under `hooks:` in mkdocs.yml).

The print page (print-page/) is mkdocs-print-site-plugin's: every page of the
nav on one page, written after the build, so it is in neither the search index
nor the sitemap, and it is not in the nav. It is the source of the PDF edition
(tools/editions.py prints it in Chromium). The diagrams on it are the same
inline SVGs as on their pages because hooks/diagrams.py draws them at a higher
event priority than the plugin collects page HTML. This hook:

- keeps the plugin's script off every ordinary page (the plugin adds it to
  extra_javascript; with `include_css: false` its stylesheets stay off too),
  so the pages' byte budgets hold;
- finishes the print page at build time, so it needs no script at all (the
  plugin's own DOMContentLoaded call would run before the site's held-back
  scripts, overrides/partials/start-on-first-input.html, and fail): a cover with
  the build date and the source commit (hooks/print-cover.html), a 目录 of
  chapters and sections, the sections of 虚拟化分类 one level down, figures
  numbered 图 1：, 图 2：…, every folded block (the exercises' `??? note "答案"`)
  opened, since paper cannot be clicked, and its own print CSS
  (hooks/print-page.css: A4, 第 N 页 in the page footer, a chapter per page);
  the site's own pages keep their answers folded;
- in the offline copy (Material's `offline` plugin, enabled only by
  OFFLINE_EDITION=true, see tools/editions.py), serves the iframe-worker shim
  from the site itself (npm `iframe-worker`, pinned in package.json) instead
  of a public CDN, so that nothing leaves the disk, and turns instant
  navigation off (from file:// it would stop Material from starting);
- fills the editions placeholder of a page (EDITIONS_MARKER) with links to the
  PDF and the offline zip; tools/editions.py writes their sizes in once built.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import re
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from tools.editions import OFFLINE_NAME, PDF_NAME, SIZE_PLACEHOLDER, offline_enabled

ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("mkdocs.hooks.editions")

PRINT_CSS = Path(__file__).with_name("print-page.css")
PLUGIN_SCRIPT = "js/print-site.js"
SHIM = ROOT / "node_modules" / "iframe-worker" / "shim" / "index.js"
SHIM_URI = "javascripts/vendor/iframe-worker/shim.js"  # Material looks for "iframe-worker" in the name
EDITIONS_MARKER = "<!-- editions: filled in by hooks/editions.py -->"


# ---------------------------------------------------------------- configuration

def source_commit(root: Path = ROOT) -> str:
    """The commit the site is built from: GITHUB_SHA in CI, else git; marked when the tree has changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    try:
        commit = os.environ.get("GITHUB_SHA") or git("rev-parse", "HEAD")
        dirty = not os.environ.get("GITHUB_SHA") and git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "未知（不在 git 仓库中构建）"
    return commit[:12] + ("（含未提交的改动）" if dirty else "")


def build_date() -> str:
    """Today in UTC, or SOURCE_DATE_EPOCH's day for a reproducible build."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return f"{now.year} 年 {now.month} 月 {now.day} 日"


def on_config(config):
    # After the plugins (hooks run after plugins for the same event): print-site
    # has added its script, the offline plugin its CDN shim.
    config.extra_javascript = [s for s in config.extra_javascript if str(s) != PLUGIN_SCRIPT]
    config.extra["edition"] = {"date": build_date(), "commit": source_commit(), "offline": offline_enabled(config),
                               "pdf": PDF_NAME, "zip": OFFLINE_NAME}
    if offline_enabled(config):
        if not SHIM.is_file():
            raise PluginError(f"The offline copy needs {SHIM.relative_to(ROOT)} (npm iframe-worker, pinned in "
                              "package.json). Run `npm ci` in the repository root, then build again.")
        polyfills = [p for p in config.extra.get("polyfills", []) if "iframe-worker" not in str(p)]
        config.extra["polyfills"] = [*polyfills, SHIM_URI]
        # Instant navigation cannot work from file://, and Material 9.8 then ends
        # its document$ before announcing the page: nothing would start, search
        # included. Plain links it is.
        config.theme["features"] = [f for f in config.theme.get("features", []) if not f.startswith("navigation.instant")]
    return config


def on_files(files: Files, config) -> Files:
    if offline_enabled(config):
        files.append(File.generated(config, SHIM_URI, abs_src_path=str(SHIM)))
    return files


# ---------------------------------------------------------------- the home page's links

def editions_html(config, page) -> str:
    """Links to the PDF and the offline zip; tools/editions.py writes their sizes in once built."""
    if offline_enabled(config):  # the copy on disk has no PDF beside it: point at the published one
        base = config.site_url or ""
    else:
        base = "../" * page.url.count("/")
    return (f'<ul class="editions">\n'
            f'<li><a href="{base}{PDF_NAME}" download>PDF 版：{PDF_NAME}</a>{SIZE_PLACEHOLDER.format("pdf")}'
            f'，适合打印和在电子阅读器上阅读</li>\n'
            f'<li><a href="{base}{OFFLINE_NAME}" download>离线版：{OFFLINE_NAME}</a>{SIZE_PLACEHOLDER.format("zip")}'
            f'，解压后用浏览器打开其中的 index.html，无需联网，搜索同样可用</li>\n</ul>')


def on_page_content(content: str, page, config, files) -> str:
    if EDITIONS_MARKER in content:
        content = content.replace(EDITIONS_MARKER, editions_html(config, page))
    return content


# ---------------------------------------------------------------- the print page

_INJECTED = re.compile(r"\s*<script type=\"text/javascript\">\s*document\.addEventListener\('DOMContentLoaded'.*?</script>\s*",
                       re.S)
_NAV_SECTION = re.compile(r"<section class='print-page md-section' id='(?P<id>[^']+)' heading-number='(?P<n>[^']+)'>\s*"
                          r"<h1>(?P<title>.*?)<a class='headerlink'[^>]*></a>\s*</h1>", re.S)
_PAGE_SECTION = re.compile(r'<section class="print-page" id="(?P<id>[^"]+)" heading-number="(?P<n>[^"]+)">'
                           r'(?P<body>.*?)</section>', re.S)
_HEADING = re.compile(r'<h(?P<level>[1-6])(?P<attrs>[^>]*)>(?P<text>.*?)</h(?P=level)>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment)).replace("¶", "").strip()


def nest_sections(content: str) -> str:
    """Pages inside a nav section go one heading level down, so that the PDF's
    outline nests them under the section. A section whose index page carries
    the section's own title (navigation.indexes) keeps that page's h1 as its
    heading instead of a second one."""
    titles = {m["n"]: _text(m["title"]) for m in _NAV_SECTION.finditer(content)}

    def shift(match: re.Match) -> str:
        number, body = match["n"], match["body"]
        parent = number.rsplit(".", 1)[0] if "." in number else None
        first = _HEADING.search(body)
        index_page = parent in titles and first and first["level"] == "1" and _text(first["text"]) == titles[parent]
        depth = number.count(".") - (1 if index_page else 0)
        if depth:
            body = _HEADING.sub(lambda h: f'<h{min(int(h["level"]) + depth, 6)}{h["attrs"]}>{h["text"]}'
                                          f'</h{min(int(h["level"]) + depth, 6)}>', body)
        return match.group(0).replace(match["body"], body, 1) if depth else match.group(0)

    content = _PAGE_SECTION.sub(shift, content)

    def drop_duplicate(match: re.Match) -> str:
        rest = content[match.end():]
        following = _HEADING.search(rest)
        if following and following["level"] == "1" and _text(following["text"]) == _text(match["title"]):
            return match.group(0)[: match.start("title") - match.start() - len("<h1>")].rstrip() + "\n"
        return match.group(0)

    return _NAV_SECTION.sub(drop_duplicate, content)


def number_figures(content: str) -> str:
    """图：caption becomes 图 1：caption, 图 2：… in reading order."""
    count = 0

    def label(match: re.Match) -> str:
        nonlocal count
        count += 1
        return f"{match.group(1)}图 {count}："
    return re.sub(r"(<figcaption>\s*)图：", label, content)


def table_of_contents(content: str) -> str:
    """目录: every chapter (h1) and section (h2), linked to its place on the page."""
    items, open_chapter = [], False
    for h in _HEADING.finditer(content):
        level, ident = int(h["level"]), re.search(r'id="([^"]+)"', h["attrs"])
        if level > 2 or not ident:
            continue
        link = f'<a href="#{ident.group(1)}">{html.escape(_text(h["text"]))}</a>'
        if level == 1:
            items.append(("</ul></li>" if open_chapter else "") + f"<li>{link}<ul>")
            open_chapter = True
        else:
            items.append(f"<li>{link}</li>")
    items.append("</ul></li>" if open_chapter else "")
    body = re.sub(r"<ul></ul>", "", "".join(items))
    return (f'<nav class="print-toc" aria-labelledby="print-toc-title">\n<h2 class="print-toc__title" '
            f'id="print-toc-title">目录</h2>\n<ul>{body}</ul>\n</nav>\n')


# What paper does not need: a diagram's phone layout (print shows the wide one)
# and its 查看大图 link (hooks/diagram_variants.py).
_PHONE_LAYOUT = re.compile(r'<svg\b[^>]*\bclass="diagram-phone\b.*?</svg>', re.S)
_ZOOM_LINK = re.compile(r'<p class="diagram-zoom">.*?</p>', re.S)


_FOLDED = re.compile(r"<details(?![^>]*\bopen\b)(?=[\s>])")


def open_folded_blocks(content: str) -> str:
    """Every <details> (a `???` block: the exercises' answers) open, so that
    the PDF prints what a reader of the site would click to see."""
    return _FOLDED.sub("<details open", content)


def finish_print_page(page_html: str) -> str:
    """The print page as the plugin wrote it, finished without any script."""
    page_html = _INJECTED.sub("\n", page_html, count=1)
    page_html = _ZOOM_LINK.sub("", _PHONE_LAYOUT.sub("", page_html))
    head, sep, body = page_html.partition("</head>")
    style = PRINT_CSS.read_text(encoding="utf-8")
    head += f'<meta name="robots" content="noindex">\n<style>\n{style}</style>\n'
    body = open_folded_blocks(number_figures(nest_sections(body)))
    cover_end = body.index("</section>", body.index('id="print-site-cover-page"')) + len("</section>")
    body = body[:cover_end] + "\n" + table_of_contents(body[cover_end:]) + body[cover_end:]
    return head + sep + body


def on_post_build(config) -> None:
    # After the print-site plugin has written the page (hooks run after plugins).
    plugin = config.plugins.get("print-site")
    if plugin is None:
        return
    path = Path(plugin.print_file.abs_dest_path)  # print-page/index.html, or print-page.html offline
    if not path.is_file():
        raise PluginError(f"print-site wrote no {path}")
    path.write_text(finish_print_page(path.read_text(encoding="utf-8")), encoding="utf-8")
    script = Path(config.site_dir) / PLUGIN_SCRIPT
    script.unlink(missing_ok=True)  # nothing loads it
    if not any(script.parent.iterdir()):
        script.parent.rmdir()
