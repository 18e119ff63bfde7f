"""The PDF edition carries the whole site, the way the print page shows it.

tools/editions.py prints the print page (hooks/editions.py) in Chromium; here
the PDF is built once per session and read back: every page's h1, every
sentence of the source article and every exercise's answer (folded on the
site's pages, open on the print page) are in its text; every h1 and h2 has a
bookmark; its fonts are embedded, one draws Chinese, and its text layer says
用 and 户 rather than the radicals that share their glyphs; every diagram is
there, drawn as vectors. The print page has its cover, 目录 and diagrams and
runs no script of print-site's; ordinary pages carry none of its CSS or JS and
do not link to it.
"""

import functools
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from checks import (
    SOURCE,
    display_name,
    html_soup,
    mermaid_fences,
    missing_sentences,
    normalize,
    script_tags,
)
from conftest import FIXTURES

from tools.addresses import built_pages

from tools.editions import (
    OFFLINE_NAME,
    PDF_NAME,
    PRINT_PAGE,
    _read_fixes,
    _write_fixes,
    edition_link_problems,
    fill_sizes,
    fix_text_layer,
    human_size,
    main,
    make_pdf,
    outline_depth,
)


def site_headings(site_dir: Path) -> list[tuple[str, int, str]]:
    """(page, level, title) of every h1 and h2 of the site's pages, in page order."""
    found = []
    for page in built_pages(site_dir):
        article = html_soup(page).select_one("article")
        name = page.relative_to(site_dir).as_posix()
        if article is None or name == "404.html":
            continue
        found += [(name, int(h.name[1]), h.get_text("").rstrip("¶").strip()) for h in article.find_all(["h1", "h2"])]
    return found


def diagram_captions(site_dir: Path) -> list[tuple[str, str]]:
    """(page, caption without its 图： label) of every diagram on the site's pages."""
    return [(page.relative_to(site_dir).as_posix(), re.sub(r"^图\s*\d*\s*[：:]", "", cap.get_text(" ", strip=True)))
            for page in built_pages(site_dir) for cap in html_soup(page).select("article figure.diagram figcaption")]


@functools.lru_cache(maxsize=8)
def _pdf(pdf: Path, stamp: int):
    from pypdf import PdfReader
    return PdfReader(pdf)


def pdf_reader(pdf: Path):
    """pypdf's reader of `pdf` (a test dependency), opened once while the file stays the same."""
    return _pdf(Path(pdf), Path(pdf).stat().st_mtime_ns)


def pdf_pages_text(pdf: Path) -> list[str]:
    """The text of each page of `pdf` in content order (poppler's pdftotext, which
    reads the 22-page edition in a fraction of a second; pypdf takes 15 s)."""
    import shutil
    import subprocess
    if shutil.which("pdftotext") is None:
        raise RuntimeError("pdftotext not found: sudo apt-get install poppler-utils")
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if "\f" in text else [text]


def pdf_text_problems(pdf: Path, headings, source: Path = SOURCE, fixes=None) -> list[str]:
    """The PDF's text has every page's h1 and every sentence of the article."""
    name, text = display_name(pdf), "".join(pdf_pages_text(pdf))
    found = normalize(text)
    problems = [f"{name}: no chapter 「{title}」 (the h1 of {page})"
                for page, level, title in headings if level == 1 and normalize(title) not in found]
    return problems + [f"{name}: sentence {display_name(source)}:{number} is missing: 「{sentence}」"
                       for number, sentence in missing_sentences(text, source, fixes)]


def pdf_outline(pdf: Path) -> list[tuple[int, str]]:
    """(depth, title) of every bookmark, depth 1 at the top."""

    def walk(items, depth):
        for item in items:
            yield from walk(item, depth + 1) if isinstance(item, list) else [(depth, item.title)]
    return list(walk(pdf_reader(pdf).outline, 1))


def pdf_outline_problems(pdf: Path, headings) -> list[str]:
    """A bookmark for every h1 and h2 of the site."""
    titles = {normalize(title) for _, title in pdf_outline(pdf)}
    return [f"{display_name(pdf)}: no bookmark for the <h{level}> 「{title}」 of {page}"
            for page, level, title in headings if normalize(title) not in titles]


def _cmap_targets(cmap: str) -> list[int]:
    """The first code point of every target of a ToUnicode CMap."""
    targets = []
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        targets += re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", block)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        targets += re.findall(r"<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", block)
    return [int(t[:4], 16) for t in targets if len(t) >= 4]


