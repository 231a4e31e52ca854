"""The best answers of full-text search for its most frequent single terms, computed once per build.

Ranking, not matching, is what a search for a common word costs: FTS5 scores every
match with bm25() before the best 50 are known, about 2 us a match, so 思う in 678k
sentences (127k matches) takes some 250 ms while its MATCH alone takes 9 ms. No top-k
shortcut exists in FTS5. For every single term that matches at least MIN_MATCHES
sentences, the build therefore stores the TOP best (rank, rowid) pairs, found by the
very query the search runs (`ORDER BY bm25(sentences_fts), rowid LIMIT 50`) under the
MATCH expression nlp.fts_query() writes for that term (`"思う"`). A search whose MATCH
expression is exactly one of those reads the stored rows: the same rows, ranks and
order, since BM25 depends only on the index, and the table is recomputed from the
finished index at the end of every build (incremental ones too: one new article
changes every term's document frequency and the average length). Phrases and several
terms are ranked by FTS5 as before.
"""

from __future__ import annotations

TOP = 50  # the rows the search stored query shows
# Below this many matches ranking takes under ~40 ms here (2 us a match), so the
# search answers within 50 ms without the table; above it the cost grows with the corpus.
MIN_MATCHES = 20_000

SEARCH_TOP = (
    "CREATE TABLE search_top (query TEXT NOT NULL, position INTEGER NOT NULL, "
    "sentence_id INTEGER NOT NULL, rank REAL NOT NULL, PRIMARY KEY (query, position)) WITHOUT ROWID"
)

_BEST = ("SELECT rowid, bm25(sentences_fts) AS rank FROM sentences_fts WHERE sentences_fts MATCH ? "
         "ORDER BY rank, rowid LIMIT ?")


def term_query(term: str) -> str:
    """The MATCH expression nlp.fts_query() writes for a query of this one indexed term."""
    return '"' + term + '"'


def index_search_top(conn, min_matches: int | None = None) -> int:
    """Recompute search_top from sentences_fts (terms matching at least min_matches,
    default MIN_MATCHES, sentences); returns the number of terms stored."""
    min_matches = MIN_MATCHES if min_matches is None else min_matches
    conn.exec_driver_sql("DELETE FROM search_top")
    conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.search_top_vocab USING fts5vocab(main, sentences_fts, row)")
    try:
        terms = [t for (t,) in conn.exec_driver_sql(
            "SELECT term FROM temp.search_top_vocab WHERE doc >= ? ORDER BY term", (min_matches,))]
    finally:
        conn.exec_driver_sql("DROP TABLE temp.search_top_vocab")
    rows = []
    for term in terms:
        query = term_query(term)
        best = conn.exec_driver_sql(_BEST, (query, TOP)).all()
        rows.extend((query, position, rowid, rank) for position, (rowid, rank) in enumerate(best))
    if rows:
        conn.exec_driver_sql("INSERT INTO search_top (query, position, sentence_id, rank) VALUES (?, ?, ?, ?)", rows)
    return len(terms)
