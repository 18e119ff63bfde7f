"""Build the site, or a copy of the project with extra files laid over it.

Used by the test suite (tests/conftest.py), the benchmark (bench/) and
`make screenshots`, so all of them build exactly the way `make site` does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools.server import start

ROOT = Path(__file__).resolve().parent.parent


def display_name(path: Path) -> str:
    """How a message names a file: relative to the repository, or else to the
    working directory (a build of a project copy runs there), when inside it."""
    path = Path(path).resolve()
    for root in (ROOT, Path.cwd()):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return str(path)


# What a build reads from the project; a test copy needs nothing else.
PROJECT_PARTS = ("mkdocs.yml", "docs", "overrides", "hooks", "search", "includes", "tools", "published-urls.txt",
                 "labs")  # the lab pages include labs/*.py and labs/output/ as text


def default_repo_url(project: Path = ROOT) -> str:
    """The repository mkdocs.yml links to when REPO_URL is unset."""
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    return re.search(r'^repo_url: !ENV \[REPO_URL, "([^"]+)"\]', text, re.M).group(1)


def build(project: Path, site_dir: Path, site_url: str | None, strict: bool = True,
          env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Run `mkdocs build` for `project` into `site_dir`; never raises on failure.

    A `site_url` of None keeps mkdocs.yml's (the public address). `env` adds
    variables to the environment, or removes those given as None. REPO_URL is
    mkdocs.yml's default unless set: a CI run (CI=true) requires it.
    """
    env = {"REPO_URL": default_repo_url(project), **os.environ, "NO_MKDOCS_2_WARNING": "1",
           **({"SITE_URL": site_url} if site_url else {}), **(env or {})}
    env = {name: value for name, value in env.items() if value is not None}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--clean", "-d", str(site_dir)]
    if strict:
        cmd.append("--strict")
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)


def serve_build(project: Path, site_dir: Path, strict: bool = True, env: dict[str, str] | None = None):
    """Build `project` for a free port on 127.0.0.1 and, if the build succeeds,
    serve it there, so absolute links (the 404 page) and instant navigation work.

    Returns (url, mkdocs result, server or None); call server.shutdown() when done.
    The port is bound before the build, so parallel builds never pick the same one.
    """
    Path(site_dir).mkdir(parents=True, exist_ok=True)
    server = start(site_dir)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    result = build(project, site_dir, url, strict=strict, env=env)
    if result.returncode != 0:
        server.shutdown()
        server.server_close()
        server = None
    return url, result, server


def project_copy(dest: Path, overlay: dict[str, Path | str] | None = None, node_modules: bool = True,
                 diagram_cache: bool = True) -> Path:
    """Copy what a build reads into `dest`, then lay `overlay` over it.

    `overlay` maps a path inside the copy (e.g. "docs/broken.md") to a file
    to copy there, or to text to write there. The copy starts with the
    project's diagram cache (each entry is checked before use), so it does
    not render every diagram again. Symbolic links are copied as links, never
    followed: a link to a large folder must not fill the disk, and the build
    refuses an include that leads outside the repository (hooks/build.py).
    """
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS + ((".cache/diagrams",) if diagram_cache else ()):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, symlinks=True)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    if node_modules and (ROOT / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(ROOT / "node_modules")
    for rel, content in (overlay or {}).items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    return dest
