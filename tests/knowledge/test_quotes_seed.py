"""The seed's lead reports Amodei's views without brackets; the quotes layer finds them
and the claims of those sentences take their attributed_to from it (tests/knowledge
keeps the expectations the lead had before quotes existed)."""

from __future__ import annotations

import json

from conftest import SEED_ID


def test_lead_reported_views_are_indirect_quotes_of_amodei(db):
    rows = db.execute("SELECT q.kind, q.speaker_id, q.cue, q.attribution, q.evidence, s.text AS sentence "
                      "FROM quotes q JOIN sentences s ON s.id = q.sentence_id JOIN turns t ON t.id = s.turn_id "
                      "WHERE t.kind != 'interview' AND q.document_id = ? ORDER BY q.position", (SEED_ID,)).fetchall()
    found = [(r["kind"], r["speaker_id"], r["cue"], r["evidence"]) for r in rows]
    assert found == [
        ("indirect", "dario-amodei", "とアモデイ氏は考えている", "アモデイ氏"),
        ("indirect", "dario-amodei", "と考えている", "アモデイ氏"),
        ("indirect", "dario-amodei", "と述べました", "アモデイ氏"),  # zero subject: the previous sentence's
        ("indirect", "dario-amodei", "ことを説明した", "同氏"),
    ]


def test_claims_of_quoted_lead_sentences_take_the_quote_speaker(db):
    quotes = db.execute("SELECT q.sentence_id, q.speaker_id, q.evidence, q.cue FROM quotes q WHERE q.document_id = ?",
                        (SEED_ID,)).fetchall()
    assert quotes
    for q in quotes:
        claim = db.execute("SELECT speaker_id, attributed_to, cues FROM claims WHERE sentence_id = ?",
                           (q["sentence_id"],)).fetchone()
        if claim is None:
            continue  # a question: no claim
        assert claim["attributed_to"] == q["speaker_id"]
        turn_kind = db.execute("SELECT t.kind FROM sentences s JOIN turns t ON t.id = s.turn_id WHERE s.id = ?",
                               (q["sentence_id"],)).fetchone()[0]
        if turn_kind != "interview":
            assert claim["speaker_id"] == "huang-wenwen"  # the sentence's own speaker stays the writer
            assert json.loads(claim["cues"])["attributed_to"] == [q["evidence"], q["cue"]]
