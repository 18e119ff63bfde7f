"""The browser tests find Chromium in $CHROMIUM, on PATH (chromium-headless-shell
first), or as Playwright's own browser, and without one they fail saying how to
install it: never skip."""

import os
import re
import subprocess
import sys

from tools.browser import INSTALL_HINT, chromium_problem, find_chromium, find_test_chromium
from tools.sitebuild import ROOT


def test_chromium_is_found_here():
    assert find_chromium() is not None, INSTALL_HINT


def test_a_wrong_chromium_path_is_not_silently_replaced(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chrome")
    assert find_chromium() is None and find_test_chromium() is None
    assert chromium_problem() == "CHROMIUM points at a missing file: /nonexistent/chrome"  # the build's error


def test_no_chromium_fails_with_install_instructions():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_reads_well_on_phones_and_in_dark.py::test_the_scheme_toggle_is_labelled_in_chinese"],
        cwd=ROOT, env=dict(os.environ, CHROMIUM="/nonexistent/chrome"), capture_output=True, text=True)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "No Chromium found for the browser tests" in result.stdout
    assert "apt-get install chromium fonts-noto-cjk" in result.stdout
    assert not re.search(r"\b[1-9]\d* skipped", result.stdout)
