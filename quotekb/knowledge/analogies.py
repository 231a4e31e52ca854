"""Analogy frames in a document: who proposes them, who elaborates and who answers how.

Rules (frames and cue words from corpus/analogies.yaml and corpus/cues.yaml):
- a sentence mentions a frame when one of the frame's cue alternatives matches it;
- until the frame is proposed, only mentions in turns that also use comparison
  wording (cues.yaml analogy_marker) count: naming the source domain in passing
  raises no analogy;
- mentions in the headline, summary and lead are the author's `framing`;
- the first interview mention is the `proposal`; its speaker is `proposed_by`;
- later mentions by the proposer are `elaboration`s, by anyone else `response`s;
- the turn right after a proposer's mentioning turn, when another speaker takes it,
  answers the frame even without naming it: its first sentence carrying a stance cue
  (within RESPONSE_WINDOW sentences) is a `response`, else its first sentence;
- a response's stance comes from its own words: stance_partial, then stance_disagree,
  then stance_agree cues; the cue that decided is recorded;
- every later sentence of a turn in which the proposer mentions the frame elaborates
  it ("これは適切な比喩だと思いますか?");
- when that turn asks a question about the frame, the whole next turn by another
  speaker answers it, even where it never names the source domain; a sentence of it
  without stance words takes the first stance decided in that turn (stance_source
  `turn`); a digression in it does not answer: from a sentence that opens a theme of
  its own (cues.yaml theme_shift, モデルの信頼性については…) up to one that refers to the
  asker's view again (back_reference, あなたが説明した…, …という考え);
- a curated stance (with a quote of the deciding words) overrides the rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from quotekb.errors import InputError
from quotekb.ingest.knowledge import Frame
from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import CueCategory, SentenceView

RESPONSE_WINDOW = 3
CARRIED = {"partial": "agree"}
STANCE_ORDER = (("stance_partial", "partial"), ("stance_disagree", "disagree"), ("stance_agree", "agree"))


def stance_of(view: SentenceView, cues: dict[str, CueCategory]) -> tuple[str | None, str | None]:
    for category, stance in STANCE_ORDER:
        words = cues[category].find(view)
        if words:
            return stance, words[0]
    return None, None


@layer("analogy_markers", reads=("sentences",), writes=("analogy_markers",))
def analogy_markers(ctx: DocumentContext) -> dict[str, list[dict]]:
    """Sentences with comparison wording (cues.yaml analogy_marker); the frames layer
    reads them from ctx.found."""
    marker_cues = ctx.knowledge.knowledge.cues["analogy_marker"]
    markers = {}
    for s in ctx.rows["sentences"]:
        found = marker_cues.find(ctx.views[s["id"]])
        if found:
            markers[s["id"]] = found
    ctx.found["analogy_markers"] = markers
    return {"analogy_markers": [{"sentence_id": sid, "cues": json.dumps(found, ensure_ascii=False)}
                                for sid, found in markers.items()]}


@layer("analogies", reads=("sentences", "turns", "analogy_markers"), writes=("analogies", "analogy_mentions"))
def analogies(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    frames, sentences = extractor.knowledge.frames, ctx.rows["sentences"]
    frame_matches: list[dict[int, list[str]]] = [{} for _ in frames]
    for s in sentences:
        for index, matched in extractor.frame_index.match(ctx.views[s["id"]]).items():
            frame_matches[index][s["id"]] = matched
    analogy_rows, mention_rows = [], []
    for frame, matches in zip(frames, frame_matches, strict=True):
        analogy, frame_mentions = frame_rows(frame, ctx.document_id, sentences, ctx.views, ctx.turns,
                                             extractor.knowledge.cues, extractor.used_stances,
                                             ctx.found["analogy_markers"], matches)
        if analogy:
            analogy_rows.append(analogy)
            mention_rows.extend(frame_mentions)
    return {"analogies": analogy_rows, "analogy_mentions": mention_rows}


def frame_rows(frame: Frame, document_id: str, sentences: list[dict], views: dict[int, SentenceView],
               turns: dict[int, dict], cues: dict[str, CueCategory], used_stances: set,
               markers: dict[int, list[str]], matches: dict[int, list[str]]) -> tuple[dict | None, list[dict]]:
    """The frame's analogy row and mentions in one document; `matches` holds, per
    sentence id, the terms of the frame's cue alternatives that sentence matches."""
    mentions: dict[int, dict] = {}
    proposer = proposal = None
    mentioning_turns: list[int] = []
    # a frame is raised only by a turn that compares: naming 電気 in passing is no analogy
    comparing_turns = {s["turn_id"] for s in sentences if s["id"] in markers}
    for s in sentences:
        matched = matches.get(s["id"])
        if not matched:
            continue
        turn = turns[s["turn_id"]]
        if proposer is None and s["turn_id"] not in comparing_turns:
            continue
        if turn["kind"] != "interview":
            role = "framing"
        elif proposer is None:
            proposer, proposal, role = s["speaker_id"], s["id"], "proposal"
        else:
            role = "elaboration" if s["speaker_id"] == proposer else "response"
        mention = _mention(document_id, frame.id, s, role, matched)
        if role == "response":
            _rule_stance(mention, views[s["id"]], cues)
        if role in ("proposal", "elaboration") and s["turn_id"] not in mentioning_turns:
            mentioning_turns.append(s["turn_id"])
        mentions[s["id"]] = mention

    turn_sentences: dict[int, list[dict]] = {}
    for s in sentences:
        turn_sentences.setdefault(s["turn_id"], []).append(s)

    # after the proposer's mention, the rest of that turn develops the comparison
    for turn_id in mentioning_turns:
        seen_mention = False
        for s in turn_sentences[turn_id]:
            if s["id"] in mentions:
                seen_mention = True
            elif seen_mention and s["kind"] != "fragment":
                matched = ([f"analogy_marker: {word}" for word in markers[s["id"]]] if s["id"] in markers
                           else ["(later in the proposer's turn)"])
                mentions[s["id"]] = _mention(document_id, frame.id, s, "elaboration", matched)

    # the next turn by another speaker answers the proposer's mentioning turn; when that
    # turn asked about the frame, the whole answer is about it
    answer_turns = []
    for turn_id in mentioning_turns:
        answer = turns[turn_id].get("next_interview_turn")
        if answer is None or turns[answer]["speaker_id"] == proposer or answer in mentioning_turns:
            continue
        answering = [s for s in turn_sentences.get(answer, []) if s["kind"] != "fragment"]
        if any(s["kind"] == "question" and s["id"] in mentions for s in turn_sentences[turn_id]):
            answer_turns.append(answer)
            for s in about_the_question(answering, views, cues):
                if s["id"] not in mentions:
                    mentions[s["id"]] = _mention(document_id, frame.id, s, "response", ["(answers the question)"])
                    _rule_stance(mentions[s["id"]], views[s["id"]], cues)
        window = answering[:RESPONSE_WINDOW]
        if not window:
            continue
        chosen = next((s for s in window if stance_of(views[s["id"]], cues)[0]), window[0])
        if chosen["id"] not in mentions:
            mentions[chosen["id"]] = _mention(document_id, frame.id, chosen, "response", [])
        mention = mentions[chosen["id"]]
        mention["role"] = "response"
        if mention["stance"] is None:
            _rule_stance(mention, views[chosen["id"]], cues)

    for index, curated in enumerate(frame.stances):
        if curated.document not in (None, document_id):
            continue
        target = next((s for s in sentences if curated.quote in s["text"] and s["speaker_id"] == curated.speaker), None)
        if target is None:
            continue
        used_stances.add((frame.id, index))
        mention = mentions.setdefault(target["id"], _mention(document_id, frame.id, target, "response", []))
        if mention["role"] != "proposal":
            mention["role"] = "response"
        mention.update(stance=curated.stance, stance_cue=curated.quote, stance_source="curated")

    # a sentence of a whole answer without stance words of its own carries the stance
    # last decided before it in that turn (the first one after it, at the turn's start);
    # a reservation (partial) qualifies only its own sentence: what follows carries the
    # agreement it qualified
    for answer in answer_turns:
        ordered = [mentions[s["id"]] for s in turn_sentences[answer] if s["id"] in mentions]
        decided = [(i, m["stance"]) for i, m in enumerate(ordered) if m["stance"]]
        for i, mention in enumerate(ordered):
            if decided and mention["role"] == "response" and mention["stance"] is None:
                before = [stance for j, stance in decided if j < i]
                stance = before[-1] if before else decided[0][1]
                stance = CARRIED.get(stance, stance)
                mention.update(stance=stance, stance_cue=None, stance_source="turn")

    if not mentions:
        return None, []
    analogy = {
        "document_id": document_id,
        "id": frame.id,
        "source_domain": frame.source_ja,
        "source_domain_en": frame.source_en,
        "target": frame.target_ja,
        "target_en": frame.target_en,
        "ground": frame.ground,
        "proposed_by": proposer,
        "proposal_sentence_id": proposal,
        "mention_count": len(mentions),
    }
    return analogy, [mentions[k] for k in sorted(mentions)]


