"""Open the published site in real headless Chromium and check what a person would see.

Serves the database on a free loopback port (as it is, or through `quotekb serve` with
--corpus) and drives Debian's chromium over the
DevTools protocol (scripts/cdp.py) with every non-loopback request blocked. At
1366x768 and 1920x1080 it opens the reader view, a claim card, a speaker page, the
claims table and the charts, asserts on the rendered DOM, and saves a screenshot of each
(and of each chart) under --out (git-ignored screenshots/ by default), with report.json.

Expected values come from SQL on the database, written independently of the plugin.

    python scripts/browser_check.py [--db db/quotekb.db] [--corpus corpus] [--out screenshots]
Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, CDPError  # noqa: E402

from quotekb.publish.serve import datasette_command  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SIZES = [(1366, 768), (1920, 1080)]

# (name, path, strings the rendered page must show): pages kept from the first check
CONTENT_PAGES = [
    ("home", "/", ["Questions to ask", "/quotekb/-/charts"]),
    ("database", "/quotekb", ["Questions to ask", "claims_view"]),
    ("search", "/quotekb/search?q=%E9%9B%BB%E6%B0%97&_hide_sql=1", ["<mark>電気</mark>", "全文検索"]),
    ("search_all", "/quotekb/search_all?q=google&_hide_sql=1",
     ["<mark>google</mark>は人工知能時代のベル研究所", "heading"]),
    ("search-topic", "/quotekb/search?q=%E3%82%B9%E3%82%B1%E3%83%BC%E3%83%AA%E3%83%B3%E3%82%B0%E5%89%87&_hide_sql=1",
     ["claims</b> on スケーリング則"]),
    ("analogies", "/quotekb/analogy_overview?_hide_sql=1",
     ["bell-labs", "solar-power", "electricity", "steel"]),
]

IN_FIRST_VIEWPORT = """(sel => { const e = document.querySelector(sel); if (!e) return null;
  const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight && r.height > 0; })"""


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


def expectations(db_path: Path) -> dict:
    """What the pages must show, read from the database with plain SQL."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    one = lambda sql, *p: conn.execute(sql, p).fetchone()  # noqa: E731
    documents = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY published_on, id")]
    has_certainty = any(r[1] == "certainty" for r in conn.execute("PRAGMA table_info(claims)"))
    level = "certainty" if has_certainty else "hedged || '/' || certain"
    speaker = one("SELECT speaker_id FROM claims GROUP BY speaker_id ORDER BY count(*) DESC, speaker_id LIMIT 1")[0]
    claim = one("SELECT c.id FROM claims c WHERE c.speaker_id = ? AND c.hedged AND c.section_id IS NOT NULL "
                "ORDER BY c.position LIMIT 1", speaker)[0]
    card = one("""SELECT d.published_on, d.title, sp.name FROM claims c JOIN documents d ON d.id = c.document_id
                  JOIN speakers sp ON sp.id = c.speaker_id WHERE c.id = ?""", claim)
    out = {
        "documents": {
            doc: {
                "claims": sorted(r[0] for r in conn.execute("SELECT id FROM claims WHERE document_id = ?", (doc,))),
                "predictions": one("SELECT count(*) FROM claims WHERE document_id = ? AND kind = 'prediction'", doc)[0],
                "section_marks": one("SELECT count(*) FROM (SELECT DISTINCT coalesce(section_id, 0), kind FROM claims "
                                     "WHERE document_id = ?)", doc)[0],
                "timeline_marks": one("SELECT count(*) FROM analogy_mentions WHERE document_id = ?", doc)[0],
            }
            for doc in documents
        },
        "heatmap_marks": one("SELECT count(*) FROM (SELECT DISTINCT ct.topic_id, c.speaker_id FROM claim_topics ct "
                             "JOIN claims c ON c.id = ct.claim_id)")[0],
        "certainty_marks": one(f"SELECT count(*) FROM (SELECT DISTINCT speaker_id, {level} FROM claims)")[0],
        "speaker": speaker,
        "speaker_claims": sorted(r[0] for r in conn.execute("SELECT id FROM claims WHERE speaker_id = ?", (speaker,))),
        "claim": claim, "claim_date": card[0], "claim_title": card[1], "claim_speaker": card[2],
    }
    conn.close()
    return out


