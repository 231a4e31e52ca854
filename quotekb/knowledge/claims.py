"""Claims: which sentences assert something, of what kind, how hedged, whose view.

All decisions come from cue categories in corpus/cues.yaml and record the cue words.
Kind precedence: response > normative > conditional > prediction > assertion.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass

from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import CueCategory, SentenceView

KIND_ORDER = ("response", "normative", "conditional", "prediction")
DIGIT = re.compile(r"[0-9０-９]")


def claim_id(document_id: str, speaker_id: str, text: str, occurrence: int) -> str:
    """Content hash: unchanged by rebuilds and by edits to other sentences."""
    key = "\x1f".join((document_id, speaker_id, " ".join(text.split()), str(occurrence)))
    return "clm-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Attribution:
    """Decides whose view an author's sentence reports, carrying a person forward
    across sentences that report without naming anyone (subject dropped, or 同氏)."""

    names: dict[str, str]  # name or alias as written -> speaker id
    cues: dict[str, CueCategory]
    current: str | None = None

    def reset(self) -> None:
        self.current = None

    def decide(self, view: SentenceView, author: str, headline: bool) -> tuple[str, list[str]]:
        named = self._first_name(view.text)
        reporting = self.cues["reporting"].find(view)
        anaphora = self.cues["anaphora"].find(view)
        if headline and named and re.search(re.escape(named[0]) + r"\s*[:：]", view.text):
            return named[1], [named[0] + ":"]
        if named and reporting:
            self.current = named[1]
            return named[1], [named[0], *reporting]
        if reporting and self.current and (anaphora or not named):
            return self.current, [*anaphora, *reporting]
        return author, []

    def _first_name(self, text: str) -> tuple[str, str] | None:
        best = None
        for name, speaker in self.names.items():
            i = text.find(name)
            if i >= 0 and (best is None or i < best[0] or (i == best[0] and len(name) > len(best[1]))):
                best = (i, name, speaker)
        return (best[1], best[2]) if best else None


def classify(view: SentenceView, cues: dict[str, CueCategory], responds: bool) -> tuple[str, dict]:
    """Claim kind and the cue words per decision."""
    found = {name: cues[name].find(view) for name in ("response", "normative", "conditional", "prediction")}
    if not responds:
        found["response"] = []
    kind = next((k for k in KIND_ORDER if found[k]), "assertion")
    return kind, {k: v for k, v in found.items() if v}


def claim_rows(document_id: str, sentences: list[dict], views: dict[int, SentenceView], turns: dict[int, dict],
               cues: dict[str, CueCategory], names: dict[str, str], author: str) -> list[dict]:
    rows = []
    occurrences: Counter = Counter()
    attribution = Attribution(names, cues)
    previous_turn: int | None = None
    for sentence in sentences:
        turn = turns[sentence["turn_id"]]
        if sentence["turn_id"] != previous_turn:
            attribution.reset()
            previous_turn = sentence["turn_id"]
        if sentence["kind"] != "statement":
            continue
        view = views[sentence["id"]]
        responds = turn["kind"] == "interview" and view.first_in_turn and turn.get("follows_other_speaker", False)
        kind, decided = classify(view, cues, responds)
        if turn["kind"] == "interview":
            attributed, attribution_cues = sentence["speaker_id"], []
        else:
            attributed, attribution_cues = attribution.decide(view, author, turn["kind"] == "headline")
        hedges = cues["hedge"].find(view)
        certainty = cues["certainty"].find(view)
        has_number = bool(DIGIT.search(sentence["text"])) or any("数詞" in p for p in view.pos)
        key = (sentence["speaker_id"], " ".join(sentence["text"].split()))
        occurrences[key] += 1
        audit = {"kind": decided.get(kind, []), "hedged": hedges, "certainty": certainty}
        if attribution_cues:
            audit["attributed_to"] = attribution_cues
        rows.append({
            "id": claim_id(document_id, sentence["speaker_id"], sentence["text"], occurrences[key]),
            "document_id": document_id,
            "speaker_id": sentence["speaker_id"],
            "attributed_to": attributed,
            "section_id": sentence["section_id"],
            "turn_id": sentence["turn_id"],
            "sentence_id": sentence["id"],
            "position": sentence["position"],
            "start": sentence["start"],
            "end": sentence["end"],
            "text": sentence["text"],
            "kind": kind,
            "hedged": bool(hedges),
            "certain": bool(certainty),
            "has_number": has_number,
            "cues": json.dumps(audit, ensure_ascii=False, sort_keys=True),
        })
    return rows


@layer("claims", reads=("sentences", "turns"), writes=("claims",))
def claims(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    return {"claims": claim_rows(ctx.document_id, ctx.rows["sentences"], ctx.views, ctx.turns,
                                 extractor.knowledge.cues, extractor.names(ctx.article), ctx.article.meta["author"])}
