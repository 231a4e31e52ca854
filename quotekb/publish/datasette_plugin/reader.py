"""The reader view of a document: the article top to bottom, built from its segments.

Segments tile the source text, so walking them in order shows every visible line as
written; sentences inside a segment become pieces that carry what the rules found
(claim, kind, certainty, topics, analogy mentions, quotes) for the template to mark.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from quotekb.publish.datasette_plugin.sql import certainty_expr, has_table, one, rows

# Segment kinds whose text is made of sentences (marked piece by piece).
SENTENCE_KINDS = {"title", "summary", "lead", "turn"}
# Page furniture, shown folded: it is part of the source but not of the article.
FURNITURE_KINDS = {"boilerplate"}


def _by(items: list[dict], key: str) -> dict:
    grouped: dict = defaultdict(list)
    for item in items:
        grouped[item[key]].append(item)
    return grouped


def _sentence_parts(text: str, start: int, end: int, quotes: list[dict]) -> list[dict]:
    """Characters start..end of the document split at quote boundaries (non-overlapping)."""
    parts, cursor = [], start
    for quote in sorted(quotes, key=lambda q: (q["start"], -q["end"])):
        q_start, q_end = max(quote["start"], start), min(quote["end"], end)
        if q_start < cursor or q_start >= q_end:
            continue  # outside this fragment, or inside a quote already marked
        if q_start > cursor:
            parts.append({"text": text[cursor:q_start], "quote": None})
        parts.append({"text": text[q_start:q_end], "quote": quote})
        cursor = q_end
    if cursor < end:
        parts.append({"text": text[cursor:end], "quote": None})
    return parts


def load(conn: sqlite3.Connection, document_id: str) -> dict | None:
    doc = one(conn, "SELECT * FROM documents WHERE id = ?", (document_id,))
    if doc is None:
        return None
    text = doc["text"]
    speakers = {s["id"]: s for s in rows(conn, "SELECT * FROM speakers")}
    segments = rows(conn, "SELECT kind, line, start, \"end\", text FROM segments WHERE document_id = ? "
                          "AND kind != 'blank' ORDER BY position", (document_id,))
    sentences = rows(conn, "SELECT id, turn_id, section_id, speaker_id, position, kind, start, \"end\" "
                           "FROM sentences WHERE document_id = ? ORDER BY position", (document_id,))
    claims = {c["sentence_id"]: c for c in rows(conn, f"""
        SELECT c.id, c.sentence_id, c.kind, c.speaker_id, c.attributed_to, {certainty_expr(conn)} AS certainty
        FROM claims c WHERE c.document_id = ?""", (document_id,))}
    topics = _by(rows(conn, """
        SELECT st.sentence_id, t.id, t.label_ja, t.label_en FROM sentence_topics st
        JOIN topics t ON t.id = st.topic_id JOIN sentences s ON s.id = st.sentence_id
        WHERE s.document_id = ?
        UNION
        SELECT c.sentence_id, t.id, t.label_ja, t.label_en FROM claim_topics ct
        JOIN topics t ON t.id = ct.topic_id JOIN claims c ON c.id = ct.claim_id
        WHERE c.document_id = ?
        ORDER BY 1, 2""", (document_id, document_id)), "sentence_id")
    frames = _by(rows(conn, """
        SELECT m.sentence_id, m.analogy_id, m.role, m.stance, m.stance_cue, m.speaker_id,
               a.source_domain, a.source_domain_en
        FROM analogy_mentions m JOIN analogies a ON a.document_id = m.document_id AND a.id = m.analogy_id
        WHERE m.document_id = ? ORDER BY m.sentence_id, m.analogy_id""", (document_id,)), "sentence_id")
    quotes = defaultdict(list)
    if has_table(conn, "quotes"):
        for quote in rows(conn, "SELECT * FROM quotes WHERE document_id = ? ORDER BY start", (document_id,)):
            quote["speaker"] = speakers.get(quote.get("speaker_id"))
            quotes[quote["sentence_id"]].append(quote)
    key_points = rows(conn, "SELECT number, text, sentence_id, end_sentence_id, start, similarity FROM key_points "
                            "WHERE document_id = ? ORDER BY number", (document_id,))
    sections = rows(conn, "SELECT * FROM sections WHERE document_id = ?", (document_id,))
    turns = rows(conn, "SELECT id, speaker_id, start, label FROM turns WHERE document_id = ? ORDER BY start",
                 (document_id,))

    def sentence_info(s: dict) -> dict:
        claim = claims.get(s["id"])
        s_topics = topics.get(s["id"], [])
        s_quotes = quotes.get(s["id"], [])
        who = {s["speaker_id"]}
        if claim:
            who.add(claim["attributed_to"])
        who.update(q["speaker_id"] for q in s_quotes if q.get("speaker_id"))
        return {
            "id": s["id"], "kind": s["kind"], "speaker_id": s["speaker_id"], "claim": claim,
            "topics": s_topics, "frames": frames.get(s["id"], []),
            "filter": {
                # NULL speakers (news narration, a quote nobody is named for) filter as nobody
                "speakers": " ".join(sorted(w for w in who if w)),
                "topics": " ".join(t["id"] for t in s_topics),
                "kind": claim["kind"] if claim else "none",
                "certainty": claim["certainty"] if claim else "none",
            },
        }

    info = {s["id"]: sentence_info(s) for s in sentences}

    def pieces(seg: dict) -> list[dict]:
        out, cursor = [], seg["start"]
        for s in sentences:
            if s["end"] <= seg["start"] or s["start"] >= seg["end"]:
                continue
            start, end = max(s["start"], seg["start"]), min(s["end"], seg["end"])
            if start > cursor:
                out.append({"text": text[cursor:start], "sentence": None})
            out.append({"sentence": info[s["id"]], "first": start == s["start"],
                        "last": end == s["end"], "parts": _sentence_parts(text, start, end, quotes.get(s["id"], []))})
            cursor = end
        if cursor < seg["end"]:
            out.append({"text": text[cursor:seg["end"]], "sentence": None})
        return out

    blocks: list[dict] = []
    for seg in segments:
        kind = seg["kind"]
        block = {"kind": kind, "text": seg["text"], "start": seg["start"]}
        if kind in SENTENCE_KINDS:
            block["pieces"] = pieces(seg)
            chips = {}
            for piece in block["pieces"]:
                for topic in (piece["sentence"] or {}).get("topics", []):
                    chips[topic["id"]] = topic
            block["topics"] = list(chips.values())
            if kind == "turn":
                turn = max((t for t in turns if t["start"] <= seg["start"]), key=lambda t: t["start"], default=None)
                block["speaker_id"] = turn["speaker_id"] if turn else None
        elif kind == "key_point":
            # key points may hold sentences of their own (then their claims are marked)
            if any(s["start"] < seg["end"] and s["end"] > seg["start"] for s in sentences):
                block["pieces"] = pieces(seg)
            block["key_point"] = next((k for k in key_points if seg["start"] <= k["start"] < seg["end"]), None)
        elif kind == "speaker_label":
            nxt = next((t for t in turns if t["start"] >= seg["end"]), None)
            block["speaker"] = speakers.get(nxt["speaker_id"]) if nxt else None
        elif kind in ("section_number", "section_heading"):
            # one heading block per section: its number, then its title and subtitle lines
            previous = blocks[-1] if blocks else None
            if kind == "section_heading" and previous and previous["kind"] == "heading":
                previous["lines"].append(seg["text"])
                continue
            section = next((s for s in sections if s["start"] <= seg["start"] < s["end"]), None)
            block = {"kind": "heading", "number": seg["text"] if kind == "section_number" else None,
                     "lines": [] if kind == "section_number" else [seg["text"]], "section": section}
        blocks.append(block)

    used = {s["speaker_id"] for s in sentences} | {c["attributed_to"] for c in claims.values()}
    used_speakers = sorted((sid for sid in used if sid), key=lambda sid: speakers[sid]["name_en"] or sid)
    used_topics = sorted({t["id"]: t for ts in topics.values() for t in ts}.values(), key=lambda t: t["id"])
    return {
        "document": doc,
        "author": speakers.get(doc["author"]),
        "editor": speakers.get(doc["editor"]),
        "speakers": speakers,
        "blocks": blocks,
        "filters": {
            "speakers": [speakers[sid] for sid in used_speakers],
            "topics": used_topics,
            "kinds": sorted({c["kind"] for c in claims.values()}),
            "certainties": [lvl for lvl in ("certain", "neutral", "hedged", "mixed")
                            if any(c["certainty"] == lvl for c in claims.values())],
        },
        "claim_count": len(claims),
        "has_quotes": bool(quotes),
    }
