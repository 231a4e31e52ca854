"""Compare what two versions of quotekb build from the same corpora.

    python scripts/compare_builds.py REV [--articles 200] [--keep DIR]

Builds the seed corpus and a synthetic corpus of N articles (scripts/synth_corpus.py,
--seed 0) twice: with the code of git revision REV (extracted with `git archive`, run
with PYTHONPATH pointing at it) and with the working tree's code. Then compares, per
corpus, `sqlite3 .dump` without build_info, `quotekb export claims` (json and jsonl) and
`quotekb export package`. Prints one line per comparison and exits 1 on any difference.

A refactoring that must not change what users see (same tables, rows, exports) is
checked with this against the revision before it.
"""

from __future__ import annotations

import argparse
import filecmp
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def extract_revision(rev: str, target: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def quotekb(code: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([sys.executable, "-c", "from quotekb.cli import cli; cli()", *args], check=True, env=env, cwd=code,
                   stdout=subprocess.DEVNULL)


def dump(db: Path) -> str:
    if not db.exists():
        raise SystemExit(f"{db}: the build wrote no database")
    conn = sqlite3.connect(db)
    try:
        lines = [line for line in conn.iterdump() if "build_info" not in line]
    finally:
        conn.close()
    return "\n".join(lines)


def outputs(code: Path, corpus: Path, out: Path) -> Path:
    out.mkdir(parents=True)
    db = out / "quotekb.db"
    quotekb(code, "build", "--corpus", str(corpus), "--db", str(db))
    (out / "dump.sql").write_text(dump(db), encoding="utf-8")
    for fmt in ("json", "jsonl"):
        quotekb(code, "export", "claims", "--db", str(db), "--format", fmt, "-o", str(out / f"claims.{fmt}"))
    quotekb(code, "export", "package", "--db", str(db), "--metadata", str(REPO / "metadata.yaml"),
            str(out / "package"))
    return out


def differences(left: Path, right: Path) -> list[str]:
    found = []
    for name in ("dump.sql", "claims.json", "claims.jsonl"):
        if (left / name).read_bytes() != (right / name).read_bytes():
            found.append(name)
    compare = filecmp.dircmp(left / "package", right / "package")
    found += [f"package/{n}" for n in compare.left_only + compare.right_only + compare.diff_files]
    # dircmp compares by stat signature first: check contents of same-named files too
    # build_info holds the code and schema hashes, which differ by design
    found = [name for name in found if name != "package/build_info.csv"]
    for name in compare.same_files:
        same = (left / "package" / name).read_bytes() == (right / "package" / name).read_bytes()
        if name != "build_info.csv" and not same:
            found.append(f"package/{name}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="git revision whose code is the reference")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="directory to keep the outputs in")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="compare-builds-"))
    old = extract_revision(args.rev, work / "old-code")
    synthetic = work / "synthetic"
    subprocess.run([sys.executable, str(REPO / "scripts" / "synth_corpus.py"), str(synthetic), str(args.articles),
                    "--seed", "0", "--source", str(REPO / "corpus")], check=True, stdout=subprocess.DEVNULL)
    failed = False
    for name, corpus in (("seed", REPO / "corpus"), (f"synthetic-{args.articles}", synthetic)):
        before = outputs(old, corpus, work / f"{name}-before")
        after = outputs(REPO, corpus, work / f"{name}-after")
        diff = differences(before, after)
        print(f"{name}: {'identical' if not diff else 'DIFFERENT: ' + ', '.join(diff)}")
        failed |= bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
