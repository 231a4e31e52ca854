"""Claims: which sentences assert something, of what kind, how hedged, whose view.

All decisions come from cue categories in corpus/cues.yaml and record the cue words.
Kind precedence: response > normative > conditional > prediction > assertion.

- response: the first claim of a turn that answers another speaker's question (its
  position), or a sentence of a turn after another speaker's that opens with はい /
  いいえ / いえ or says おっしゃる通り (its opening), or a retort: a turn that opens by
  taking up a content word of the other speaker's last sentence (司会: 今、一度目の方。
  記者: 一度目も二度目もなくて。), the lexical tie by which a second turn answers a
  first one that asked nothing. After a signpost that lays out the answer's parts
  (この質問を 2 つに分けたいと思います), position alone makes no claim a response;
- prediction: a future cue (将来, なるでしょう, ...), or a main predicate that is a
  non-past event verb: 利益はこれらすべての場所に流れ込みます, 国有化はされないと思います
  (a stative verb such as ある, できる, 分かる states a condition; ている, た do not
  look ahead; …ということになる draws a conclusion);
- conditional: a condition that governs the main clause; one inside a という
  complement (…増加すると、…増加するという事実を指します) belongs to that clause;
- certainty: hedged (hedge cues only), certain (booster cues only), mixed (both) or
  neutral (neither), for people to read beside the two flags.
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


def claim_id(document_id: str, speaker_id: str | None, text: str, occurrence: int) -> str:
    """Content hash: unchanged by rebuilds and by edits to other sentences."""
    key = "\x1f".join((document_id, speaker_id or "", " ".join(text.split()), str(occurrence)))
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


def future_predicate(view: SentenceView, cues: dict[str, CueCategory]) -> str | None:
    """The event verb of a main predicate in the non-past, or None: the last verb
    that only predicate-tail words follow, not stative, not followed by た or ている."""
    tail, stative = cues["predicate_tail"], cues["stative_predicate"]
    for i in range(len(view.forms) - 1, -1, -1):
        form, pos = view.forms[i], view.form_pos[i] if i < len(view.form_pos) else ""
        if pos.startswith(("助動詞", "助詞")) or form in tail.lemma_set:
            continue
        if not pos.startswith("動詞"):
            return None
        if form == "為る" and i and (view.forms[i - 1] in stative.lemma_set or view.forms[i - 1] in tail.lemma_set):
            return None  # 意味する, 推測する: the noun decides
        if form in stative.lemma_set or not tail.is_tail(view, view.spans[i][1]):
            return None
        after = range(i + 1, len(view.forms))
        if any("助動詞-タ" in view.form_pos[j] or view.forms[j] == "居る" for j in after):
            return None  # past or progressive
        return view.text[view.spans[i][0]:view.spans[i][1]]
    return None


def classify(view: SentenceView, cues: dict[str, CueCategory], answers: bool, after_other: bool,
             echoed: tuple[str, ...] = ()) -> tuple[str, dict]:
    """Claim kind and the cue words per decision. `answers`: the first claim of a turn
    that answers a question; `after_other`: the turn follows another speaker's;
    `echoed`: the other speaker's words this turn-opening sentence takes up (a retort)."""
    found = {name: cues[name].find(view) for name in ("response", "normative", "conditional", "prediction")}
    if not after_other:
        found["response"] = []
    elif answers and not found["response"]:
        found["response"] = ["(first claim of an answer)"]
    elif echoed and not found["response"]:
        found["response"] = [f"(retort: {word})" for word in echoed]
    if found["conditional"] and inside_complement(view, found["conditional"], cues["noun_complement"].find(view)):
        found["conditional"] = []
    if not found["prediction"] and not cues["conclusion"].find(view):
        verb = future_predicate(view, cues)
        found["prediction"] = [f"(non-past event: {verb})"] if verb else []
    kind = next((k for k in KIND_ORDER if found[k]), "assertion")
    return kind, {k: v for k, v in found.items() if v}


CONTENT_POS = ("名詞,普通名詞", "名詞,固有名詞", "動詞,一般", "形容詞,一般")


def content_words(view: SentenceView, ignored: CueCategory) -> list[str]:
    """Lemmas of the nouns, verbs and adjectives that carry content, in order."""
    return [f for f, p in zip(view.forms, view.form_pos, strict=False)
            if p.startswith(CONTENT_POS) and f not in ignored.lemma_set]


