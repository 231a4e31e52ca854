"""Sentence kinds: statement, question (form or cue) or fragment (no predicate)."""

from __future__ import annotations

from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import CueCategory, SentenceView

PREDICATE_POS = ("動詞", "形容詞", "助動詞", "形状詞")


def sentence_kind(parsed_kind: str, view: SentenceView, cues: dict[str, CueCategory]) -> str:
    """statement, question (ends in ?/？ or a question cue) or fragment (no predicate)."""
    if parsed_kind == "question" or cues["question"].find(view):
        return "question"
    if not any(p.startswith(PREDICATE_POS) for p in view.pos):
        return "fragment"
    return "statement"


@layer("sentence_kinds", reads=("sentences",), writes=("sentences",))
def sentence_kinds(ctx: DocumentContext) -> dict[str, list[dict]]:
    cues = ctx.knowledge.knowledge.cues
    for s in ctx.rows["sentences"]:
        s["kind"] = sentence_kind(s["kind"], ctx.views[s["id"]], cues)
    return {"sentences": ctx.rows["sentences"]}
