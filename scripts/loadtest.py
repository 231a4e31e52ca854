"""Load test: `quotekb serve` on loopback, many concurrent clients, a markdown report.

    python scripts/loadtest.py [--db db/quotekb.db] [--corpus corpus] [--clients 32] [--seconds 30]

Starts `quotekb serve` on a free 127.0.0.1 port (never another interface), waits until it
answers, then drives --clients concurrent asyncio + httpx clients for --seconds over a
mix of the search stored query, the claims facet page (the sentences facet page while
the database has no claims table) and row pages of sentences and turns. Prints requests/s,
latency p50/p99 per kind and overall, errors and 5xx responses; exits 1 when there was
any error or 5xx. The server is always stopped (its whole process group).

bench.py imports serve(), free_port() and percentile() from here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import signal
import socket
import sqlite3
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
    base_url: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def serve(db: Path, corpus: Path, config: Path | None = None, metadata: Path | None = None,
          startup_timeout: float = 300.0) -> Iterator[Server]:
    """Run `quotekb serve` on a free loopback port until the block exits."""
    port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="quotekb-serve-"))
    log = log_dir / "serve.log"
    argv = [
        *quotekb_command(), "serve",
        "--corpus", str(Path(corpus).resolve()), "--db", str(Path(db).resolve()),
        "--host", HOST, "--port", str(port),
        "--config", str(Path(config or REPO / "datasette.yaml").resolve()),
        "--metadata", str(Path(metadata or REPO / "metadata.yaml").resolve()),
    ]
    with open(log, "wb") as out:
        # a session of its own: the server (serve exec()s Datasette) and anything it starts
        # form one process group that is stopped as a whole, and nothing else is touched
        process = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://{HOST}:{port}", process, log)
    try:
        _wait_until_up(server, startup_timeout)
        yield server
    finally:
        _stop(process)
        with contextlib.suppress(OSError):
            log.unlink()
            log_dir.rmdir()


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
                raise RuntimeError(f"quotekb serve exited with status {status}:\n{_log_tail(server)}")
            try:
                if client.get(server.base_url + "/-/versions.json").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"quotekb serve did not answer within {timeout:.0f}s:\n{_log_tail(server)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
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


def max_ids(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 1 for t in ("sentences", "turns")}
    finally:
        conn.close()


# -- load ---------------------------------------------------------------------------

@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)
    server_errors: int = 0
    unexpected: int = 0


def request_mix(rng: random.Random, facet: str, ids: dict[str, int]) -> tuple[str, str]:
    r = rng.random()
    if r < 0.4:
        return "search", "/quotekb/search.json?" + httpx.QueryParams(q=rng.choice(SEARCH_WORDS)).__str__()
    if r < 0.6:
        return "facet", facet
    if r < 0.8:
        return "sentence row", f"/quotekb/sentences/{rng.randint(1, ids['sentences'])}"
    return "turn row", f"/quotekb/turns/{rng.randint(1, ids['turns'])}"


async def _client(n: int, client: httpx.AsyncClient, deadline: float, facet: str, ids: dict[str, int],
                  results: Results, seed: int, max_requests: int) -> None:
    rng = random.Random(seed * 1000 + n)
    for _ in range(max_requests):  # bounded: the deadline ends it long before
        if time.perf_counter() >= deadline:
            return
        kind, path = request_mix(rng, facet, ids)
        started = time.perf_counter()
        try:
            response = await client.get(path)
            await response.aread()
        except httpx.HTTPError as error:
            results.errors.append(f"{kind} {path}: {type(error).__name__}: {error}")
            continue
        results.latencies[kind].append(time.perf_counter() - started)
        results.statuses[response.status_code] += 1
        if response.status_code >= 500:
            results.server_errors += 1
        elif response.status_code != 200:
            results.unexpected += 1
            results.errors.append(f"{kind} {path}: HTTP {response.status_code}")


async def run_load(base_url: str, clients: int, seconds: float, facet: str, ids: dict[str, int],
                   seed: int = 0) -> tuple[Results, float]:
    results = Results()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds
        max_requests = int(seconds * 5000) + 10
        await asyncio.gather(*(
            _client(n, client, deadline, facet, ids, results, seed, max_requests) for n in range(clients)
        ))
        elapsed = time.perf_counter() - started
    return results, elapsed


def report(results: Results, elapsed: float, clients: int, facet: str) -> str:
    everything = [v for values in results.latencies.values() for v in values]
    total = len(everything) + len([e for e in results.errors if "HTTP" not in e])
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    lines = [
        "| metric | value |",
        "|---|---|",
        f"| clients | {clients} |",
        f"| duration | {elapsed:.1f} s |",
        f"| requests | {total} |",
        f"| requests/s | {total / elapsed:.1f} |",
        f"| latency p50 | {ms(percentile(everything, 50))} |",
        f"| latency p99 | {ms(percentile(everything, 99))} |",
        f"| latency max | {ms(max(everything) if everything else math.nan)} |",
        f"| errors | {len(results.errors)} |",
        f"| 5xx | {results.server_errors} |",
    ]
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        lines.append(f"| {kind}: n / p50 / p99 | {len(values)} / {ms(percentile(values, 50))} / "
                     f"{ms(percentile(values, 99))} |")
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(results.statuses.items()))
    lines.append(f"| HTTP statuses | {statuses} |")
    lines.append(f"| facet page | `{facet}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=REPO / "db" / "quotekb.db")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus",
                        help="corpus for serve's staleness check (rebuilds the db when older)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--config", type=Path, default=REPO / "datasette.yaml")
    parser.add_argument("--metadata", type=Path, default=REPO / "metadata.yaml")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")

    if args.db.name != "quotekb.db":
        # Datasette names a database after its file; datasette.yaml configures `quotekb`
        parser.error(f"--db {args.db}: the file must be named quotekb.db (Datasette serves it as /quotekb)")
    with serve(args.db, args.corpus, args.config, args.metadata, args.startup_timeout) as server:
        facet = facet_path(None, server.base_url)
        ids = max_ids(args.db)
        print(f"loadtest: {args.clients} clients x {args.seconds:g}s against {server.base_url} "
              f"({args.db})", flush=True)
        results, elapsed = asyncio.run(run_load(server.base_url, args.clients, args.seconds, facet, ids, args.seed))
    print(report(results, elapsed, args.clients, facet))
    for line in results.errors[:10]:
        print(f"error: {line}", file=sys.stderr)
    return 1 if results.errors or results.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