def about_the_question(answering: list[dict], views: dict[int, SentenceView],
                       cues: dict[str, CueCategory]) -> list[dict]:
    """The sentences of a whole answer that stay on the question: a sentence that opens
    a theme of its own (モデルの信頼性については…, ところで) starts a digression, and the
    answer comes back with a sentence that refers to the asker's view again (あなたの言う,
    おっしゃる, …という考え)."""
    kept, digressing = [], False
    for s in answering:
        view = views[s["id"]]
        if theme_shift(view, cues["theme_shift"]):
            digressing = True
        elif digressing and cues["back_reference"].find(view):
            digressing = False
        if not digressing:
            kept.append(s)
    return kept


def theme_shift(view: SentenceView, shift: CueCategory) -> bool:
    """A theme marker in the sentence's first clause (before its first comma)."""
    first_comma = view.folded.find("、")
    head = view.folded if first_comma < 0 else view.folded[:first_comma]
    return any(word in head for word in shift.find(view))


def _mention(document_id: str, frame_id: str, s: dict, role: str, matched: list[str]) -> dict:
    return {
        "document_id": document_id, "analogy_id": frame_id, "sentence_id": s["id"],
        "speaker_id": s["speaker_id"], "role": role, "stance": None, "stance_cue": None,
        "stance_source": None, "matched": json.dumps(matched, ensure_ascii=False),
    }