def pdf_fonts(pdf: Path) -> list[dict]:
    """Every font of the PDF: name, type, whether its glyphs are embedded, whether it draws CJK."""
    fonts = {}
    for page in pdf_reader(pdf).pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources else None
        for ref in (font_dict.get_object().values() if font_dict else []):
            font = ref.get_object()
            key = getattr(ref, "idnum", id(font))
            if key in fonts:
                continue
            descriptor = font.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = (font.get("/Subtype") == "/Type3" and "/CharProcs" in font) or any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            cmap = font.get("/ToUnicode")
            targets = _cmap_targets(cmap.get_object().get_data().decode("latin-1")) if cmap else []
            fonts[key] = {"name": str(font.get("/BaseFont", "(Type 3)")), "type": str(font.get("/Subtype")),
                          "embedded": embedded, "cjk": any(0x4E00 <= t <= 0x9FFF for t in targets),
                          "radicals": [t for t in targets if 0x2E80 <= t <= 0x2FDF]}
    return list(fonts.values())


def pdf_font_problems(pdf: Path) -> list[str]:
    """Every font is embedded, one of them draws Chinese, and no character's text
    is a radical (⽤ for 用): a reader's search and copy would miss it. pdftotext
    hides that (it folds radicals into characters); a viewer's search does not."""
    name, fonts = display_name(pdf), pdf_fonts(pdf)
    problems = [f"{name}: font {f['name']} is not embedded" for f in fonts if not f["embedded"]]
    radicals = sorted({r for f in fonts for r in f["radicals"]})
    if radicals:
        problems.append(f"{name}: the text of {len(radicals)} characters reads as radicals, such as "
                        f"{''.join(chr(r) for r in radicals[:5])} (see tools/editions.py fix_text_layer)")
    if not any(f["embedded"] and f["cjk"] for f in fonts):
        problems.append(f"{name}: no embedded font draws Chinese text ({len(fonts)} fonts)")
    return problems


def _images(resources, seen=None) -> int:
    """Raster images a page's resources draw, inside form XObjects too."""
    seen = set() if seen is None else seen
    xobjects = resources.get_object().get("/XObject") if resources else None
    count = 0
    for ref in (xobjects.get_object().values() if xobjects else []):
        if getattr(ref, "idnum", None) in seen:
            continue
        seen.add(getattr(ref, "idnum", None))
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            count += 1
        elif xobject.get("/Subtype") == "/Form":
            count += _images(xobject.get("/Resources"), seen)
    return count


def pdf_diagram_problems(pdf: Path, captions) -> list[str]:
    """Every diagram is in the PDF (its caption), and the page it is on draws no raster image."""
    name, pages = display_name(pdf), pdf_reader(pdf).pages
    texts = [normalize(t) for t in pdf_pages_text(pdf)]
    problems = []
    for page, caption in captions:
        where = [i for i, text in enumerate(texts) if normalize(caption) in text]
        if not where:
            problems.append(f"{name}: no diagram captioned 「{caption}」 (from {page})")
        for i in where:
            images = _images(pages[i].get("/Resources"))
            if images:
                problems.append(f"{name}: page {i + 1} has {images} raster image(s) where the diagram "
                                f"「{caption}」 should be vector graphics")
    return problems


def print_leak_problems(site_dir: Path) -> list[str]:
    """No ordinary page loads the print page's stylesheets or script or carries its CSS."""
    problems = []
    for page in built_pages(site_dir):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(site_dir).as_posix()
        problems += [f"{name}: carries the print page's {what}" for what, marker in
                     (("script", "print-site.js"), ("stylesheets", "print-site"), ("CSS", ".print-cover"))
                     if marker in text]
    return problems


