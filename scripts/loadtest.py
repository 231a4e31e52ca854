"""Load test: `quotekb serve` against plain `datasette -i` on the same file, same run.

    python scripts/loadtest.py [--db db/quotekb.db] [--corpus corpus] [--clients 8,32]
                               [--seconds 20] [--rounds 1] [--workers N] [--readme README.md]

Starts three servers on free 127.0.0.1 ports (never another interface): plain
`python -m datasette serve -i` with the same datasette.yaml and metadata.yaml (one
process, as Datasette ships), `quotekb serve --cache-mb 0` (uvicorn, --workers
processes, default one per CPU, no answer cache) and `quotekb serve` as it runs by
default. For each client count they are loaded in turn (--rounds repeats the three
and the best round of each counts) by asyncio + httpx clients, each
requesting at random one of five pages: the home page, a facet page, a search, a claim
page and a document's reader view. No client sends If-None-Match, so no answer comes
from a cache. Then the cost of errors: sequential 404s and 400s on each server.

Prints a markdown table (req/s, p50, p99, errors per server and client count, the
ratio quotekb / plain) and writes it into --readme between <!-- loadtest:start --> and
<!-- loadtest:end -->. Exits 1 on any error or non-200 answer. Servers are always
stopped, each as its own process group.

bench.py imports serve(), free_port(), percentile() and facet_path() from here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, always
SEARCH_WORDS = ["電気", "思う", "モデル", "太陽光", "スケーリング則", "ai", "鉄鋼", "ベル研究所", "利益", "推論 コスト"]
CLAIMS_FACET = "/quotekb/claims?_facet=speaker_id&_facet=kind"
SENTENCES_FACET = "/quotekb/sentences?_facet=speaker_id&_facet=kind"
KINDS = ("home", "facet", "search", "claim", "reader")
ERROR_PAGES = ("/quotekb/no_such_table", "/quotekb/-/query.json?sql=select+no_such_column")


def quotekb_command() -> list[str]:
    """The `quotekb` console script of the interpreter running this file."""
    script = Path(sys.executable).with_name("quotekb")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from quotekb.cli import cli; sys.exit(cli())"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of values; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def _running(name: str, argv: list[str], port: int, startup_timeout: float) -> Iterator[Server]:
    log_dir = Path(tempfile.mkdtemp(prefix="quotekb-serve-"))
    log = log_dir / "serve.log"
    with open(log, "wb") as out:
        # a session of its own: the server and every worker it starts form one process
        # group that is stopped as a whole, and nothing else is touched
        process = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(name, f"http://{HOST}:{port}", process, log)
    try:
        _wait_until_up(server, startup_timeout)
        yield server
    finally:
        _stop(process)
        with contextlib.suppress(OSError):
            log.unlink()
            log_dir.rmdir()


@contextlib.contextmanager
def serve(db: Path, corpus: Path, config: Path | None = None, metadata: Path | None = None,
          startup_timeout: float = 300.0, workers: int | None = None,
          cache_mb: float | None = None, rebuild: bool = True) -> Iterator[Server]:
    """Run `quotekb serve` on a free loopback port until the block exits.

    rebuild=False starts the same server (quotekb.publish.serve.run: uvicorn, the live
    app, the same workers) without `quotekb serve`'s staleness check, so that a large
    database built by older code is measured as it is instead of rebuilt first."""
    port = free_port()
    config = str(Path(config or REPO / "datasette.yaml").resolve())
    metadata = str(Path(metadata or REPO / "metadata.yaml").resolve())
    if rebuild:
        argv = [
            *quotekb_command(), "serve",
            "--corpus", str(Path(corpus).resolve()), "--db", str(Path(db).resolve()),
            "--host", HOST, "--port", str(port), "--config", config, "--metadata", metadata,
        ]
        if workers:
            argv += ["--workers", str(workers)]
        if cache_mb is not None:
            argv += ["--cache-mb", str(cache_mb)]
    else:
        from quotekb.publish.live import DEFAULT_CACHE_MB
        from quotekb.publish.serve import default_workers

        argv = [sys.executable, "-c",
                "import sys; from pathlib import Path; from quotekb.publish.serve import run; "
                "run(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]), "
                "int(sys.argv[6]), float(sys.argv[7]))",
                str(Path(db).resolve()), HOST, str(port), config, metadata, str(workers or default_workers()),
                str(DEFAULT_CACHE_MB if cache_mb is None else cache_mb)]
    name = "quotekb serve" if cache_mb is None else f"quotekb serve --cache-mb {cache_mb:g}"
    with _running(name, argv, port, startup_timeout) as server:
        yield server


@contextlib.contextmanager
def serve_plain(db: Path, config: Path | None = None, metadata: Path | None = None,
                startup_timeout: float = 120.0) -> Iterator[Server]:
    """Plain Datasette (`datasette serve -i`) on the same file and configuration."""
    from quotekb.publish.serve import datasette_command

    port = free_port()
    argv = datasette_command(Path(db).resolve(), HOST, port, Path(config or REPO / "datasette.yaml").resolve(),
                             Path(metadata or REPO / "metadata.yaml").resolve())
    with _running("datasette -i", argv, port, startup_timeout) as server:
        yield server


def _log_tail(server: Server, n: int = 20) -> str:
    try:
        return "\n".join(server.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                status = server.process.returncode
                raise RuntimeError(f"{server.name} exited with status {status}:\n{_log_tail(server)}")
            try:
                if client.get(server.base_url + "/-/versions.json").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f}s:\n{_log_tail(server)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def facet_path(client: httpx.Client | None, base_url: str) -> str:
    """The claims facet page, or the sentences one while the claims table does not exist."""
    own = client is None
    client = client or httpx.Client(timeout=60.0)
    try:
        status = client.get(base_url + CLAIMS_FACET).status_code
    finally:
        if own:
            client.close()
    return SENTENCES_FACET if status == 404 else CLAIMS_FACET


@dataclass(frozen=True)
class Targets:
    """What the page mix draws from, read from the database."""

    claims: list[str]
    documents: list[str]


def targets(db: Path) -> Targets:
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        claims = [str(r[0]) for r in conn.execute("SELECT id FROM claims ORDER BY id")]
        documents = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    finally:
        conn.close()
    if not claims or not documents:
        raise SystemExit(f"{db}: needs at least one document and one claim")
    return Targets(claims, documents)


def request_mix(rng: random.Random, facet: str, pages: Targets) -> tuple[str, str]:
    kind = rng.choice(KINDS)
    if kind == "home":
        return kind, "/"
    if kind == "facet":
        return kind, facet
    if kind == "search":
        return kind, "/quotekb/search?" + str(httpx.QueryParams(q=rng.choice(SEARCH_WORDS)))
    if kind == "claim":
        return kind, f"/quotekb/claims/{rng.choice(pages.claims)}"
    return kind, f"/quotekb/documents/{rng.choice(pages.documents)}"


# -- load ---------------------------------------------------------------------------

@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + len([e for e in self.errors if "HTTP" not in e])

    @property
    def everything(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


async def _client(n: int, client: httpx.AsyncClient, deadline: float, facet: str, pages: Targets,
                  results: Results, seed: int, max_requests: int) -> None:
    rng = random.Random(seed * 1000 + n)
    for _ in range(max_requests):  # bounded: the deadline ends it long before
        if time.perf_counter() >= deadline:
            return
        kind, path = request_mix(rng, facet, pages)
        started = time.perf_counter()
        try:
            response = await client.get(path)
            await response.aread()
        except httpx.HTTPError as error:
            results.errors.append(f"{kind} {path}: {type(error).__name__}: {error}")
            continue
        results.latencies[kind].append(time.perf_counter() - started)
        results.statuses[response.status_code] += 1
        if response.status_code != 200:
            results.errors.append(f"{kind} {path}: HTTP {response.status_code}")


async def run_load(base_url: str, clients: int, seconds: float, facet: str, pages: Targets,
                   seed: int = 0) -> Results:
    results = Results()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        max_requests = int(seconds * 5000) + 10
        await asyncio.gather(*(
            _client(n, client, started + seconds, facet, pages, results, seed, max_requests) for n in range(clients)
        ))
        results.elapsed = time.perf_counter() - started
    return results


def error_cost(base_url: str, n: int = 10) -> tuple[float, float, set[int]]:
    """Median and fastest ms of sequential error answers (a 404 and a 400, alternating):
    on a machine shared with other work the median includes waiting for a CPU."""
    times, statuses = [], set()
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for i in range(n):
            started = time.perf_counter()
            statuses.add(client.get(ERROR_PAGES[i % len(ERROR_PAGES)]).status_code)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000, statuses


def warm_up(base_url: str, facet: str, pages: Targets) -> None:
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        rng = random.Random(1)
        for _ in range(10):
            client.get(request_mix(rng, facet, pages)[1])


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def report(runs: dict[tuple[str, int], Results], errors: dict[str, tuple[float, float, set[int]]], names: list[str],
           clients: list[int], seconds: float, workers: int, sentences: int, load: tuple[float, float]) -> str:
    lines = [
        f"Measured by `python scripts/loadtest.py` on {os.cpu_count()} CPUs ({platform.python_version()}, "
        f"{sentences:,} sentences), {seconds:g} s per run; quotekb serve with {workers} worker processes. "
        "Each client requests at random the home page, a claims facet page, a search, a claim page and a "
        "reader view; no client sends If-None-Match. `--cache-mb 0` turns off the server's cache of whole "
        "answers of the current build, leaving the worker processes alone; the default keeps 64 MB per worker. "
        f"Load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after: other work shared the CPUs.",
        "",
        "| server | clients | requests | req/s | p50 | p99 | errors | ratio to plain |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in clients:
        plain = runs[(names[0], n)]
        for name in names:
            r = runs[(name, n)]
            ratio = f"{r.rate / plain.rate:.2f}x" if plain.rate else "n/a"
            lines.append(f"| {name} | {n} | {r.requests} | {r.rate:.1f} | {ms(percentile(r.everything, 50))} | "
                         f"{ms(percentile(r.everything, 99))} | {len(r.errors)} | {ratio} |")
    lines += ["", "| server | clients | " + " | ".join(f"{k} p50" for k in KINDS) + " |",
              "|---|---:|" + "---:|" * len(KINDS)]
    for n in clients:
        for name in names:
            r = runs[(name, n)]
            lines.append(f"| {name} | {n} | " + " | ".join(ms(percentile(r.latencies[k], 50)) for k in KINDS) + " |")
    lines += ["", "| server | error answer (404 / 400), 10 sequential: median | fastest | statuses |",
              "|---|---:|---:|---|"]
    for name, (median, fastest, statuses) in errors.items():
        lines.append(f"| {name} | {median:.1f} ms | {fastest:.1f} ms | {', '.join(map(str, sorted(statuses)))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=REPO / "db" / "quotekb.db")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus",
                        help="corpus for serve's staleness check (rebuilds the db when its hashes differ)")
    parser.add_argument("--clients", default="8,32", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat each pair; the best round counts")
    parser.add_argument("--workers", type=int, default=None, help="quotekb serve --workers (default: its own)")
    parser.add_argument("--config", type=Path, default=REPO / "datasette.yaml")
    parser.add_argument("--metadata", type=Path, default=REPO / "metadata.yaml")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--readme", type=Path, default=None, help="write the table into this README")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    if min(clients) < 1 or args.seconds <= 0 or args.rounds < 1:
        parser.error("--clients, --seconds and --rounds must be positive")
    if args.db.name != "quotekb.db":
        # Datasette names a database after its file; datasette.yaml configures `quotekb`
        parser.error(f"--db {args.db}: the file must be named quotekb.db (Datasette serves it as /quotekb)")

    runs: dict[tuple[str, int], Results] = {}
    errors: dict[str, tuple[float, float, set[int]]] = {}
    load_before = os.getloadavg()[0]
    from quotekb.publish.serve import default_workers
    workers = args.workers or default_workers()
    with contextlib.ExitStack() as stack:
        plain = stack.enter_context(serve_plain(args.db, args.config, args.metadata, args.startup_timeout))
        uncached = stack.enter_context(serve(args.db, args.corpus, args.config, args.metadata, args.startup_timeout,
                                             args.workers, cache_mb=0))
        ours = stack.enter_context(serve(args.db, args.corpus, args.config, args.metadata, args.startup_timeout,
                                         args.workers))
        servers = [plain, uncached, ours]
        facet = facet_path(None, ours.base_url)
        pages = targets(args.db)
        for server in servers:
            warm_up(server.base_url, facet, pages)
        for n in clients:
            for round_ in range(args.rounds):
                for server in servers:
                    print(f"loadtest: {server.name}, {n} clients x {args.seconds:g}s (round {round_ + 1})",
                          file=sys.stderr, flush=True)
                    result = asyncio.run(run_load(server.base_url, n, args.seconds, facet, pages, args.seed))
                    best = runs.get((server.name, n))
                    if best is None or result.rate > best.rate:
                        runs[(server.name, n)] = result
        for server in servers:
            errors[server.name] = error_cost(server.base_url)
        names = [server.name for server in servers]
    with sqlite3.connect(f"file:{args.db.resolve()}?mode=ro", uri=True) as conn:
        sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    table = report(runs, errors, names, clients, args.seconds, workers, sentences, (load_before, os.getloadavg()[0]))
    print(table)
    if args.readme:
        sys.path.insert(0, str(REPO / "scripts"))
        from readme_sections import replace_section
        replace_section("loadtest", table, args.readme)
    failed = [line for r in runs.values() for line in r.errors]
    for line in failed[:10]:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
