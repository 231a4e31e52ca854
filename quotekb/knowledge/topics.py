"""Topics of sentences and claims: corpus/topics.yaml coding rules over Sudachi forms.

Three ways a sentence that does not name a topic still has one, each recorded in
`matched` with the words that decided it:

* Anaphora (cues.yaml topic_anaphora: これ, それ, この法則, 彼ら): a sentence that matches
  no rule carries the topics of the nearest earlier sentence of its turn that has some,
  at most CARRY_WINDOW sentences back ("anaphora: 此れ -> スケーリング 則").
* A demonstrative noun phrase that repeats the antecedent's noun (この法則 after
  スケーリングの法則, そのようなモデル after オープンソースモデル) carries that topic
  alone, even into a sentence with topics of its own ("anaphora: この法則 -> スケーリング+法則"):
  the repeated noun says which of the earlier topics is meant. Its antecedent is the
  nearest earlier mention of the noun in the window; when that mention is in no
  phrase of a topic (モデル … 同等), nothing is carried this way.
* A turn that opens by replying to the previous speaker (cues.yaml response,
  back_reference and the stance cues: はい, あなたの意見, 同意する部分と…) and names no
  topic carries the topics of the end of the previous turn in the same section
  ("reply: はい -> コンピューティング 能力").

A signpost that names no topic (しかし、あなたの質問に戻りましょう) turns the talk: the
sentences after it do not refer back past it. A sentence that talks about a comparison
as such (cues.yaml comparison_talk: これは適切な比喩ですか, 完璧な例えはありません) refers
back to the comparison, which the analogies layer records, not to a topic: it carries
none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import Alternative, CueCategory, SentenceView

CARRY_WINDOW = 2
# cue categories whose words, opening a turn, make it a reply to the previous speaker
REPLY_CUES = ("response", "back_reference", "stance_agree", "stance_partial", "stance_disagree")
# what may stand between a demonstrative and its noun: another demonstrative (このこの法則,
# a translation stutter) or ような (そのようなモデル)
BETWEEN_DEMONSTRATIVE_AND_NOUN = frozenset({"よう", "だ"})


@dataclass
class Found:
    """A sentence's topics: the terms that matched (or were carried), and the nouns of
    the phrases that express each topic, which a later この＋noun can repeat."""

    terms: dict[str, list[str]] = field(default_factory=dict)
    nouns: dict[str, set[str]] = field(default_factory=dict)
    forms: frozenset[str] = frozenset()  # every form of the sentence


@layer("topics", reads=("sentences", "claims"), writes=("sentence_topics", "claim_topics"))
def topics(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    topic_list = extractor.knowledge.topics
    cues = extractor.knowledge.cues
    anaphora = cues["topic_anaphora"]
    claim_of_sentence = {c["sentence_id"]: c["id"] for c in ctx.rows["claims"]}
    sentence_topics, claim_topics = [], []
    recent: list[Found] = []  # the turn's sentences so far, newest last
    previous_turn: list[Found] = []
    turn = section = None
    for s in ctx.rows["sentences"]:
        if s["turn_id"] != turn:
            same_section = s["section_id"] == section and section is not None
            previous_turn = recent if same_section else []
            turn, section, recent = s["turn_id"], s["section_id"], []
        view = ctx.views[s["id"]]
        found = Found(forms=frozenset(view.forms))
        for i, matched in extractor.topic_index.match(view).items():
            topic = topic_list[i]
            found.terms[topic.id] = matched
            found.nouns[topic.id] = phrase_nouns(view, topic.alternatives)
        talks_of_comparison = bool(cues["comparison_talk"].find(view))
        if not talks_of_comparison:
            carry(found, view, recent, previous_turn, anaphora, [cues[c] for c in REPLY_CUES])
        if s["kind"] == "discourse" and not found.terms:
            recent = []  # a signpost naming no topic (…に戻りましょう) turns the talk: nothing before it is referred to
        recent.append(found)
        for topic_id, matched in found.terms.items():
            value = json.dumps(matched, ensure_ascii=False)
            sentence_topics.append({"sentence_id": s["id"], "topic_id": topic_id, "matched": value})
            if s["id"] in claim_of_sentence:
                claim_topics.append({"claim_id": claim_of_sentence[s["id"]], "topic_id": topic_id, "matched": value})
    return {"sentence_topics": sentence_topics, "claim_topics": claim_topics}


def carry(found: Found, view: SentenceView, recent: list[Found], previous_turn: list[Found],
          anaphora: CueCategory, reply_cues: list[CueCategory]) -> None:
    """Add to `found` the topics the sentence refers back to (see the module docstring)."""
    window = recent[-CARRY_WINDOW:]
    for phrase, noun in demonstrative_phrases(view, anaphora):
        # この＋noun points to the nearest earlier mention of the noun: a topic only when
        # that mention is in one of the topic's phrases
        earlier = next((f for f in reversed(window) if noun in f.forms), None)
        for tid, nouns in earlier.nouns.items() if earlier else ():
            if noun in nouns and tid not in found.terms:
                found.terms[tid] = [f"anaphora: {phrase} -> {t}" for t in _plain(earlier.terms[tid])]
                found.nouns[tid] = nouns | {noun}
    if found.terms:
        return
    words = anaphora.find(view)
    earlier = next((f for f in reversed(window) if f.terms), None)
    label = f"anaphora: {words[0]}" if words else ""
    if earlier is None or not words:
        reply = [w for cue in reply_cues for w in cue.find(view)] if view.first_in_turn else []
        earlier = next((f for f in reversed(previous_turn[-CARRY_WINDOW:]) if f.terms), None)
        if earlier is None or not reply:
            return
        label = f"reply: {reply[0].rstrip('、,。 ')}"
    nouns = {noun for _phrase, noun in demonstrative_phrases(view, anaphora)}
    for tid, terms in earlier.terms.items():
        found.terms[tid] = [f"{label} -> {t}" for t in _plain(terms)]
        found.nouns[tid] = earlier.nouns.get(tid, set()) | nouns


def _plain(terms: list[str]) -> list[str]:
    """The matched terms themselves, without the carry that brought them."""
    return [t.split(" -> ")[-1] for t in terms]


def _is_noun(view: SentenceView, i: int) -> bool:
    pos = view.form_pos[i] if i < len(view.form_pos) else ""
    return pos.startswith(("名詞", "接尾辞,名詞的")) and not pos.startswith("名詞,数詞")


def phrase_nouns(view: SentenceView, alternatives: tuple[Alternative, ...] | list[Alternative]) -> set[str]:
    """The nouns of each noun phrase (nouns joined directly or by の) that holds every
    form a matching alternative requires: スケーリング の 法則 gives {スケーリング, 法則},
    オープン ソース モデル gives {オープン, ソース, モデル}. Forms that merely co-occur
    in a sentence (モデル … 同等) form no phrase and give nothing."""
    nouns: set[str] = set()
    for alt in alternatives:
        if not alt.match(view.forms, view.form_set):
            continue
        required = set(alt.all) | set(alt.sequence)
        for start, form in enumerate(view.forms):
            if form not in required or not _is_noun(view, start):
                continue
            end = start + 1
            while end < len(view.forms):
                if _is_noun(view, end):
                    end += 1
                elif view.forms[end] == "の" and end + 1 < len(view.forms) and _is_noun(view, end + 1):
                    end += 2
                else:
                    break
            phrase = [view.forms[i] for i in range(start, end) if _is_noun(view, i)]
            if required <= set(phrase):
                nouns.update(phrase)
    return nouns


def demonstrative_phrases(view: SentenceView, anaphora: CueCategory) -> list[tuple[str, str]]:
    """(phrase as written, its head noun) for each この/その＋noun phrase of the sentence:
    この法則 -> 法則, そのようなモデル -> モデル, このこの法則 -> 法則."""
    found = []
    forms, i = view.forms, 0
    while i < len(forms):
        if forms[i] not in anaphora.lemma_set or not view.form_pos[i].startswith("連体詞"):
            i += 1
            continue
        start, j = i, i + 1
        while j < len(forms) and (forms[j] in BETWEEN_DEMONSTRATIVE_AND_NOUN or forms[j] == forms[start]):
            j += 1
        end = j
        while end < len(forms) and _is_noun(view, end):
            end += 1
        if end > j:
            phrase = view.text[view.spans[start][0]:view.spans[end - 1][1]]
            found.append((phrase, forms[end - 1]))
        i = max(end, i + 1)
    return found
