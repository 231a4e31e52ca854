"""The scale run of `make bench` (`python scripts/bench.py --scale`): 10,000 articles.

Builds 1,000 and 10,000 synthetic articles (scripts/synth_corpus.py) on all cores into
SQLite and into PostgreSQL, each in a fresh process, and measures in this same run:
  - build time per article at 10,000 against 1,000 (target <= 1.2x), on each engine;
  - database bytes per article (the SQLite file; PostgreSQL's tables, indexes and TOAST
    of the quotekb schema);
  - peak RSS of the build (wait4 rusage: the building process and its reaped workers);
  - the PostgreSQL server's own CPU during its builds (its postmaster's children);
  - search and facet p50 at 10,000 on SQLite through Datasette (the search stored query,
    the claims facet page; target search p50 < 50 ms), and the same searches and facet
    counts in process through quotekb.store.search on both engines;
  - where the time goes at 10,000: with py-spy on PATH (or PY_SPY=/path/to/py-spy), the
    timed 10,000-article builds are sampled (25 Hz, --nonblocking, every process) and
    the on-CPU samples grouped by pipeline stage.
PostgreSQL is the server QUOTEKB_BENCH_POSTGRES_URL names, else a throwaway cluster
(scripts/pg_throwaway.sh, default settings) started and stopped here.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from bench import Row, fmt_s, log, run_child  # noqa: E402
from loadtest import SEARCH_WORDS, facet_path, percentile, serve  # noqa: E402
from synth_corpus import make_corpus  # noqa: E402

CHILD = """
import json, sys
from pathlib import Path
db = sys.argv[2]
if db.startswith("postgresql"):
    from quotekb.store.postgres_build import build
else:
    from quotekb.store.build import build
    db = Path(db)
stats = build(Path(sys.argv[1]), db, jobs=int(sys.argv[3]))
print(json.dumps({"seconds": stats.seconds, "articles": stats.articles, "chars": stats.chars,
                  "counts": dict(stats.counts), "mode": stats.mode}))
