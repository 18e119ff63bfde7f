"""The take-away editions of the site, built from the same sources on every build.

- The PDF: the built print page (print-page/, see hooks/editions.py) printed
  by Chromium with Playwright's page.pdf(): A4, 第 N 页 in the footer (the
  print page's CSS), bookmarks for every chapter and section (outline=True),
  a tagged PDF whose text can be extracted and searched, clickable links, and
  the diagrams as the vector SVGs they are on the site. The page is loaded at
  its public address, answered from the built files, so its links point at the
  published site; every other request is refused.
  Chromium's text layer names some Chinese characters by the radical that
  shares their glyph in Noto Sans CJK (⽤ for 用, ⼾ for 户), so a reader's
  search or copy would miss them: fix_text_layer() puts the characters back.
- The offline copy: a separate build with Material's `offline` plugin
  (OFFLINE_EDITION=true: .html URLs, the search index inlined as a script,
  iframe-worker from the site itself), zipped. Never the deployed build.

Both go into the built site, and the editions list on the home page gets
their sizes. `make site` runs this after `mkdocs build`:

    python -m tools.editions [site]

Loud, not silent: with no CJK font for Chromium it fails naming the missing
font instead of printing a PDF of boxes; each file is written under a
temporary name and renamed, so a killed run leaves no half file; and a site
whose edition links point at a missing file, or whose sizes are not filled
in, is refused naming the page (`python -m tools.editions --check site` checks
only that, e.g. before a deploy).
"""

from __future__ import annotations

import argparse
import mimetypes
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent

PDF_NAME = "virtualization-docs.pdf"
OFFLINE_NAME = "virtualization-docs-offline.zip"
OFFLINE_FOLDER = "virtualization-docs"      # the folder the zip unpacks to
PRINT_PAGE = "print-page/index.html"        # print_page_basename in mkdocs.yml
SIZE_PLACEHOLDER = '<span class="edition-size" data-edition="{}"></span>'


def offline_enabled(config) -> bool:
    """Whether this build is the offline copy (Material's offline plugin enabled)."""
    plugin = config.plugins.get("material/offline") or config.plugins.get("offline")
    return bool(plugin and plugin.config.enabled)


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


# ---------------------------------------------------------------- PDF

def public_url(page: Path) -> str:
    """The address a built page is published at (its canonical link)."""
    found = re.search(r'<link rel="canonical" href="([^"]+)"', page.read_text(encoding="utf-8"))
    if not found:
        raise SystemExit(f"{page}: no canonical link, cannot tell where it is published")
    return found.group(1)


