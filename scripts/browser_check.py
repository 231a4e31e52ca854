"""Open the published site in real headless Chromium and check what a person would see.

Starts `quotekb serve` on a free loopback port, loads the claims page with its facets,
a search for 電気 and the analogy overview, asserts on the rendered DOM and saves a
screenshot of each under screenshots/ (git-ignored).

    python scripts/browser_check.py [--db db/quotekb.db] [--out screenshots]
Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Flags that keep Chromium off the network and quiet in a sandboxed, headless machine.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--lang=ja",
]

PAGES = [
    # (name, path, strings the rendered page must show)
    ("claims", "/quotekb/claims_view",
     # 144 claims: the seed's statements (questions, rhetorical questions, signposts and
     # courtesies are not claims)
     ["speaker", "kind", "analogies", "bell-labs", "ダリオ・アモデイ", "144 rows"]),
    ("search", "/quotekb/search?q=%E9%9B%BB%E6%B0%97&_hide_sql=1",
     ["<mark>電気</mark>", "ノア・スミス", "全文検索"]),
    ("analogies", "/quotekb/analogy_overview?_hide_sql=1",
     ["bell-labs", "solar-power", "electricity", "steel", "partial «はい、少し» (rule)"]),
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not answer within {seconds:.0f}s")


def chromium(binary: str, args: list[str], profile: str) -> str:
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )
    if result.returncode != 0:
        raise SystemExit(f"chromium failed: {result.stderr[-500:]}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "db" / "quotekb.db")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    args = parser.parse_args()
    binary = find_chromium()
    if binary is None:
        print("chromium not found: install Debian's chromium package", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    quotekb = Path(sys.executable).parent / "quotekb"
    server = subprocess.Popen(
        [str(quotekb), "serve", "--db", str(args.db), "--corpus", str(args.corpus), "--port", str(port),
         "--config", str(REPO / "datasette.yaml"), "--metadata", str(REPO / "metadata.yaml")],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    failures = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/-/versions.json")
        with tempfile.TemporaryDirectory() as profile:
            for name, path, expected in PAGES:
                dom = chromium(binary, ["--dump-dom", base + path], profile)
                missing = [text for text in expected if text not in dom]
                shot = args.out / f"{name}.png"
                chromium(binary, [f"--screenshot={shot}", "--window-size=1400,3000", base + path], profile)
                status = "ok" if not missing and shot.exists() else f"MISSING {missing}"
                print(f"{name:10} {path:60} {status}  screenshot: {shot}")
                if missing or not shot.exists():
                    failures.append(name)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
