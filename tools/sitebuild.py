"""Build the site, or a copy of the project with extra files laid over it.

Used by the test suite (tests/conftest.py) and the benchmark (bench/), so
both build exactly the way `make site` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a build reads from the project; a test copy needs nothing else.
PROJECT_PARTS = ("mkdocs.yml", "docs", "overrides", "hooks", "search", "includes", "tools")


def build(project: Path, site_dir: Path, site_url: str, strict: bool = True,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `mkdocs build` for `project` into `site_dir`; never raises on failure."""
    env = dict(os.environ, SITE_URL=site_url, NO_MKDOCS_2_WARNING="1", **(env or {}))
    cmd = [sys.executable, "-m", "mkdocs", "build", "--clean", "-d", str(site_dir)]
    if strict:
        cmd.append("--strict")
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)


def project_copy(dest: Path, overlay: dict[str, Path | str] | None = None, node_modules: bool = True) -> Path:
    """Copy what a build reads into `dest`, then lay `overlay` over it.

    `overlay` maps a path inside the copy (e.g. "docs/broken.md") to a file
    to copy there, or to text to write there.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
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
