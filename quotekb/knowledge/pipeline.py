"""The knowledge layers, in the order they run, and what they share across a build.

Each layer is one module's function declared with @layer (knowledge/layer.py): what it
reads, what it writes. Adding a layer is its module, one entry in LAYERS and its
models; `check_order` refuses an order in which a layer reads what nobody wrote yet.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from quotekb.ingest.corpus import Article, Speaker
from quotekb.ingest.knowledge import Knowledge
from quotekb.knowledge import analogies as analogy_rules
from quotekb.knowledge.analogies import analogies, analogy_markers
from quotekb.knowledge.claims import claims
from quotekb.knowledge.keypoints import key_points
from quotekb.knowledge.layer import DocumentContext, Layer, check_order, run_layers
from quotekb.knowledge.mentions import compile_entities, mentions
from quotekb.knowledge.quotes import quotes
from quotekb.knowledge.reported_speech import Words
from quotekb.knowledge.rules import AlternativeIndex, SentenceView
from quotekb.knowledge.sentence_kinds import sentence_kinds
from quotekb.knowledge.topics import topics

LAYERS: list[Layer] = [
    quotes,  # before sentence_kinds: a headline with a speaker's quote is a claim
    sentence_kinds,
    claims,
    topics,
    analogy_markers,
    analogies,
    key_points,
    mentions,
]
check_order(LAYERS)


@dataclass
class Extractor:
    """Knowledge shared by all documents of a build, plus what curated data got used."""

    knowledge: Knowledge
    speakers: dict[str, Speaker]
    used_stances: set = field(default_factory=set)
    document_ids: set = field(default_factory=set)

    def __post_init__(self) -> None:
        self.entity_pattern = compile_entities(self.knowledge.entities)
        self.topic_index = AlternativeIndex([list(t.alternatives) for t in self.knowledge.topics])
        self.frame_index = AlternativeIndex([list(f.cues) for f in self.knowledge.frames])
        self.quote_words = Words.from_cues(self.knowledge.cues)

    def precheck(self, articles: list[Article], document_ids: set[str] | None = None,
                 other_texts: Mapping[str, str] | None = None) -> None:
        """Validation that needs the texts but no parsing: runs before any output.
        When only some articles were loaded: `document_ids` names every article of the
        corpus and `other_texts` holds the texts of the others (read on demand)."""
        self.document_ids = document_ids if document_ids is not None else {a.id for a in articles}
        texts = ChainMap({a.id: a.text for a in articles}, other_texts or {})
        analogy_rules.precheck_curated_quotes(self.knowledge.frames, texts, self.knowledge.path / "analogies.yaml")

    def global_rows(self, corpus) -> dict[str, list[dict]]:
        k = self.knowledge
        return {
            "speakers": [
                {"id": s.id, "name": s.name, "name_en": s.name_en, "reading": s.reading,
                 "role": s.role, "affiliation": s.affiliation}
                for s in sorted(corpus.speakers.values(), key=lambda s: s.id)
            ],
            "topics": [
                {
                    "id": t.id,
                    "label_ja": t.label_ja,
                    "label_en": t.label_en,
                    "description": t.description,
                    "rules": " | ".join(a.terms() for a in t.alternatives),
                }
                for t in k.topics
            ],
            "entities": [
                {
                    "id": e.id,
                    "name": e.name,
                    "kind": e.kind,
                    "variants": json.dumps(list(e.variants), ensure_ascii=False),
                }
                for e in k.entities
            ],
        }

    def names(self, article: Article) -> dict[str, str]:
        names = {}
        for speaker in self.speakers.values():
            names[speaker.name] = speaker.id
            for alias in speaker.aliases:
                names[alias] = speaker.id
        names.update(article.meta.get("aliases") or {})
        return names

    def run(self, article: Article, rows: dict[str, list], views: dict[int, SentenceView],
            assign_ids: Callable[[str, list[dict]], None]) -> None:
        """Add the knowledge tables to a document's rows, layer by layer (LAYERS);
        `assign_ids(table, rows)` numbers rows that need an integer id (the store's)."""
        context = DocumentContext(article, rows, views, _turn_index(rows["turns"]), self)
        run_layers(LAYERS, context, assign_ids)

    def mark_used_from_db(self, conn) -> None:
        """Curated stances already applied to documents an incremental build keeps."""
        applied = set(conn.exec_driver_sql(
            "SELECT analogy_id, stance_cue FROM analogy_mentions WHERE stance_source = 'curated'").all())
        for frame in self.knowledge.frames:
            for index, curated in enumerate(frame.stances):
                if (frame.id, curated.quote) in applied:
                    self.used_stances.add((frame.id, index))

    def finish(self) -> None:
        analogy_rules.check_curated_quotes(
            self.knowledge.frames, self.used_stances, self.knowledge.path / "analogies.yaml", self.document_ids
        )


def _turn_index(turn_rows: list[dict]) -> dict[int, dict]:
    """Turns by id, each knowing the next and previous interview turns and whether it
    answers another speaker (the previous interview turn was someone else's)."""
    turns = {t["id"]: dict(t) for t in turn_rows}
    interview = [t for t in turn_rows if t["kind"] == "interview"]
    for previous, current in zip(interview, interview[1:], strict=False):
        turns[previous["id"]]["next_interview_turn"] = current["id"]
        turns[current["id"]]["previous_interview_turn"] = previous["id"]
        turns[current["id"]]["follows_other_speaker"] = previous["speaker_id"] != current["speaker_id"]
    return turns