def make_pdf(site_dir: Path, out: Path, browser=None) -> Path:
    """Print `site_dir`'s print page to `out` in Chromium; `browser` is a Playwright
    Chromium to reuse, or None to launch the system one."""
    page_file = site_dir / PRINT_PAGE
    if not page_file.is_file():
        raise SystemExit(f"{page_file}: no print page; is print-site in mkdocs.yml?")
    from tools.diagram_cache import has_cjk_font
    if has_cjk_font() is False:
        raise SystemExit("No CJK font is installed for Chromium (fontconfig's `fc-list :lang=zh` lists none): "
                         f"{out.name} would print every Chinese character as a box. Install one "
                         "(Debian/Ubuntu: apt-get install fonts-noto-cjk), then run again.")
    url = public_url(page_file)
    site_url = url[: -len(PRINT_PAGE.removesuffix("index.html"))]

    def answer(route) -> None:
        request_url = route.request.url.split("#")[0].split("?")[0]
        if not request_url.startswith(site_url):
            route.abort()  # nothing leaves the machine
            return
        path = site_dir / unquote(urlparse(request_url).path[len(urlparse(site_url).path):])
        if path.is_dir():
            path = path / "index.html"
        if path.is_file():
            route.fulfill(path=str(path), content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        else:
            route.fulfill(status=404, body="")

    def print_with(chromium) -> None:
        context = chromium.new_context(color_scheme="light", viewport={"width": 1000, "height": 1400})
        page = context.new_page()
        page.route("**/*", answer)
        page.goto(url, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")  # renamed once whole
        page.pdf(path=str(partial), format="A4", print_background=True, prefer_css_page_size=True,
                 outline=True, tagged=True)
        context.close()
        fix_text_layer(partial)
        partial.replace(out)

    if browser is not None:
        print_with(browser)
        return out
    from playwright.sync_api import sync_playwright

    from tools.browser import INSTALL_HINT, LAUNCH_ARGS, chromium_problem, find_chromium
    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
        if executable is None:
            raise SystemExit(chromium_problem() or INSTALL_HINT)
        chromium = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            print_with(chromium)
        finally:
            chromium.close()
    return out


RADICALS = range(0x2E80, 0x2FE0)  # CJK Radicals Supplement and Kangxi Radicals
IDEOGRAPHS = (range(0x4E00, 0xA000), range(0x3400, 0x4DC0))
RADICAL_CACHE = ROOT / ".cache" / "editions"


def radical_fixes() -> dict[int, int]:
    """{radical: ideograph} for each radical that shares its glyph with an ideograph
    in the Chinese fonts Chromium prints with (fontconfig's choice for zh-cn).

    Chromium (Skia) writes each glyph's text as the lowest code point the font
    maps to it, and Noto Sans CJK draws 用 and ⽤ (KANGXI RADICAL USE) alike."""

    from fontTools.ttLib import TTFont

    fixes: dict[int, int] = {}
    for weight in ("regular", "bold"):
        try:
            found = subprocess.run(["fc-match", "--format=%{file}|%{index}", f"sans-serif:lang=zh-cn:weight={weight}"],
                                   capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        path, _, index = found.partition("|")
        if not path.endswith((".ttc", ".otf", ".ttf")) or not Path(path).is_file():
            continue
        # Reading a CJK font's character map takes seconds: keep the result.
        stamp = Path(path).stat()
        cached = RADICAL_CACHE / f"{Path(path).name}-{index}-{stamp.st_size}-{int(stamp.st_mtime)}.json"
        known = _read_fixes(cached)
        if known is not None:
            fixes.update(known)
            continue
        cmap = TTFont(path, fontNumber=int(index or 0), lazy=True).getBestCmap()
        ideograph: dict[str, int] = {}
        for point, glyph in sorted(cmap.items()):
            if any(point in block for block in IDEOGRAPHS):
                ideograph.setdefault(glyph, point)
        found_here = {point: ideograph[glyph] for point, glyph in cmap.items()
                      if point in RADICALS and glyph in ideograph}
        _write_fixes(cached, found_here)
        fixes.update(found_here)
    return fixes


def _read_fixes(cached: Path) -> dict[int, int] | None:
    """A cached {radical: ideograph}, or None when there is none or it is damaged
    (a torn write, an edit): then the font is read again and the file re-created."""
    import json
    try:
        data = json.loads(cached.read_text(encoding="utf-8"))
        return {int(k): int(v) for k, v in data.items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError, TypeError) as error:
        print(f"{cached}: damaged cache ({type(error).__name__}: {error}); reading the font again",
              file=sys.stderr)
        return None


def _write_fixes(cached: Path, fixes: dict[int, int]) -> None:
    """Write atomically (a temporary file, then a rename); a cache that cannot be
    written is skipped, naming it: the next run reads the font again."""
    import json

    from tools.sitedir import write_atomically
    error = write_atomically(cached, json.dumps(fixes))
    if error is not None:
        print(f"{cached}: not cached ({error.strerror or error})", file=sys.stderr)


_BFCHAR = re.compile(r"(<[0-9A-Fa-f]+>\s*<)([0-9A-Fa-f]{4})(>)")
_BFRANGE = re.compile(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]{4})>")


def remap_cmap(cmap: str, fixes: dict[int, int]) -> str:
    """A ToUnicode CMap with every radical of `fixes` replaced by its ideograph."""
    def fix_char(match: re.Match) -> str:
        point = int(match.group(2), 16)
        return f"{match.group(1)}{fixes[point]:04X}{match.group(3)}" if point in fixes else match.group(0)

    def fix_chars(block: re.Match) -> str:
        return _BFCHAR.sub(fix_char, block.group(0))

    cmap = re.sub(r"beginbfchar.*?endbfchar", fix_chars, cmap, flags=re.S)
    extra = []  # a range that covers a radical becomes single characters

    def fix_range(match: re.Match) -> str:
        first, last, start = (int(g, 16) for g in match.groups())
        points = range(start, start + last - first + 1)
        if not any(p in fixes for p in points):
            return match.group(0)
        width = len(match.group(1))
        extra.extend(f"<{first + i:0{width}X}> <{fixes.get(p, p):04X}>" for i, p in enumerate(points))
        return ""

    def fix_ranges(block: re.Match) -> str:
        kept = _BFRANGE.sub(fix_range, block.group(1))
        count = len(_BFRANGE.findall(kept))
        return f"{count} beginbfrange{kept}endbfrange" if count else ""

    cmap = re.sub(r"\d+ beginbfrange(.*?)endbfrange", fix_ranges, cmap, flags=re.S)
    if extra:
        blocks = "".join(f"{len(extra[i:i + 100])} beginbfchar\n" + "\n".join(extra[i:i + 100]) + "\nendbfchar\n"
                         for i in range(0, len(extra), 100))
        cmap = cmap.replace("endcmap", blocks + "endcmap", 1)
    return cmap


def fix_text_layer(pdf: Path) -> int:
    """Rewrite the PDF's ToUnicode maps so that its text is the site's text
    (see radical_fixes); returns how many fonts were fixed.

    The new maps (and a new ModDate) are appended as an incremental update
    (pypdf's incremental writer): Chromium's bytes stay as they are."""
    from pypdf import PdfWriter

    fixes = radical_fixes()
    if not fixes:
        return 0
    writer = PdfWriter(pdf, incremental=True)
    done, changed = set(), 0
    for page in writer.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources else None
        for ref in (fonts.get_object().values() if fonts else []):
            to_unicode = ref.get_object().get("/ToUnicode")
            if to_unicode is None or to_unicode.idnum in done:
                continue
            done.add(to_unicode.idnum)
            cmap = to_unicode.get_object()
            text = cmap.get_data().decode("latin-1")
            remapped = remap_cmap(text, fixes)
            if remapped != text:
                cmap.set_data(remapped.encode("latin-1"))
                changed += 1
    if changed:
        # The update's trailer names the document information (title…) only
        # when it changed, and some readers (poppler) look no further back:
        # a new ModDate, true of the file now, keeps the title in view.
        writer.add_metadata({"/ModDate": time.strftime("D:%Y%m%d%H%M%SZ", time.gmtime())})
        writer.write(pdf)
    return changed


# ---------------------------------------------------------------- offline copy

def make_offline(project: Path, out: Path) -> Path:
    """Build `project` as the offline copy in a folder of its own and zip it to `out`."""
    from tools.sitebuild import build

    with tempfile.TemporaryDirectory(prefix="offline-") as tmp:
        site = Path(tmp) / OFFLINE_FOLDER
        result = build(project, site, os.environ.get("SITE_URL"), env={"OFFLINE_EDITION": "true"})
        if result.returncode != 0:
            raise SystemExit(f"the offline build of {project} failed:\n{result.stderr[-4000:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            # Not 404.html: from file:// no server ever shows it, and its links
            # start at the site's root, which on disk is the root of the file system.
            for path in sorted(p for p in site.rglob("*") if p.is_file() and p != site / "404.html"):
                archive.write(path, path.relative_to(site.parent).as_posix())
        partial.replace(out)
    return out


# ---------------------------------------------------------------- sizes on the home page

def fill_sizes(site_dir: Path, sizes: dict[str, int]) -> list[Path]:
    """Write each edition's size into the pages that link to it; returns the pages changed."""
    changed = []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        filled = text
        for kind, size in sizes.items():
            filled = filled.replace(SIZE_PLACEHOLDER.format(kind),
                                    SIZE_PLACEHOLDER.format(kind).replace("></", f">（{human_size(size)}）</"))
        if filled != text:
            page.write_text(filled, encoding="utf-8")
            changed.append(page)
    return changed


_EDITION_LINK = re.compile(r'<a href="(?P<href>[^"]*?(?P<name>' + re.escape(PDF_NAME) + "|" + re.escape(OFFLINE_NAME)
                           + r'))" download>')
_EMPTY_SIZE = re.compile(re.escape(SIZE_PLACEHOLDER).replace(r"\{\}", r"(\w+)"))


def edition_link_problems(site_dir: Path) -> list[str]:
    """Pages whose edition links point at a file the site lacks, or whose size
    was never filled in (an editions run that did not finish)."""
    problems = []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(site_dir).as_posix()
        for link in _EDITION_LINK.finditer(text):
            if "://" in link["href"]:
                continue  # the offline copy points at the published files
            if not (site_dir / link["name"]).is_file():
                problems.append(f"{site_dir / name}: links to {link['name']}, which is not in {site_dir}")
        problems += [f"{site_dir / name}: the size of the {kind} edition is not filled in"
                     for kind in _EMPTY_SIZE.findall(text)]
    return problems


def outline_depth(outline, level: int = 1) -> int:
    """How deep pypdf's nested outline list goes."""
    depth = 0
    for item in outline:
        depth = max(depth, outline_depth(item, level + 1) if isinstance(item, list) else level)
    return depth


def describe(pdf: Path, archive: Path) -> list[str]:
    lines = [f"{archive.name}: {archive.stat().st_size:,} bytes ({human_size(archive.stat().st_size)})"]
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a test dependency
        return [f"{pdf.name}: {pdf.stat().st_size:,} bytes ({human_size(pdf.stat().st_size)})", *lines]
    reader = PdfReader(pdf)
    return [f"{pdf.name}: {len(reader.pages)} pages, {pdf.stat().st_size:,} bytes ({human_size(pdf.stat().st_size)}), "
            f"outline depth {outline_depth(reader.outline)}", *lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the PDF and the offline zip into a built site.")
    parser.add_argument("site_dir", nargs="?", default="site", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="only check that every edition link points at a file of the site")
    args = parser.parse_args(argv)
    if not args.check:
        from tools.sitedir import write_failure, write_message
        try:
            pdf = make_pdf(args.site_dir, args.site_dir / PDF_NAME)
            archive = make_offline(ROOT, args.site_dir / OFFLINE_NAME)
            fill_sizes(args.site_dir, {"pdf": pdf.stat().st_size, "zip": archive.stat().st_size})
        except OSError as error:  # a full disk: name the file, not a bare [Errno 28]
            path = write_failure(error, args.site_dir)
            if path is None:
                raise
            raise SystemExit(write_message(error, path)) from error
        for line in describe(pdf, archive):
            print(line)
    problems = edition_link_problems(args.site_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
