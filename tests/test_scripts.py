"""scripts/: the synthetic corpus generator, the load test and the benchmark, run as users run them."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
CORPUS = REPO / "corpus"


def quotekb(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("quotekb")
    argv = [str(script)] if script.exists() else [sys.executable, "-c", "from quotekb.cli import cli; cli()"]
    return subprocess.run([*argv, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def script(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_synthetic_corpus_passes_check_builds_and_is_deterministic(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((first, "0"), (second, "0"), (other, "1")):
        result = script("synth_corpus.py", str(out), "5", "--seed", seed)
        assert result.returncode == 0, result.stderr

    generated = files(first)
    assert generated == files(second), "same seed must give byte-identical files"
    assert generated != files(other)
    texts = sorted(p for p in generated if p.endswith(".txt"))
    assert texts == [f"articles/syn_0000{i}.txt" for i in range(1, 6)]
    assert all(8_000 <= len(generated[p]) <= 14_000 for p in texts), "about 10 KB of text per article"
    for shared in sorted(CORPUS.glob("*.yaml")):  # every top-level YAML, unchanged
        assert generated[shared.name] == shared.read_bytes()

    check = quotekb("check", "--corpus", str(first))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "corpus ok" in check.stdout
    assert check.stdout.count(": ok:") == 5

    db = tmp_path / "db" / "quotekb.db"
    build = quotekb("build", "--corpus", str(first), "--db", str(db), "-q")
    assert build.returncode == 0, build.stderr
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM documents ORDER BY id")]
        titles = {row[0] for row in conn.execute("SELECT title FROM documents")}
    assert ids == [f"syn_0000{i}" for i in range(1, 6)]
    assert len(titles) == 5


def test_loadtest_compares_with_plain_datasette_and_reports_no_errors(tmp_path):
    db = tmp_path / "quotekb.db"  # Datasette names the database after the file
    build = quotekb("build", "--corpus", str(CORPUS), "--db", str(db), "-q")
    assert build.returncode == 0, build.stderr
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- loadtest:start -->\nold\n<!-- loadtest:end -->\nafter\n", encoding="utf-8")

    result = script("loadtest.py", "--db", str(db), "--corpus", str(CORPUS), "--clients", "2,4", "--seconds", "2",
                    "--workers", "2", "--readme", str(readme))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = re.findall(r"^\| (datasette -i|quotekb serve --cache-mb 0|quotekb serve) \| (\d+) \| (\d+) \| "
                      r"([\d.]+) \| \d+ ms \| \d+ ms \| (\d+) \| ([\d.]+)x \|$", result.stdout, re.M)
    # three servers at each client count, every one answered, no errors; plain is the 1.00x baseline
    assert {(name, int(clients)) for name, clients, *_ in rows} == {
        (name, n) for name in ("datasette -i", "quotekb serve --cache-mb 0", "quotekb serve") for n in (2, 4)}
    assert all(int(requests) > 0 and errors == "0" for _, _, requests, _, errors, _ in rows)
    assert {ratio for name, _, _, _, _, ratio in rows if name == "datasette -i"} == {"1.00"}
    # each of the five page kinds has a p50 for each server
    kinds = re.search(r"^\| server \| clients \| home p50 \| facet p50 \| search p50 \| claim p50 \| reader p50 \|$",
                      result.stdout, re.M)
    assert kinds, result.stdout
    assert re.search(r"^\| quotekb serve \| [\d.]+ ms \| [\d.]+ ms \| 400, 404 \|$", result.stdout, re.M), result.stdout
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and "| quotekb serve | 4 |" in text and text.endswith("after\n")


def test_bench_quick_prints_every_measurement_and_writes_the_readme_it_is_given(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n", encoding="utf-8")
    before = (REPO / "README.md").read_bytes()
    result = script("bench.py", "--quick", "--readme", str(readme), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and not line.startswith("| metric")]
    names = [row.split(" | ")[0][2:] for row in rows]
    # one row per measurement the issue names, in quick mode's sizes (100 and 20 articles)
    for expected in ("seed build, `quotekb build` subprocess", "floor: python + import sudachipy",
                     "build 20 synthetic articles, one process", "build 100 synthetic articles, one process",
                     "build 100 synthetic articles, all", "peak RSS, one-process build of 100 vs 20 articles",
                     "parallel build on all", "rebuild of 100 articles after one changed",
                     "peer: SudachiPy + sqlite3 executemany + FTS5", "full build, one process, vs the peer",
                     "where the one-process build's time goes", "ceiling on", "time left at 0.8x the peer",
                     "search stored query", "facet page"):
        assert any(name.startswith(expected) for name in names), (expected, names)
    for row in rows:  # every row measured something (a failed group reads "error: ...")
        assert "error:" not in row and re.search(r"\d", row.split(" | ")[1]), row
    written = readme.read_text(encoding="utf-8")
    assert "old table" not in written and rows[0] in written
    assert (REPO / "README.md").read_bytes() == before


def test_bench_bounds_follow_from_the_build_phases():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import bench
    finally:
        sys.path.remove(str(SCRIPTS))
    one = {"wall": 10.0, "seconds": 9.0, "phases": {"load": 0.5, "parse": 0.5, "tokenize": 3.0, "extract": 3.0,
                                                    "write": 1.5, "articles": 8.0, "finish": 1.0}}
    where, ceiling, left = (row.value for row in bench.bounds(one, {"wall": 6.0}, {"wall": 6.0}, cores=2))
    assert "start and import 1.00" in where and "extract 3.00" in where
    # the loop over the tasks (8 s, more than its steps' 7.5 s) spread over 2 cores:
    # 2 + 8 / 2 = 6 s, 10 / 6 = 1.67x; measured 10 / 6
    assert ceiling.startswith("2.00 s on one core + 8.00 s / 2 = 6.00 s: 1.67x at most (measured: 1.67x)")
    # 0.8x of a 6 s peer: 7.5 s; tokenize + write 4.5 s leave 3 s for the other 5.5 s
    assert left == "7.50 s - 4.50 s = 3.00 s for start, load, parse, extract and finish, which take 5.50 s (1.8x too much)"
    assert bench.bounds({"wall": 10.0, "seconds": 9.0}, {"wall": 6.0}, {"wall": 6.0}, cores=2) == [], \
        "a build from before the phases were recorded (--before) gives no bounds"


def test_bench_reports_the_median_run_and_every_wall_time():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import bench
    finally:
        sys.path.remove(str(SCRIPTS))
    runs = [{"wall": 12.0, "seconds": 11.5}, {"wall": 10.0, "seconds": 9.6}, {"wall": 11.0, "seconds": 10.4}]
    chosen = bench.median_run(runs)
    # the middle wall time of 10, 11 and 12 s, with that run's own build() seconds
    assert (chosen["wall"], chosen["seconds"]) == (11.0, 10.4)
    assert chosen["walls"] == [10.0, 11.0, 12.0]
    assert "walls" not in runs[2], "the runs passed in are left as they were"
