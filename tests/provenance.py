"""Checks that every page says where it comes from and when (issue 15).

- the dates under each page (最后更新, 创建日期) are those of `git log` for its
  Markdown file, in Beijing time, and the JSON-LD carries the same ones;
- without git history, a page shows the build date, labelled as such;
- the edit and view-source buttons point at the configured repository;
- the feedback widget's 有待改进 links to a new issue on that repository,
  titled with the page and carrying its address.

Each check returns problems, each starting with the file it is about.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from checks import html_soup
from tools.addresses import md_url

BEIJING = ZoneInfo("Asia/Shanghai")
UPDATED, CREATED, BUILT = "最后更新", "创建日期", "构建日期"


def built_page(site_dir: Path, md: Path, docs: Path) -> Path:
    return site_dir / md_url(md, docs) / "index.html"


# ---------------------------------------------------------------- dates

def git_dates(md: Path) -> tuple[date | None, date | None]:
    """(last change, creation) of a file according to `git log`, in Beijing
    time; (None, None) when git has no commit of it."""
    def times(*options: str) -> list[int]:
        out = subprocess.run(["git", "log", *options, "--format=%at", "--", md.name],
                             cwd=md.parent, capture_output=True, text=True)
        return [int(line) for line in out.stdout.split()] if out.returncode == 0 else []

    changed, added = times("-1"), times("--follow", "--diff-filter=A")
    if not changed or not added:
        return None, None
    day = lambda stamp: datetime.fromtimestamp(stamp, BEIJING).date()  # noqa: E731
    return day(changed[0]), day(added[-1])


def chinese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def shown_dates(html: Path) -> dict[str, tuple[str, str]]:
    """{label: (datetime attribute, visible date)} of the dates under a page."""
    shown = {}
    for fact in html_soup(html).select(".md-source-file .md-source-file__fact"):
        time = fact.find("time")
        label = fact.get_text("").split("：", 1)[0].strip()
        shown[label] = (time.get("datetime", "") if time else "", time.get_text("").strip() if time else "")
    return shown


def article_dates(html: Path) -> dict[str, str]:
    """dateModified, datePublished and dateCreated of the page's TechArticle, as dates."""
    for script in html_soup(html).select('script[type="application/ld+json"]'):
        for node in json.loads(script.string or "{}").get("@graph", []):
            if node.get("@type") == "TechArticle":
                return {key: node[key][:10] for key in ("dateModified", "datePublished", "dateCreated") if key in node}
    return {}


def date_problems(site_dir: Path, docs: Path) -> list[str]:
    """Every built page of `docs` shows 最后更新 and 创建日期 as git log has them,
    and its JSON-LD says the same. A page git has no commit of (new work not
    yet committed) shows the build date instead, labelled 构建日期."""
    problems = []
    for md in sorted(docs.rglob("*.md")):
        html = built_page(site_dir, md, docs)
        if not html.is_file():
            continue
        name = f"{md.relative_to(docs).as_posix()} ({html.relative_to(site_dir).as_posix()})"
        updated, created = git_dates(md)
        shown = shown_dates(html)
        if updated is None:
            if set(shown) != {BUILT}:
                problems.append(f"{name}: git has no commit of it, but the page shows {sorted(shown) or 'no dates'} "
                                f"instead of the build date")
            continue
        if set(shown) != {UPDATED, CREATED}:
            problems.append(f"{name}: shows {sorted(shown) or 'no dates'}, expected {UPDATED} and {CREATED}")
            continue
        for label, expected in ((UPDATED, updated), (CREATED, created)):
            attribute, visible = shown[label]
            if attribute != expected.isoformat() or visible != chinese(expected):
                problems.append(f"{name}: {label} is {visible or '?'} ({attribute or 'no datetime'}), "
                                f"git log says {chinese(expected)}")
        in_jsonld = article_dates(html)
        wanted = {"dateModified": updated.isoformat(), "datePublished": created.isoformat(),
                  "dateCreated": created.isoformat()}
        if html.parent != site_dir and in_jsonld != wanted:
            problems.append(f"{name}: JSON-LD dates are {in_jsonld}, git log says {wanted}")
    return problems


