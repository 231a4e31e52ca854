"""PostgreSQL as a second engine: URLs, connections, and the schema derived from the models.

The SQLAlchemy models are the schema on both engines. For PostgreSQL they are copied
into a second MetaData and adapted there, so that a new table or column flows through
without code here:
  - every string column gets COLLATE "C": code-point order, as SQLite compares text,
    so ORDER BY (and with it every export) sorts the same on both engines, whatever
    locale the server was created with;
  - integer primary keys are plain INTEGER, not SERIAL: the build assigns every id;
  - CHECK constraints written with SQLite's GLOB get the equivalent regular expression;
  - the full-text table (writer.VIRTUAL) becomes a real table with a tsvector column
    (store/search.py), and sentences.text a pg_trgm GIN index for substring search.
All of a corpus lives in one schema (SCHEMA, "quotekb"); queries run with
search_path = quotekb (plus the schema of pg_trgm).
"""

from __future__ import annotations

import re
from functools import cache

import psycopg
from psycopg.adapt import Loader
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import make_url

from quotekb.errors import InputError
from quotekb.store.models import Base
from quotekb.store.writer import VIRTUAL

SCHEMA = "quotekb"
TRGM_INDEX = "ix_sentences_text_trgm"
TSV_INDEX = "ix_sentences_fts_tsv"


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (postgresql+psycopg:// -> postgresql://)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def display(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parsed = make_url(url)
        return url if parsed.password is None else parsed.render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL that does not even parse is shown as given
        return url


def connect(url: str, **kwargs) -> psycopg.Connection:
    """A psycopg connection, or one line saying why there is none."""
    try:
        return psycopg.connect(conninfo(url), **kwargs)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise InputError(display(url), f"cannot connect to PostgreSQL ({reason})",
                         "check the URL (postgresql://user@host/dbname) and that the server runs") from None
    except Exception as error:  # noqa: BLE001 - a malformed URL
        raise InputError(display(url), f"not a usable PostgreSQL URL ({error})",
                         "write it as postgresql://user@host/dbname") from None


def trgm_schema(conn: psycopg.Connection) -> str | None:
    row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                       "WHERE e.extname = 'pg_trgm'").fetchone()
    return row[0] if row else None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def set_search_path(conn: psycopg.Connection, schema: str) -> None:
    path = [schema] + [s for s in (trgm_schema(conn),) if s and s != schema]
    conn.execute("SELECT set_config('search_path', %s, false)", (", ".join(quote_ident(s) for s in path),))


# -- the schema --------------------------------------------------------------------------

_GLOB = re.compile(r"(\w+|\"[^\"]+\") GLOB '([^']*)'")


def glob_to_regex(pattern: str) -> str:
    """A SQLite GLOB pattern as an anchored POSIX regular expression."""
    out, i = ["^"], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(r"\[")
            else:
                out.append(pattern[i : end + 1])
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out) + "$"


def _check_sql(sql: str) -> str:
    return _GLOB.sub(lambda m: f"{m.group(1)} ~ '{glob_to_regex(m.group(2))}'", sql)


@cache
def metadata() -> MetaData:
    """The models adapted for PostgreSQL (see the module docstring)."""
    md = MetaData()
    for source in Base.metadata.sorted_tables:
        table = source.to_metadata(md)
        for column in table.columns:
            if isinstance(column.type, String):  # Text is a String too
                column.type = Text(collation="C")
            if column.primary_key and isinstance(column.type, Integer):
                column.autoincrement = False
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                constraint.sqltext = text(_check_sql(str(constraint.sqltext)))
    for name, (columns, follows) in VIRTUAL.items():
        key, *rest = columns
        Table(name, md,
              Column(key, Integer, ForeignKey(f"{follows}.id"), primary_key=True, autoincrement=False),
              *(Column(c, Text(collation="C")) for c in rest),
              Column("tsv", TSVECTOR, nullable=False))
        Index(TSV_INDEX, md.tables[name].c.tsv, postgresql_using="gin")
    return md


def trigram_index_sql(ops_schema: str) -> str:
    return (f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON sentences USING gin "
            f"(text {quote_ident(ops_schema)}.gin_trgm_ops)")


def dialect():
    return postgresql.dialect()


# -- reading -----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|:(\w+)|\?|%")


def translate(sql: str) -> str:
    """SQLite-style placeholders (:name, ?) as psycopg's (%(name)s, %s); % doubled."""
    def replace(m: re.Match) -> str:
        token = m.group(0)
        if m.group(1):
            return f"%({m.group(1)})s"
        if token == "?":
            return "%s"
        if token == "%" or token.startswith("'"):
            return token.replace("%", "%%")  # psycopg formats the whole text, literals too
        return token
    return _PLACEHOLDER.sub(replace, sql)


class _BoolAsInt(Loader):
    """Booleans read as 0/1, as SQLite stores them: exports then print the same."""

    def load(self, data) -> int:
        return 1 if bytes(data) == b"t" else 0


class Row(tuple):
    """A result row readable by index or by column name, like sqlite3.Row."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor):
    names = [d.name for d in cursor.description or ()]
    cls = type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})
    return lambda values: cls(values)


class ReadConnection:
    """Read-only access to a PostgreSQL quotekb schema with the interface the export
    and search code use on SQLite (execute(sql, params) -> iterable of rows)."""

    engine = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        # client-side binding: `:x IS NULL` needs no parameter type, as in SQLite
        self.conn = connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
        self.conn.adapters.register_loader("bool", _BoolAsInt)
        # autocommit runs no BEGIN that read_only could apply to: the session default then
        self.conn.execute("SET default_transaction_read_only = on")
        set_search_path(self.conn, SCHEMA)

    def execute(self, sql: str, params=()):
        cursor = self.conn.cursor(row_factory=_row_factory)
        cursor.execute(translate(sql), params)
        return cursor

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ReadConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect_readonly(url: str) -> ReadConnection:
    conn = ReadConnection(url)
    try:
        conn.execute("SELECT 1 FROM claims LIMIT 1").fetchall()
    except psycopg.Error:
        conn.close()
        raise InputError(display(url), f"no quotekb database in schema {SCHEMA!r}",
                         "build it first: quotekb build --db URL") from None
    return conn