def _rule_stance(mention: dict, view: SentenceView, cues: dict[str, CueCategory]) -> None:
    stance, cue = stance_of(view, cues)
    if stance:
        mention.update(stance=stance, stance_cue=cue, stance_source="rule")


def _applies(curated, document_ids) -> bool:
    return curated.document is None or curated.document in document_ids


def precheck_curated_quotes(frames: list[Frame], texts: Mapping[str, str], path) -> None:
    """Before anything is built: every curated quote occurs in its article's text."""
    for frame in frames:
        for curated in frame.stances:
            if not _applies(curated, texts):
                continue
            candidates = texts.values() if curated.document is None else [texts[curated.document]]
            if not any(curated.quote in text for text in candidates):
                raise InputError(
                    path, f"curated stance quote for {frame.id!r} not found in a sentence of {curated.speaker!r}",
                    "copy the deciding words exactly from the article text", line=curated.line,
                )


def check_curated_quotes(frames: list[Frame], used: set, path, document_ids) -> None:
    """Every curated stance must have found its quote in a sentence of its speaker."""
    for frame in frames:
        for index, curated in enumerate(frame.stances):
            if _applies(curated, document_ids) and (frame.id, index) not in used:
                raise InputError(
                    path, f"curated stance quote for {frame.id!r} not found in a sentence of {curated.speaker!r}",
                    "copy the deciding words exactly from the article text", line=curated.line,
                )
