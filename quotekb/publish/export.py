"""`quotekb export claims`: claims as JSON objects with provenance and W3C-style selectors.

Output is sorted (document, position) and serialized with sorted keys, so two exports
of the same database are byte-identical. Every object validates against
quotekb/publish/claims.schema.json (printed by `quotekb export schema`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from quotekb.errors import InputError
from quotekb.store.database import is_url

QUOTE_CONTEXT = 32  # characters of prefix/suffix in the TextQuoteSelector


def connect_readonly(db_path: Path | str) -> sqlite3.Connection:
    """Open a quotekb database read-only, or say in one line why it cannot be. A
    postgresql:// URL gives a connection with the same execute() and rows."""
    if is_url(db_path):
        from quotekb.store.postgres import connect_readonly as connect_postgres

        return connect_postgres(db_path)
    if not Path(db_path).is_file():
        raise InputError(db_path, "database not found", "run `quotekb build` first or pass --db")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("SELECT 1 FROM claims LIMIT 1").fetchall()
    except sqlite3.DatabaseError:
        conn.close()
        raise InputError(db_path, "not a quotekb database (no claims table)",
                         "pass the file `quotekb build` wrote, e.g. --db db/quotekb.db") from None
    return conn


def schema_text() -> str:
    return resources.files("quotekb.publish").joinpath("claims.schema.json").read_text(encoding="utf-8")


CLAIMS_SQL = """
SELECT c.*, d.title AS document_title, d.published_on, d.url AS document_url, d.text AS document_text,
       sec.number AS section_number, sec.title AS section_title, sec.subtitle AS section_subtitle,
       t.position AS turn_position, s.position AS sentence_position, s.position_in_turn
FROM claims c
JOIN documents d ON d.id = c.document_id
JOIN turns t ON t.id = c.turn_id
JOIN sentences s ON s.id = c.sentence_id
LEFT JOIN sections sec ON sec.id = c.section_id
WHERE (:speaker IS NULL OR c.speaker_id = :speaker)
  AND (:kind IS NULL OR c.kind = :kind)
  AND (:document IS NULL OR c.document_id = :document)
  AND (:topic IS NULL OR c.id IN (SELECT claim_id FROM claim_topics WHERE topic_id = :topic))
ORDER BY c.document_id, c.position
"""


def _check_filter(conn: sqlite3.Connection, table: str, value: str | None, option: str) -> None:
    if value is not None and conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (value,)).fetchone() is None:
        known = ", ".join(r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY id LIMIT 20"))
        raise InputError(None, f"unknown {option} {value!r}", f"use one of: {known}")


def claims(conn: sqlite3.Connection, speaker=None, topic=None, kind=None, document=None) -> Iterator[dict]:
    _check_filter(conn, "speakers", speaker, "--speaker")
    _check_filter(conn, "topics", topic, "--topic")
    _check_filter(conn, "documents", document, "--document")
    speakers = {r["id"]: dict(r) for r in conn.execute("SELECT id, name, name_en, role FROM speakers")}
    topics = _grouped(conn, "SELECT claim_id, topic_id FROM claim_topics ORDER BY claim_id, topic_id")
    mentions = _grouped(conn, "SELECT DISTINCT sentence_id, entity_id FROM mentions ORDER BY sentence_id, entity_id")
    analogies: dict[int, list[dict]] = {}
    for r in conn.execute(
        "SELECT sentence_id, analogy_id, role, stance, stance_cue, stance_source FROM analogy_mentions "
        "ORDER BY sentence_id, analogy_id"
    ):
        analogies.setdefault(r["sentence_id"], []).append(
            {"id": r["analogy_id"], "role": r["role"], "stance": r["stance"], "stance_cue": r["stance_cue"],
             "stance_source": r["stance_source"]})
    key_points: dict[int, list[int]] = {}
    for r in conn.execute(
        "SELECT k.number, s.id AS sentence_id FROM key_points k JOIN sentences first ON first.id = k.sentence_id "
        "JOIN sentences last ON last.id = k.end_sentence_id "
        "JOIN sentences s ON s.turn_id = first.turn_id AND s.position BETWEEN first.position AND last.position "
        "WHERE s.kind != 'question' ORDER BY k.number"
    ):
        key_points.setdefault(r["sentence_id"], []).append(r["number"])
    params = {"speaker": speaker, "topic": topic, "kind": kind, "document": document}
    for r in conn.execute(CLAIMS_SQL, params):
        text, start, end = r["document_text"], r["start"], r["end"]
        points = key_points.get(r["sentence_id"], [])
        yield {
            "id": r["id"],
            "text": r["text"],
            "speaker": speakers.get(r["speaker_id"]),  # None: a news article's unnamed writer
            "attributed_to": speakers.get(r["attributed_to"]),
            "document": {"id": r["document_id"], "title": r["document_title"], "published_on": r["published_on"],
                         "url": r["document_url"]},
            "section": None if r["section_number"] is None else {
                "number": r["section_number"], "title": r["section_title"], "subtitle": r["section_subtitle"]},
            # positions, not integer row ids: ids depend on build history (incremental
            # builds append), positions only on the article, so exports stay identical
            "turn": {"position": r["turn_position"]},
            "sentence": {"position": r["sentence_position"], "position_in_turn": r["position_in_turn"]},
            "span": {"start": start, "end": end},
            "quote": {"exact": text[start:end], "prefix": text[max(0, start - QUOTE_CONTEXT) : start],
                      "suffix": text[end : end + QUOTE_CONTEXT]},
            "kind": r["kind"],
            "hedged": bool(r["hedged"]),
            "certain": bool(r["certain"]),
            "certainty": r["certainty"],
            "has_number": bool(r["has_number"]),
            "cues": json.loads(r["cues"]),
            "topics": topics.get(r["id"], []),
            "analogies": analogies.get(r["sentence_id"], []),
            "mentions": mentions.get(r["sentence_id"], []),
            "key_point": points[0] if points else None,
        }


def _grouped(conn: sqlite3.Connection, sql: str) -> dict:
    grouped: dict = {}
    for key, value in conn.execute(sql):
        grouped.setdefault(key, []).append(value)
    return grouped


def serialize(items: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)
    return json.dumps(items, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename, so an interrupted export leaves no torn file."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError(path, "directory does not exist", "create it or choose another -o path")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
