"""Engine creation and the DDL that SQLAlchemy models do not express (FTS, views).

Full-text tables are declared once here and views in views.py. Virtual tables are
created with the schema (rows go into them article by article); views are (re)created
by one idempotent function at the end of every build, so schema.sql, the build and the
tests all see the same schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.schema import CreateIndex, CreateTable

from quotekb.store.models import Base
from quotekb.store.search_top import SEARCH_TOP, index_search_top
from quotekb.store.units import UNITS_FTS, index_units
from quotekb.store.views import VIEWS

# Virtual tables, created together with the model tables.
VIRTUAL_TABLES: dict[str, str] = {
    # Sudachi-normalized terms of each sentence (rowid = sentences.id), searched through
    # sudachi_query(): finds 2-character words, lemmas and case/width variants.
    # Every space-separated normalized form is one FTS token: the tokenizer splits on
    # whitespace only (all letter, number, mark, punctuation and symbol categories are
    # token characters), so Sudachi's segmentation is kept exactly, 10% included.
    # `spans` holds each term's sentence-relative start-end, so matches found by FTS5
    # highlight() map back to the original characters without tokenizing again.
    "sentences_fts": (
        "CREATE VIRTUAL TABLE sentences_fts USING fts5(terms, spans UNINDEXED, tokenize = "
        "\"unicode61 remove_diacritics 0 categories 'L* N* Co M* P* S*'\")"
    ),
    # Section headings and key points, the units that are not sentences (units.py).
    "units_fts": UNITS_FTS,
    # Raw sentence text for substring search of 3+ characters.
    "sentences_trigram": (
        "CREATE VIRTUAL TABLE sentences_trigram USING fts5(text, content = 'sentences', "
        "content_rowid = 'id', tokenize = 'trigram')"
    ),
}

# Plain tables outside the models, derived from the finished index at the end of every
# build and never written article by article (SQLite only, like the FTS tables).
DERIVED_TABLES: dict[str, str] = {
    # the best answers of search for its most frequent single terms (search_top.py)
    "search_top": SEARCH_TOP,
}


def make_engine(path: Path | str, foreign_keys: bool = True) -> Engine:
    """`foreign_keys=False`: for a full build's bulk load, which checks every key once
    at its end (check_foreign_keys) instead of looking up both parents of each of
    millions of rows as it inserts them."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        # The build writes a private temporary file that is renamed only on success,
        # so a rollback journal buys nothing; fsync happens once before the rename.
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    return engine


def create_schema(engine: Engine, deferred_indexes: bool = False) -> None:
    """Tables and virtual tables; with deferred_indexes, secondary indexes wait for
    create_indexes(), because building them once after a bulk load is much faster
    than updating them row by row."""
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            conn.execute(CreateTable(table))
        for statement in (*VIRTUAL_TABLES.values(), *DERIVED_TABLES.values()):
            conn.exec_driver_sql(statement)
        if not deferred_indexes:
            create_indexes(conn)


def create_indexes(conn) -> None:
    for table in Base.metadata.sorted_tables:
        for index in sorted(table.indexes, key=lambda i: i.name):
            conn.execute(CreateIndex(index, if_not_exists=True))


def check_foreign_keys(conn) -> None:
    """Raise sqlite3.IntegrityError for the first row whose foreign key has no parent
    (what an insert would have raised with foreign_keys on), naming the key's columns
    and the value that points nowhere."""
    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    if bad is None:
        return
    table, _rowid, parent, fk_id = bad
    # (id, seq, table, from, to, ...) per column; `to` is NULL for a key that names only
    # the parent table: then it is the parent's primary key, column by column
    key = [(row[3], row[4]) for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list([{table}])")
           if row[0] == fk_id]
    primary = [row[1] for row in sorted(conn.exec_driver_sql(f"PRAGMA table_info([{parent}])"),
                                        key=lambda row: row[5]) if row[5]]
    pairs = [(frm, to if to is not None else primary[i]) for i, (frm, to) in enumerate(key)]
    missing = " AND ".join(f"p.[{to}] = c.[{frm}]" for frm, to in pairs)
    present = " AND ".join(f"c.[{frm}] IS NOT NULL" for frm, _to in pairs)
    value = conn.exec_driver_sql(
        f"SELECT {', '.join(f'c.[{frm}]' for frm, _to in pairs)} FROM [{table}] c "
        f"WHERE {present} AND NOT EXISTS (SELECT 1 FROM [{parent}] p WHERE {missing}) LIMIT 1").first()
    columns = ", ".join(f"{table}.{frm}" for frm, _to in pairs)
    targets = ", ".join(f"{parent}.{to}" for _frm, to in pairs)
    shown = ", ".join(repr(v) for v in value) if value else "?"
    raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {columns} = {shown} matches no {targets}")


def apply_extras(conn, unit_terms: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Views, and the indexes derived from the finished tables; `unit_terms`: see
    units.index_units."""
    for name, select in VIEWS.items():
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE VIEW {name} AS {select.strip()}")
    index_units(conn, unit_terms)
    index_search_top(conn)  # after every change of sentences_fts: BM25 reads the whole index


def schema_sql() -> str:
    """The whole schema as SQL text, as committed in db/schema.sql."""
    engine = make_engine(":memory:")
    create_schema(engine)
    with engine.begin() as conn:
        apply_extras(conn)
        rows = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY CASE type WHEN 'table' THEN 0 "
            "WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name"
        ).all()
    engine.dispose()
    # FTS5 shadow tables (<name>_data, _idx, ...) are created by their virtual table
    shadow_prefixes = tuple(f"{name}_" for name in VIRTUAL_TABLES)
    header = "-- Generated by `make schema` (quotekb schema) from quotekb/store/models.py and schema.py.\n"
    header += "-- Do not edit: tests fail when this file is stale.\n"
    return header + "".join(
        f"\n{sql.strip()};\n" for _type, name, sql in rows if not name.startswith(shadow_prefixes)
    )
