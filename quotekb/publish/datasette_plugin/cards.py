"""Data for the claim card (/quotekb/claims/<id>) and the speaker page (/quotekb/speakers/<id>)."""

from __future__ import annotations

import json
import sqlite3

from quotekb.publish.datasette_plugin.sql import CERTAINTY_LEVELS, certainty_expr, has_table, one, rows

CONTEXT_SENTENCES = 2  # sentences shown before and after a claim
GROUP_LIMIT = 100  # claims listed per topic on a speaker page; the rest are one link away
QUOTE_CONTEXT = 32  # prefix/suffix characters of the TextQuoteSelector, as in `quotekb export claims`
# cue categories of claims.cues that are words of the sentence, and how the card marks them
CUE_CLASSES = {"hedged": "cue-hedge", "certainty": "cue-certain", "kind": "cue-kind"}


def cue_parts(text: str, cues: dict, tokens: list[dict] = (), offset: int = 0) -> list[dict]:
    """The claim text split so that every cue word found in it is its own marked part.

    cues lists surface strings and Sudachi lemmas: a surface string is found in the text,
    a lemma (思う for 思います) through the sentence's tokens, whose offsets are the
    document's (offset = the claim's start).
    """
    spans = []
    for category, css in CUE_CLASSES.items():
        for word in cues.get(category) or []:
            if not isinstance(word, str) or not word:
                continue
            at = text.find(word)
            found = at >= 0
            while at >= 0:
                spans.append((at, at + len(word), css, category))
                at = text.find(word, at + 1)
            if not found:
                spans.extend((t["start"] - offset, t["end"] - offset, css, category) for t in tokens
                             if word in (t["dictionary_form"], t["normalized_form"]))
    parts, cursor = [], 0
    # longest first at a position, then skip overlaps: one mark per character
    for start, end, css, category in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start < cursor:
            continue
        if start > cursor:
            parts.append({"text": text[cursor:start], "css": None})
        parts.append({"text": text[start:end], "css": css, "category": category})
        cursor = end
    if cursor < len(text):
        parts.append({"text": text[cursor:], "css": None})
    return parts


# who a claim is shown as when its sentence has no speaker (news narration with no byline)
NOBODY = {"id": None, "name": "（記者名なし）", "name_en": "no named writer", "reading": None, "role": None,
          "affiliation": None}


def _bibtex(claim: dict, speaker: dict, doc: dict, author: dict | None, url: str) -> str:
    def esc(value: str) -> str:
        return value.replace("{", "\\{").replace("}", "\\}")

    fields = [
        ("author", speaker["name_en"] or speaker["name"]),
        ("title", f"「{claim['text']}」"),
        ("booktitle", doc["title"] or ""),
        ("publisher", doc["publisher"] or ""),
        ("date", doc["published_on"] or ""),
        ("year", (doc["published_on"] or "")[:4]),
        ("url", url),
        ("note", f"quotekb claim {claim['id']}, characters {claim['start']}-{claim['end']} "
                 f"of document {doc['id']} (sha256 {doc['sha256'][:12]})"),
    ]
    body = ",\n".join(f"  {name} = {{{esc(value)}}}" for name, value in fields if value)
    return f"@misc{{{claim['id']},\n{body}\n}}"


