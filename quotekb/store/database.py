"""Which engine a --db value names: a path is a SQLite file, a postgresql:// URL a server.

Kept free of driver imports so that the command line starts fast on SQLite.
"""

from __future__ import annotations

from pathlib import Path

URL_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_url(db: str | Path) -> bool:
    return isinstance(db, str) and db.startswith(URL_SCHEMES)


def parse(value: str | Path) -> str | Path:
    """A --db value: the URL as given, or a path."""
    return value if is_url(value) else Path(value)
