"""Writing rows into SQLite: chunks, shards, id shifting on merge, deletion.

Articles are processed in chunks of consecutive articles. A pool worker writes its
chunk into a shard: a scratch SQLite file of plain tables, with ids local to the shard
(1, 2, ...). The build merges shards in corpus order with INSERT ... SELECT; `Rebaser`
shifts every integer id, and every foreign key pointing at one, by the table's current
maximum, using the foreign keys declared on the models, so no table-specific code is
needed here, and no row passes through Python in the process that merges. A serial
build numbers its rows with the database's ids from the start and writes each chunk
straight in (write_chunk). Both insert table by table across a chunk's documents and
commit once per chunk, which keeps the two databases identical (full-text index pages
depend on how rows were inserted).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Connection, Integer

from quotekb.store.models import Base

# Virtual tables have no model: their columns and the table their rowid follows
# (they are written right after it, deleted right before it).
VIRTUAL = {"sentences_fts": (("rowid", "terms", "spans"), "sentences")}
# Filled by the build itself, not from a document's rows.
NOT_ROWS = {"lexemes", "build_info"}


def _table_order() -> list[str]:
    """Insert order: the models' foreign-key order, each virtual table after the
    table it follows."""
    order = []
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_ROWS:
            continue
        order.append(table.name)
        order += [name for name, (_columns, follows) in VIRTUAL.items() if follows == table.name]
    return order


TABLE_ORDER = _table_order()


def _integer_id_tables() -> set[str]:
    """Tables whose integer ids are shifted on merge: all but lexemes, which are
    shared by every document and matched by content instead (_merge_lexemes)."""
    tables = set()
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].name == "id" and isinstance(pk[0].type, Integer):
            tables.add(table.name)
    return tables - {"lexemes"}


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


# A packed batch: per table, one sequence of values per row in COLUMNS order, which
# SQLite's executemany takes as it is (no per-row parameter processing).
Packed = dict[str, list[Sequence]]


def _columns(table: str) -> tuple[str, ...]:
    if table in VIRTUAL:
        return VIRTUAL[table][0]
    return tuple(c.name for c in Base.metadata.tables[table].columns)


COLUMNS = {table: _columns(table) for table in (*TABLE_ORDER, "lexemes")}


def pack(rows: dict[str, list[dict]]) -> Packed:
    """Row dicts -> value lists in COLUMNS order (missing optional columns are NULL).
    Batches that are already value lists or tuples (morphemes, sentences_fts) pass through.
    A table the models do not declare is an error: rows are never silently dropped."""
    packed = {}
    for table, batch in rows.items():
        if table not in COLUMNS or table in NOT_ROWS:
            raise ValueError(f"rows for {table!r}, which is not a table the build writes (quotekb/store/models.py)")
        if not batch:
            continue
        if isinstance(batch[0], (list, tuple)):
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
    """Shifts shard-local ids onto the database, table by table."""

    def __init__(self, conn: Connection | None = None) -> None:
        self.base: Counter = Counter()
        if conn is not None:
            for table in ID_TABLES:
                self.base[table] = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()

    def advance(self, used: Counter) -> None:
        for table, n in used.items():
            self.base[table] += n

    def shifted(self, table: str) -> list[str]:
        """SQL select expressions over a shard's columns c0, c1, ... with ids shifted."""
        refs = REFERENCES.get(table, {})
        return [f"c{i} + {self.base[refs[c]]}" if c in refs and self.base[refs[c]] else f"c{i}"
                for i, c in enumerate(COLUMNS[table])]


_INSERTS = {
    table: f"INSERT INTO {table} ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
    for table, cols in COLUMNS.items()
}


def write_rows(conn: Connection, packed: Packed, counts: Counter) -> None:
    """Rows that need no id shifting (speakers, topics, entities) straight in."""
    # the DBAPI connection inside the SQLAlchemy transaction: executemany takes the
    # value lists as they are, with no per-row parameter processing
    dbapi = conn.connection.driver_connection
    for table in TABLE_ORDER:
        if packed.get(table):
            dbapi.executemany(_INSERTS[table], packed[table])
            counts[table] += len(packed[table])


def commit(conn: Connection) -> None:
    """Commit both layers: rows inserted through the DBAPI connection can have opened a
    transaction that SQLAlchemy did not see (its commit would then do nothing)."""
    conn.commit()
    conn.connection.driver_connection.commit()


