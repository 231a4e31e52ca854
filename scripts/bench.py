"""Benchmarks, measured in one run: build speed and memory, rebuilds, Datasette latency.

    python scripts/bench.py [--quick] [--no-readme] [--readme PATH] [--profile] [--before REV]
    python scripts/bench.py --scale [--no-readme]   # 10,000 articles, SQLite and PostgreSQL

Prints a markdown table (metric | value | target | ok) and writes it into README.md
between <!-- bench:start --> and <!-- bench:end --> (skipped with a warning when the
markers are missing). --quick uses 100/20 synthetic articles instead of 1,000/100 and
fewer requests (for tests). --profile also prints the 15 functions with the highest
cumulative time of an in-process build of 100 synthetic articles. --scale runs only the
scale table (scripts/bench_scale.py: 1,000 and 10,000 articles on both engines) and
writes it between <!-- bench-scale:start --> and <!-- bench-scale:end -->.

Every comparison is between numbers measured in this same run on this machine:
  - seed build: `quotekb build` in a subprocess vs its floor, a subprocess that imports
    sudachipy, loads the core dictionary and tokenizes the same text (best of 3 each);
  - in-process seed build with and without the token layer, and its tokens per second;
  - synthetic corpora (scripts/synth_corpus.py): build throughput vs raw Sudachi
    tokenization of the same texts in this process, peak RSS of each build in a fresh
    subprocess (os.wait4 rusage), the default build on all cores vs one process, and
    the rebuild after one article changes. On the large corpus, 3 rounds (one with
    --quick) of: the one-process build, the build on all cores, the peer; medians,
    and the ratios of every round;
  - the peer: a lean pipeline that only tokenizes and indexes the same corpus
    (scripts/peer_pipeline.py: SudachiPy + sqlite3 executemany + FTS5, one process);
  - with --before REV: the same one-process and all-core builds with that revision's
    code, one run each;
  - Datasette (`quotekb serve` on a free 127.0.0.1 port) on the large database: p50/p95
    of sequential requests to the search stored query and to the claims facet page.
All temporary files live under one tempfile.mkdtemp() directory, removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from loadtest import SEARCH_WORDS, facet_path, percentile, quotekb_command, serve  # noqa: E402
from synth_corpus import make_corpus  # noqa: E402

CORPUS = REPO / "corpus"
README = REPO / "README.md"
SECTION = "bench"

# A fresh interpreter that builds and reports BuildStats as JSON (rusage comes from wait4).
CHILD_BUILD = """
import json, sys
from pathlib import Path
from quotekb.store.build import build
stats = build(Path(sys.argv[1]), Path(sys.argv[2]), jobs=int(sys.argv[3]))
print(json.dumps({"seconds": stats.seconds, "chars": stats.chars, "articles": stats.articles,
                  "counts": dict(stats.counts), "mode": getattr(stats, "mode", "full"),
                  "reason": getattr(stats, "reason", ""), "phases": dict(getattr(stats, "phases", {}))}))
"""

# The floor of a seed build: interpreter start, sudachipy import, core dictionary, tokenizing.
CHILD_FLOOR = """
import sys
from sudachipy import Dictionary, SplitMode
tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)
text = open(sys.argv[1], encoding="utf-8").read()
n = sum(len(tokenizer.tokenize(p)) for p in text.splitlines() if p.strip())
print(n)
"""


@dataclass
class Row:
    metric: str
    value: str
    target: str = "-"
    ok: bool | None = None

    def cells(self) -> list[str]:
        ok = "-" if self.ok is None else ("yes" if self.ok else "**no**")
        return [self.metric, self.value, self.target, ok]


def table(rows: list[Row]) -> str:
    lines = ["| metric | value | target | ok |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def wall(argv: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - started


def run_child(argv: list[str], cwd: Path, what: str, env: dict | None = None) -> tuple[dict, object]:
    """Run argv, read the last JSON line it prints (other lines, e.g. py-spy's, are
    skipped), add its wall seconds; also return its rusage from wait4, which gives this
    child's own (RUSAGE_CHILDREN would be the max over all children)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    out = process.stdout.read()
    process.stdout.close()
    _pid, status, rusage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{what} failed with status {code}")
    result = json.loads([line for line in out.decode().splitlines() if line.startswith("{")][-1])
    result["wall"] = elapsed
    return result, rusage


