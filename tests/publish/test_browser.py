"""A real headless Chromium opens the served site (scripts/browser_check.py), network blocked.

Runs against the seed alone and beside two more articles (conftest.seed_db): the script
reads what every page must show from the database, and this test checks the seed's own
numbers among its results."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import REPO, SEED_ID

# CI installs Debian's chromium and sets this, so there a missing browser fails the run
REQUIRED = os.environ.get("QUOTEKB_REQUIRE_BROWSER") == "1"
SIZES = ("1366x768", "1920x1080")
SHOTS = ("reader", "claim", "speaker", "claims", "claims_view", "chart-heatmap", "chart-certainty", "chart-document")


@pytest.mark.skipif(not REQUIRED and shutil.which("chromium") is None, reason="chromium not installed")
def test_pages_render_what_a_person_expects(seed_db, tmp_path, request):
    out = tmp_path / "screenshots"
    # no --corpus: the session's database is served as built (quotekb serve would rebuild the
    # seed+2 one from the seed corpus, under the tests that follow)
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "browser_check.py"), "--db", str(seed_db), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    checks = {(r["page"], r["size"], r["check"]) for r in report if r["ok"]}
    # what the pages must show, counted in SQL (the knowledge tests check the values themselves)
    with sqlite3.connect(f"file:{seed_db}?mode=ro", uri=True) as conn:
        claims = conn.execute("SELECT count(*) FROM claims WHERE document_id = ?", (SEED_ID,)).fetchone()[0]
        mentions = conn.execute("SELECT count(*) FROM analogy_mentions WHERE document_id = ?",
                                (SEED_ID,)).fetchone()[0]
    assert claims > 100 and mentions > 10
    for size in SIZES:
        assert ("reader", size, "first paragraph in the first viewport") in checks
        assert ("reader", size, f"all {claims} claims of {SEED_ID} linked") in checks
        assert ("claims", size, "first data row in the first viewport") in checks
        assert ("charts", size, f"{SEED_ID} timeline draws {mentions} marks") in checks
        for name in SHOTS:
            shot = out / f"{name}-{size}.png"
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000
    assert all(r["ok"] for r in report)
    if os.environ.get("QUOTEKB_SCREENSHOTS"):  # keep the artifacts for a person to look at
        target = os.path.join(os.environ["QUOTEKB_SCREENSHOTS"], request.node.callspec.params["seed_db"])
        shutil.copytree(out, target, dirs_exist_ok=True)