def write_shard(path: Path, batches: list[Packed], lexemes: list[list[str]]) -> None:
    """Rows of several documents (ids local to the shard), and the lexemes their
    morphemes refer to (rowid = local lexeme id), into a new scratch file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # a scratch file: a crash just leaves it for remove_stale_temporaries
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for table in TABLE_ORDER:
            n = len(COLUMNS[table])
            conn.execute(f"CREATE TABLE {table} ({', '.join(f'c{i}' for i in range(n))})")
        n = len(LEXEME_FIELDS)
        conn.execute(f"CREATE TABLE lexemes ({', '.join(f'c{i}' for i in range(n))})")
        conn.executemany(f"INSERT INTO lexemes VALUES ({', '.join('?' * n)})", lexemes)
        for packed in batches:
            for table in TABLE_ORDER:
                if packed.get(table):
                    conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(COLUMNS[table]))})",
                                     packed[table])
        conn.execute("COMMIT")
    finally:
        conn.close()


def merge_shard(conn: Connection, path: Path, rebaser: Rebaser, used: Counter, counts: Counter) -> None:
    """Copy a shard into the database, after everything merged before it, and commit:
    SQLite cannot detach a database that the open transaction has read."""
    dbapi = conn.connection.driver_connection
    dbapi.execute("ATTACH DATABASE ? AS shard", (str(path),))
    _merge_lexemes(dbapi, counts)
    for table in TABLE_ORDER:
        columns = ", ".join(f"[{c}]" for c in COLUMNS[table])
        select = rebaser.shifted(table)
        source = f"shard.{table}"
        if table == "morphemes":  # lexeme ids go through the shard's map
            select[_LEXEME_ID] = "map.global_id"
            # LEFT: a morpheme whose lexeme failed to map hits NOT NULL (an error)
            # instead of vanishing from the join
            source += f" LEFT JOIN temp.lexeme_map map ON map.local_id = c{_LEXEME_ID}"
        cursor = dbapi.execute(f"INSERT INTO main.{table} ({columns}) "
                               f"SELECT {', '.join(select)} FROM {source} ORDER BY shard.{table}._rowid_")
        counts[table] += cursor.rowcount
    if used.get("sentences"):
        first = rebaser.base["sentences"] + 1
        _index_trigrams(dbapi, first, first + used["sentences"] - 1)
    commit(conn)
    # not in a finally: after a failed insert the shard is still read by the open
    # transaction, and the build abandons the whole file anyway
    dbapi.execute("DETACH DATABASE shard")
    rebaser.advance(used)


def _index_trigrams(dbapi, first: int, last: int) -> None:
    """The trigram index reads the sentences just written (external content)."""
    dbapi.execute("INSERT INTO sentences_trigram(rowid, text) SELECT id, text FROM sentences "
                  "WHERE id BETWEEN ? AND ?", (first, last))


def write_chunk(conn: Connection, batches: list[Packed], lexemes: list[list], counts: Counter) -> None:
    """Rows of several documents that carry the database's ids already (a serial
    build's chunk), with the lexemes they use first ([id, *fields]), and commit.
    Table by table across the documents, like merge_shard, so that both give the same
    rows in the same order and the same full-text segments."""
    dbapi = conn.connection.driver_connection
    if lexemes:
        dbapi.executemany(_INSERTS["lexemes"], lexemes)
        counts["lexemes"] += len(lexemes)
    sentence_ids = []
    for table in TABLE_ORDER:
        for packed in batches:
            rows = packed.get(table)
            if rows:
                dbapi.executemany(_INSERTS[table], rows)
                counts[table] += len(rows)
                if table == "sentences":
                    sentence_ids += (rows[0][_SENTENCE_ID], rows[-1][_SENTENCE_ID])
    if sentence_ids:
        _index_trigrams(dbapi, min(sentence_ids), max(sentence_ids))
    commit(conn)


_SENTENCE_ID = COLUMNS["sentences"].index("id")
_LEXEME_ID = COLUMNS["morphemes"].index("lexeme_id")
# what identifies a lexeme (the unique constraint of the lexemes table)
LEXEME_KEY = tuple(next(c for c in Base.metadata.tables["lexemes"].constraints
                        if c.name == "uq_lexemes_forms").columns.keys())
LEXEME_FIELDS = tuple(c for c in COLUMNS["lexemes"] if c != "id")


def _merge_lexemes(dbapi, counts: Counter) -> None:
    """Add the shard's new lexemes (in order of first use, so ids follow corpus order)
    and map each shard-local lexeme id onto the database's."""
    fields = ", ".join(LEXEME_FIELDS)
    shard_fields = ", ".join(f"c{i}" for i in range(len(LEXEME_FIELDS)))
    cursor = dbapi.execute(f"INSERT OR IGNORE INTO main.lexemes ({fields}) "
                           f"SELECT {shard_fields} FROM shard.lexemes ORDER BY _rowid_")
    counts["lexemes"] += cursor.rowcount
    dbapi.execute("CREATE TEMP TABLE IF NOT EXISTS lexeme_map (local_id INTEGER PRIMARY KEY, global_id INTEGER)")
    dbapi.execute("DELETE FROM temp.lexeme_map")
    same = " AND ".join(f"g.{c} = s.c{LEXEME_FIELDS.index(c)}" for c in LEXEME_KEY)
    dbapi.execute(f"INSERT INTO temp.lexeme_map SELECT s._rowid_, g.id FROM shard.lexemes s "
                  f"JOIN main.lexemes g ON {same}")


