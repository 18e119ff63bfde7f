"""Where each page comes from and when: dates from git, and the repository address.

Registered under `hooks:` in mkdocs.yml. What only MkDocs understands here is
the five event functions at the bottom (`on_config`, `on_files`,
`on_page_markdown`, `on_page_context`, `on_env`), `event_priority`, the `config`/`page`/`env`
objects, and the dates plugin's options; everything above them is plain
Python, and the templates read one plain dict, `page.meta["provenance"]`.
Keep it that thin, so that a move to Zensical means re-wiring those events,
not rewriting the logic.

- Repository address: `repo_url` in mkdocs.yml reads REPO_URL, with a
  placeholder default for local builds. In CI (CI=true, as GitHub Actions and
  .ci/run set it) a build without REPO_URL stops with a message, rather than
  publish edit links and feedback issues that point at the placeholder.
- Dates: mkdocs-git-revision-date-localized-plugin reads 最后更新 and 创建日期
  from git. It needs the full history: in a shallow clone every file would
  get the date of the one commit there is, a wrong date. So before the plugin
  starts, this hook checks for a full history and, without one (a shallow
  clone, a copy outside any repository such as the tests' project copies),
  turns the plugin off. Pages then show the build date, labelled 构建日期 and
  said to be one, never passed off as 最后更新. A page not yet committed gets
  the same label: the hook excludes it from the plugin, which would otherwise
  time it twice with the clock and, when the second ticks over between the
  two, warn (and fail a strict build) that it was created after it changed.

`page.meta["provenance"]`, read by overrides/partials/source-file.html (the
dates under each page) and overrides/partials/structured-data.html (JSON-LD):

    {"updated": {"date": "2026-11-24", "datetime": "2026-11-24T09:43:37+08:00", "text": "2026年11月24日"},
     "created": {... the same ...},
     "built":   None, or {... the build date ...} when git gave no date for the page}

With "built" set, "updated" and "created" are None.
"""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.provenance")

DATES_PLUGIN = "git-revision-date-localized"
TIMEZONE = "Asia/Shanghai"  # the default; the plugin's `timezone` option wins


def in_ci(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def repo_url_problem(environ=os.environ) -> str | None:
    """Why this environment may not build, as far as REPO_URL goes, or None."""
    value = environ.get("REPO_URL", "").strip()
    if value and not value.startswith(("https://", "http://")):
        return f"REPO_URL is {value!r}: give the repository's web address, e.g. https://github.com/OWNER/REPO"
    if not value and in_ci(environ):
        return ("REPO_URL is not set, and this is a CI build (CI=true): the site would publish edit links "
                "and feedback issues pointing at the placeholder repository in mkdocs.yml. Set REPO_URL to "
                "the repository's address, e.g. REPO_URL=https://github.com/OWNER/REPO (the deploy workflow "
                "sets it from ${{ github.server_url }}/${{ github.repository }}).")
    return None


def history_problem(path: str) -> str | None:
    """Why git cannot date the files under `path`, or None when it has their full history."""
    try:
        shallow = subprocess.run(["git", "-C", path, "rev-parse", "--is-shallow-repository"],
                                 capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        return f"git could not be run ({err})"
    if shallow.returncode != 0:
        return "not a git repository"
    if shallow.stdout.strip() == "true":
        return "a shallow clone (fetch the full history: actions/checkout with fetch-depth: 0)"
    return None


def committed_files(path: str) -> set[str]:
    """The files under `path` (relative to it) that HEAD has."""
    listed = subprocess.run(["git", "-C", path, "ls-tree", "-r", "--name-only", "HEAD", "."],
                            capture_output=True, text=True, timeout=30)
    return set(listed.stdout.splitlines()) if listed.returncode == 0 else set()


def stamp(moment: datetime) -> dict[str, str]:
    """One date as the templates show it (Chinese, plain) and as machines read it (ISO 8601)."""
    return {"date": moment.date().isoformat(), "datetime": moment.isoformat(timespec="seconds"),
            "text": f"{moment.year}年{moment.month}月{moment.day}日"}


_history: str | None = None   # None: full history; otherwise why there is none
_committed: set[str] = set()  # pages (paths under docs/) that git can date
_timezone = ZoneInfo(TIMEZONE)


@event_priority(100)  # before the dates plugin's own on_config
def on_config(config):
    global _history, _committed, _timezone
    problem = repo_url_problem()
    if problem:
        raise PluginError(problem)
    dates = config.plugins.get(DATES_PLUGIN)
    if dates is None:
        raise PluginError(f"hooks/provenance.py needs the {DATES_PLUGIN} plugin in mkdocs.yml")
    _timezone = ZoneInfo(dates.config.get("timezone") or TIMEZONE)
    _history = history_problem(config.docs_dir)
    if _history:
        dates.config["enabled"] = False
        log.info(f"No git history to date pages from: {_history}. Every page shows the build date, "
                 f"labelled 构建日期.")
    else:
        _committed = committed_files(config.docs_dir)
    return config


@event_priority(100)  # before the dates plugin reads the history of every file
def on_files(files, config):
    if not _history:
        new = [f.src_path for f in files.documentation_pages() if f.src_uri not in _committed]
        if new:
            config.plugins[DATES_PLUGIN].config["exclude"] = [*config.plugins[DATES_PLUGIN].config["exclude"], *new]
            log.info(f"Not committed yet, dated with the build date: {', '.join(new)}")
    return files


def _from_git(page, variable: str) -> dict[str, str] | None:
    """The date the dates plugin found for `page`, or None if git had none."""
    if _history or not page.meta.get(f"{variable}_hash"):
        return None
    local = datetime.fromisoformat(page.meta[f"{variable}_raw_iso_datetime"])
    return stamp(local.replace(tzinfo=_timezone))


# The default repo_url of mkdocs.yml. Pages that tell a reader what to clone (docs/labs/index.md)
# name it; a build with REPO_URL names the real repository there instead.
PLACEHOLDER_REPO = "https://github.com/example/virtualization-docs"


def repo_in_markdown(markdown: str, repo_url: str | None) -> str:
    repo = (repo_url or "").rstrip("/")
    if repo and repo != PLACEHOLDER_REPO:
        return markdown.replace(PLACEHOLDER_REPO, repo)
    return markdown


def on_page_markdown(markdown, page, config, files):
    return repo_in_markdown(markdown, config.get("repo_url"))


def on_page_context(context, page, config, nav):
    updated = _from_git(page, "git_revision_date_localized")
    created = _from_git(page, "git_creation_date_localized")
    built = None
    if updated is None or created is None:
        updated = created = None
        built = stamp(datetime.now(_timezone).replace(microsecond=0))
    page.meta["provenance"] = {"updated": updated, "created": created, "built": built}
    return context


def on_env(env, config, files):
    """JSON-LD keeps Chinese as it is and drops spaces (Jinja's `tojson` writes
    \\uXXXX escapes by default, six bytes a character); `tojson` still escapes
    < > & ' for HTML."""
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False, "separators": (",", ":")}
    return env