"""

# pipeline stages, matched against a sample's frames from the innermost out
STAGES = [
    ("Sudachi tokenizing (nlp.morphemes, with the binding's objects)", ("tokenize (", "morphemes (quotekb/nlp.py")),
    ("token rows (morphemes, lexemes, FTS terms)", ("token_rows",)),
    ("knowledge layers (claims, topics, analogies, key points, mentions)", ("quotekb/knowledge/",)),
    ("parsing articles", ("quotekb/parse/",)),
    ("loading and validating the corpus", ("quotekb/ingest/",)),
    ("writing shards", ("write_shard",)),
    ("SQLite merge of shards", ("merge_shard",)),
    ("PostgreSQL COPY of shards (client side)", ("copy_shard", "copy_rows")),
    ("indexes, foreign keys, views", ("create_indexes", "finish_schema", "create_views", "apply_extras")),
    ("other structure rows", ("document_rows", "pack (")),
]


def py_spy() -> str | None:
    return os.environ.get("PY_SPY") or shutil.which("py-spy")


def rss_build(corpus: Path, db: str, jobs: int, profile: Path | None = None) -> dict:
    """Build in a fresh interpreter (under py-spy when profile is given): its BuildStats,
    wall seconds, and peak RSS from wait4 (the largest of the process and its reaped
    children: the build's workers, or the build under py-spy)."""
    argv = [sys.executable, "-c", CHILD, str(corpus), db, str(jobs)]
    if profile is not None:
        argv = [py_spy(), "record", "--nonblocking", "--subprocesses", "-r", "25", "-f", "raw",
                "-o", str(profile), "--", *argv]
    result, rusage = run_child(argv, cwd=REPO, what=f"build into {db}")
    result["rss_mib"] = rusage.ru_maxrss / 1024
    result["cpu"] = rusage.ru_utime + rusage.ru_stime
    return result


def stages(profile: Path) -> list[tuple[str, float]]:
    """Share of on-CPU samples per stage (py-spy raw output: 'frame;frame;... count')."""
    counts: Counter = Counter()
    total = 0
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n = int(n)
        total += n
        frames = stack.split(";")[::-1]  # innermost first
        for name, needles in STAGES:
            if any(needle in frame for frame in frames for needle in needles):
                counts[name] += n
                break
        else:
            counts["other (imports, interpreter, waiting in Python)"] += n
    return [(name, n / total) for name, n in counts.most_common()] if total else []


@contextmanager
def postgres_server(work: Path):
    url = os.environ.get("QUOTEKB_BENCH_POSTGRES_URL")
    if url:
        yield url, None
        return
    directory = Path(f"/tmp/quotekb-bench-pg-{uuid.uuid4().hex[:8]}")
    started = subprocess.run(["bash", str(SCRIPTS / "pg_throwaway.sh"), "start", str(directory)],
                             capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(f"cannot start a PostgreSQL cluster: {started.stderr.strip()[-300:]}")
    try:
        yield started.stdout.strip(), directory
    finally:
        subprocess.run(["bash", str(SCRIPTS / "pg_throwaway.sh"), "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


def fresh_database(server: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    from quotekb.store.postgres import conninfo

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(server), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def server_cpu(directory: Path | None) -> float | None:
    """CPU seconds of the throwaway cluster's postmaster and its reaped children."""
    if directory is None:
        return None
    pid = (directory / "data" / "postmaster.pid").read_text().split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks  # utime stime cutime cstime


def postgres_bytes(url: str) -> int:
    from quotekb.store.postgres import SCHEMA, ReadConnection

    with ReadConnection(url) as conn:
        return conn.execute("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'm')",
                            (SCHEMA,)).fetchone()[0]


DISTINCT_WORDS = 100

FACETS = ["SELECT speaker_id, count(*) FROM claims GROUP BY speaker_id ORDER BY count(*) DESC, speaker_id",
          "SELECT kind, count(*) FROM claims GROUP BY kind ORDER BY count(*) DESC, kind"]


def in_process_p50(db, n: int) -> tuple[float, float, int]:
    """p50 (ms) of quotekb.store.search over SEARCH_WORDS (50 best) and of the facet
    counts, n runs each after a warm-up; and how many sentences the words matched."""
    from quotekb.publish.export import connect_readonly
    from quotekb.store.search import search

    conn = connect_readonly(db)
    try:
        matched = sum(len(search(conn, w, limit=0)) for w in SEARCH_WORDS)
        for w in SEARCH_WORDS:
            search(conn, w, limit=50)
        times = []
        for i in range(n):
            started = time.perf_counter()
            search(conn, SEARCH_WORDS[i % len(SEARCH_WORDS)], limit=50)
            times.append(time.perf_counter() - started)
        facet_times = []
        for _ in range(n):
            started = time.perf_counter()
            for sql in FACETS:
                list(conn.execute(sql))
            facet_times.append(time.perf_counter() - started)
    finally:
        conn.close()
    return statistics.median(times) * 1000, statistics.median(facet_times) * 1000, matched


def distinct_words(db, n: int = DISTINCT_WORDS) -> list[str]:
    """n distinct searchable terms of the database, none of them SEARCH_WORDS, spread
    evenly over the terms matching at least 100 sentences ordered by how many they match
    (the most frequent first): each is asked once, so nothing answers it from a cache."""
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts_terms USING fts5vocab(main, sentences_fts, row)")
        terms = [t for (t,) in conn.execute("SELECT term FROM temp.fts_terms WHERE doc >= 100 "
                                            "ORDER BY doc DESC, term")]
    finally:
        conn.close()
    terms = [t for t in terms if t not in SEARCH_WORDS and not t.isascii() or t.isalpha() and len(t) > 1]
    step = max(1, len(terms) // n)
    return terms[::step][:n]


def datasette_p50(corpus: Path, db: Path, requests: int, rebuild: bool = True) -> dict[str, tuple[float, float, int]]:
    """p50/p95 (ms) and non-200 count of the search stored query (SEARCH_WORDS in turn),
    of the claims facet page, and of distinct words asked once each ("distinct"); the
    server's answer cache is off (--cache-mb 0), so every request runs its SQL."""
    words = distinct_words(db)
    with serve(db, corpus, cache_mb=0, rebuild=rebuild) as server, \
            httpx.Client(base_url=server.base_url, timeout=60.0) as client:
        facet = facet_path(client, server.base_url)
        search = [f"/quotekb/search.json?{httpx.QueryParams(q=SEARCH_WORDS[i % len(SEARCH_WORDS)])}"
                  for i in range(requests)]
        distinct = [f"/quotekb/search.json?{httpx.QueryParams(q=w)}" for w in words]
        measured = {}
        for name, paths in (("search", search), ("facet", [facet] * requests), ("distinct", distinct)):
            for path in (paths[:5] if name != "distinct" else search[:5]):
                client.get(path)
            times, failures = [], 0
            for path in paths:
                started = time.perf_counter()
                failures += client.get(path).status_code != 200
                times.append(time.perf_counter() - started)
            measured[name] = (percentile(times, 50) * 1000, percentile(times, 95) * 1000, failures)
        measured["facet_path"] = facet
    return measured


def bench_scale(work: Path, rows: list[Row], small: int = 1000, large: int = 10000, requests: int = 200) -> str:
    """The scale rows; returns the where-the-time-goes notes (markdown)."""
    cores = os.cpu_count() or 1
    corpora = {}
    for n in (small, large):
        corpora[n] = work / f"scale{n}"
        log(f"scale: writing {n:,} synthetic articles")
        make_corpus(corpora[n], n, seed=0, source=REPO / "corpus")
    profiling = py_spy() is not None
    notes = []
    results: dict[tuple[str, int], dict] = {}
    with postgres_server(work) as (server, directory):
        for engine in ("sqlite", "postgresql"):
            for n in (small, large):
                db = str(work / f"scale-{engine}-{n}" / "quotekb.db") if engine == "sqlite" else fresh_database(server)
                if engine == "sqlite":
                    Path(db).parent.mkdir(parents=True)
                profile = work / f"profile-{engine}-{n}.txt" if profiling and n == large else None
                log(f"scale: {engine} build of {n:,} articles on {cores} cores" + (" (py-spy)" if profile else ""))
                cpu_before = server_cpu(directory) if engine == "postgresql" else None
                load = os.getloadavg()[0]
                result = rss_build(corpora[n], db, cores, profile)
                result["load"] = (load + os.getloadavg()[0]) / 2
                if cpu_before is not None:
                    result["server_cpu"] = server_cpu(directory) - cpu_before
                result["db"] = db
                result["bytes"] = Path(db).stat().st_size if engine == "sqlite" else postgres_bytes(db)
                if profile is not None and profile.exists():
                    result["stages"] = stages(profile)
                results[engine, n] = result
        log(f"scale: Datasette on the {large:,}-article SQLite database")
        sqlite_large = Path(results["sqlite", large]["db"])
        served = datasette_p50(corpora[large], sqlite_large, requests)
        in_process = {engine: in_process_p50(results[engine, large]["db"], requests)
                      for engine in ("sqlite", "postgresql")}
    for engine, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        a, b = results[engine, small], results[engine, large]
        per_small, per_large = a["wall"] / a["articles"], b["wall"] / b["articles"]
        ratio = per_large / per_small
        server = ""
        if "server_cpu" in b:
            server = f"; server CPU {fmt_s(a['server_cpu'])} / {fmt_s(b['server_cpu'])}"
        rows.append(Row(f"{label}: build of {large:,} vs {small:,} synthetic articles, all {cores} cores, wall "
                        f"per article ({b['counts'].get('morphemes', 0):,} vs {a['counts'].get('morphemes', 0):,} "
                        "morphemes)",
                        f"{per_large * 1000:.1f} ms vs {per_small * 1000:.1f} ms = {ratio:.2f}x "
                        f"({fmt_s(b['wall'])} vs {fmt_s(a['wall'])}{server}; load average {b['load']:.1f} vs "
                        f"{a['load']:.1f})", "<= 1.2x", ratio <= 1.2))
        cpu_small, cpu_large = a["cpu"] / a["articles"], b["cpu"] / b["articles"]
        if "server_cpu" in b:
            cpu_small += a["server_cpu"] / a["articles"]
            cpu_large += b["server_cpu"] / b["articles"]
        cpu_ratio = cpu_large / cpu_small
        rows.append(Row(f"{label}: CPU per article of the same builds (build process and its workers"
                        + (", plus the server" if "server_cpu" in b else "") + f"), {large:,} vs {small:,}",
                        f"{cpu_large * 1000:.1f} ms vs {cpu_small * 1000:.1f} ms = {cpu_ratio:.2f}x", "<= 1.2x",
                        cpu_ratio <= 1.2))
        rows.append(Row(f"{label}: database bytes per article, {large:,} vs {small:,} articles",
                        f"{b['bytes'] / b['articles'] / 1024:.0f} KiB vs {a['bytes'] / a['articles'] / 1024:.0f} KiB "
                        f"({b['bytes'] / 2**30:.2f} GiB in all)"))
        rows.append(Row(f"{label}: peak RSS of the {large:,}-article build (largest process)",
                        f"{b['rss_mib']:.0f} MiB (vs {a['rss_mib']:.0f} MiB at {small:,})"))
    pg_ratio = results["postgresql", large]["wall"] / results["sqlite", large]["wall"]
    rows.append(Row(f"PostgreSQL vs SQLite build of {large:,} articles (wall)",
                    f"{fmt_s(results['postgresql', large]['wall'])} vs {fmt_s(results['sqlite', large]['wall'])}"
                    f" = {pg_ratio:.2f}x"))
    sentences = results["sqlite", large]["counts"].get("sentences", 0)
    rows += search_rows(served, in_process, sentences, requests)
    for engine, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        found = results[engine, large].get("stages")
        if found:
            shares = "; ".join(f"{name} {share:.0%}" for name, share in found if share >= 0.01)
            notes.append(f"- {label}, {large:,} articles, on-CPU samples of every build process (py-spy): {shares}.")
    if not profiling:
        notes.append("- py-spy was not found (PY_SPY or PATH): no profile of the 10,000-article builds.")
    return "\n".join(notes)


def search_rows(served: dict, in_process: dict, sentences: int, requests: int) -> list[Row]:
    """The search and facet rows of the scale table (in_process: per engine measured)."""
    rows = []
    p50, p95, failures = served["search"]
    rows.append(Row(f"SQLite, Datasette search stored query, {requests} sequential requests over "
                    f"{len(SEARCH_WORDS)} words, answer cache off, {sentences:,} sentences",
                    f"p50 {p50:.1f} ms, p95 {p95:.1f} ms" + (f", {failures} non-200" if failures else ""),
                    "p50 < 50 ms", p50 < 50 and not failures))
    p50, p95, failures = served["distinct"]
    rows.append(Row(f"SQLite, Datasette search stored query, {DISTINCT_WORDS} distinct vocabulary terms "
                    "(matching >= 100 sentences) asked once each, answer cache off",
                    f"p50 {p50:.1f} ms, p95 {p95:.1f} ms" + (f", {failures} non-200" if failures else ""),
                    "p50 < 50 ms", p50 < 50 and not failures))
    p50, p95, failures = served["facet"]
    rows.append(Row(f"SQLite, Datasette facet page `{served['facet_path']}`, {requests} sequential requests",
                    f"p50 {p50:.1f} ms, p95 {p95:.1f} ms" + (f", {failures} non-200" if failures else "")))
    engines = [e for e in ("sqlite", "postgresql") if e in in_process]
    labels = " / ".join({"sqlite": "SQLite", "postgresql": "PostgreSQL"}[e] for e in engines)
    matched = " / ".join(f"{in_process[e][2]:,}" for e in engines)
    same = len({in_process[e][2] for e in engines}) == 1
    rows.append(Row(f"in process, quotekb.store.search (50 best) over {len(SEARCH_WORDS)} words, p50, "
                    f"{labels} ({matched} sentences matched in all)",
                    " / ".join(f"{in_process[e][0]:.1f} ms" for e in engines),
                    "same matches" if len(engines) > 1 else "-", same if len(engines) > 1 else None))
    rows.append(Row(f"in process, claims facet counts (speaker_id, kind), p50, {labels}",
                    " / ".join(f"{in_process[e][1]:.1f} ms" for e in engines)))
    return rows


def search_only(db: Path, corpus: Path, requests: int, postgres: str | None = None) -> list[Row]:
    """Only the search and facet rows, against databases built before (no build, no
    rebuild of a database older code built): a re-run takes about a minute."""
    import sqlite3

    with sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True) as conn:
        sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    log(f"scale: Datasette on {db} ({sentences:,} sentences), load average {os.getloadavg()[0]:.1f}")
    served = datasette_p50(corpus, db, requests, rebuild=False)
    in_process = {"sqlite": in_process_p50(db, requests)}
    if postgres:
        in_process["postgresql"] = in_process_p50(postgres, requests)
    log(f"scale: measured, load average {os.getloadavg()[0]:.1f}")
    return search_rows(served, in_process, sentences, requests)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench import table

    parser = argparse.ArgumentParser(description="The search and facet rows of the scale table, "
                                                 "against an existing 10,000-article database.")
    parser.add_argument("--search-only", metavar="DB", type=Path, required=True,
                        help="SQLite quotekb.db built before (e.g. from scripts/synth_corpus.py 10000)")
    parser.add_argument("--corpus", type=Path, help="its corpus (default: corpus/ beside the database)")
    parser.add_argument("--postgres", metavar="URL", help="also search this PostgreSQL build in process")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    if not args.search_only.is_file():
        print(f"{args.search_only}: no such database", file=sys.stderr)
        return 2
    print(table(search_only(args.search_only, args.corpus or args.search_only.parent / "corpus",
                            args.requests, args.postgres)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