def lexeme_lookup(conn: Connection) -> tuple[Callable[[tuple[str, ...]], int | None], int]:
    """For a serial build on top of existing rows (rows.Lexicon): a function from a
    lexeme's fields (LEXEME_FIELDS order) to its id in the database, matched on the
    unique key as _merge_lexemes matches, and the largest lexeme id."""
    dbapi = conn.connection.driver_connection
    where = " AND ".join(f"{c} = ?" for c in LEXEME_KEY)
    sql = f"SELECT id FROM lexemes WHERE {where}"
    key_at = [LEXEME_FIELDS.index(c) for c in LEXEME_KEY]

    def lookup(fields: tuple[str, ...]) -> int | None:
        row = dbapi.execute(sql, [fields[i] for i in key_at]).fetchone()
        return row[0] if row else None

    largest = dbapi.execute("SELECT coalesce(max(id), 0) FROM lexemes").fetchone()[0]
    return lookup, largest


def drop_unused_lexemes(conn: Connection) -> None:
    """After an incremental build: lexemes only the replaced articles used."""
    conn.exec_driver_sql("DELETE FROM lexemes WHERE id NOT IN (SELECT lexeme_id FROM morphemes)")


def document_owners(param: str = "?") -> dict[str, str]:
    """For each table holding a document's rows, the WHERE condition that selects one
    document's (with `param` as the placeholder of its id). A table is a document's when
    it has a document_id column or a foreign key into such a table; the others
    (speakers, topics, entities) are shared. Both engines' deletions use it."""
    owner: dict[str, str] = {"documents": f"id = {param}"}
    for name in TABLE_ORDER:
        if name in VIRTUAL or name in owner:
            continue
        table = Base.metadata.tables[name]
        if "document_id" in table.columns:
            owner[name] = f"document_id = {param}"
            continue
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
            parent = fk.column.table.name
            if parent in owner and fk.column.name == "id":
                owner[name] = f"{fk.parent.name} IN (SELECT id FROM {parent} WHERE {owner[parent]})"
                break
    return owner


def _deletions() -> list[tuple[str, int]]:
    """DELETE statements that remove one document's rows, children first (the
    reverse of the insert order), each with how many times it takes the document id."""
    owner = document_owners("?")
    statements = []
    for name in reversed(TABLE_ORDER):
        if name in VIRTUAL:
            follows = VIRTUAL[name][1]
            statements.append((f"DELETE FROM {name} WHERE rowid IN (SELECT id FROM {follows} WHERE "
                               f"{owner[follows]})", owner[follows].count("?")))
        elif name in owner:
            statements.append((f"DELETE FROM {name} WHERE {owner[name]}", owner[name].count("?")))
        if name == "sentences":
            # the trigram index has external content (sentences): it is told what goes
            statements.insert(len(statements) - 1, (
                "INSERT INTO sentences_trigram(sentences_trigram, rowid, text) "
                "SELECT 'delete', id, text FROM sentences WHERE document_id = ?", 1))
    return statements


DELETIONS = _deletions()


def delete_document(conn: Connection, document_id: str) -> None:
    """Remove every row of one document, children first."""
    for statement, n in DELETIONS:
        conn.exec_driver_sql(statement, (document_id,) * n)
