"""Sentence kinds: what a sentence does in its turn.

- question: asks the other party (ends in ?/？, a question cue such as 教えてください or
  疑問は…ということ, or an interviewer's turn that stops on an open …ですが when
  another speaker answers next);
- rhetorical: a question the speaker answers at once: in a turn that itself answers a
  question, any question (or run of questions) a statement follows; elsewhere a
  why-question (cues.yaml self_answered) right before a statement; a plain …のか that
  ends a turn the next speaker does not answer (no statement in their turn: only floor
  management, fragments, questions of their own), a challenge (cues.yaml challenge);
- discourse: signposting, discourse management, courtesies (cues.yaml discourse, in
  the main predicate): これは 2 つに分けることができます, ありがとうございました; and a
  sentence that only completes the signpost before it (signpost_continuation: the
  parts it announced, 1 つは…、もう 1 つは…です, or its reason, …からです);
- fragment: no predicate at all; a predicate left unsaid after a case-marked argument
  (…会社の方からまず。: an argument needs the predicate it depends on); a dependent
  clause (…て, …ば) added after a sentence of the same turn (…してからだと思います。
  意志を確認してということも含めて), which continues that sentence. Turn-initial, the
  same ending is a complete retort (一度目も二度目もなくて。);
- quotation: a whole sentence in 「」 inside a longer turn that opens with an
  interjection: speech the speaker acts out or imagines (「おい、私は…モデルを作成し
  た。」), not the speaker's own assertion. A bracketed sentence without one is the
  interviewee's words quoted by the writer (「国債の多くは日銀が…」), and a press
  layout's 「…」 around a whole answer is the turn itself: both stay statements;
- heading: a headline that reports nobody's view: no person's name or alias in it and
  no quote with a speaker (a headline with ceo: or トヨタ社長「…」 stays a statement);
- statement: everything else; only statements become claims.
"""

from __future__ import annotations

from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import CueCategory, SentenceView

PREDICATE_POS = ("動詞", "形容詞", "助動詞", "形状詞")
ASKING_ROLES = ("host", "interviewer")
# the quotative と may end a sentence that reports (…ということだと。): not an elided predicate
QUOTATIVE = ("と",)
# conjunctive particles that make a clause depend on a following one (〜て, 〜ば); the
# contrastive が / けど end softened statements and questions, so they are not listed
DEPENDENT_ENDINGS = ("て", "で", "ば")


def sentence_kind(parsed_kind: str, view: SentenceView, cues: dict[str, CueCategory]) -> str:
    """The kind a sentence has on its own, before its turn is looked at."""
    if parsed_kind == "question" or cues["question"].find(view):
        return "question"
    if not any(p.startswith(PREDICATE_POS) for p in view.pos) or ends_on_argument(view):
        return "fragment"
    if cues["discourse"].find(view):
        return "discourse"
    return "statement"


def ends_on_argument(view: SentenceView) -> bool:
    """The sentence stops on a case-marked argument (…の方から, …の方からまず): the
    predicate it depends on is left unsaid. Adverbs after it modify that predicate too."""
    i = len(view.forms) - 1
    while i >= 0 and view.form_pos[i].startswith("副詞"):
        i -= 1
    return i > 0 and view.form_pos[i].startswith("助詞,格助詞") and view.forms[i] not in QUOTATIVE


def ends_dependent(view: SentenceView) -> bool:
    """The sentence ends on a conjunctive 〜て / 〜ば: a clause waiting for its main clause."""
    return bool(view.forms) and view.forms[-1] in DEPENDENT_ENDINGS and view.form_pos[-1].startswith("助詞,接続助詞")


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
        if (last["kind"] == "question" and following and following[0]["speaker_id"] != speaker
                and not any(t["kind"] == "statement" for t in following)
                and cues["challenge"].find(views[last["id"]])):
            last["kind"] = "rhetorical"
        continuations(sentences, views, cues)


def continuations(sentences: list[dict], views: dict[int, SentenceView], cues: dict[str, CueCategory]) -> None:
    """Sentences that only continue the one before them in the turn."""
    if len(sentences) > 1:
        for s in sentences:
            if s["kind"] == "statement" and voiced(s["text"], views[s["id"]]):
                s["kind"] = "quotation"
    for before, s in zip(sentences, sentences[1:], strict=False):
        if s["kind"] != "statement":
            continue
        view = views[s["id"]]
        if before["kind"] == "statement" and ends_dependent(view):
            s["kind"] = "fragment"
        elif before["kind"] == "discourse" and cues["signpost_continuation"].find(view):
            s["kind"] = "discourse"


def voiced(text: str, view: SentenceView) -> bool:
    """The sentence is one bracketed quotation (it opens with 「 and its first 」 ends
    it) whose first word is an interjection (おい, ねえ, ほら): acted-out speech."""
    body = text.strip().rstrip("。")
    return (body.startswith("「") and body.find("」") == len(body) - 1
            and bool(view.form_pos) and view.form_pos[0].startswith("感動詞"))


def headings(sentences: list[dict], turns: dict[int, dict], names: dict[str, str], quotes: list[dict]) -> None:
    """A headline is a claim only when it says whose view it gives: a person's name or
    alias in it (ceo:), or a quote the quotes layer gave a speaker (トヨタ社長「…」).
    Otherwise it titles the article (…辞任会見(全文5完)あのとき調査に動いていれば)."""
    spoken = {q["sentence_id"] for q in quotes if q.get("speaker_id")}
    for s in sentences:
        if turns[s["turn_id"]]["kind"] != "headline" or s["kind"] != "statement" or s["id"] in spoken:
            continue
        if not any(name and name in s["text"] for name in names):
            s["kind"] = "heading"


@layer("sentence_kinds", reads=("sentences", "turns", "quotes"), writes=("sentences",))
def sentence_kinds(ctx: DocumentContext) -> dict[str, list[dict]]:
    cues = ctx.knowledge.knowledge.cues
    by_turn: dict[int, list[dict]] = {}
    for s in ctx.rows["sentences"]:
        s["kind"] = sentence_kind(s["kind"], ctx.views[s["id"]], cues)
        by_turn.setdefault(s["turn_id"], []).append(s)
    interview = [by_turn[t["id"]] for t in ctx.rows["turns"] if t["kind"] == "interview" and t["id"] in by_turn]
    roles = {sid: speaker.role for sid, speaker in ctx.knowledge.speakers.items()}
    turn_kinds(interview, ctx.views, cues, roles)
    headings(ctx.rows["sentences"], ctx.turns, ctx.knowledge.names(ctx.article), ctx.rows.get("quotes", []))
    return {"sentences": ctx.rows["sentences"]}
