"""What an author can get wrong either builds correctly or fails the build
(`make site`, hence the deploy) with a message naming the file: diagram
labels, themes and sizes, the diagram cache, the build's Chromium and fonts,
abbreviations, front matter, mkdocs.yml, includes, and published addresses."""

import re
import shutil
from pathlib import Path

import pytest

from checks import html_soup
from conftest import FIXTURES
from hooks.build import load_abbreviations
from tools.diagram_cache import DiagramCache, svg_problems
from tools.sitebuild import ROOT, build, project_copy

BAD = FIXTURES / "bad-inputs"
# A diagram over Mermaid's maxTextSize (50,000 characters): Mermaid draws an error box instead.
HUGE_DIAGRAM = ("---\ndescription: 测试页：一张超过 Mermaid 文本上限的图。\n---\n\n# 太大的图\n\n```mermaid\n"
                "flowchart LR\n    accTitle: 太大\n    accDescr: 五千个节点\n"
                + "".join(f"    n{i}[节点 {i}] --> n{i + 1}\n" for i in range(2500)) + "```\n")


def _build(project: Path, site_dir: Path, env: dict | None = None):
    return build(project, site_dir, "http://127.0.0.1:1/", env=env)


def _cache_key(project: Path, source: str) -> str:
    """The cache key the build will use for `source` on this machine."""
    import hooks.diagram_render as render
    renderer = render.Renderer()
    return renderer._cache().key(render.as_text(source))


def _first_fence(md: Path) -> str:
    return re.search(r"```mermaid\n(.*?)\n```", md.read_text(encoding="utf-8"), re.S).group(1).strip()


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """One strict build of the project with every content attack laid over it."""
    tmp = tmp_path_factory.mktemp("attacked")
    abbreviations = (ROOT / "includes" / "abbreviations.md").read_text(encoding="utf-8")
    project = project_copy(tmp / "project", {
        "docs/diagram-labels.md": BAD / "diagram-labels.md",
        "docs/diagram-outside.md": BAD / "diagram-outside.md",
        "docs/broken-front-matter.md": BAD / "broken-front-matter.md",
        "docs/headings-and-bare-diagram.md": BAD / "headings-and-bare-diagram.md",
        "docs/hostile-page.md": BAD / "hostile-page.md",
        "docs/description-not-text.md": BAD / "description-not-text.md",
        "docs/title-with-ampersand.md": BAD / "title-with-ampersand.md",
        "includes/section-without-id.md": BAD / "section-without-id.md",
        "docs/diagram-directives.md": BAD / "diagram-directives.md",
        "docs/deep-cpu-virtualization.md": BAD / "deep-cpu-virtualization.md",  # beside deep/cpu-virtualization.md
        "docs/huge-diagram.md": HUGE_DIAGRAM,
        "docs/raw-html-links.md": BAD / "raw-html-links.md",
        "includes/abbreviations.md": abbreviations + (BAD / "abbreviations-appended.md").read_text(encoding="utf-8"),
    })
    # An include that is a link to a file of the build machine.
    (project / "includes" / "machine-file.md").symlink_to("/etc/hostname")
    # Page renamed, nav and links updated, but no redirect.
    for path in [project / "mkdocs.yml", *(project / "docs").rglob("*.md")]:
        path.write_text(path.read_text(encoding="utf-8").replace("desktop-virtualization.md", "desktop.md"),
                        encoding="utf-8")
    (project / "docs" / "desktop-virtualization.md").rename(project / "docs" / "desktop.md")
    # A poisoned and a truncated cache entry.
    cache = project / ".cache" / "diagrams"
    cache.mkdir(parents=True, exist_ok=True)
    poisoned = cache / f"{_cache_key(project, _first_fence(project / 'docs' / 'hypervisor.md'))}.svg"
    shutil.copy2(BAD / "poisoned-diagram.svg", poisoned)
    truncated = cache / f"{_cache_key(project, _first_fence(project / 'docs' / 'what-is-virtualization.md'))}.svg"
    truncated.write_text(truncated.read_text(encoding="utf-8")[:3000] if truncated.is_file() else "<svg><style>",
                         encoding="utf-8")
    result = _build(project, tmp / "site")
    return project, tmp / "site", result, poisoned, truncated


