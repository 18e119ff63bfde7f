"""Where each page comes from and when: dates from git, and the repository address.

Registered under `hooks:` in mkdocs.yml. What only MkDocs understands here is
the five event functions at the bottom (`on_config`, `on_files`,
`on_page_markdown`, `on_page_context`, `on_env`), `event_priority`, the `config`/`page`/`env`
objects, and the dates plugin's options; everything above them is plain
Python, and the templates read one plain dict, `page.meta["provenance"]`.
Keep it that thin, so that a move to Zensical means re-wiring those events,
not rewriting the logic.

- Addresses: `repo_url` and `site_url` in mkdocs.yml read REPO_URL and
  SITE_URL, with placeholder defaults for local builds. In CI (CI=true, as
  GitHub Actions and .ci/run set it) a build without REPO_URL stops with a
  message, rather than publish edit links and feedback issues that point at
  the placeholder; an empty SITE_URL, an address that would break the HTML
  it is written into, or a repository that is not on GitHub stop it too.
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
import re
import subprocess
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.provenance")

DATES_PLUGIN = "git-revision-date-localized"
TIMEZONE = "Asia/Shanghai"  # the default; the plugin's `timezone` option wins


def in_ci(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


# Characters that would end or break an HTML attribute or a URL: the
# templates write these addresses into href="…" and content="…" unescaped
# (Material's own templates included), so they are refused, not escaped.
_UNSAFE_IN_URL = re.compile(r'["\'<>`\\\s]')
_GITHUB_HOST = re.compile(r"^(github\.com|github\.[a-z0-9.-]+)$")


def _url_parts_problem(name: str, value: str, example: str) -> str | None:
    """Why `value` cannot serve as the address `name`, or None."""
    unsafe = _UNSAFE_IN_URL.search(value)
    if unsafe:
        return (f"{name} is {value!r}: it contains {unsafe.group(0)!r}, which would break the HTML of every page "
                f"that links to it; give a plain address, e.g. {example}")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return f"{name} is {value!r}: give a web address starting with https://, e.g. {example}"
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return (f"{name} is {value!r}: an address with a query (?) or a fragment (#) cannot have page paths "
                f"added to it; give the bare address, e.g. {example}")
    return None


def address_problems(site_url: str | None, repo_url: str | None, environ=os.environ) -> list[str]:
    """Why the site's addresses may not be built into its pages.

    site_url (SITE_URL): a whole web address; an empty one would build a site
    without canonical links, sitemap or structured data.
    repo_url (REPO_URL): the edit and view-source buttons (edit_uri) and the
    feedback widget's new-issue link are GitHub's URL forms, so it must be a
    GitHub repository (github.com, or a GitHub Enterprise host named github.*),
    https://HOST/OWNER/REPO and nothing after it. In CI, REPO_URL must be set."""
    problems = []
    site_url, repo_url = (site_url or "").strip(), (repo_url or "").strip()
    example = "SITE_URL=https://OWNER.github.io/REPO/"
    if not site_url:
        problems.append(f"site_url is empty (SITE_URL={environ.get('SITE_URL', '')!r}): the site would have no "
                        f"canonical links, sitemap or structured data. Unset SITE_URL to use site_url in "
                        f"mkdocs.yml, or give the address, e.g. {example}")
    else:
        problems.append(_url_parts_problem("SITE_URL", site_url, example))
    example = "REPO_URL=https://github.com/OWNER/REPO"
    if not environ.get("REPO_URL", "").strip() and in_ci(environ):
        problems.append("REPO_URL is not set, and this is a CI build (CI=true): the site would publish edit links "
                        "and feedback issues pointing at the placeholder repository in mkdocs.yml. Set REPO_URL to "
                        "the repository's address, e.g. REPO_URL=https://github.com/OWNER/REPO (the deploy "
                        "workflow sets it from ${{ github.server_url }}/${{ github.repository }}).")
    elif repo_url:
        problem = _url_parts_problem("REPO_URL", repo_url, example)
        parts = urlsplit(repo_url)
        if problem is None and not _GITHUB_HOST.match(parts.hostname or ""):
            problem = (f"REPO_URL is {repo_url!r}: the edit, view-source and feedback links are GitHub's URL "
                       f"forms (/edit/main/…, /raw/…, /issues/new), which {parts.hostname} would answer with "
                       f"404. Give a GitHub repository, e.g. {example}, or change edit_uri in mkdocs.yml and "
                       f"overrides/partials/feedback.html for another host first.")
        if problem is None and len([p for p in parts.path.split("/") if p]) != 2:
            problem = f"REPO_URL is {repo_url!r}: give the repository itself, HOST/OWNER/REPO, e.g. {example}"
        problems.append(problem)
    return [p for p in problems if p]


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
    problems = address_problems(config.site_url, config.repo_url)
    if problems:
        raise PluginError("\n".join(problems))
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
