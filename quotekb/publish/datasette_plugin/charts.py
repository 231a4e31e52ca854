"""Data behind the charts page: plain lists the plugin's JavaScript draws as SVG.

Every mark carries the URL of the rows it counts, so a chart is also a way in.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

from quotekb.publish.datasette_plugin.sql import CERTAINTY_LEVELS, certainty_expr, rows

KINDS = ("assertion", "prediction", "conditional", "normative", "response")


def _url(database: str, table: str, **params) -> str:
    return f"/{database}/{table}?" + urlencode(params)


def topic_speaker(conn: sqlite3.Connection, database: str) -> dict:
    cells = rows(conn, """
        SELECT ct.topic_id, c.speaker_id, count(*) AS n FROM claim_topics ct JOIN claims c ON c.id = ct.claim_id
        GROUP BY ct.topic_id, c.speaker_id ORDER BY ct.topic_id, c.speaker_id""")
    topics = rows(conn, """SELECT t.id, t.label_ja, t.label_en, count(ct.claim_id) AS n FROM topics t
                           JOIN claim_topics ct ON ct.topic_id = t.id GROUP BY t.id ORDER BY n DESC, t.id""")
    speakers = rows(conn, """SELECT sp.id, sp.name, count(*) AS n FROM claims c JOIN speakers sp ON sp.id = c.speaker_id
                             WHERE c.id IN (SELECT claim_id FROM claim_topics) GROUP BY sp.id ORDER BY n DESC, sp.id""")
    for cell in cells:
        cell["url"] = _url(database, "claims_view", speaker_id=cell["speaker_id"],
                           topics__arraycontains=cell["topic_id"])
    return {"rows": [{"id": t["id"], "label": t["label_ja"], "title": t["label_en"]} for t in topics],
            "columns": [{"id": s["id"], "label": s["name"]} for s in speakers], "cells": cells}


def certainty_by_speaker(conn: sqlite3.Connection, database: str) -> dict:
    found = rows(conn, f"""SELECT c.speaker_id, sp.name, {certainty_expr(conn)} AS level, count(*) AS n
                           FROM claims c JOIN speakers sp ON sp.id = c.speaker_id
                           GROUP BY c.speaker_id, level ORDER BY c.speaker_id""")
    bars: dict[str, dict] = {}
    for row in found:
        bar = bars.setdefault(row["speaker_id"], {"id": row["speaker_id"], "label": row["name"], "segments": []})
        bar["segments"].append({"key": row["level"], "n": row["n"],
                                "url": _url(database, "claims_view", speaker_id=row["speaker_id"],
                                            certainty=row["level"])})
    for bar in bars.values():
        bar["segments"].sort(key=lambda s: CERTAINTY_LEVELS.index(s["key"]))
    ordered = sorted(bars.values(), key=lambda b: (-sum(s["n"] for s in b["segments"]), b["id"]))
    return {"keys": list(CERTAINTY_LEVELS), "bars": ordered}


def claims_by_section(conn: sqlite3.Connection, database: str, document_id: str) -> dict:
    sections = rows(conn, """SELECT id, number, title FROM sections WHERE document_id = ? ORDER BY number""",
                    (document_id,))
    counts = rows(conn, """SELECT sec.number, c.kind, count(*) AS n FROM claims c
                           LEFT JOIN sections sec ON sec.id = c.section_id WHERE c.document_id = ?
                           GROUP BY sec.number, c.kind""", (document_id,))
    bars = [{"id": "lead", "label": "前文 lead", "number": None, "segments": []}]
    bars += [{"id": str(s["number"]), "label": f"{s['number']:02d} {s['title']}", "number": s["number"],
              "segments": []} for s in sections]
    by_number = {b["number"]: b for b in bars}
    for row in counts:
        params = {"document_id": document_id, "kind": row["kind"]}
        if row["number"] is None:
            params["section__isnull"] = 1
        else:
            params["section"] = row["number"]
        by_number[row["number"]]["segments"].append({"key": row["kind"], "n": row["n"],
                                                     "url": _url(database, "claims_view", **params)})
    for bar in bars:
        bar["segments"].sort(key=lambda s: KINDS.index(s["key"]))
    return {"keys": list(KINDS), "bars": [b for b in bars if b["segments"]]}


def analogy_timeline(conn: sqlite3.Connection, database: str, document_id: str) -> dict:
    frames = rows(conn, """SELECT id, source_domain, source_domain_en FROM analogies WHERE document_id = ?
                           ORDER BY (SELECT min(s.position) FROM analogy_mentions m JOIN sentences s
                                     ON s.id = m.sentence_id WHERE m.document_id = analogies.document_id
                                     AND m.analogy_id = analogies.id), id""", (document_id,))
    marks = rows(conn, """SELECT m.analogy_id, m.sentence_id, m.role, m.stance, s.position, s.start, sp.name AS speaker
                          FROM analogy_mentions m JOIN sentences s ON s.id = m.sentence_id
                          JOIN speakers sp ON sp.id = m.speaker_id
                          WHERE m.document_id = ? ORDER BY s.position, m.analogy_id""", (document_id,))
    length = conn.execute("SELECT char_count FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
    sections = rows(conn, "SELECT number, start FROM sections WHERE document_id = ? ORDER BY number", (document_id,))
    for mark in marks:
        mark["url"] = f"/{database}/documents/{document_id}#s-{mark['sentence_id']}"
    return {"rows": [{"id": f["id"], "label": f"{f['source_domain_en']}"} for f in frames], "marks": marks,
            "length": length, "ticks": [{"label": f"{s['number']:02d}", "at": s["start"]} for s in sections]}


ALL_DOCUMENTS_UP_TO = 5  # more articles than this: one article's charts at a time, chosen by ?document=


def load(conn: sqlite3.Connection, database: str, document_id: str | None = None) -> dict:
    documents = rows(conn, "SELECT id, title, published_on FROM documents ORDER BY published_on, id")
    if document_id:
        shown = [d for d in documents if d["id"] == document_id]
    else:
        shown = documents if len(documents) <= ALL_DOCUMENTS_UP_TO else documents[:1]
    for doc in shown:
        doc["sections"] = claims_by_section(conn, database, doc["id"])
        doc["timeline"] = analogy_timeline(conn, database, doc["id"])
    return {"heatmap": topic_speaker(conn, database), "certainty": certainty_by_speaker(conn, database),
            "documents": shown, "all_documents": documents if len(documents) > 1 else []}
