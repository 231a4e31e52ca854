"""`quotekb export quotes`: quotes as JSON objects with speaker, cue, attribution and
W3C-style selectors, sorted (document, position) so two exports are byte-identical.
Every object validates against quotekb/publish/quotes.schema.json."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from importlib import resources

from quotekb.publish.export import QUOTE_CONTEXT, _check_filter

QUOTES_SQL = """
SELECT q.*, d.title AS document_title, d.published_on, d.text AS document_text, s.position AS sentence_position
FROM quotes q
JOIN documents d ON d.id = q.document_id
JOIN sentences s ON s.id = q.sentence_id
WHERE (:speaker IS NULL OR q.speaker_id = :speaker)
  AND (:kind IS NULL OR q.kind = :kind)
  AND (:document IS NULL OR q.document_id = :document)
ORDER BY q.document_id, q.position
"""


def schema_text() -> str:
    return resources.files("quotekb.publish").joinpath("quotes.schema.json").read_text(encoding="utf-8")


def quotes(conn: sqlite3.Connection, speaker=None, kind=None, document=None) -> Iterator[dict]:
    _check_filter(conn, "speakers", speaker, "--speaker")
    _check_filter(conn, "documents", document, "--document")
    speakers = {r["id"]: dict(r) for r in conn.execute("SELECT id, name, name_en, role FROM speakers")}
    for r in conn.execute(QUOTES_SQL, {"speaker": speaker, "kind": kind, "document": document}):
        text, start, end = r["document_text"], r["span_start"], r["span_end"]
        yield {
            "id": r["id"],
            "text": r["text"],
            "kind": r["kind"],
            "speaker": speakers.get(r["speaker_id"]),
            "cue": r["cue"],
            "attribution": r["attribution"],
            "evidence": None if r["evidence"] is None else {
                "exact": r["evidence"], "span": {"start": r["evidence_start"], "end": r["evidence_end"]}},
            "document": {"id": r["document_id"], "title": r["document_title"], "published_on": r["published_on"]},
            "sentence": {"position": r["sentence_position"]},
            "span": {"start": r["start"], "end": r["end"]},
            "quote": {"exact": text[start:end], "prefix": text[max(0, start - QUOTE_CONTEXT):start],
                      "suffix": text[end:end + QUOTE_CONTEXT], "start": start, "end": end},
        }
