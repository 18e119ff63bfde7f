"""Every internal link, asset and #anchor in the built site resolves; no link
names another host by accident (//host/), and the 404 page's links work at a
domain root, under a project path and at any depth.

A rule of the build: hooks/build.py checks every built page with
tools/addresses.link_problems and fails naming the Markdown file and line (raw
HTML <a href> included, which MkDocs does not check), so every strict build of
the suite checks the real site, and the attacked build
(test_wrong_input_fails_the_build.py) proves it fails. Here: what the check
reports on a fixture site, including what only theme templates can get wrong."""

from conftest import FIXTURES

from tools.addresses import link_problems


def test_a_dead_link_and_a_missing_anchor_are_reported_with_the_file():
    problems = link_problems(FIXTURES / "links-site", "http://127.0.0.1:1/")
    assert [f"{page}: {problem}" for page, _, problem in problems] == [
        "404.html: protocol-relative link '//guide/' leaves the site (it names a host)",
        "404.html: relative link 'guide/' breaks when the page is served at a deeper path",
        "index.html: link 'guide/#no-such-anchor' points at a missing anchor #no-such-anchor",
        "index.html: dead link 'missing/' (no missing/index.html)",
    ]


def test_files_a_later_step_writes_are_not_dead_links(tmp_path):
    (tmp_path / "index.html").write_text('<a href="book.pdf" download>PDF</a> <a href="gone.zip">zip</a>',
                                         encoding="utf-8")
    problems = link_problems(tmp_path, "http://127.0.0.1:1/", written_later=("book.pdf",))
    assert [problem for _, _, problem in problems] == ["dead link 'gone.zip' (no gone.zip)"]