def build_date_problems(site_dir: Path, docs: Path, days: set[date]) -> list[str]:
    """Built without git history, every page of `docs` shows only the build
    date (one of `days`), says that it is one, and its JSON-LD claims no dates."""
    problems = []
    for md in sorted(docs.rglob("*.md")):
        html = built_page(site_dir, md, docs)
        if not html.is_file():
            continue
        name = html.relative_to(site_dir).as_posix()
        shown = shown_dates(html)
        if set(shown) != {BUILT}:
            problems.append(f"{name}: shows {sorted(shown) or 'no dates'}, expected only the build date ({BUILT})")
            continue
        fact = html_soup(html).select_one(".md-source-file").get_text("")
        if shown[BUILT][0] not in {day.isoformat() for day in days} or "不是最后更新日期" not in fact:
            problems.append(f"{name}: the build date reads {fact.strip()!r}")
        if article_dates(html):
            problems.append(f"{name}: JSON-LD claims dates {article_dates(html)} with no history to take them from")
    return problems


# ---------------------------------------------------------------- repository links

def source_link_problems(site_dir: Path, docs: Path, repo_url: str) -> list[str]:
    """Every page's 编辑此页 and 查看本页的源代码 buttons open its Markdown file on `repo_url`."""
    problems = []
    for md in sorted(docs.rglob("*.md")):
        html = built_page(site_dir, md, docs)
        soup = html_soup(html)
        rel = md.relative_to(docs).as_posix()
        wanted = {"编辑此页": f"{repo_url}/edit/main/docs/{rel}", "查看本页的源代码": f"{repo_url}/raw/main/docs/{rel}"}
        found = {a.get("title"): a.get("href") for a in soup.select("article a.md-content__button")}
        if found != wanted:
            problems.append(f"{html.relative_to(site_dir).as_posix()}: source buttons are {found}, expected {wanted}")
    return problems


def page_name(soup: BeautifulSoup) -> str:
    """The page's name as its <title> gives it ("首页" for the home page)."""
    title = soup.title.get_text("").strip()
    site = soup.select_one('meta[property="og:site_name"]')
    site_name = site["content"] if site else "虚拟化技术讲解"
    return title.removesuffix(f" - {site_name}") if title != site_name else "首页"


def feedback_problems(site_dir: Path, pages: dict[Path, str], repo_url: str) -> list[str]:
    """Every page in `pages` ({built page: its address}) asks 这页有帮助吗？ with
    two worded answers: a 有帮助 button, and a 有待改进 link to a new issue on
    `repo_url` whose title names the page and whose body carries its address."""
    problems = []
    for html, address in pages.items():
        name = html.relative_to(site_dir).as_posix()
        soup = html_soup(html)
        form = soup.select_one("form.md-feedback[name=feedback]")
        if form is None:
            problems.append(f"{name}: no feedback widget")
            continue
        answers = {el.get_text("").strip(): (el.name, el.get("data-md-value"))
                   for el in form.select(".md-feedback__list [data-md-value]")}
        if answers != {"有帮助": ("button", "1"), "有待改进": ("a", "0")}:
            problems.append(f"{name}: feedback answers are {answers}")
        link = form.select_one('.md-feedback__list a[data-md-value="0"][href]')
        href = link["href"] if link else ""
        query = parse_qs(urlparse(href).query)
        title, body = query.get("title", [""])[0], query.get("body", [""])[0]
        if not href.startswith(f"{repo_url}/issues/new?"):
            problems.append(f"{name}: 有待改进 links to {href or 'nothing'}, not a new issue on {repo_url}")
        elif page_name(soup) not in title or not re.search(re.escape(address) + r"(\s|$)", body):
            problems.append(f"{name}: 有待改进 opens an issue titled {title!r} with body {body!r}, "
                            f"without the page's name or its address {address}")
    return problems
