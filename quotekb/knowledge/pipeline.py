"""The knowledge layer for one document: sentence kinds, claims, topics, analogies,
analogy markers, key-point alignment and entity mentions, all from corpus/ rules."""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field

from quotekb.ingest.corpus import Article, Speaker
from quotekb.ingest.knowledge import Knowledge
from quotekb.knowledge import analogies, claims, keypoints, mentions
from quotekb.knowledge.mentions import compile_entities
from quotekb.knowledge.rules import AlternativeIndex, SentenceView


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

    def precheck(self, articles: list[Article], document_ids: set[str] | None = None,
                 other_texts: Mapping[str, str] | None = None) -> None:
        """Validation that needs the texts but no parsing: runs before any output.
        When only some articles were loaded: `document_ids` names every article of the
        corpus and `other_texts` holds the texts of the others (read on demand)."""
        self.document_ids = document_ids if document_ids is not None else {a.id for a in articles}
        texts = ChainMap({a.id: a.text for a in articles}, other_texts or {})
        analogies.precheck_curated_quotes(self.knowledge.frames, texts, self.knowledge.path / "analogies.yaml")

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

    def document_rows(self, article: Article, rows: dict[str, list], views: dict[int, SentenceView], ids) -> None:
        """Add the knowledge tables to a document's rows (and fill sentence kinds and
        key-point alignment in place)."""
        cues = self.knowledge.cues
        document_id = article.id
        sentences = rows["sentences"]
        for s in sentences:
            s["kind"] = claims.sentence_kind(s["kind"], views[s["id"]], cues)
        turns = _turn_index(rows["turns"])

        claim_rows = claims.claim_rows(
            document_id, sentences, views, turns, cues, self.names(article), article.meta["author"]
        )
        rows["claims"] = claim_rows
        claim_of_sentence = {c["sentence_id"]: c["id"] for c in claim_rows}

        rows["sentence_topics"], rows["claim_topics"] = [], []
        topics = self.knowledge.topics
        for s in sentences:
            for index, matched in self.topic_index.match(views[s["id"]]).items():
                topic_id = topics[index].id
                value = json.dumps(matched, ensure_ascii=False)
                rows["sentence_topics"].append({"sentence_id": s["id"], "topic_id": topic_id, "matched": value})
                if s["id"] in claim_of_sentence:
                    rows["claim_topics"].append(
                        {"claim_id": claim_of_sentence[s["id"]], "topic_id": topic_id, "matched": value}
                    )

        markers = {}
        for s in sentences:
            found = cues["analogy_marker"].find(views[s["id"]])
            if found:
                markers[s["id"]] = found
        rows["analogy_markers"] = [
            {"sentence_id": sid, "cues": json.dumps(found, ensure_ascii=False)} for sid, found in markers.items()
        ]

        rows["analogies"], rows["analogy_mentions"] = [], []
        frame_matches: list[dict[int, list[str]]] = [{} for _ in self.knowledge.frames]
        for s in sentences:
            for index, matched in self.frame_index.match(views[s["id"]]).items():
                frame_matches[index][s["id"]] = matched
        for frame, matches in zip(self.knowledge.frames, frame_matches, strict=True):
            analogy, frame_mentions = analogies.frame_rows(
                frame, document_id, sentences, views, turns, cues, self.used_stances, markers, matches
            )
            if analogy:
                rows["analogies"].append(analogy)
                rows["analogy_mentions"].extend(frame_mentions)
        first = ids.take("analogy_mentions", len(rows["analogy_mentions"]))
        for i, mention in enumerate(rows["analogy_mentions"]):
            mention["id"] = first + i

        keypoints.align(rows["key_points"], sentences, turns, article.text)

        units = [("heading", s["heading_start"], s["heading_end"]) for s in rows["sections"]]
        units += [("key_point", k["start"], k["end"]) for k in rows["key_points"]]
        rows["mentions"] = mentions.mention_rows(self.entity_pattern, document_id, sentences, article.text, units)
        first = ids.take("mentions", len(rows["mentions"]))
        for i, mention in enumerate(rows["mentions"]):
            mention["id"] = first + i

    def mark_used_from_db(self, conn) -> None:
        """Curated stances already applied to documents an incremental build keeps."""
        applied = set(conn.exec_driver_sql(
            "SELECT analogy_id, stance_cue FROM analogy_mentions WHERE stance_source = 'curated'").all())
        for frame in self.knowledge.frames:
            for index, curated in enumerate(frame.stances):
                if (frame.id, curated.quote) in applied:
                    self.used_stances.add((frame.id, index))

    def finish(self) -> None:
        analogies.check_curated_quotes(
            self.knowledge.frames, self.used_stances, self.knowledge.path / "analogies.yaml", self.document_ids
        )


def _turn_index(turn_rows: list[dict]) -> dict[int, dict]:
    """Turns by id, each knowing the next interview turn and whether it answers
    another speaker (the previous interview turn was someone else's)."""
    turns = {t["id"]: dict(t) for t in turn_rows}
    interview = [t for t in turn_rows if t["kind"] == "interview"]
    for previous, current in zip(interview, interview[1:], strict=False):
        turns[previous["id"]]["next_interview_turn"] = current["id"]
        turns[current["id"]]["follows_other_speaker"] = previous["speaker_id"] != current["speaker_id"]
    return turns
