"""SQL views, declared once and (re)created at the end of every build."""

from __future__ import annotations

# Formal nouns (形式名詞) carry grammar, not content; they would top every list.
FORMAL_NOUNS = ("こと", "物", "為", "所", "方", "訳", "筈", "様", "積もり", "内")
_formal = ", ".join(f"'{w}'" for w in FORMAL_NOUNS)

VIEWS: dict[str, str] = {
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
        GROUP BY c.speaker_id, c.normalized_form, c.pos
        ORDER BY c.speaker_id, occurrences DESC, c.normalized_form
    """,
}
