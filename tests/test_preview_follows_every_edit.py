"""`make serve` rebuilds on a save in any folder the site is built from, not
only docs/ and mkdocs.yml: templates, includes, search terms and hooks."""

from pathlib import Path

from tools.sitebuild import ROOT


def watched_problems(config_file: Path) -> list[str]:
    from mkdocs.config import load_config

    config = load_config(str(config_file))
    watched = {Path(path).resolve() for path in config.watch}
    base = config_file.parent
    return [f"{config_file.name}: `make serve` does not rebuild on edits to {folder}/ (add it under `watch:`)"
            for folder in ("overrides", "includes", "search", "hooks") if (base / folder).resolve() not in watched]


def test_the_preview_rebuilds_on_edits_to_templates_includes_search_terms_and_hooks():
    assert watched_problems(ROOT / "mkdocs.yml") == []


def test_an_unwatched_folder_is_reported(tmp_path):
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nwatch: [overrides]\n", encoding="utf-8")
    for folder in ("docs", "overrides"):
        (tmp_path / folder).mkdir()
    assert watched_problems(config) == [f"mkdocs.yml: `make serve` does not rebuild on edits to {folder}/ (add it under `watch:`)"
                                        for folder in ("includes", "search", "hooks")]