def print_page_problems(page: Path, diagrams: int) -> list[str]:
    """The print page has its cover (build date, source commit) and 目录, every
    in-page link lands, every diagram is an inline SVG with a 图 N： label, every
    folded block (an exercise's answer) is open, and it runs no print-site script (that would start before the site's held-back
    scripts, overrides/partials/start-on-first-input.html)."""
    name = display_name(page)
    soup = html_soup(page)
    problems = []
    cover = soup.select_one(".print-cover")
    if cover is None or "构建日期" not in cover.get_text() or "源码提交" not in cover.get_text():
        problems.append(f"{name}: no cover with the build date and the source commit")
    if soup.select_one("nav.print-toc") is None:
        problems.append(f"{name}: no 目录")
    ids = {el["id"] for el in soup.select("[id]")}
    problems += [f"{name}: link {a['href']} lands nowhere" for a in soup.select('a[href^="#"]')
                 if a["href"] != "#" and unquote(a["href"][1:]) not in ids]
    svgs = len(soup.select(".mermaid-diagram > svg"))
    if svgs != diagrams:
        problems.append(f"{name}: {svgs} of {diagrams} diagrams are inline SVG")
    if soup.select("pre.mermaid"):
        problems.append(f"{name}: {len(soup.select('pre.mermaid'))} diagram(s) left as Mermaid source")
    problems += [f"{name}: figure caption 「{cap.get_text(strip=True)}」 has no 图 N： label"
                 for cap in soup.select("figure figcaption") if not re.match(r"图 \d+：", cap.get_text(strip=True))]
    folded = [d for d in soup.select("details") if not d.has_attr("open")]
    if folded:
        problems.append(f"{name}: {len(folded)} answer(s) folded shut in <details>, which the PDF prints as a bare "
                        f"「{folded[0].summary.get_text(strip=True) if folded[0].summary else ''}」")
    if any("print-site" in s["src"] for s in script_tags(soup)) or "DOMContentLoaded" in "".join(
            s.get_text() for s in soup.find_all("script") if "remove_material_navigation" in s.get_text()):
        problems.append(f"{name}: runs print-site's script, which needs DOMContentLoaded, before Material has started")
    return problems


def pdf_link_problems(pdf: Path, minimum: int) -> list[str]:
    """At least `minimum` clickable internal links (the 目录 has one per chapter and
    section), each landing on a named place."""
    reader = pdf_reader(pdf)
    name, places = display_name(pdf), set(reader.named_destinations)
    internal, problems = 0, []
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots") or []:
            link = annotation.get_object()
            action = link.get("/A")
            action = action.get_object() if action is not None else {}
            if link.get("/Subtype") != "/Link":
                continue
            destination = link.get("/Dest") or (action.get("/D") if action.get("/S") == "/GoTo" else None)
            if destination is not None:
                internal += 1
                if isinstance(destination, str) and destination not in places:
                    problems.append(f"{name}: page {number} links to {destination}, which is nowhere in the PDF")
    if internal < minimum:
        problems.append(f"{name}: {internal} clickable internal links, at least {minimum} expected")
    return problems

EDITIONS = FIXTURES / "editions"


@pytest.fixture(scope="session")
def pdf(site, browser, tmp_path_factory) -> Path:
    return make_pdf(site.dir, tmp_path_factory.mktemp("pdf") / PDF_NAME, browser=browser)


@pytest.fixture(scope="session")
def headings(site):
    return site_headings(site.dir)


def print_fixture(browser, name: str, out: Path) -> Path:
    """tests/fixtures/editions/NAME.html printed as make_pdf prints."""
    page = browser.new_page()
    page.goto((EDITIONS / f"{name}.html").as_uri())
    target = out / f"{name}.pdf"
    page.pdf(path=str(target), format="A4", outline=True, tagged=True)
    page.close()
    return target


def site_answers(site_dir: Path) -> list[tuple[str, int, list[str]]]:
    """(page, number on the page, text of each block) of every exercise's answer:
    each `??? note "答案"` block, a folded <details> on the built pages. A block
    (a paragraph, a listing) is compared on its own: Chromium may put a
    listing's text before or after the paragraph around it."""
    found = []
    for page in built_pages(site_dir):
        article = html_soup(page).select_one("article")
        blocks = article.select("details") if article else []
        for number, block in enumerate((b for b in blocks if b.summary and b.summary.get_text(strip=True) == "答案"), 1):
            block.summary.decompose()
            texts = [child.get_text("").strip() for child in block.find_all(recursive=False)]
            found.append((page.relative_to(site_dir).as_posix(), number, [t for t in texts if normalize(t)]))
    return found


_FOOTER = re.compile(r"^第\s*\d+\s*页$", re.M)  # hooks/print-page.css's page footer


def pdf_answer_problems(pdf: Path, answers) -> list[str]:
    """Every block of every answer is in the PDF's text (typography and page footers aside)."""
    name, text = display_name(pdf), normalize(_FOOTER.sub("", "\n".join(pdf_pages_text(pdf))))
    problems = []
    for page, number, blocks in answers:
        missing = [block for block in blocks if normalize(block) not in text]
        if missing or not blocks:
            shown = (missing or ["(empty)"])[0].splitlines()[0]
            problems.append(f"{name}: answer {number} of {page} is missing: 「{shown[:40]}{'…' if len(shown) > 40 else ''}」")
    return problems