def echoes(view: SentenceView, previous: SentenceView | None, ignored: CueCategory) -> tuple[str, ...]:
    """Content words of `view` that the other speaker's last sentence used."""
    if previous is None:
        return ()
    theirs = set(content_words(previous, ignored))
    return tuple(dict.fromkeys(w for w in content_words(view, ignored) if w in theirs))


def inside_complement(view: SentenceView, conditions: list[str], complements: list[str]) -> bool:
    """Every condition stands before a noun that a content clause describes (…が増加す
    ると、…も増加するという事実を指します): the condition is that clause's, not the
    main predicate's."""
    if not complements:
        return False
    # the cue words may be lemmas (と, ば): look for none of them after the complement
    end = max(view.folded.rfind(c) + len(c) for c in complements)
    return all(view.folded.find(c, end) < 0 for c in conditions)


def certainty_of(hedged: bool, certain: bool) -> str:
    return {(True, True): "mixed", (True, False): "hedged", (False, True): "certain"}.get((hedged, certain), "neutral")


def claim_rows(document_id: str, sentences: list[dict], views: dict[int, SentenceView], turns: dict[int, dict],
               cues: dict[str, CueCategory], names: dict[str, str], author: str | None,
               quotes: list[dict] = ()) -> list[dict]:
    """`quotes`: the quotes layer's rows; an author's sentence that quotes someone
    reports the view of the quote's speaker (the one nearest its main predicate, the
    last), NULL when the text does not say who."""
    quoted: dict[int, dict] = {}
    for q in quotes:
        quoted[q["sentence_id"]] = q
    rows = []
    occurrences: Counter = Counter()
    attribution = Attribution(names, cues)
    previous_turn: int | None = None
    asked = _turns_with_questions(sentences)
    last_of_turn = {s["turn_id"]: s for s in sentences}  # the last one wins
    claimed_in_turn = False
    for sentence in sentences:
        turn = turns[sentence["turn_id"]]
        if sentence["turn_id"] != previous_turn:
            attribution.reset()
            previous_turn = sentence["turn_id"]
            claimed_in_turn = False
        if sentence["kind"] == "discourse" and cues["answer_outline"].find(views[sentence["id"]]):
            # an answer that opens with a signpost (この質問を 2 つに分けたいと思います) lays
            # out its parts: the claim after it develops one part, it is no direct answer
            # by its position (one that states the point, 私が言いたいのは, still is)
            claimed_in_turn = True
        if sentence["kind"] != "statement":
            continue
        view = views[sentence["id"]]
        after_other = turn["kind"] == "interview" and turn.get("follows_other_speaker", False)
        before = turn.get("previous_interview_turn")
        answers = after_other and not claimed_in_turn and before in asked
        echoed = ()
        if after_other and not answers and view.first_in_turn and before in last_of_turn:
            echoed = echoes(view, views.get(last_of_turn[before]["id"]), cues["retort_echo_ignored"])
        claimed_in_turn = True
        kind, decided = classify(view, cues, answers, after_other, echoed)
        q = quoted.get(sentence["id"])
        if turn["kind"] == "interview" and (q is None or q["attribution"] == "transcript_turn"):
            attributed, attribution_cues = sentence["speaker_id"], []
        elif q is not None:
            # the quote's speaker, also inside a turn that reports someone else (佐藤氏から「…」と言われました)
            attributed = q["speaker_id"]
            attribution_cues = [w for w in (q["evidence"], q["cue"]) if w] if attributed else []
            attribution.current = attributed
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
            "certainty": certainty_of(bool(hedges), bool(certainty)),
            "has_number": has_number,
            "cues": json.dumps(audit, ensure_ascii=False, sort_keys=True),
        })
    return rows


def _turns_with_questions(sentences: list[dict]) -> set[int]:
    return {s["turn_id"] for s in sentences if s["kind"] == "question"}


@layer("claims", reads=("sentences", "turns", "quotes"), writes=("claims",))
def claims(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    return {"claims": claim_rows(ctx.document_id, ctx.rows["sentences"], ctx.views, ctx.turns,
                                 extractor.knowledge.cues, extractor.names(ctx.article), ctx.article.meta.get("author"),
                                 ctx.rows.get("quotes", []))}