def claim_card(conn: sqlite3.Connection, claim_id: str, base_url: str = "") -> dict | None:
    claim = one(conn, f"SELECT c.*, {certainty_expr(conn)} AS certainty FROM claims c WHERE c.id = ?", (claim_id,))
    if claim is None:
        return None
    # a news article without a named writer: its narration is nobody's
    speaker = one(conn, "SELECT * FROM speakers WHERE id = ?", (claim["speaker_id"],)) or NOBODY
    attributed = None
    if claim["attributed_to"] != claim["speaker_id"]:
        attributed = one(conn, "SELECT * FROM speakers WHERE id = ?", (claim["attributed_to"],))
    doc = one(conn, "SELECT id, title, published_on, publisher, author, editor, url, sha256, text "
                    "FROM documents WHERE id = ?", (claim["document_id"],))
    author = one(conn, "SELECT * FROM speakers WHERE id = ?", (doc["author"],)) if doc["author"] else None
    section = one(conn, "SELECT * FROM sections WHERE id = ?", (claim["section_id"],)) if claim["section_id"] else None
    turn_kind = conn.execute("SELECT kind FROM turns WHERE id = ?", (claim["turn_id"],)).fetchone()[0]
    context = rows(conn, """
        SELECT s.id, s.position, s.kind, s.text, s.speaker_id, sp.name AS speaker, c.id AS claim_id
        FROM sentences s LEFT JOIN speakers sp ON sp.id = s.speaker_id LEFT JOIN claims c ON c.sentence_id = s.id
        WHERE s.document_id = ? AND s.position BETWEEN ? AND ? AND s.id != ?
        ORDER BY s.position""",
        (claim["document_id"], claim["position"] - CONTEXT_SENTENCES, claim["position"] + CONTEXT_SENTENCES,
         claim["sentence_id"]))
    topics = rows(conn, """SELECT t.id, t.label_ja, t.label_en, ct.matched FROM claim_topics ct
                           JOIN topics t ON t.id = ct.topic_id WHERE ct.claim_id = ? ORDER BY t.id""", (claim_id,))
    analogies = rows(conn, """
        SELECT m.analogy_id, m.role, m.stance, m.stance_cue, m.stance_source, a.source_domain, a.source_domain_en,
               a.target_en
        FROM analogy_mentions m JOIN analogies a ON a.document_id = m.document_id AND a.id = m.analogy_id
        WHERE m.sentence_id = ? ORDER BY m.analogy_id""", (claim["sentence_id"],))
    key_point = one(conn, """SELECT number, text FROM key_points WHERE document_id = ? AND sentence_id IS NOT NULL
                             AND ? BETWEEN sentence_id AND coalesce(end_sentence_id, sentence_id)
                             ORDER BY number LIMIT 1""", (claim["document_id"], claim["sentence_id"]))
    quotes = []
    if has_table(conn, "quotes"):
        quotes = rows(conn, """SELECT q.*, sp.name AS speaker FROM quotes q LEFT JOIN speakers sp
                               ON sp.id = q.speaker_id WHERE q.sentence_id = ? ORDER BY q.start""",
                      (claim["sentence_id"],))
    cues = json.loads(claim["cues"] or "{}")
    text = doc.pop("text")
    start, end = claim["start"], claim["end"]
    selector = [
        {"type": "TextPositionSelector", "start": start, "end": end},
        {"type": "TextQuoteSelector", "exact": text[start:end],
         "prefix": text[max(0, start - QUOTE_CONTEXT):start], "suffix": text[end:end + QUOTE_CONTEXT]},
    ]
    url = doc["url"] or f"{base_url}/quotekb/documents/{doc['id']}"
    who = speaker["name"] + (f" ({speaker['name_en']})" if speaker["name_en"] else "")
    if attributed:
        who += f", reporting {attributed['name']}"
    where = f", section {section['number']} 「{section['title']}」" if section else ""
    by = f"{author['name']}, " if author and author["id"] != speaker["id"] else ""
    plain = (f"{who}: 「{claim['text']}」 In {by}{doc['title'] or ''}, {doc['publisher'] or ''}, "
             f"{doc['published_on'] or 'n.d.'}"
             f"{where}. {url} (quotekb {claim['id']}, characters {start}-{end})")
    return {
        "claim": claim, "speaker": speaker, "attributed": attributed, "document": doc, "author": author,
        "section": section, "turn_kind": turn_kind, "before": [s for s in context if s["position"] < claim["position"]],
        "after": [s for s in context if s["position"] > claim["position"]], "topics": topics,
        "analogies": analogies, "key_point": key_point, "quotes": quotes, "cues": cues,
        "cue_parts": cue_parts(claim["text"], cues, rows(conn, "SELECT dictionary_form, normalized_form, start, "
                                                                "\"end\" FROM tokens WHERE sentence_id = ?",
                                                                (claim["sentence_id"],)), start),
        "selector_json": json.dumps({"source": f"{base_url}/quotekb/documents/{doc['id']}", "selector": selector},
                                    ensure_ascii=False, indent=2),
        "citation": plain, "bibtex": _bibtex(claim, speaker, doc, author, url),
    }