def test_the_pdf_has_every_chapter_and_every_sentence(pdf, headings, figures):
    reader = pdf_reader(pdf)
    figures.append(f"PDF edition: {len(reader.pages)} pages, {pdf.stat().st_size:,} bytes "
                   f"({human_size(pdf.stat().st_size)}), outline depth {outline_depth(reader.outline)}, "
                   f"{len(pdf_outline(pdf))} bookmarks")
    assert sum(1 for _, level, _ in headings if level == 1) >= 9
    assert pdf_text_problems(pdf, headings) == []


def test_the_pdf_has_every_answer(pdf, site):
    answers = site_answers(site.dir)
    exercises = sum(md.read_text(encoding="utf-8").count('??? note "答案"') for md in (site.root / "docs").rglob("*.md"))
    assert len(answers) == exercises >= 30
    assert pdf_answer_problems(pdf, answers) == []
    # The site's own pages keep them folded: a reader tries first.
    assert [p.name for p in built_pages(site.dir) if "<details open" in p.read_text(encoding="utf-8")] == []


def test_a_pdf_with_a_folded_answer_is_reported_with_the_page_and_answer(browser, tmp_path):
    answers = site_answers(EDITIONS / "answers-site")
    assert [(page, number) for page, number, _ in answers] == [("exercises/index.html", 1), ("exercises/index.html", 2)]
    broken = print_fixture(browser, "closed-answer", tmp_path)
    assert pdf_answer_problems(broken, answers) == [
        f"{display_name(broken)}: answer 2 of exercises/index.html is missing: "
        "「客户机每改一次页表，VMM 都要拦截并同步影子页表。」"]


def test_every_h1_and_h2_has_a_bookmark(pdf, headings):
    assert pdf_outline_problems(pdf, headings) == []
    assert outline_depth(pdf_reader(pdf).outline) >= 2


def test_links_inside_the_pdf_are_clickable(pdf, headings):
    assert pdf_link_problems(pdf, minimum=len(headings)) == []


def test_a_pdf_missing_pages_is_reported_with_its_file(browser, tmp_path, headings):
    broken = print_fixture(browser, "one-chapter", tmp_path)
    name = display_name(broken)
    text = pdf_text_problems(broken, headings)
    assert f"{name}: no chapter 「Hypervisor 是什么？」 (the h1 of hypervisor/index.html)" in text
    assert any(p.startswith(f"{name}: sentence source/virtualization.md:") for p in text)
    bookmarks = pdf_outline_problems(broken, headings)
    assert f"{name}: no bookmark for the <h2> 「性能与不足」 of types/paravirtualization/index.html" in bookmarks
    assert not any("「什么是虚拟化」" in p or "「虚拟化的定义」" in p for p in text + bookmarks)
    assert pdf_link_problems(broken, minimum=len(headings)) == [
        f"{name}: 0 clickable internal links, at least {len(headings)} expected"]


def test_fonts_are_embedded_and_the_text_is_the_sites(pdf):
    assert pdf_font_problems(pdf) == []


def test_a_pdf_without_chinese_fonts_or_with_radicals_for_text_is_reported(browser, tmp_path):
    latin = print_fixture(browser, "latin-only", tmp_path)
    assert pdf_font_problems(latin) == [f"{display_name(latin)}: no embedded font draws Chinese text "
                                        f"({len(pdf_reader(latin).pages[0]['/Resources']['/Font'])} fonts)"]
    raw = print_fixture(browser, "chinese-text", tmp_path)  # as Chromium prints it
    problems = pdf_font_problems(raw)
    assert len(problems) == 1 and problems[0].startswith(f"{display_name(raw)}: the text of ")
    assert "⽤" in problems[0] or "⼀" in problems[0]
    chromium = raw.read_bytes()
    assert fix_text_layer(raw) >= 1 and pdf_font_problems(raw) == []  # what make_pdf does next
    update = raw.read_bytes()  # appended to Chromium's bytes, and naming the title for every reader
    assert update.startswith(chromium) and b"/Info" in update[len(chromium):]


def test_diagrams_are_vector_graphics(pdf, site):
    captions = diagram_captions(site.dir)
    assert len(captions) == sum(len(f) for f in mermaid_fences(site.root / "docs").values())
    assert pdf_diagram_problems(pdf, captions) == []


def test_a_raster_diagram_is_reported_with_its_file_and_page(browser, tmp_path, site):
    broken = print_fixture(browser, "raster-diagram", tmp_path)
    problems = pdf_diagram_problems(broken, diagram_captions(site.dir))
    assert (f"{display_name(broken)}: page 1 has 1 raster image(s) where the diagram "
            "「全虚拟化示意图——用户态代码直接执行；客户机内核在没有硬件辅助的 x86 上经二进制翻译（实线），有硬件辅助时直接执行、被拦截的操作才陷入（虚线）」 should be vector graphics") in problems


