"""scripts/: the synthetic corpus generator and the load test, run as users run them."""

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


def test_loadtest_reports_no_errors_against_the_seed_database(tmp_path):
    db = tmp_path / "quotekb.db"  # Datasette names the database after the file
    build = quotekb("build", "--corpus", str(CORPUS), "--db", str(db), "-q")
    assert build.returncode == 0, build.stderr

    result = script("loadtest.py", "--db", str(db), "--corpus", str(CORPUS), "--clients", "4", "--seconds", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\| errors \| 0 \|$", result.stdout, re.M), result.stdout
    assert re.search(r"^\| 5xx \| 0 \|$", result.stdout, re.M), result.stdout
    requests = int(re.search(r"^\| requests \| (\d+) \|$", result.stdout, re.M).group(1))
    assert requests > 0
