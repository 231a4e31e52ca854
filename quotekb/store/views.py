"""SQL views, declared once and (re)created at the end of every build.

One definition serves both engines: the views are written in SQL that SQLite and
PostgreSQL both accept (every selected column grouped or aggregated, every derived
table named), and views("postgresql") respells the few SQLite-only functions.
"""

from __future__ import annotations

import re

# Formal nouns (形式名詞) carry grammar, not content; they would top every list.
FORMAL_NOUNS = ("こと", "物", "為", "所", "方", "訳", "筈", "様", "積もり", "内")
_formal = ", ".join(f"'{w}'" for w in FORMAL_NOUNS)

VIEWS: dict[str, str] = {
    # Every morpheme with its forms: the shape users query (created first, the views
    # below read it).
    "tokens": """
        SELECT m.sentence_id, m.position, m.search_position, l.surface, l.dictionary_form,
               l.normalized_form, l.reading, l.pos, l.pos_detail, m.start, m."end", m.lexeme_id
        FROM morphemes m JOIN lexemes l ON l.id = m.lexeme_id
    """,
    # Content words: nouns, verbs and adjectives, without numerals, counters,
    # auxiliary-like verbs (する, ある, いる, なる: 非自立可能) and formal nouns.
    "content_tokens": f"""
        SELECT t.sentence_id, t.position, s.document_id, s.speaker_id, s.section_id,
               t.normalized_form, t.pos, t.surface, t.start, t."end"
        FROM tokens t JOIN sentences s ON s.id = t.sentence_id
        WHERE t.pos IN ('名詞', '動詞', '形容詞')
          AND t.pos_detail NOT LIKE '%非自立可能%'
          AND t.pos_detail NOT LIKE '%数詞%'
          AND t.normalized_form NOT IN ({_formal})
    """,
    "word_frequencies": """
        SELECT normalized_form, pos, count(*) AS occurrences,
               count(DISTINCT sentence_id) AS sentences,
               count(DISTINCT speaker_id) AS speakers
        FROM content_tokens
        GROUP BY normalized_form, pos
        ORDER BY occurrences DESC, normalized_form
    """,
    "speaker_word_frequencies": """
        SELECT c.speaker_id, c.normalized_form, c.pos, count(*) AS occurrences,
               count(DISTINCT c.sentence_id) AS sentences,
               round(1000.0 * count(*) / totals.words, 1) AS per_thousand_words
        FROM content_tokens c
        JOIN (SELECT speaker_id, count(*) AS words FROM content_tokens GROUP BY speaker_id) totals
          ON totals.speaker_id = c.speaker_id
        GROUP BY c.speaker_id, c.normalized_form, c.pos, totals.words
        ORDER BY c.speaker_id, occurrences DESC, c.normalized_form
    """,
    # One row per claim with everything a reader filters on; topics, analogies and
    # entities are JSON arrays so Datasette can facet on them (array facets).
    "claims_view": """
        SELECT c.id, sp.name AS speaker, c.text, c.kind, c.certainty,
               c.hedged, c.certain, c.has_number, sec.number AS section,
               (SELECT json_group_array(topic_id) FROM
                  (SELECT topic_id FROM claim_topics WHERE claim_id = c.id ORDER BY topic_id) ct) AS topics,
               (SELECT json_group_array(analogy_id) FROM
                  (SELECT DISTINCT analogy_id FROM analogy_mentions
                   WHERE sentence_id = c.sentence_id ORDER BY analogy_id) am) AS analogies,
               (SELECT json_group_array(name) FROM
                  (SELECT DISTINCT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id
                   WHERE m.sentence_id = c.sentence_id ORDER BY e.name) me) AS mentions,
               at.name AS attributed_to_name, sec.title AS section_title, c.cues,
               c.document_id, c.speaker_id, c.attributed_to, c.sentence_id, c.turn_id, c.position,
               c.start, c."end"
        FROM claims c
        JOIN speakers sp ON sp.id = c.speaker_id
        JOIN speakers at ON at.id = c.attributed_to
        LEFT JOIN sections sec ON sec.id = c.section_id
    """,
    # Topic x speaker cross-tabulation, in long form (one row per pair with claims),
    # with each speaker's share of the topic.
    "topic_speaker": """
        SELECT t.id AS topic_id, t.label_ja, t.label_en, c.speaker_id, sp.name AS speaker,
               count(*) AS claims,
               round(100.0 * count(*) / (SELECT count(*) FROM claim_topics x WHERE x.topic_id = t.id), 1)
                 AS share_of_topic_pct
        FROM claim_topics ct
        JOIN topics t ON t.id = ct.topic_id
        JOIN claims c ON c.id = ct.claim_id
        JOIN speakers sp ON sp.id = c.speaker_id
        GROUP BY t.id, t.label_ja, t.label_en, c.speaker_id, sp.name
        ORDER BY t.id, claims DESC, c.speaker_id
    """,
    # Sentences with comparison wording that belong to no declared frame: where a
    # curator looks for new frames to add to corpus/analogies.yaml.
    "analogy_candidates": """
        SELECT s.id AS sentence_id, s.document_id, s.speaker_id, sec.number AS section,
               am.cues, s.text
        FROM analogy_markers am
        JOIN sentences s ON s.id = am.sentence_id
        LEFT JOIN sections sec ON sec.id = s.section_id
        WHERE am.sentence_id NOT IN (SELECT sentence_id FROM analogy_mentions)
        ORDER BY s.document_id, s.position
    """,
}

# SQLite-only functions -> PostgreSQL. json_group_array over a sorted subquery (SQLite
# 3.40 has no ORDER BY inside an aggregate) is array_agg sorted by the same column;
# array_to_json writes no spaces, as json_group_array, and an empty group is [] on both.
_POSTGRES = [
    (re.compile(r"json_group_array\((\w+)\)"), r"coalesce(array_to_json(array_agg(\1 ORDER BY \1))::text, '[]')"),
]


def views(dialect: str = "sqlite") -> dict[str, str]:
    """name -> SELECT for this SQL dialect, in creation order (a view may read the ones
    before it)."""
    if dialect != "postgresql":
        return dict(VIEWS)
    respelled = {}
    for name, select in VIEWS.items():
        for pattern, replacement in _POSTGRES:
            select = pattern.sub(replacement, select)
        respelled[name] = select
    return respelled