def child_build(corpus: Path, db: Path, jobs: int = 1, code: Path | None = None) -> dict:
    """Build in a fresh interpreter; returns its BuildStats, wall seconds and peak RSS
    (MiB, of the building process itself: with jobs > 1, of the parent that merges).
    `code`: a directory holding another version of the package (see --before)."""
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    source = CHILD_BUILD if code is None or (code / "quotekb" / "store").is_dir() else \
        CHILD_BUILD.replace("quotekb.store.build", "quotekb.build")  # the flat layout before the subpackages
    result, rusage = run_child([sys.executable, "-c", source, str(corpus), str(db), str(jobs)],
                               cwd=code or REPO, env=env, what=f"build of {corpus}")
    result["rss_mib"] = rusage.ru_maxrss / 1024  # Linux: KiB
    return result


def child_peer(corpus: Path, db: Path) -> dict:
    """The lean peer pipeline (scripts/peer_pipeline.py) in a fresh interpreter."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(SCRIPTS / "peer_pipeline.py"), str(corpus), str(db)],
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def paragraphs(corpus: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((corpus / "articles").glob("*.txt"))]
    return [line for text in texts for line in text.splitlines() if line.strip()]


def raw_sudachi_seconds(texts: list[str]) -> float:
    """Tokenizing these paragraphs with Sudachi (mode A, core) in this process."""
    from quotekb import nlp

    tokenizer = nlp.dictionary().tokenizer(mode=nlp.MODE)
    tokenizer.tokenize("ウォームアップ")
    started = time.perf_counter()
    for text in texts:
        for i in range(0, len(text), nlp.CHUNK_CHARS):
            tokenizer.tokenize(text[i : i + nlp.CHUNK_CHARS])
    return time.perf_counter() - started


def best_of(n: int, fn) -> float:
    return min(fn() for _ in range(n))


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def rate(n: float) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.1f} k"


def append_sentence(path: Path) -> None:
    """Change one article: one more paragraph at the end of its last turn."""
    raw = path.read_bytes().decode("utf-8")
    nl = "\r\n" if "\r\n" in raw else "\n"
    body, tail = raw.rstrip("\r\n"), raw[len(raw.rstrip("\r\n")):]
    added = "この段落はベンチマークの再ビルド計測のために追加されました。"
    path.write_bytes((body + nl + nl + added + tail).encode("utf-8"))


# -- the measurements ------------------------------------------------------------------

class Paths:
    """A fresh database path for every build that must be a full one (builds are incremental)."""

    def __init__(self, work: Path):
        self.work, self.n = work, 0

    def db(self, name: str) -> Path:
        self.n += 1
        path = self.work / f"{name}-{self.n}" / "quotekb.db"
        path.parent.mkdir(parents=True)
        return path


def bench_seed_cli(work: Path, paths: Paths, rows: list[Row]) -> None:
    seed_texts = sorted((CORPUS / "articles").glob("*.txt"))
    chars = sum(len(p.read_text(encoding="utf-8")) for p in seed_texts)
    all_text = work / "seed-text.txt"
    all_text.write_text("\n".join(p.read_text(encoding="utf-8") for p in seed_texts), encoding="utf-8")
    log("seed build in a subprocess vs its floor, best of 3")

    def cli() -> float:
        return wall([*quotekb_command(), "build", "--corpus", str(CORPUS), "--db", str(paths.db("seed")), "-q"],
                    cwd=REPO)

    build_s = best_of(3, cli)
    floor_s = best_of(3, lambda: wall([sys.executable, "-c", CHILD_FLOOR, str(all_text)], cwd=REPO))
    rows.append(Row(f"seed build, `quotekb build` subprocess ({len(seed_texts)} article, {chars:,} chars), best of 3",
                    f"{fmt_s(build_s)} = {build_s / floor_s:.1f}x floor"))
    rows.append(Row("floor: python + import sudachipy + core dictionary + tokenize the seed, best of 3",
                    fmt_s(floor_s)))


def bench_seed_tokens(paths: Paths, rows: list[Row]) -> None:
    from quotekb.store.build import build

    log("seed build in process, with and without tokens, best of 3")
    build(CORPUS, paths.db("warm"))  # imports, dictionary, caches
    no_tokens = best_of(3, lambda: build(CORPUS, paths.db("seed-no-tokens"), with_tokens=False).seconds)
    stats = None

    def with_tokens() -> float:
        nonlocal stats
        stats = build(CORPUS, paths.db("seed-tokens"), with_tokens=True)
        return stats.seconds

    full = best_of(3, with_tokens)
    tokens = stats.counts.get("morphemes", 0)
    layer = full - no_tokens
    rows.append(Row("seed build in process: without token layer / with it, best of 3",
                    f"{fmt_s(no_tokens)} / {fmt_s(full)}"))
    layer_rate = f"{rate(tokens / layer)} tokens/s (token layer alone)" if layer > 0 else "n/a"
    rows.append(Row(f"token layer: {tokens:,} tokens, +{layer:.2f} s",
                    f"{layer_rate}; {rate(tokens / full)} tokens/s overall"))


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (of an odd number), with every wall time in it."""
    ordered = sorted(runs, key=lambda r: r["wall"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["walls"] = [r["wall"] for r in ordered]
    return chosen


def _per_round(ratios: list[float]) -> str:
    return f" (rounds: {', '.join(f'{r:.2f}x' for r in ratios)})" if len(ratios) > 1 else ""


# Steps of a build (BuildStats.phases): `articles`, the loop over the tasks (tokenize,
# extract and write, and freeing each task's rows), is what a pool spreads over its
# workers; the rest of a one-process build (interpreter start, import, load, parse,
# finish) runs on one core whatever the pool does.
STEPS = ("load", "parse", "tokenize", "extract", "write", "finish")


def bounds(one: dict, parallel: dict, peer: dict, cores: int) -> list[Row]:
    """What the one-process build's own steps (the median run's BuildStats.phases) leave
    within reach of both build targets, from numbers of this run: the speed-up on
    `cores` if a pool spread tokenize, extract and write at no cost at all (Amdahl), and
    the time left for everything but tokenizing and writing at 0.8x the peer."""
    phases = one.get("phases") or {}
    if not all(name in phases for name in (*STEPS, "articles")):
        return []
    wall = one["wall"]
    spread = phases["articles"]
    single = wall - spread  # interpreter start, import, load, parse, finish, exit
    steps = ", ".join(f"{name} {phases[name]:.2f}" for name in STEPS)
    ceiling = wall / (single + spread / cores)
    budget = peer["wall"] / 0.8
    tokenize_write = phases["tokenize"] + phases["write"]
    rest = wall - tokenize_write
    left = budget - tokenize_write
    return [
        Row("where the one-process build's time goes (the median run above; s)",
            f"{fmt_s(wall)} wall: start and import {wall - one['seconds']:.2f}, {steps}"),
        Row(f"ceiling on {cores} cores left by the one-core steps (everything but the loop over the tasks: "
            "tokenize, extract, write; Amdahl, as if a pool cost nothing)",
            f"{fmt_s(single)} on one core + {fmt_s(spread)} / {cores} = {fmt_s(single + spread / cores)}: "
            f"{ceiling:.2f}x at most (measured: {wall / parallel['wall']:.2f}x)"),
        Row("time left at 0.8x the peer for all but tokenizing and writing (the peer's whole job, "
            "here with this schema's rows)",
            f"{fmt_s(budget)} - {fmt_s(tokenize_write)} = {fmt_s(left)} for start, load, parse, extract and "
            f"finish, which take {fmt_s(rest)}" + (f" ({rest / left:.1f}x too much)" if left > 0 else "")),
    ]


def bench_synthetic(work: Path, paths: Paths, rows: list[Row], large: int, small: int,
                    repeats: int = 1, before: list[tuple[str, Path]] = ()) -> tuple[Path, Path]:
    """On the large corpus, `repeats` rounds of the one-process build, the build on all
    cores and the peer, interleaved so that a slow minute of the machine hits all three
    alike; medians reported, and the ratios of each round, which show their spread (one
    run of any of them swings by 10% or more here). Raw Sudachi: the median of `repeats`."""
    corpora = {}
    for n in (small, large):
        corpora[n] = work / f"syn{n}"
        make_corpus(corpora[n], n, seed=0, source=CORPUS)
    cores = os.cpu_count() or 1
    dbs = {small: paths.db(f"syn{small}")}
    log(f"build of {small} synthetic articles in a fresh process")
    results = {small: child_build(corpora[small], dbs[small])}
    one_runs, parallel_runs, peer_runs = [], [], []
    for i in range(repeats):
        log(f"round {i + 1}/{repeats} on {large} synthetic articles: one process, all {cores} cores "
            "(the default --jobs 0), the lean peer (tokenize + index only)")
        if large in dbs:
            dbs[large].unlink()  # the rebuilds and Datasette below use the last round's
        dbs[large] = paths.db(f"syn{large}")
        one_runs.append(child_build(corpora[large], dbs[large]))
        parallel_db, peer_db = paths.db("parallel"), paths.db("peer")
        parallel_runs.append(child_build(corpora[large], parallel_db, jobs=cores))
        peer_runs.append(child_peer(corpora[large], peer_db))
        parallel_db.unlink()
        peer_db.unlink()
    results[large], parallel, peer = median_run(one_runs), median_run(parallel_runs), median_run(peer_runs)
    versus_peer_rounds = [p["wall"] / o["wall"] for p, o in zip(peer_runs, one_runs, strict=True)]
    speedup_rounds = [o["wall"] / p["wall"] for o, p in zip(one_runs, parallel_runs, strict=True)]
    raw, raw_runs = {}, {}
    for n in (small, large):
        texts = paragraphs(corpora[n])
        runs = [raw_sudachi_seconds(texts) for _ in range(repeats if n == large else 1)]
        raw[n] = sum(map(len, texts)) / statistics.median(runs)
        raw_runs[n] = f", median of {len(runs)} runs" if len(runs) > 1 else ""
    for n, r, how in ((small, results[small], "one process"), (large, results[large], "one process"),
                      (large, parallel, f"all {cores} cores (default)")):
        throughput = r["chars"] / r["seconds"]
        ratio = throughput / raw[n]
        runs = ""
        if len(r.get("walls", ())) > 1:
            runs = f"; median of {len(r['walls'])} runs: {', '.join(fmt_s(w) for w in r['walls'])}"
        rows.append(Row(
            f"build {n:,} synthetic articles, {how} ({r['chars']:,} chars, {r['counts'].get('morphemes', 0):,} tokens)",
            f"{fmt_s(r['seconds'])} in build() ({fmt_s(r['wall'])} wall{runs}): {rate(throughput)} chars/s"
            f" = {ratio:.2f}x raw Sudachi ({rate(raw[n])} chars/s, one thread{raw_runs[n]})"))
    one = results[large]
    versus_peer = peer["wall"] / one["wall"]
    peer_runs_text = f" (median of {len(peer['walls'])} runs: {', '.join(fmt_s(w) for w in peer['walls'])})" \
        if len(peer["walls"]) > 1 else ""
    rows.append(Row(f"peer: SudachiPy + sqlite3 executemany + FTS5 only, one process, {large:,} articles "
                    "(scripts/peer_pipeline.py)", f"{fmt_s(peer['wall'])} wall{peer_runs_text}"))
    rows.append(Row(f"full build, one process, vs the peer ({large:,} articles, wall, medians of the same run)",
                    f"{fmt_s(one['wall'])} vs {fmt_s(peer['wall'])} = {versus_peer:.2f}x the peer's throughput"
                    f"{_per_round(versus_peer_rounds)}",
                    ">= 0.8x", versus_peer >= 0.8))
    rows.extend(bounds(one, parallel, peer, cores))
    for rev, code in before:
        # that revision's own corpus files: its schemas may not read today's YAML
        log(f"builds of {large} synthetic articles with the code of {rev} (--before)")
        old_corpus = work / f"syn{large}-{code.name}"
        make_corpus(old_corpus, large, seed=0, source=code / "corpus")
        old_one = child_build(old_corpus, paths.db("before-one"), 1, code)
        old_parallel = child_build(old_corpus, paths.db("before-parallel"), cores, code)
        rows.append(Row(f"{rev} -> this code, {large:,} articles, one process (wall, same run)",
                        f"{fmt_s(old_one['wall'])} -> {fmt_s(one['wall'])}"))
        rows.append(Row(f"{rev} -> this code, {large:,} articles, all {cores} cores (wall, same run)",
                        f"{fmt_s(old_parallel['wall'])} -> {fmt_s(parallel['wall'])} "
                        f"({old_one['wall'] / old_parallel['wall']:.2f}x -> {one['wall'] / parallel['wall']:.2f}x "
                        "its own one-process speed)"))
    ratio = results[large]["rss_mib"] / results[small]["rss_mib"]
    rows.append(Row(f"peak RSS, one-process build of {large:,} vs {small:,} articles (fresh processes)",
                    f"{results[large]['rss_mib']:.0f} MiB vs {results[small]['rss_mib']:.0f} MiB = {ratio:.2f}x",
                    "<= 1.5x", ratio <= 1.5))
    speedup = results[large]["wall"] / parallel["wall"]
    rows.append(Row(f"parallel build on all {cores} cores, {large:,} articles (wall, fresh processes, medians)",
                    f"{fmt_s(parallel['wall'])} vs {fmt_s(results[large]['wall'])} in one process = {speedup:.2f}x"
                    f"{_per_round(speedup_rounds)}",
                    ">= 1.7x single", speedup >= 1.7))

    large_db = dbs[large]
    # three rebuilds, each after changing a different article; the median is reported
    # (one rebuild alone swings with the disk: it copies and fsyncs the whole database)
    articles = sorted((corpora[large] / "articles").glob("*.txt"))
    rebuilds = []
    for changed in (articles[large // 2], articles[large // 3], articles[2 * large // 3]):
        append_sentence(changed)
        log(f"rebuild after changing {changed.name}")
        rebuilds.append(child_build(corpora[large], large_db, jobs=cores))
    rebuild = median_run(rebuilds)
    median, walls = rebuild["wall"], rebuild["walls"]
    modes = "/".join(sorted({r.get("mode", "full") for r in rebuilds}))
    # against the default (parallel) full build: the shorter one, so the stricter test
    share = median / parallel["wall"]
    rows.append(Row(f"rebuild of {large:,} articles after one changed, median of 3 (wall, same db path, "
                    f"build mode: {modes})",
                    f"{fmt_s(median)} (runs: {', '.join(fmt_s(w) for w in walls)}) = {share:.1%} of the full "
                    f"build on all cores ({fmt_s(parallel['wall'])})",
                    "< 10% of full build", share < 0.10))
    return corpora[large], large_db


def bench_datasette(corpus: Path, db: Path, rows: list[Row], requests: int) -> None:
    # the answer cache off: these are repeated requests, and the cost measured is Datasette's
    with serve(db, corpus, cache_mb=0) as server:
        log(f"Datasette at {server.base_url}: {requests} sequential requests per page")
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            facet = facet_path(client, server.base_url)
            search = [f"/quotekb/search.json?{httpx.QueryParams(q=SEARCH_WORDS[i % len(SEARCH_WORDS)])}"
                      for i in range(requests)]
            measured = {}
            for name, paths in (("search", search), ("facet", [facet] * requests)):
                for path in paths[:5]:  # warm-up
                    client.get(path)
                times, failures = [], 0
                for path in paths:
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - started)
                    failures += response.status_code != 200
                measured[name] = (times, failures)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    for name, label, target_ms in (("search", "search stored query `/quotekb/search.json?q=...`", 20),
                                   ("facet", f"facet page `{facet}`", 150)):
        times, failures = measured[name]
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        note = f", {failures} non-200" if failures else ""
        rows.append(Row(f"{label}, {len(times)} sequential requests, {sentences:,} sentences",
                        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms{note}", f"p50 < {target_ms} ms",
                        p50 < target_ms and not failures))


def profile_build(work: Path, n: int = 100, top: int = 15) -> str:
    from quotekb.store.build import build

    corpus = work / f"profile{n}"
    make_corpus(corpus, n, seed=0, source=CORPUS)
    paths = Paths(work / "profile")
    build(CORPUS, paths.db("warm"))
    db = paths.db("profiled")
    profiler = cProfile.Profile()
    profiler.enable()
    build(corpus, db)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def environment(large: int) -> str:
    from importlib.metadata import version

    return (f"Measured by `make bench` ({large:,}-article synthetic corpus from scripts/synth_corpus.py) on "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"SudachiPy {version('sudachipy')}, Datasette {version('datasette')}.")


def write_readme(body: str, readme: Path, section: str = SECTION) -> None:
    from readme_sections import replace_section

    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if f"<!-- {section}:start -->" not in text or f"<!-- {section}:end -->" not in text:
        log(f"warning: {readme} has no <!-- {section}:start --> ... <!-- {section}:end --> markers; not written")
        return
    try:
        replace_section(section, body, readme)
    except SystemExit as error:  # replace_section reports missing markers this way
        log(f"warning: {error}; not written")
        return
    log(f"table written into {readme}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100/20 articles and fewer requests (for tests)")
    parser.add_argument("--no-readme", action="store_true", help="do not write the table into README.md")
    parser.add_argument("--readme", type=Path, default=README, help="README to write the table into")
    parser.add_argument("--before", metavar="REV", action="append", default=[],
                        help="also build the large corpus with the code of this git revision, in the same run, "
                             "from a synthetic corpus made from that revision's corpus/ (repeatable)")
    parser.add_argument("--profile", action="store_true",
                        help="also print the top 15 cumulative functions of a 100-article in-process build")
    parser.add_argument("--scale", action="store_true",
                        help="only the scale run: 1,000 and 10,000 articles into SQLite and PostgreSQL")
    args = parser.parse_args(argv)
    if args.scale:
        return scale(args)
    large, small, requests = (100, 20, 30) if args.quick else (1000, 100, 200)

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="quotekb-bench-"))
    rows: list[Row] = []
    paths = Paths(work)
    failed = []

    def guarded(name: str, fn, *fn_args):
        """One group of measurements; a failure becomes a row, and the others still run."""
        try:
            return fn(*fn_args)
        except Exception as error:  # noqa: BLE001 - reported in the table and on stderr
            traceback.print_exc()
            failed.append(name)
            rows.append(Row(name, f"error: {type(error).__name__}: {str(error).splitlines()[0][:160]}",
                            "runs", False))
            return None

    profile = None
    try:
        guarded("seed build vs floor", bench_seed_cli, work, paths, rows)
        guarded("seed build with/without tokens", bench_seed_tokens, paths, rows)
        before = []
        if args.before:
            from compare_builds import extract_revision

            before = [(rev, extract_revision(rev, work / f"before-code-{i}")) for i, rev in enumerate(args.before)]
        built = guarded("synthetic corpus builds", bench_synthetic, work, paths, rows, large, small,
                        1 if args.quick else 3, before)
        if built:
            guarded("Datasette latency", bench_datasette, *built, rows, requests)
        if args.profile:
            profile = guarded("cProfile of a 100-article build", profile_build, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    body = table(rows) + "\n\n" + environment(large)
    print(body)
    if profile:
        print("\ncProfile, in-process build of 100 synthetic articles, top 15 by cumulative time:\n")
        print(profile)
    log(f"done in {time.perf_counter() - started:.0f} s")
    if failed:
        log(f"failed: {', '.join(failed)}; README not written")
        return 1
    if not args.no_readme:
        write_readme(body, args.readme)
    return 0


def scale(args) -> int:
    from bench_scale import bench_scale

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="quotekb-bench-scale-"))
    rows: list[Row] = []
    try:
        small, large = (100, 400) if args.quick else (1000, 10000)
        notes = bench_scale(work, rows, small=small, large=large, requests=30 if args.quick else 200)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    from importlib.metadata import version

    body = (table(rows) + "\n\n" + notes + "\n\nMeasured by `python scripts/bench.py --scale` on "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"psycopg {version('psycopg')}, SudachiPy {version('sudachipy')}, Datasette {version('datasette')}.")
    print(body)
    log(f"done in {time.perf_counter() - started:.0f} s")
    if not args.no_readme:
        write_readme(body, args.readme, "bench-scale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
