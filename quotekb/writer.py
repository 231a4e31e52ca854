"""Writing document rows into SQLite: id rebasing, bulk inserts, and deletion.

Row dicts come with document-local ids (1, 2, ...). `Rebaser` shifts every integer id
and every foreign key pointing at one by the table's current maximum, using the
foreign keys declared on the models, so no table-specific code is needed here.
Inserts go through the DBAPI executemany of the build's SQLAlchemy connection, in
table order: the fastest path SQLite offers (see DESIGN.md, insert speeds).
"""

from __future__ import annotations

from collections import Counter
from operator import itemgetter

from sqlalchemy import Connection, Integer

from .models import Base

# Insert order respects foreign keys.
TABLE_ORDER = [
    "speakers", "topics", "entities", "documents", "speaker_labels", "segments", "sections", "turns",
    "sentences", "tokens", "sentences_fts", "key_points", "claims", "sentence_topics", "claim_topics", "analogies",
    "analogy_mentions", "analogy_markers", "mentions",
]
# Virtual tables have no model: columns and the table their rowid follows.
VIRTUAL = {"sentences_fts": (("rowid", "terms", "spans"), "sentences")}


def _integer_id_tables() -> set[str]:
    tables = set()
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].name == "id" and isinstance(pk[0].type, Integer):
            tables.add(table.name)
    return tables


def _references() -> dict[str, dict[str, str]]:
    """table -> {column: table whose integer id it holds}."""
    id_tables = _integer_id_tables()
    refs: dict[str, dict[str, str]] = {}
    for table in Base.metadata.sorted_tables:
        columns = {}
        if table.name in id_tables:
            columns["id"] = table.name
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target in id_tables and fk.column.name == "id":
                columns[fk.parent.name] = target
        refs[table.name] = columns
    for name, (_columns, follows) in VIRTUAL.items():
        refs[name] = {"rowid": follows}
    return refs


REFERENCES = _references()
ID_TABLES = sorted(_integer_id_tables())


# A packed batch: the table's columns in insert order and one list of values per row.
# Lists pickle far more cheaply than dicts between worker processes, and SQLite's
# executemany takes them as they are.
Packed = dict[str, list[list]]


def _columns(table: str) -> tuple[str, ...]:
    if table in VIRTUAL:
        return VIRTUAL[table][0]
    return tuple(c.name for c in Base.metadata.tables[table].columns)


COLUMNS = {table: _columns(table) for table in TABLE_ORDER}


def pack(rows: dict[str, list[dict]]) -> Packed:
    """Row dicts -> value lists in COLUMNS order (missing optional columns are NULL).
    Batches that are already value lists (tokens, sentences_fts) pass through."""
    packed = {}
    for table, batch in rows.items():
        if table not in COLUMNS or not batch:
            continue
        if isinstance(batch[0], list):
            packed[table] = batch
            continue
        columns = COLUMNS[table]
        getter = itemgetter(*columns)
        try:
            packed[table] = [list(getter(row)) for row in batch]
        except KeyError:
            packed[table] = [[row.get(c) for c in columns] for row in batch]
    return packed


class Rebaser:
    """Shifts document-local ids onto the database, table by table."""

    def __init__(self, conn: Connection | None = None) -> None:
        self.base: Counter = Counter()
        if conn is not None:
            for table in ID_TABLES:
                self.base[table] = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()

    def apply(self, packed: Packed, used: Counter) -> None:
        for table, batch in packed.items():
            columns = COLUMNS[table]
            shifts = [(columns.index(col), self.base[target])
                      for col, target in REFERENCES.get(table, {}).items() if self.base[target]]
            for index, shift in shifts:
                for row in batch:
                    if row[index] is not None:
                        row[index] += shift
        for table, n in used.items():
            self.base[table] += n


_INSERTS = {
    table: f"INSERT INTO {table} ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
    for table, cols in COLUMNS.items()
}
_SENTENCE_ID = COLUMNS["sentences"].index("id")


def write_rows(conn: Connection, packed: Packed, counts: Counter) -> None:
    # the DBAPI connection inside the SQLAlchemy transaction: executemany takes the
    # value lists as they are, with no per-row parameter processing
    dbapi = conn.connection.driver_connection
    for table in TABLE_ORDER:
        batch = packed.get(table)
        if not batch:
            continue
        dbapi.executemany(_INSERTS[table], batch)
        counts[table] += len(batch)
    # the trigram index reads the sentences just written (external content)
    if packed.get("sentences"):
        ids = [row[_SENTENCE_ID] for row in packed["sentences"]]
        conn.exec_driver_sql(
            "INSERT INTO sentences_trigram(rowid, text) SELECT id, text FROM sentences WHERE id BETWEEN ? AND ?",
            (min(ids), max(ids)),
        )


def delete_document(conn: Connection, document_id: str) -> None:
    """Remove every row of one document, children first."""
    sentence_ids = "SELECT id FROM sentences WHERE document_id = :doc"
    claim_ids = "SELECT id FROM claims WHERE document_id = :doc"
    statements = [
        "INSERT INTO sentences_trigram(sentences_trigram, rowid, text) "
        "SELECT 'delete', id, text FROM sentences WHERE document_id = :doc",
        f"DELETE FROM sentences_fts WHERE rowid IN ({sentence_ids})",
        f"DELETE FROM tokens WHERE sentence_id IN ({sentence_ids})",
        "DELETE FROM mentions WHERE document_id = :doc",
        f"DELETE FROM analogy_markers WHERE sentence_id IN ({sentence_ids})",
        "DELETE FROM analogy_mentions WHERE document_id = :doc",
        "DELETE FROM analogies WHERE document_id = :doc",
        f"DELETE FROM claim_topics WHERE claim_id IN ({claim_ids})",
        f"DELETE FROM sentence_topics WHERE sentence_id IN ({sentence_ids})",
        "DELETE FROM claims WHERE document_id = :doc",
        "DELETE FROM key_points WHERE document_id = :doc",
        "DELETE FROM sentences WHERE document_id = :doc",
        "DELETE FROM turns WHERE document_id = :doc",
        "DELETE FROM sections WHERE document_id = :doc",
        "DELETE FROM segments WHERE document_id = :doc",
        "DELETE FROM speaker_labels WHERE document_id = :doc",
        "DELETE FROM documents WHERE id = :doc",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement.replace(":doc", "?"), (document_id,) * statement.count(":doc"))
