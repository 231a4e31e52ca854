"""SQL shared by the pages: optional tables and columns, and the certainty label.

Pages are written against the tables other layers are adding (a `quotes` table, a
`claims.certainty` column) and fall back when a database does not have them yet.
"""

from __future__ import annotations

import sqlite3

CERTAINTY_LEVELS = ("certain", "neutral", "hedged", "mixed")

# Until claims carry a certainty column, derive it from the two cue flags. When the
# column exists it is used as is (certainty_expr), so the switch needs no edit here.
DERIVED_CERTAINTY = (
    "CASE WHEN {c}.hedged AND {c}.certain THEN 'mixed' WHEN {c}.hedged THEN 'hedged' "
    "WHEN {c}.certain THEN 'certain' ELSE 'neutral' END"
)


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (name,)).fetchone()
    return row is not None


def has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info([{table}])"))


def certainty_expr(conn: sqlite3.Connection, alias: str = "c") -> str:
    """SQL for a claim's certainty (certain, neutral, hedged or mixed)."""
    if has_column(conn, "claims", "certainty"):
        return f"{alias}.certainty"
    return DERIVED_CERTAINTY.format(c=alias)


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(conn: sqlite3.Connection, sql: str, params=()) -> dict | None:
    found = rows(conn, sql, params)
    return found[0] if found else None