def test_the_attacked_build_fails(attacked):
    _, _, result, _, _ = attacked
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_a_label_keeps_its_angle_brackets_and_entities(attacked):
    _, site, result, _, _ = attacked
    svg = html_soup(site / "diagram-labels/index.html").select(".mermaid-diagram svg")[0]
    text = svg.get_text(" ")
    assert "a<b 且 c>d" in text and "使用 <script> 标签" in text, text
    assert not svg.select("script, b")


def test_the_same_diagram_twice_on_a_page_gets_distinct_ids(attacked):
    _, site, _, _, _ = attacked
    ids = [el["id"] for el in html_soup(site / "diagram-labels/index.html").select("article [id]")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_an_image_or_outside_url_in_a_label_fails_the_build_naming_the_page(attacked):
    _, site, result, _, _ = attacked
    assert "docs/diagram-outside.md:13: Mermaid diagram 1 puts an <img> in a label" in result.stderr
    assert "docs/diagram-outside.md:25: Mermaid diagram 2 has an outside URL (https://evil.example/page)" in result.stderr
    assert "evil.example" not in (site / "diagram-outside" / "index.html").read_text(encoding="utf-8")


def test_a_diagram_with_a_theme_of_its_own_fails_the_build_naming_the_line(attacked):
    _, site, result, _, _ = attacked
    assert ("docs/diagram-directives.md:10: Mermaid diagram 1 %%{init}%% sets fontFamily, themeCSS, which would "
            "replace the site's diagram theme") in result.stderr
    assert ("docs/diagram-directives.md:23: Mermaid diagram 2 front matter `config:` sets theme, which would "
            "replace the site's diagram theme") in result.stderr
    assert "Comic Sans" not in (site / "diagram-directives" / "index.html").read_text(encoding="utf-8")


def test_a_layout_directive_keeps_the_site_theme():
    from hooks.diagram_render import source_problems
    sequence = (ROOT / "docs" / "hardware-virtualization.md").read_text(encoding="utf-8")
    assert '%%{init: {"sequence"' in sequence  # drawn in the site's theme (test_diagrams_draw.py checks its colours)
    assert source_problems('%%{init: {"sequence": {"width": 80}}}%%\nsequenceDiagram\n  A->>B: x') == []
    assert source_problems("%%{init: {'theme': 'forest'}}%%\nflowchart LR\n  a") == [
        (1, "%%{init}%% sets theme, which would replace the site's diagram theme (hooks/diagram-theme.css); "
            "only layout settings such as \"sequence\" or \"flowchart\" may be set")]
    assert source_problems('%%{init: {"flowchart": {"x": "https://evil.example/a"}}}%%\nflowchart LR\n  a') == [
        (1, "has an outside URL (https://evil.example/a)")]


def test_a_diagram_over_mermaids_size_limit_fails_the_build_naming_the_file(attacked):
    _, site, result, _, _ = attacked
    assert re.search(r"docs/huge-diagram\.md:8: Mermaid diagram 1 is [\d,]+ characters long, over Mermaid's "
                     r"maxTextSize \(50,000\)", result.stderr), result.stderr[-3000:]
    assert "Maximum text size" not in (site / "huge-diagram" / "index.html").read_text(encoding="utf-8")


def test_two_pages_with_the_same_flattened_name_keep_their_own_zoomed_diagrams(attacked):
    _, site, _, _, _ = attacked
    titles = {}
    for page in ("deep-cpu-virtualization", "deep/cpu-virtualization"):
        link = html_soup(site / page / "index.html").select_one("p.diagram-zoom a")["href"]
        zoomed = (site / page / link).resolve()
        assert zoomed.is_file(), (page, link)
        titles[page] = re.search(r"<title[^>]*>(.*?)</title>", zoomed.read_text(encoding="utf-8")).group(1)
    assert titles["deep-cpu-virtualization"] == "同名页面的图"
    assert titles["deep/cpu-virtualization"] != titles["deep-cpu-virtualization"]


def test_a_poisoned_cache_entry_is_rendered_again_and_named(attacked):
    project, site, result, poisoned, _ = attacked
    name = str(poisoned)
    assert f"{name}: cached diagram discarded and rendered again: it contains <script>" in result.stderr
    page = html_soup(site / "hypervisor/index.html")
    assert not page.select("article script") and "alert(document.domain)" not in str(page)
    assert page.select(".mermaid-diagram svg") and svg_problems(poisoned.read_text(encoding="utf-8")) == []


def test_a_truncated_cache_entry_is_rendered_again_and_the_page_stays_whole(attacked):
    _, site, result, _, truncated = attacked
    assert f"{truncated}: cached diagram discarded and rendered again: it ends inside <style>" in result.stderr
    page = html_soup(site / "what-is-virtualization/index.html")
    assert page.select("footer") and page.select("figcaption") and page.select("template#__held-scripts")


def test_an_abbreviation_no_page_could_match_is_named(attacked):
    _, _, result, _, _ = attacked
    assert re.search(r"includes/abbreviations\.md:\d+: \*\[C\+\+\] starts or ends with a sign, so no page would ever "
                     r"show its tooltip", result.stderr), result.stderr[-3000:]


def test_a_duplicate_abbreviation_fails_the_build_naming_the_line(attacked):
    _, _, result, _, _ = attacked
    line = len((ROOT / "includes" / "abbreviations.md").read_text(encoding="utf-8").splitlines()) + 1
    assert re.search(rf"includes/abbreviations\.md:{line}: \*\[VMM\] is defined twice \(first at line \d+\)",
                     result.stderr), result.stderr[-3000:]


def test_a_bar_or_html_in_an_expansion_stays_text_in_the_glossary(attacked):
    project, site, _, _, _ = attacked
    glossary = html_soup(site / "glossary/index.html")
    rows = {tr.find_all("td")[0].get_text(): tr.find_all("td")[1].get_text()
            for tr in glossary.select("#abbreviations ~ .md-typeset__scrollwrap tbody tr, #abbreviations ~ table tbody tr")}
    assert rows["ZZA"] == "甲|乙"
    assert rows["ZZB"] == "<img src=x onerror=alert(1)>"
    assert rows["ZZC"] == "[链接](https://evil.example/x) 与 *强调*"  # as its tooltip shows it, no live link
    assert not glossary.select("article a[href*='evil.example']")
    assert not glossary.select("article img")
    assert rows == load_abbreviations(project / "includes" / "abbreviations.md")


def test_broken_front_matter_fails_the_build_naming_the_file(attacked):
    _, _, result, _, _ = attacked
    assert "docs/broken-front-matter.md:2: front matter does not parse" in result.stderr


def test_a_renamed_page_without_a_redirect_fails_the_build(attacked):
    _, _, result, _, _ = attacked
    assert re.search(r"published-urls\.txt:\d+: /desktop-virtualization/ disappeared without a redirect",
                     result.stderr), result.stderr[-3000:]


def test_a_dead_link_or_anchor_in_raw_html_fails_the_build_naming_the_line(attacked):
    # MkDocs checks only Markdown links; <a href> in a page's HTML is the build's (hooks/build.py).
    _, _, result, _, _ = attacked
    assert "docs/raw-html-links.md:9: dead link '../no-such-page/' (no no-such-page/index.html)" in result.stderr
    assert ("docs/raw-html-links.md:11: link '../hypervisor/#no-such-anchor' points at a missing anchor "
            "#no-such-anchor") in result.stderr
    assert "raw-html-links.md:7" not in result.stderr


def test_a_heading_without_an_id_or_with_a_used_id_fails_the_build(attacked):
    _, _, result, _, _ = attacked
    assert ("docs/headings-and-bare-diagram.md:7: heading has no explicit id, "
            "write it as `## 没有显式 id 的小节 {#english-id}`") in result.stderr
    assert "docs/headings-and-bare-diagram.md: heading 「第二次」 uses id #twice again" in result.stderr


def test_a_diagram_without_a_text_alternative_fails_the_build(attacked):
    _, _, result, _, _ = attacked
    assert "headings-and-bare-diagram.md: Mermaid diagram 1 has no text alternative" in result.stderr


def test_a_duplicate_key_in_mkdocs_yml_fails_the_build_naming_the_line(tmp_path):
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    project = project_copy(tmp_path / "project", {
        "mkdocs.yml": config + (BAD / "mkdocs-duplicate-key.yml").read_text(encoding="utf-8")})
    result = _build(project, tmp_path / "site")
    first = next(n for n, line in enumerate(config.splitlines(), 1) if line.startswith("theme:"))
    again = len(config.splitlines()) + 3
    assert result.returncode != 0
    assert f"mkdocs.yml:{again}: key `theme` is given twice (first at line {first})" in result.stderr


def test_an_include_that_is_not_utf8_is_named_not_a_page(tmp_path):
    project = project_copy(tmp_path / "project", {"includes/abbreviations.md": BAD / "abbreviations-not-utf8.md"})
    result = _build(project, tmp_path / "site")
    assert result.returncode != 0
    assert "includes/abbreviations.md:1:9: not UTF-8 (byte 0xff)" in result.stderr
    assert "Error reading page" not in result.stderr


def test_a_broken_chromium_is_named_and_ci_refuses_diagrams_left_for_the_browser(tmp_path):
    project = project_copy(tmp_path / "project")
    result = _build(project, tmp_path / "site", env={"CHROMIUM": "/bin/false", "REQUIRE_PRERENDERED_DIAGRAMS": "1"})
    assert result.returncode != 0
    assert "Chromium for diagrams (/bin/false) is not usable: /bin/false --version exited with 1" in result.stderr
    assert "hypervisor.md: Mermaid diagram 1 would be drawn in the reader's browser" in result.stderr
    assert "Error reading page" not in result.stderr and "Traceback" not in result.stderr


class _Page:
    """A stand-in for the renderer's Chromium page: draws a fixed SVG, or crashes."""
    def __init__(self, crash: bool = False):
        self.crash, self.drawn = crash, 0

    def evaluate(self, script, args):
        if self.crash:
            from playwright.sync_api import Error
            raise Error("Target page, context or browser has been closed")
        self.drawn += 1
        return {"svg": f'<svg id="{args[0]}"><g><text>甲</text></g></svg>'}


def _renderer(monkeypatch, tmp_path, page: _Page, starts: list):
    import hooks.diagram_render as render
    monkeypatch.setattr(render, "CACHE", tmp_path / "cache")  # keep the real cache clean

    def start(self):
        starts.append(1)
        self.page = page
        return True
    monkeypatch.setattr(render.Renderer, "_start", start)
    monkeypatch.setattr(render.Renderer, "close", lambda self: setattr(self, "page", None))
    return render, render.Renderer()


def test_a_build_machine_without_cjk_fonts_fails_every_time_and_caches_nothing(monkeypatch, caplog, tmp_path):
    # The build's renderer, in this process, on a machine whose fontconfig
    # knows no CJK font (an error makes `mkdocs build --strict` fail), with a
    # cache that already holds the drawing: the error comes all the same, and
    # what is drawn there is never cached.
    monkeypatch.setenv("FONTCONFIG_FILE", str(BAD / "fonts-without-cjk.conf"))
    page = _Page()
    render, renderer = _renderer(monkeypatch, tmp_path, page, [])
    source = render.as_text(_first_fence(BAD / "diagram-labels.md"))
    key = renderer._cache().key(source)
    renderer.cache.put(key, '<svg id="measured-without-cjk"></svg>')
    with caplog.at_level("ERROR", logger="mkdocs.hooks.diagrams"):
        svg, error, _ = renderer.render(source)
    assert "No CJK font is installed for Chromium: Chinese diagram labels would be" in caplog.text
    assert "measured-without-cjk" not in svg and page.drawn == 1
    assert sorted(p.name for p in renderer.cache.directory.iterdir()) == [f"{key}.svg"]  # nothing new
    assert render.Renderer()._has_cjk() is False  # the next build fails too


def test_a_chromium_crash_while_drawing_is_named_once_and_not_relaunched(monkeypatch, caplog, tmp_path):
    starts: list = []
    render, renderer = _renderer(monkeypatch, tmp_path, _Page(crash=True), starts)
    with caplog.at_level("INFO", logger="mkdocs.hooks.diagrams"):
        first = renderer.render("flowchart LR\n  a --> b")
        second = renderer.render("flowchart LR\n  c --> d")
    assert first[:2] == second[:2] == (None, None)  # left for the reader's browser, no page error
    assert starts == [1]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith(
        f"Chromium for diagrams ({renderer.executable}) is not usable: it stopped while drawing a diagram "
        "(Target page, context or browser has been closed)"), errors


@pytest.mark.parametrize("broken", ["dangling symlink", "symlink to a file", "read-only", "full"])
def test_a_cache_that_cannot_be_written_is_named_and_the_build_goes_on(monkeypatch, caplog, tmp_path, broken):
    import os
    render, renderer = _renderer(monkeypatch, tmp_path, _Page(), [])
    cache = tmp_path / "cache"
    if broken == "dangling symlink":
        cache.symlink_to(tmp_path / "nowhere")
    elif broken == "symlink to a file":
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        cache.symlink_to(tmp_path / "a-file")
    else:
        cache.mkdir()
        code = 30 if broken == "read-only" else 28  # EROFS, ENOSPC (root writes to a chmod 555 folder anyway)
        def fail(self, *args, **kwargs):
            raise OSError(code, os.strerror(code), str(self))
        monkeypatch.setattr(Path, "write_text", fail)
    with caplog.at_level("INFO", logger="mkdocs.hooks.diagrams"):
        assert renderer.render("flowchart LR\n  a --> b")[0].startswith("<svg")
        assert renderer.render("flowchart LR\n  c --> d")[0].startswith("<svg")
    infos = [r.getMessage() for r in caplog.records if "cannot write the diagram cache" in r.getMessage()]
    assert len(infos) == 1 and infos[0].startswith(f"{cache}: cannot write the diagram cache ("), infos
    assert not any(r.levelname in ("WARNING", "ERROR") for r in caplog.records)
    if cache.is_dir():
        assert list(cache.iterdir()) == []  # no temporary file left behind


def test_a_warm_read_only_cache_is_read(monkeypatch, tmp_path):
    page = _Page()
    render, renderer = _renderer(monkeypatch, tmp_path, page, [])
    svg = renderer.render("flowchart LR\n  a --> b")[0]
    monkeypatch.setattr(Path, "write_text", lambda *a, **k: (_ for _ in ()).throw(OSError(30, "Read-only file system")))
    assert render.Renderer().render("flowchart LR\n  a --> b")[0] == svg and page.drawn == 1


def test_cache_entries_are_checked_before_use_and_written_whole(tmp_path):
    class Log:
        lines: list[str] = []
        def info(self, m): self.lines.append(m)
        warning = info
    cache, log = DiagramCache(tmp_path, "salt"), Log()
    good = '<svg id="d"><style>.a{}</style><g><foreignObject><div>甲<br>乙</div></foreignObject></g></svg>'
    cache.put("good", good)
    assert cache.get("good", log) == good and list(tmp_path.iterdir()) == [tmp_path / "good.svg"]
    for key, data in {"empty": b"", "binary": b"\xff\xfe\x00garbage", "cut": good[:30].encode(),
                      "handler": b'<svg><g onclick="x()"></g></svg>',
                      "outside": b'<svg><image href="https://evil.example/t.png"/></svg>'}.items():
        (tmp_path / f"{key}.svg").write_bytes(data)
        assert cache.get(key, log) is None, key
        assert log.lines[-1].startswith(f"{tmp_path / key}.svg: cached diagram discarded"), log.lines[-1]
    assert DiagramCache(tmp_path, "chromium 1").key("x") != DiagramCache(tmp_path, "chromium 2").key("x")


def test_missing_mermaid_says_what_to_run_even_with_a_stale_stamp(tmp_path):
    project = project_copy(tmp_path / "project", node_modules=False)
    (project / "node_modules").mkdir()
    (project / "node_modules" / ".installed").touch()  # make would not run npm ci again
    result = _build(project, tmp_path / "site")
    assert result.returncode != 0
    assert "Run `npm ci` in the repository root, then build again." in result.stderr
    assert "does it for you" not in result.stderr


def test_make_clean_clears_the_diagram_cache():
    clean = re.search(r"^clean:.*\n\t(.*)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M).group(1)
    assert ".cache" in clean.split()


def test_headings_the_markdown_check_cannot_see_fail_the_build(attacked):
    # No space after ##, a setext heading, ## inside an admonition, raw <h2>,
    # and a heading in an include: each would get a made-up id, or none.
    _, _, result, _, _ = attacked
    name = "docs/hostile-page.md"
    assert f"{name}:11: heading has no explicit id, write it as `## 没有空格的标题 {{#english-id}}`" in result.stderr
    assert f"{name}:14: a setext heading (a line underlined with ---…) gets no explicit id" in result.stderr
    assert f"{name}:18: heading has no explicit id" in result.stderr
    assert f"{name}: heading 「原始 HTML 标题」 has no id" in result.stderr
    assert f"{name}: heading 「包含文件里的小节」 has an id made up by MkDocs (#_" in result.stderr
    assert f"{name}:26: heading id #Bad_Id is not ASCII kebab-case" in result.stderr


def test_a_description_that_would_break_the_page_head_fails_the_build(attacked):
    _, site, result, _, _ = attacked
    assert """docs/hostile-page.md: `description:` contains '"', which would break""" in result.stderr
    assert "docs/description-not-text.md: `description:` must be one line of text, not ['甲', '乙']" in result.stderr


def test_a_page_cannot_silently_lose_its_own_abbreviation(attacked):
    _, _, result, _, _ = attacked
    assert ("docs/hostile-page.md:7: *[VMM] is also defined in includes/abbreviations.md, which every page "
            "appends last") in result.stderr


def test_an_include_linking_outside_the_repository_is_refused(attacked):
    _, site, result, _, _ = attacked
    assert ("docs/hostile-page.md:24: the include 'includes/machine-file.md' leads outside the repository "
            "(to /etc/hostname)") in result.stderr


def test_a_byte_order_mark_in_an_include_is_named(tmp_path):
    from hooks.build import encoding_problems
    bom = tmp_path / "includes" / "abbreviations.md"
    bom.parent.mkdir()
    shutil.copy2(BAD / "abbreviations-bom.md", bom)
    problems = encoding_problems(bom, tmp_path)
    assert len(problems) == 1 and problems[0].endswith(
        "abbreviations.md:1:1: starts with a byte-order mark (U+FEFF), which pages would show and which hides the "
        "first line's definition; save the file as UTF-8 without BOM"), problems


@pytest.mark.parametrize("site_url, repo_url, message", [
    ("", "https://github.com/o/r", "site_url is empty (SITE_URL=''): the site would have no canonical links"),
    ('https://example.org/a"b/', "https://github.com/o/r", "SITE_URL is 'https://example.org/a\"b/': it contains '\"'"),
    ("https://example.org/", 'https://github.com/o/r" onmouseover="alert(1)', "REPO_URL is 'https://github.com/o/r\" "
     "onmouseover=\"alert(1)': it contains '\"'"),
    ("https://example.org/", "https://gitlab.com/o/r", "REPO_URL is 'https://gitlab.com/o/r': the edit, view-source "
     "and feedback links are GitHub's URL forms"),
    ("https://example.org/", "https://github.com/o/r?x=1#frag", "an address with a query (?) or a fragment (#)"),
    ("https://example.org/", "https://github.com/o", "give the repository itself, HOST/OWNER/REPO"),
    ("https://example.org/?q=1", "https://github.com/o/r", "SITE_URL is 'https://example.org/?q=1': an address with a query"),
])
def test_an_address_that_would_break_every_page_is_refused(site_url, repo_url, message):
    from hooks.provenance import address_problems
    problems = address_problems(site_url, repo_url, {"SITE_URL": site_url, "REPO_URL": repo_url})
    assert any(message in p for p in problems), problems


def test_good_addresses_pass():
    from hooks.provenance import address_problems
    assert address_problems("https://o.github.io/r/", "https://github.com/o/r", {"REPO_URL": "https://github.com/o/r"}) == []
    assert address_problems("https://docs.example.org/", "https://github.example.com/team/docs/", {"CI": "true", "REPO_URL": "x"}) == []


def test_a_bad_address_fails_the_build_before_any_page(tmp_path):
    project = project_copy(tmp_path / "project")
    result = _build(project, tmp_path / "site", env={"REPO_URL": "https://gitlab.com/o/r"})
    assert result.returncode != 0
    assert "REPO_URL is 'https://gitlab.com/o/r': the edit, view-source and feedback links" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_project_copy_keeps_symbolic_links_as_links(tmp_path, monkeypatch):
    # A link in labs/output/ to a large folder (a home directory) must not be
    # followed: copying its target once filled the disk.
    import tools.sitebuild as sitebuild
    src = tmp_path / "src"
    (src / "labs" / "output").mkdir(parents=True)
    (src / "labs" / "output" / "rootdir").symlink_to("/root")
    monkeypatch.setattr(sitebuild, "ROOT", src)
    copy = sitebuild.project_copy(tmp_path / "copy", node_modules=False, diagram_cache=False)
    link = copy / "labs" / "output" / "rootdir"
    assert link.is_symlink() and str(link.readlink()) == "/root"


def test_the_feedback_issue_is_titled_as_the_page_reads(attacked):
    # MkDocs escapes the h1's text (A &amp; B); the issue title must not show that.
    from urllib.parse import parse_qs, urlsplit
    _, site, _, _, _ = attacked
    link = html_soup(site / "title-with-ampersand/index.html").select_one("form.md-feedback a[data-md-value='0']")
    assert parse_qs(urlsplit(link["href"]).query)["title"] == ["页面反馈：A & B #1? 100% + 😀"], link["href"]


# ---------------------------------------------------------------- the build machine: Chromium, the site folder

def test_a_chromium_path_with_a_typo_is_named_by_the_build_and_the_editions(monkeypatch, caplog, tmp_path):
    # Not "No Chromium found" (an INFO, diagrams shipped to the browser) and
    # then the editions' install hint: the variable and its path, an error of the build.
    import hooks.diagram_render as render
    from tools.editions import make_pdf
    monkeypatch.setenv("CHROMIUM", "/usr/bin/chromium-typo")
    with caplog.at_level("INFO", logger="mkdocs.hooks.diagrams"):
        renderer = render.Renderer()
    assert renderer.unavailable
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith("CHROMIUM points at a missing file: /usr/bin/chromium-typo. "), errors
    assert "No Chromium found" not in caplog.text
    print_page = tmp_path / "site" / "print-page" / "index.html"
    print_page.parent.mkdir(parents=True)
    print_page.write_text('<link rel="canonical" href="http://127.0.0.1:1/print-page/">', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"^CHROMIUM points at a missing file: /usr/bin/chromium-typo$"):
        make_pdf(tmp_path / "site", tmp_path / "site" / "book.pdf")
    monkeypatch.setenv("CHROMIUM", "none")  # no browser, said on purpose: diagrams go to the reader's browser
    caplog.clear()
    with caplog.at_level("INFO", logger="mkdocs.hooks.diagrams"):
        assert render.Renderer().unavailable
    assert "No Chromium found" in caplog.text and not [r for r in caplog.records if r.levelname == "ERROR"]


FOLDER = FIXTURES / "site-folder"


def _folder_project(tmp_path: Path) -> Path:
    """Two pages built with hooks/build.py and the fault hook of tests/fixtures/site-folder."""
    return project_copy(tmp_path / "project", {
        "mkdocs.yml": FOLDER / "mkdocs.yml", "site-folder-docs/index.md": FOLDER / "docs" / "index.md",
        "site-folder-docs/second.md": FOLDER / "docs" / "second.md", "hooks/site_folder_fault.py": FOLDER / "fault.py",
        "published-urls.txt": ""}, node_modules=False, diagram_cache=False)


def test_a_full_disk_names_the_file_being_written(tmp_path):
    result = build(_folder_project(tmp_path), tmp_path / "site", None, env={"SITE_FOLDER_FAULT": "full"})
    assert result.returncode != 0
    assert (f"{tmp_path / 'site' / 'second' / 'index.html'}: cannot write the site (No space left on device): "
            "free some space on that disk, or build into another folder (-d DIR)") in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_full_disk_is_named_by_the_editions(monkeypatch, tmp_path, capsys):
    import errno
    import os

    import tools.editions as editions
    site = tmp_path / "site"
    (site / "index.html").parent.mkdir(parents=True)
    (site / "index.html").write_text(editions.SIZE_PLACEHOLDER.format("pdf"), encoding="utf-8")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write() raises it: no file name
    monkeypatch.setattr(editions, "make_pdf", lambda site_dir, out, browser=None: out.write_bytes(b"%PDF") and out)
    monkeypatch.setattr(editions, "make_offline", lambda project, out: out.write_bytes(b"PK") and out)
    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(SystemExit) as stopped:
        editions.main([str(site)])
    assert str(stopped.value) == (f"{site / 'index.html'}: cannot write the site (No space left on device): free some "
                                  "space on that disk, or build into another folder (-d DIR)")


def test_a_second_build_into_the_same_folder_waits_for_the_first(tmp_path):
    # The second build's cleaning used to pull files from under the first:
    # a raw FileNotFoundError, or published addresses that "disappeared".
    import threading
    import time

    from tools.sitedir import lock_path
    project, site = _folder_project(tmp_path), tmp_path / "site"
    results = {}
    first = threading.Thread(target=lambda: results.update(first=build(project, site, None, env={"SITE_FOLDER_FAULT": "slow"})))
    first.start()
    lock = lock_path(site)
    deadline = time.monotonic() + 60
    while not (lock.is_file() and lock.read_text(encoding="utf-8").strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    results["second"] = build(project, site, None)  # while the first sleeps after writing its pages
    first.join()
    assert results["first"].returncode == 0, results["first"].stderr[-3000:]
    assert results["second"].returncode == 0, results["second"].stderr[-3000:]
    assert f"{site}: another build (process " in results["second"].stderr
    assert "is writing this folder; waiting for it to finish" in results["second"].stderr
    assert (site / "second" / "index.html").is_file()


def test_a_build_that_holds_the_folder_too_long_is_named(tmp_path):
    from tools.sitedir import SiteBusy, SiteLock
    holder, waiter, said = SiteLock(tmp_path / "site"), SiteLock(tmp_path / "site"), []
    holder.acquire()
    try:
        with pytest.raises(SiteBusy, match=rf"^{re.escape(str(tmp_path / 'site'))}: another build \(process \d+\) has "
                                           r"been writing this folder for over 0 s"):
            waiter.acquire(wait=0.3, say=said.append, poll=0.05)
        assert len(said) == 1 and "waiting for it to finish" in said[0]
    finally:
        holder.release()
    waiter.acquire(wait=0)  # free again
    waiter.release()
