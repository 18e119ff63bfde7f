"""What an author can get wrong either builds correctly or fails the build
(`make site`, hence the deploy) with a message naming the file: diagram
labels, the diagram cache, the build's Chromium and fonts, abbreviations,
front matter, mkdocs.yml, includes, and published addresses."""

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


def _build(project: Path, site_dir: Path, env: dict | None = None):
    return build(project, site_dir, "http://127.0.0.1:1/", env=env)


def _cache_key(project: Path, source: str) -> str:
    """The cache key the build will use for `source` on this machine."""
    import hooks.diagrams as diagrams
    renderer = diagrams.Renderer()
    return renderer._cache().key(diagrams.as_text(source))


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
    assert "diagram-outside.md: Mermaid diagram 1: line 4 puts an <img> in a label" in result.stderr
    assert "diagram-outside.md: Mermaid diagram 2: line 4 has an outside URL (https://evil.example/page)" in result.stderr
    assert "evil.example" not in (site / "diagram-outside" / "index.html").read_text(encoding="utf-8")


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
    assert not glossary.select("article img")
    assert rows == load_abbreviations(project / "includes" / "abbreviations.md")


def test_broken_front_matter_fails_the_build_naming_the_file(attacked):
    _, _, result, _, _ = attacked
    assert "docs/broken-front-matter.md:2: front matter does not parse" in result.stderr


def test_a_renamed_page_without_a_redirect_fails_the_build(attacked):
    _, _, result, _, _ = attacked
    assert re.search(r"published-urls\.txt:\d+: /desktop-virtualization/ disappeared without a redirect",
                     result.stderr), result.stderr[-3000:]


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


def test_a_build_machine_without_cjk_fonts_fails_instead_of_clipping_labels(monkeypatch, caplog):
    # The build's renderer, in this process, on a machine whose fontconfig
    # knows no CJK font (an error makes `mkdocs build --strict` fail).
    import hooks.diagrams as diagrams
    monkeypatch.setenv("FONTCONFIG_FILE", str(BAD / "fonts-without-cjk.conf"))
    monkeypatch.setattr(diagrams, "CACHE", ROOT / ".cache" / "test-without-cjk")  # keep the real cache clean
    monkeypatch.setattr(diagrams.Renderer, "_start", lambda self: False)  # the check comes before drawing
    renderer = diagrams.Renderer()
    with caplog.at_level("ERROR", logger="mkdocs.hooks.diagrams"):
        renderer.render(diagrams.as_text(_first_fence(BAD / "diagram-labels.md")))
    assert "No CJK font is installed for Chromium: Chinese diagram labels would be" in caplog.text


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
