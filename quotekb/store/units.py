"""Full-text index of the text units that are not sentences: section headings and key points.

Sentences have sentences_fts, written with their morphemes. Headings and key points are
indexed here, at the end of every build, with the same Sudachi terms (nlp.tokenize, split
mode A, normalized forms) and the same term spans, so sudachi_query() and quotekb_mark()
work on both. Each row records the document's hashes: an incremental build re-indexes only
the documents whose text or YAML changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from quotekb import nlp

UNITS_FTS = (
    "CREATE VIRTUAL TABLE units_fts USING fts5(terms, spans UNINDEXED, unit UNINDEXED, "
    "document_id UNINDEXED, source_id UNINDEXED, start UNINDEXED, \"end\" UNINDEXED, text UNINDEXED, "
    "version UNINDEXED, tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* Co M* P* S*'\")"
)

# unit name -> SQL giving (document_id, source_id, start, end, text) of every such unit
UNIT_SOURCES = {
    "heading": "SELECT document_id, id, heading_start, heading_end, heading FROM sections WHERE document_id = ?",
    "key_point": "SELECT document_id, id, start, \"end\", text FROM key_points WHERE document_id = ?",
}


def terms_and_spans(text: str) -> tuple[str, str]:
    """What the index stores for a text: its terms, and each term's start-end in the text."""
    tokens = [t for t in nlp.tokenize(text) if t.searchable]
    return (nlp.join_terms(t.normalized_form for t in tokens),
            " ".join(f"{t.start}-{t.end}" for t in tokens))


def unit_texts(rows: dict[str, list]) -> list[str]:
    """The texts of one document's rows (document_rows) that index_units will index."""
    return [s["heading"] for s in rows.get("sections", ())] + [k["text"] for k in rows.get("key_points", ())]


def index_units(conn, analysed: Mapping[str, tuple[str, str]] | None = None) -> int:
    """Bring units_fts up to date with the documents; returns the number of units indexed.
    `analysed`: terms_and_spans() of texts found beforehand (a parallel build's workers
    tokenize their documents' units, so the merging process does not at the end,
    when the other cores are idle); any other text is tokenized here."""
    analysed = analysed or {}
    version = "d.sha256 || ':' || d.yaml_sha256"
    conn.exec_driver_sql(
        f"DELETE FROM units_fts WHERE rowid IN (SELECT u.rowid FROM units_fts u "
        f"LEFT JOIN documents d ON d.id = u.document_id WHERE d.id IS NULL OR u.version != {version})"
    )
    todo = conn.exec_driver_sql(
        f"SELECT d.id, {version} FROM documents d WHERE d.id NOT IN (SELECT document_id FROM units_fts) ORDER BY d.id"
    ).all()
    rows = []
    for document_id, doc_version in todo:
        for unit, sql in UNIT_SOURCES.items():
            for _doc, source_id, start, end, text in conn.exec_driver_sql(sql, (document_id,)).all():
                found = analysed.get(text)
                terms, spans = found if found is not None else terms_and_spans(text)
                rows.append((terms, spans, unit, document_id, source_id, start, end, text, doc_version))
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO units_fts (terms, spans, unit, document_id, source_id, start, \"end\", text, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