def speaker_page(conn: sqlite3.Connection, speaker_id: str, words: int = 30) -> dict | None:
    """Everything is counted and cut in SQL: a speaker of a large corpus has tens of
    thousands of claims, and the page lists at most GROUP_LIMIT per group."""
    speaker = one(conn, "SELECT * FROM speakers WHERE id = ?", (speaker_id,))
    if speaker is None:
        return None
    certainty = certainty_expr(conn)
    order = "d.published_on, c.document_id, c.position"
    claim_columns = f"c.id, c.text, c.kind, {certainty} AS certainty, sec.number AS section"
    claim_joins = "JOIN documents d ON d.id = c.document_id LEFT JOIN sections sec ON sec.id = c.section_id"
    tagged = rows(conn, f"""
        SELECT * FROM (
          SELECT t.id AS topic_id, t.label_ja, t.label_en, {claim_columns},
                 row_number() OVER (PARTITION BY t.id ORDER BY {order}) AS n,
                 count(*) OVER (PARTITION BY t.id) AS total
          FROM claim_topics ct JOIN topics t ON t.id = ct.topic_id JOIN claims c ON c.id = ct.claim_id {claim_joins}
          WHERE c.speaker_id = ?)
        WHERE n <= ? ORDER BY total DESC, topic_id, n""", (speaker_id, GROUP_LIMIT))
    groups: dict[str, dict] = {}
    for row in tagged:
        group = groups.setdefault(row["topic_id"], {
            "topic": {"id": row["topic_id"], "label_ja": row["label_ja"], "label_en": row["label_en"]},
            "total": row["total"], "claims": []})
        group["claims"].append(row)
    untagged = rows(conn, f"""SELECT {claim_columns}, count(*) OVER () AS total FROM claims c {claim_joins}
                              WHERE c.speaker_id = ?
                                AND NOT EXISTS (SELECT 1 FROM claim_topics x WHERE x.claim_id = c.id)
                              ORDER BY {order} LIMIT ?""", (speaker_id, GROUP_LIMIT))
    # what others wrote as this person's view (the lead's "…とアモデイ氏は考えている")
    reported = rows(conn, f"""SELECT {claim_columns}, sp.name AS reporter, count(*) OVER () AS total
                              FROM claims c {claim_joins} JOIN speakers sp ON sp.id = c.speaker_id
                              WHERE c.attributed_to = ? AND c.speaker_id != ? ORDER BY {order} LIMIT ?""",
                    (speaker_id, speaker_id, GROUP_LIMIT))
    counts = dict(conn.execute(f"SELECT {certainty}, count(*) FROM claims c WHERE c.speaker_id = ? GROUP BY 1",
                               (speaker_id,)).fetchall())
    analogies = rows(conn, """
        SELECT m.analogy_id AS id, min(m.document_id) AS document_id, a.source_domain, a.source_domain_en,
               a.target_en, count(DISTINCT m.document_id) AS documents, count(*) AS mentions,
               sum(m.role = 'proposal') AS proposed, sum(m.role = 'response') AS answered
        FROM analogy_mentions m JOIN analogies a ON a.document_id = m.document_id AND a.id = m.analogy_id
        WHERE m.speaker_id = ? GROUP BY m.analogy_id ORDER BY m.analogy_id""", (speaker_id,))
    stances: dict[str, list[str]] = {}
    for analogy_id, stance, cue, n in conn.execute(
            """SELECT analogy_id, stance, stance_cue, count(*) AS n FROM analogy_mentions
               WHERE speaker_id = ? AND stance IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, n DESC, 2, 3""",
            (speaker_id,)):
        label = f"{stance} «{cue}»" if cue else stance
        stances.setdefault(analogy_id, []).append(label + (f" ×{n}" if n > 1 else ""))
    for analogy in analogies:
        analogy["stances"] = stances.get(analogy["id"], [])[:4]
    # the speaker_word_frequencies view counts every speaker's words first; this counts one
    frequencies = rows(conn, """
        SELECT normalized_form, pos, count(*) AS occurrences,
               round(1000.0 * count(*) / sum(count(*)) OVER (), 1) AS per_thousand_words
        FROM content_tokens WHERE speaker_id = ?
        GROUP BY normalized_form, pos ORDER BY occurrences DESC, normalized_form LIMIT ?""", (speaker_id, words))
    documents = conn.execute("SELECT count(DISTINCT document_id) FROM sentences WHERE speaker_id = ?",
                             (speaker_id,)).fetchone()[0]
    return {
        "speaker": speaker, "claim_count": sum(counts.values()), "documents": documents,
        "groups": list(groups.values()),
        "untagged": untagged, "untagged_total": untagged[0]["total"] if untagged else 0,
        "reported": reported, "reported_total": reported[0]["total"] if reported else 0,
        "certainty": [{"level": lvl, "count": counts.get(lvl, 0)} for lvl in CERTAINTY_LEVELS],
        "analogies": analogies, "words": frequencies,
    }