def test_the_print_page_has_cover_toc_and_every_diagram(site):
    fences = sum(len(f) for f in mermaid_fences(site.root / "docs").values())
    assert print_page_problems(site.dir / PRINT_PAGE, fences) == []


def test_a_broken_print_page_is_reported_with_its_file():
    page = EDITIONS / "print-page" / "index.html"
    name = display_name(page)
    assert print_page_problems(page, 1) == [
        f"{name}: no cover with the build date and the source commit",
        f"{name}: no 目录",
        f"{name}: link #hypervisor-missing lands nowhere",
        f"{name}: 0 of 1 diagrams are inline SVG",
        f"{name}: 1 diagram(s) left as Mermaid source",
        f"{name}: figure caption 「图：全虚拟化与 Hypervisor 示意图」 has no 图 N： label",
        f"{name}: 1 answer(s) folded shut in <details>, which the PDF prints as a bare 「答案」",
        f"{name}: runs print-site's script, which needs DOMContentLoaded, before Material has started",
    ]


def test_the_print_page_stays_off_ordinary_pages_search_and_sitemap(site):
    assert print_leak_problems(site.dir) == []
    assert [p.name for p in built_pages(site.dir) if "print-page" in p.read_text(encoding="utf-8")] == []
    for listing in ("sitemap.xml", "search/search_index.json"):
        assert "print-page" not in (site.dir / listing).read_text(encoding="utf-8"), listing
    assert not (site.dir / "js" / "print-site.js").exists()


def test_print_css_or_script_on_an_ordinary_page_is_reported():
    assert print_leak_problems(EDITIONS / "leaky-site") == [
        "hypervisor/index.html: carries the print page's script",
        "hypervisor/index.html: carries the print page's stylesheets",
    ]


def test_the_home_page_gets_the_sizes_of_both_files(tmp_path):
    from hooks.editions import editions_html

    class Page:
        url = ""

    class Config:
        site_url = "https://example.github.io/virtualization-docs/"
        plugins: dict = {}

    (tmp_path / "index.html").write_text(editions_html(Config, Page), encoding="utf-8")
    assert fill_sizes(tmp_path, {"pdf": 1_397_099, "zip": 612_000}) == [tmp_path / "index.html"]
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="virtualization-docs.pdf"' in html and "（1.3 MB）" in html and "（597 KB）" in html


def test_a_site_linking_to_missing_editions_is_refused_naming_the_page(tmp_path, capsys):
    site = tmp_path / "site"
    shutil.copytree(EDITIONS / "unfinished-site", site)
    home = site / "index.html"
    assert main(["--check", str(site)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{home}: links to {PDF_NAME}, which is not in {site}",
        f"{home}: links to {OFFLINE_NAME}, which is not in {site}",
        f"{home}: the size of the pdf edition is not filled in",
        f"{home}: the size of the zip edition is not filled in"]
    (site / PDF_NAME).write_bytes(b"%PDF-1.7")
    (site / OFFLINE_NAME).write_bytes(b"PK")
    fill_sizes(site, {"pdf": 8, "zip": 2})
    assert edition_link_problems(site) == []


def test_the_editions_refuse_a_machine_without_chinese_fonts(monkeypatch, tmp_path):
    monkeypatch.setenv("FONTCONFIG_FILE", str(FIXTURES / "bad-inputs" / "fonts-without-cjk.conf"))
    with pytest.raises(SystemExit, match=r"No CJK font is installed for Chromium .*fonts-noto-cjk"):
        make_pdf(EDITIONS, tmp_path / PDF_NAME)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_font_cache_is_read_again_and_rewritten_whole(tmp_path, capsys):
    cached = tmp_path / "editions" / "NotoSansCJK-Regular.ttc-2-1-1.json"
    assert _read_fixes(cached) is None and capsys.readouterr().err == ""  # not there yet: no message
    _write_fixes(cached, {0x2F64: 0x7528})
    assert _read_fixes(cached) == {0x2F64: 0x7528} and [p.name for p in cached.parent.iterdir()] == [cached.name]
    for torn in ('{"12132": 299', "", "[1, 2]"):
        cached.write_text(torn, encoding="utf-8")
        assert _read_fixes(cached) is None
        assert capsys.readouterr().err.startswith(f"{cached}: damaged cache (")
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    _write_fixes(blocked / "fixes.json", {1: 2})  # a cache that cannot be written is skipped, named
    assert capsys.readouterr().err.startswith(f"{blocked / 'fixes.json'}: not cached (")
