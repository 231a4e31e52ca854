"""Sentence search on either engine, by the one Sudachi normalization (quotekb/nlp.py).

SQLite keeps each sentence's normalized terms in the FTS5 table sentences_fts and is
queried with nlp.fts_query(). PostgreSQL keeps the same terms, in the same order, in a
tsvector (sentences_fts.tsv) written as a literal with positions, so no text-search
parser or dictionary touches them (the `simple` configuration is the one that would
have, and even it splits words on its own rules); the query is a tsquery literal made
from the same phrases nlp.fts_query() is made from. A phrase is its terms at
consecutive positions on both engines, so both find the same sentences; ranks differ
(FTS5's BM25 against ts_rank_cd) and only order the results.

Substring search matches the raw sentence text exactly as written: SQLite's trigram
FTS5 index narrows queries of 3+ characters, PostgreSQL's pg_trgm GIN index any LIKE.
"""

from __future__ import annotations

from dataclasses import dataclass

from quotekb import nlp
from quotekb.store.search_top import TOP


def _ts_lexeme(term: str) -> str:
    """One term as a quoted tsvector/tsquery lexeme: quotes doubled, backslashes escaped."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(terms: str) -> str:
    """The tsvector literal of a sentence's stored terms (nlp.join_terms output):
    every term at its 1-based position, as FTS5 counts tokens split on whitespace."""
    return " ".join(f"{_ts_lexeme(term)}:{i}" for i, term in enumerate(terms.split(), start=1))


def tsquery_text(user_input: str | None) -> str | None:
    """User input -> a tsquery literal: its phrases (nlp.phrases, as for fts_query)
    ANDed, each phrase's terms joined by <-> (followed by). None when the input has no
    searchable term: the search then matches nothing, as '""' does in FTS5."""
    parts = []
    for phrase in nlp.phrases(user_input):
        terms = [_ts_lexeme(t) for t in phrase if t]
        if terms:
            parts.append("(" + " <-> ".join(terms) + ")" if len(terms) > 1 else terms[0])
    return " & ".join(parts) or None


@dataclass(frozen=True)
class Hit:
    sentence_id: int
    document_id: str
    position: int
    speaker_id: str | None
    text: str


_COLUMNS = "s.id, s.document_id, s.position, s.speaker_id, s.text"

# rank first, in the FTS table alone, then join only the rows kept. ORDER BY bm25()
# (what the rank column computes) rather than rank: for ORDER BY rank FTS5 sorts every
# match itself before the LIMIT is seen, while for bm25() SQLite's sorter keeps only the
# best :limit rows (678k sentences, 10 words matching ~48k each: 50 -> 35 ms); rowid
# breaks ties, so which rows are kept at a tie is defined
_SQLITE_TERMS = f"""
WITH top AS (
  SELECT rowid AS id, bm25(sentences_fts) AS rank FROM sentences_fts WHERE sentences_fts MATCH :query
  ORDER BY rank, rowid LIMIT :limit
)
SELECT {_COLUMNS} FROM top JOIN sentences s ON s.id = top.id ORDER BY top.rank, s.id
"""
# the same rows for a frequent single term, ranked by the query above at build time (search_top.py)
_SQLITE_STORED_TERMS = f"""
SELECT {_COLUMNS} FROM search_top t JOIN sentences s ON s.id = t.sentence_id
WHERE t.query = :query AND t.position < :limit ORDER BY t.position
"""
_POSTGRES_TERMS = f"""
SELECT {_COLUMNS} FROM sentences_fts f JOIN sentences s ON s.id = f.rowid
WHERE f.tsv @@ CAST(:query AS tsquery)
ORDER BY ts_rank_cd(f.tsv, CAST(:query AS tsquery)) DESC, s.id LIMIT :limit
"""
_SQLITE_SUBSTRING = f"""
SELECT {_COLUMNS} FROM sentences s
WHERE instr(s.text, :query) > 0
  AND (length(:query) < 3 OR s.id IN (
        SELECT rowid FROM sentences_trigram
        WHERE sentences_trigram MATCH '"' || replace(:query, '"', '""') || '"'))
ORDER BY s.document_id, s.position LIMIT :limit
"""
# LIKE is what the pg_trgm index serves; strpos keeps the match exact
_POSTGRES_SUBSTRING = f"""
SELECT {_COLUMNS} FROM sentences s
WHERE s.text LIKE :pattern AND strpos(s.text, :query) > 0
ORDER BY s.document_id, s.position LIMIT :limit
"""


def _has_top(conn, fts_query: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_top'").fetchone()
    return row is not None and conn.execute(
        "SELECT 1 FROM search_top WHERE query = :query LIMIT 1", {"query": fts_query}).fetchone() is not None


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(conn, query: str, limit: int | None = 20, substring: bool = False) -> list[Hit]:
    """Sentences matching query, best first (substring: in corpus order).
    conn: a connection from quotekb.store.database.connect_readonly (either engine)."""
    limit = -1 if not limit else limit  # SQLite: -1 is no limit
    postgres = getattr(conn, "engine", "sqlite") == "postgresql"
    if postgres and limit < 0:
        limit = None  # LIMIT NULL: no limit
    if substring:
        if not query or (postgres and "\x00" in query):
            return []  # PostgreSQL text holds no NUL: no sentence contains one
        sql = _POSTGRES_SUBSTRING if postgres else _SQLITE_SUBSTRING
        params = {"query": query, "pattern": _like_pattern(query), "limit": limit}
    elif postgres:
        ts_query = tsquery_text(query)
        if ts_query is None:
            return []
        sql, params = _POSTGRES_TERMS, {"query": ts_query, "limit": limit}
    else:
        params = {"query": nlp.fts_query(query), "limit": limit}
        sql = _SQLITE_STORED_TERMS if 0 <= limit <= TOP and _has_top(conn, params["query"]) else _SQLITE_TERMS
    if not postgres:
        params.pop("pattern", None)
    return [Hit(*row) for row in conn.execute(sql, params)]


def highlighted(hit: Hit, query: str, substring: bool = False) -> str:
    """The hit's text with its matches in ⟦…⟧, found by the same normalization
    (or, for substring search, the same characters) on both engines."""
    if not substring:
        return nlp.highlight(hit.text, query)
    left, right = nlp.HIGHLIGHT
    return hit.text.replace(query, f"{left}{query}{right}") if query else hit.text
