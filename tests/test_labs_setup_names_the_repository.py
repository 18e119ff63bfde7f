"""The labs' setup (docs/labs/index.md#setup) tells a reader what to clone: the repository the
site is built from. The page names mkdocs.yml's placeholder repo_url; a build with REPO_URL
(as deploy sets it) shows that repository instead (hooks/provenance.py, on_page_markdown)."""

import re

from checks import ROOT
from hooks.provenance import PLACEHOLDER_REPO, repo_in_markdown

SETUP = (ROOT / "docs" / "labs" / "index.md").read_text(encoding="utf-8")


def test_the_placeholder_is_mkdocs_yml_default():
    default = re.search(r'^repo_url: !ENV \[REPO_URL, "([^"]+)"\]', (ROOT / "mkdocs.yml").read_text(), re.M)
    assert default and default[1] == PLACEHOLDER_REPO, default


def test_the_setup_gives_a_clone_command_of_the_repository():
    assert f"git clone {PLACEHOLDER_REPO}.git" in SETUP


def test_a_build_with_repo_url_names_that_repository():
    text = repo_in_markdown(SETUP, "https://github.com/someone/kvm-site/")
    assert "git clone https://github.com/someone/kvm-site.git" in text and PLACEHOLDER_REPO not in text
    assert repo_in_markdown(SETUP, None) == SETUP == repo_in_markdown(SETUP, PLACEHOLDER_REPO)
