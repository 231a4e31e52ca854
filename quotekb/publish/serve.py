"""`quotekb serve`: is the database current, and the ASGI server that publishes it.

Staleness is decided by the build's own hashes (store/build.py's plan_build): the
database is rebuilt when an article or shared file changed, when it was built by
other code or schema, or when it is missing; file times are not looked at, so a
touched file rebuilds nothing and an old build by older code is never served.

The server is uvicorn with the app factory quotekb.publish.live:create_app, one worker
process per CPU by default; each worker switches to a rebuilt file by itself (live.py).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from quotekb.ingest.corpus import fingerprint
from quotekb.store.build import plan_build


def stale_reason(db_path: Path, corpus_dir: Path) -> str | None:
    """Why the database must be rebuilt before serving, or None when it is current."""
    quick = fingerprint(corpus_dir)
    if quick is None:
        return "the corpus cannot be read"  # the build then names the file and the problem
    plan = plan_build(Path(db_path), quick, with_tokens=True, full=False)
    return None if plan.mode == "unchanged" else plan.reason


def default_workers() -> int:
    """The CPUs this process may run on (a container's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def run(db_path: Path, host: str, port: int, config: Path, metadata: Path, workers: int, cache_mb: float) -> None:
    """Serve until interrupted; worker processes find their setup in the environment."""
    from uvicorn import Config, Server
    from uvicorn.supervisors import Multiprocess

    from quotekb.publish.live import ENV

    os.environ[ENV] = json.dumps({"db": str(Path(db_path).resolve()), "config": str(Path(config).resolve()),
                                  "metadata": str(Path(metadata).resolve()), "cache_mb": cache_mb})
    sys.stdout.flush()
    settings = Config("quotekb.publish.live:create_app", factory=True, host=host, port=port, workers=workers,
                      lifespan="on", log_level="warning", access_log=False)
    if workers == 1:
        server = Server(settings)
        server.run()
        if not server.started:
            raise SystemExit(3)  # as uvicorn.run: the server could not start (port taken, app failed)
        return
    # uvicorn.run() for several workers, plus TCP_NODELAY on the shared socket: asyncio
    # sets it only on sockets whose proto is IPPROTO_TCP, and this one has proto 0, so an
    # answer written in two parts waited some 40 ms for the client's delayed ACK (accepted
    # sockets inherit the flag from the listening one on Linux)
    sock = settings.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(settings, sockets=[sock]).run()


def datasette_command(db_path: Path, host: str, port: int, config: Path, metadata: Path) -> list[str]:
    """Plain Datasette on the same file and configuration, one process: the baseline
    scripts/loadtest.py compares `quotekb serve` with."""
    return [
        sys.executable, "-m", "datasette", "serve",
        "-i", str(db_path),
        "-c", str(config),
        "-m", str(metadata),
        "--host", host,
        "--port", str(port),
    ]
