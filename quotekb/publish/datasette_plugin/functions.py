"""SQL functions the plugin adds to every connection, each with bounded work.

  sudachi_query(text)      user input -> safe FTS5 MATCH expression (see nlp.fts_query)
  sudachi_tokens(text)     JSON array of the normalized terms of text
  sudachi_highlight(t, q)  t with the matches of q wrapped in ⟦…⟧ (tokenizes t)
  quotekb_mark(t, h, s)    the same from FTS5 highlight() output h and stored spans s

Datasette's sql_time_limit_ms is checked by SQLite between VM instructions, and one
call of a Python function is one instruction: a function handed a string of millions
of characters would run to the end, holding a SQL thread. So every function refuses
input past a documented limit (SQLite then answers "user-defined function raised
exception", which Datasette shows as a 400), and each call is short enough that the
time limit holds between calls:

  MAX_TEXT_CHARS   100,000 characters of text to tokenize or mark (a long sentence is
                   a few hundred; Sudachi takes about 0.1 s for this many)
  MAX_QUERY_CHARS  1,000 characters of search input
  MAX_QUERY_TERMS  100 normalized terms in the MATCH expression sudachi_query builds
                   (a pasted 200-character sentence)

Every connection also gets SQLITE_LIMIT_LENGTH = MAX_VALUE_BYTES (no string or blob
built in SQL can exceed it, far above the largest stored row: an article is at most
16 MiB) and loses fts3_tokenizer(), which with one argument returns a C pointer.
"""

from __future__ import annotations

import json
import sqlite3

from quotekb import nlp

MAX_TEXT_CHARS = 100_000
MAX_QUERY_CHARS = 1_000
MAX_QUERY_TERMS = 100
MAX_VALUE_BYTES = 32 * 1024 * 1024
# highlight() output and the stored spans of one sentence are a few times its length
MARK_INPUT_FACTOR = 8


class InputTooLarge(ValueError):
    """A function argument over its limit (SQLite reports the call as failed)."""


def _bounded(value: str | None, limit: int, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if len(value) > limit:
        raise InputTooLarge(f"{what} is longer than {limit:,} characters")
    return value


def sudachi_query(text: str | None) -> str:
    text = _bounded(text, MAX_QUERY_CHARS, "search input")
    phrases = nlp.phrases(text)
    if sum(len(p) for p in phrases) > MAX_QUERY_TERMS:
        raise InputTooLarge(f"search input has more than {MAX_QUERY_TERMS} terms")
    return nlp.fts_query(text)


def sudachi_tokens(text: str | None) -> str:
    return json.dumps(nlp.terms(_bounded(text, MAX_TEXT_CHARS, "text")), ensure_ascii=False)


def sudachi_highlight(text: str | None, query: str | None) -> str:
    if text is None:
        return ""
    return nlp.highlight(_bounded(text, MAX_TEXT_CHARS, "text"), _bounded(query, MAX_QUERY_CHARS, "search input"))


def quotekb_mark(text: str | None, highlighted_terms: str | None, spans: str | None) -> str:
    limit = MAX_TEXT_CHARS * MARK_INPUT_FACTOR
    return nlp.mark_matches(_bounded(text, MAX_TEXT_CHARS, "text"), _bounded(highlighted_terms, limit, "terms"),
                            _bounded(spans, limit, "spans"))


def _disabled(*_args) -> None:
    raise sqlite3.OperationalError("fts3_tokenizer is disabled on this server")


def prepare(conn: sqlite3.Connection) -> None:
    """Register the functions and the limits on one connection."""
    conn.create_function("sudachi_query", 1, sudachi_query, deterministic=True)
    conn.create_function("sudachi_tokens", 1, sudachi_tokens, deterministic=True)
    conn.create_function("sudachi_highlight", 2, sudachi_highlight, deterministic=True)
    conn.create_function("quotekb_mark", 3, quotekb_mark, deterministic=True)
    # an application function of the same name and arity replaces the built-in one
    conn.create_function("fts3_tokenizer", 1, _disabled)
    conn.create_function("fts3_tokenizer", 2, _disabled)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
