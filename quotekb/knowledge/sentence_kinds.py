"""Sentence kinds: what a sentence does in its turn.

- question: asks the other party (ends in ?/？, a question cue such as 教えてください or
  疑問は…ということ, or an interviewer's turn that stops on an open …ですが when
  another speaker answers next);
- rhetorical: a question the speaker answers at once: in a turn that itself answers a
  question, any question (or run of questions) a statement follows; elsewhere a
  why-question (cues.yaml self_answered) right before a statement;
- discourse: signposting, discourse management, courtesies (cues.yaml discourse, in
  the main predicate): これは 2 つに分けることができます, ありがとうございました;
- fragment: no predicate at all;
- statement: everything else; only statements become claims.
"""

from __future__ import annotations

from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import CueCategory, SentenceView

PREDICATE_POS = ("動詞", "形容詞", "助動詞", "形状詞")
ASKING_ROLES = ("host", "interviewer")


def sentence_kind(parsed_kind: str, view: SentenceView, cues: dict[str, CueCategory]) -> str:
    """The kind a sentence has on its own, before its turn is looked at."""
    if parsed_kind == "question" or cues["question"].find(view):
        return "question"
    if not any(p.startswith(PREDICATE_POS) for p in view.pos):
        return "fragment"
    if cues["discourse"].find(view):
        return "discourse"
    return "statement"


def turn_kinds(turns: list[list[dict]], views: dict[int, SentenceView], cues: dict[str, CueCategory],
               roles: dict[str, str]) -> None:
    """Kinds that depend on the turn: prompts and rhetorical questions. `turns` are the
    interview turns in order, each its sentences (with a first kind already set)."""
    for index, sentences in enumerate(turns):
        previous = turns[index - 1] if index else []
        following = turns[index + 1] if index + 1 < len(turns) else []
        speaker = sentences[0]["speaker_id"]
        answered = bool(following) and following[0]["speaker_id"] != speaker
        last = sentences[-1]
        if (answered and last["kind"] == "statement" and roles.get(speaker) in ASKING_ROLES
                and cues["question_prompt"].find(views[last["id"]])):
            last["kind"] = "question"
        answers = bool(previous) and previous[0]["speaker_id"] != speaker and any(
            s["kind"] == "question" for s in previous)
        for i, s in enumerate(sentences):
            if s["kind"] != "question":
                continue
            # the first sentence after this run of questions: a statement answers it
            answer = next((t for t in sentences[i + 1:] if t["kind"] not in ("question", "rhetorical")), None)
            if answer is None or answer["kind"] not in ("statement", "discourse"):
                continue
            if answers or (sentences[i + 1]["kind"] != "question" and cues["self_answered"].find(views[s["id"]])):
                s["kind"] = "rhetorical"


@layer("sentence_kinds", reads=("sentences", "turns"), writes=("sentences",))
def sentence_kinds(ctx: DocumentContext) -> dict[str, list[dict]]:
    cues = ctx.knowledge.knowledge.cues
    by_turn: dict[int, list[dict]] = {}
    for s in ctx.rows["sentences"]:
        s["kind"] = sentence_kind(s["kind"], ctx.views[s["id"]], cues)
        by_turn.setdefault(s["turn_id"], []).append(s)
    interview = [by_turn[t["id"]] for t in ctx.rows["turns"] if t["kind"] == "interview" and t["id"] in by_turn]
    roles = {sid: speaker.role for sid, speaker in ctx.knowledge.speakers.items()}
    turn_kinds(interview, ctx.views, cues, roles)
    return {"sentences": ctx.rows["sentences"]}
