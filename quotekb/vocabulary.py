"""Every closed set of values, declared once.

The models' CHECK constraints, the CLI's choices, the corpus YAML schema
(`{$vocabulary: name}` in ingest/corpus_schemas.yaml) and the exported JSON Schema
(publish/claims.schema.json, tied by a test) all read these tuples.
"""

from __future__ import annotations

SPEAKER_ROLES = ("guest", "host", "author", "editor", "interviewer", "other")
SEGMENT_KINDS = (
    "header", "title", "date", "boilerplate", "byline", "summary", "lead",
    "key_points_intro", "key_point", "note", "section_number", "section_heading",
    "speaker_label", "turn", "blank",
)
TURN_KINDS = ("headline", "summary", "lead", "interview")
SENTENCE_KINDS = ("statement", "question", "rhetorical", "discourse", "fragment", "heading", "quotation")
CLAIM_KINDS = ("assertion", "prediction", "conditional", "normative", "response")
CERTAINTIES = ("hedged", "neutral", "certain", "mixed")
MENTION_ROLES = ("framing", "proposal", "elaboration", "response")
STANCES = ("agree", "partial", "disagree")
STANCE_SOURCES = ("rule", "curated", "turn")
# transcript layouts (parse/conventions.py); auto tries them all
CONVENTIONS = ("auto", "label-line", "label-colon", "label-space", "label-dash", "bracket", "paren", "press", "alias",
               "dash", "qa")
ENTITY_KINDS = ("organization", "technology", "product", "method", "person", "place")
# an interview has speaker turns; a news article reports speech without them
ARTICLE_FORMS = ("interview", "news")
QUOTE_KINDS = ("direct", "indirect", "mixed")
# how a quote's speaker was found (the evidence span says where)
QUOTE_ATTRIBUTIONS = (
    "subject_before", "subject_after", "previous_sentence_subject", "next_sentence_subject",
    "parenthetical", "anaphora", "headline_echo", "transcript_turn", "none",
)
TEXT_UNITS = ("sentence", "heading", "key_point")  # where an entity mention stands

# the names the corpus YAML schema uses for them
BY_NAME: dict[str, tuple[str, ...]] = {
    "speaker_roles": SPEAKER_ROLES,
    "segment_kinds": SEGMENT_KINDS,
    "turn_kinds": TURN_KINDS,
    "sentence_kinds": SENTENCE_KINDS,
    "claim_kinds": CLAIM_KINDS,
    "certainties": CERTAINTIES,
    "mention_roles": MENTION_ROLES,
    "stances": STANCES,
    "stance_sources": STANCE_SOURCES,
    "conventions": CONVENTIONS,
    "entity_kinds": ENTITY_KINDS,
    "article_forms": ARTICLE_FORMS,
    "quote_kinds": QUOTE_KINDS,
    "quote_attributions": QUOTE_ATTRIBUTIONS,
    "text_units": TEXT_UNITS,
}
