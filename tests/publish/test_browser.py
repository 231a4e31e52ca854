"""A real headless Chromium opens the served site (scripts/browser_check.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import CORPUS, REPO

# CI installs Debian's chromium and sets this, so there a missing browser fails the run
REQUIRED = os.environ.get("QUOTEKB_REQUIRE_BROWSER") == "1"


@pytest.mark.skipif(not REQUIRED and shutil.which("chromium") is None, reason="chromium not installed")
def test_pages_render_what_a_person_expects(seed_db, tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "browser_check.py"), "--db", str(seed_db),
         "--corpus", str(CORPUS), "--out", str(tmp_path / "screenshots")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("claims", "search", "analogies"):
        shot = tmp_path / "screenshots" / f"{name}.png"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