class Checker:
    def __init__(self, browser: Browser, base: str, out: Path):
        self.browser, self.base, self.out = browser, base, out
        self.results: list[dict] = []

    def check(self, page: str, size: str, what: str, ok: bool, detail: object = "") -> None:
        self.results.append({"page": page, "size": size, "check": what, "ok": bool(ok), "detail": detail})
        print(f"{'ok  ' if ok else 'FAIL'} {page:14} {size:10} {what}{'' if ok else f'  ({detail})'}")

    def shot(self, name: str, size: str, selector: str | None = None) -> Path:
        path = self.out / f"{name}-{size}.png"
        clip = None
        if selector:
            clip = self.browser.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
                e.scrollIntoView(); const r = e.getBoundingClientRect();
                return {{x: r.left + window.scrollX, y: r.top + window.scrollY,
                         width: r.width, height: r.height}}; }})()""")
        self.browser.screenshot(path, clip)
        self.check(name, size, f"screenshot {path.name}", path.exists() and path.stat().st_size > 5000)
        return path

    def open(self, path: str, width: int, height: int) -> None:
        blocked_before = len(self.browser.blocked)
        self.browser.open(self.base + path, width, height)
        new = self.browser.blocked[blocked_before:]
        self.check(path.split("?")[0][-40:], f"{width}x{height}", "no request leaves the machine", not new, new)


def run(checker: Checker, exp: dict) -> None:
    b = checker.browser
    for width, height in SIZES:
        size = f"{width}x{height}"
        # the article with the most claims is the one photographed
        showcase = max(exp["documents"], key=lambda d: (len(exp["documents"][d]["claims"]), d))
        readers = [showcase] + [d for d in exp["documents"] if d != showcase]
        for index, doc in enumerate(readers):
            want = exp["documents"][doc]
            checker.open(f"/quotekb/documents/{quote(doc)}", width, height)
            checker.check("reader", size, "first paragraph in the first viewport",
                          b.evaluate(f"{IN_FIRST_VIEWPORT}('.qk-para p')"))
            linked = b.evaluate("[...new Set([...document.querySelectorAll('a.qk-claim[data-claim]')]"
                                ".filter(a => a.getAttribute('href').endsWith('/claims/' + a.dataset.claim))"
                                ".map(a => a.dataset.claim))].sort()")
            missing = sorted(set(want["claims"]) - set(linked))
            checker.check("reader", size, f"all {len(want['claims'])} claims of {doc} linked", not missing, missing[:5])
            if index == 0:
                checker.shot("reader", size)
            shown = b.evaluate("""(() => { const f = document.querySelector('.qk-filters');
                f.kind.value = 'prediction'; f.hide.checked = false; f.dispatchEvent(new Event('change'));
                return document.querySelectorAll('.qk-claim[data-claim]:not(.qk-off)').length; })()""")
            checker.check("reader", size, f"kind filter keeps {want['predictions']} predictions",
                          shown == want["predictions"], shown)
            jumped = b.evaluate("""(() => { document.querySelector('.qk-next').click();
                const a = document.activeElement, r = a.getBoundingClientRect();
                return a.dataset.kind === 'prediction' && r.top > 0 && r.bottom < window.innerHeight; })()""")
            if want["predictions"]:
                checker.check("reader", size, "next jumps to a matching claim in view", jumped)
            if index == 0 and width == SIZES[0][0]:
                b.evaluate("(document.querySelectorAll('h2.qk-section')[1] || document.body).scrollIntoView()")
                checker.shot("reader-filtered", size)
                b.evaluate("""(() => { const f = document.querySelector('.qk-filters'); f.kind.value = '';
                    f.hide.checked = false; f.dispatchEvent(new Event('change'));
                    (document.querySelector('.qk-kp-intro') || document.body).scrollIntoView(); })()""")
                checker.shot("reader-keypoints", size)
                b.evaluate("(document.querySelector('h2.qk-section') || document.body).scrollIntoView()")
                checker.shot("reader-section", size)

        if width == SIZES[0][0]:
            # without JavaScript the article still reads: text, claim links; the filters stay hidden
            b.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=b.session)
            doc = max(exp["documents"], key=lambda d: (len(exp["documents"][d]["claims"]), d))
            checker.open(f"/quotekb/documents/{quote(doc)}", width, height)
            state = b.evaluate("({links: document.querySelectorAll('a.qk-claim[data-claim]').length, "
                               "filters: !document.querySelector('.qk-filters').hidden})")
            b.call("Emulation.setScriptExecutionDisabled", {"value": False}, session=b.session)
            checker.check("reader-nojs", size, "claims linked and filters hidden without JavaScript",
                          state["links"] >= len(exp["documents"][doc]["claims"]) and not state["filters"], state)
            checker.shot("reader-nojs", size)

        checker.open(f"/quotekb/claims/{quote(exp['claim'])}", width, height)
        checker.check("claim", size, "the quote in the first viewport",
                      b.evaluate(f"{IN_FIRST_VIEWPORT}('.qk-bigquote')"))
        text = b.evaluate("document.querySelector('.qk-card').innerText")
        for label, value in (("date", exp["claim_date"]), ("title", exp["claim_title"]),
                             ("speaker", exp["claim_speaker"])):
            checker.check("claim", size, f"shows the {label}", value in text, value)
        context = b.evaluate("document.querySelectorAll('.qk-ctx:not(.qk-ctx-self)').length")
        checker.check("claim", size, "context sentences around it", context >= 2, context)
        checker.shot("claim", size)

        checker.open(f"/quotekb/speakers/{quote(exp['speaker'])}", width, height)
        checker.check("speaker", size, "name in the first viewport", b.evaluate(f"{IN_FIRST_VIEWPORT}('h1')"))
        linked = b.evaluate("[...new Set([...document.querySelectorAll('.qk-claim-list a.qk-claim')]"
                            ".map(a => decodeURIComponent(a.getAttribute('href').split('/claims/')[1])))].sort()")
        missing = sorted(set(exp["speaker_claims"]) - set(linked))
        checker.check("speaker", size, f"links all {len(exp['speaker_claims'])} claims", not missing, missing[:5])
        checker.shot("speaker", size)

        for table in ("claims", "claims_view"):
            checker.open(f"/quotekb/{table}", width, height)
            checker.check(table, size, "first data row in the first viewport",
                          b.evaluate(f"{IN_FIRST_VIEWPORT}('table.rows-and-columns tbody tr')"))
            headers = b.evaluate("[...document.querySelectorAll('table.rows-and-columns th')]"
                                 ".map(t => t.dataset.column)")
            checker.check(table, size, "text is the first column after the id", headers[1:2] == ["text"], headers[:4])
            checker.shot(table, size)

        checker.open("/quotekb/-/charts", width, height)
        charts = b.evaluate("[...document.querySelectorAll('[data-chart]')].map(e => ({source: e.dataset.source, "
                            "marks: e.querySelectorAll('svg .qk-mark').length, "
                            "links: e.querySelectorAll('svg a').length}))")
        got = {c["source"]: c["marks"] for c in charts}
        expected = {"heatmap": ("heatmap", exp["heatmap_marks"]), "certainty": ("certainty", exp["certainty_marks"])}
        # one article's charts per document shown, in the page's order (published_on, id)
        for index, (doc, want) in enumerate(exp["documents"].items()):
            if index == 0 or f"documents.{index}.sections" in got:
                expected[f"documents.{index}.sections"] = (f"{doc} sections", want["section_marks"])
                expected[f"documents.{index}.timeline"] = (f"{doc} timeline", want["timeline_marks"])
        for source, (label, marks) in expected.items():
            checker.check("charts", size, f"{label} draws {marks} marks", got.get(source) == marks, got.get(source))
        checker.check("charts", size, "every mark is a link", all(c["marks"] == c["links"] for c in charts), charts)
        for chart_id in ("chart-heatmap", "chart-certainty"):
            checker.shot(chart_id, size, f"#{chart_id}")
        first_doc = next(iter(exp["documents"]))
        checker.shot("chart-document", size, f"#doc-{first_doc}")

    for name, path, expected_strings in CONTENT_PAGES:
        checker.open(path, *SIZES[0])
        html = b.evaluate("document.documentElement.outerHTML")
        missing = [s for s in expected_strings if s not in html]
        checker.check(name, "1366x768", "shows " + ", ".join(expected_strings), not missing, missing)
        checker.shot(name, "1366x768")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "db" / "quotekb.db")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="serve with `quotekb serve`, which rebuilds --db from this corpus when stale; "
                             "without it the file is served as it is (plain Datasette, immutable)")
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    args = parser.parse_args()
    binary = find_chromium()
    if binary is None:
        print("chromium not found: install Debian's chromium package", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config, metadata = REPO / "datasette.yaml", REPO / "metadata.yaml"
    if args.corpus is not None:
        command = [str(Path(sys.executable).parent / "quotekb"), "serve", "--db", str(args.db),
                   "--corpus", str(args.corpus), "--port", str(port), "--config", str(config),
                   "--metadata", str(metadata)]
    else:
        # a test's database must not be rebuilt from another corpus under its feet
        command = datasette_command(args.db, "127.0.0.1", port, config, metadata)
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/-/versions.json")
        exp = expectations(args.db)
        with tempfile.TemporaryDirectory() as profile:
            browser = Browser(binary, profile, allowed_origin=base)
            checker = Checker(browser, base, args.out)
            try:
                run(checker, exp)
            except CDPError as error:
                checker.check("browser", "-", "devtools protocol", False, str(error))
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    (args.out / "report.json").write_text(json.dumps(checker.results, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = [r for r in checker.results if not r["ok"]]
    print(f"{len(checker.results) - len(failed)} of {len(checker.results)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
