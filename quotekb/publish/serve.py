"""Helpers for `quotekb serve`: staleness and the Datasette command line."""

from __future__ import annotations

import sys
from pathlib import Path


def is_stale(db_path: Path, corpus_dir: Path) -> bool:
    """True when the database is missing or older than any file under the corpus."""
    if not db_path.exists():
        return True
    built = db_path.stat().st_mtime
    return any(p.stat().st_mtime > built for p in Path(corpus_dir).rglob("*") if p.is_file())


def datasette_command(db_path: Path, host: str, port: int, config: Path, metadata: Path) -> list[str]:
    """Datasette serving the file immutable (-i): every write is refused."""
    return [
        sys.executable, "-m", "datasette", "serve",
        "-i", str(db_path),
        "-c", str(config),
        "-m", str(metadata),
        "--host", host,
        "--port", str(port),
    ]
