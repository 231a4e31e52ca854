"""Quotes: reported speech in news articles and transcripts, with who said it.

A quote is a bracketed span 「…」 that the text reports as someone's words (closed by
a quotative と/などと/との + a reporting verb, standing as a sentence of its own, tagged
with a parenthetical name (平井氏), a headline's name, or a nominal 発言), or an
unbracketed content clause before …と述べた / …考えを明らかにした (indirect).

The speaker comes from the text only (invariant 6), in this order: a transcript turn's
own speaker; a headline's name; a parenthetical name or (同); the subject of the
quote's clause before it (山田社長は, 同社長は, bare 監督は back to the last person with
that title); a subject right after it (「…」と切り出した松崎市長は); for a quote that stands
alone, the named subject of the next sentence; else the person the previous sentences
were about. A person the quote is about (佐藤容疑者について), a source (警視庁によると),
a passive cue (「…」と問われると) or an unnamed subject (弁護人は) is never taken as
the speaker: the speaker stays NULL. Words live in corpus/cues.yaml.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.reported_speech import DocumentQuotes, Found, Mention, Words


def quote_id(document_id: str, text: str, occurrence: int) -> str:
    key = "\x1f".join((document_id, " ".join(text.split()), str(occurrence)))
    return "quo-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Carry:
    """Whom the previous sentences were about: the speaker of a zero-subject quote."""

    speaker_id: str | None = None
    surface: str = ""
    evidence: tuple[int, int] | None = None
    last_named: Mention | None = None


def resolve(doc: DocumentQuotes, q: Found, carry: Carry) -> None:
    s = doc.sentences[q.sentence]
    turn = doc.turns[s["turn_id"]]
    mentions = doc.mentions[q.sentence]

    def take(m: Mention, attribution: str) -> None:
        q.speaker_id = m.speaker_id
        q.attribution = attribution if m.speaker_id is not None else "none"
        if m.kind == "anaphor" and m.speaker_id is not None:
            q.attribution = "anaphora"
        q.evidence = (m.start, m.end)

    if q.parenthetical:
        a, b = q.parenthetical
        if doc.text[a:b] == "同":
            prior = [p for p in doc.resolved if p.speaker_id is not None]
            if prior:
                q.speaker_id, q.attribution, q.evidence = prior[-1].speaker_id, "anaphora", (a, b)
            return
        hit = doc.name_at(doc.text[a:b])
        span = (a + hit[0], a + hit[1])
        q.speaker_id, q.attribution, q.evidence = doc.speaker_of(span), "parenthetical", span
        return
    if q.headline:
        for span in (q.before_name, q.after_name):
            if span:
                q.speaker_id = doc.speaker_of(span)
                q.attribution = "subject_before" if span == q.before_name else "subject_after"
                q.evidence = span
        return  # else: echoed from the body once the body is resolved
    before = [m for m in mentions if m.end <= q.span_start]
    if q.nominal:
        owner = next((m for m in reversed(before) if m.marker == "genitive" and m.marker_end == q.span_start), None)
        if owner:
            take(owner, "subject_before")
        return
    if q.agent_before:
        owner = next((m for m in reversed(before) if m.marker == "agent" and m.marker_end == q.span_start), None)
        if owner:
            take(owner, "subject_before")
        return  # 記者から「…」: the asker's words, the asker unnamed
    if q.passive:
        # 「…」と問われると: said to the subject, by someone else: named only as 山田氏に/から
        told = next((m for m in reversed(before) if m.marker in ("agent", "dative") and m.speaker_id), None)
        if told is not None:
            take(told, "subject_before")
        return
    interview = turn["kind"] == "interview"
    resets = [pos for pos, _noun in doc.sources[q.sentence] if pos <= q.span_start]
    if resets:
        before = [m for m in before if m.start >= resets[-1]]
    fallback = thing = None
    for m in reversed(before):
        if m.marker not in ("topic", "subject") or (interview and m.speaker_id is None):
            continue  # in a transcript only a named person takes the words from the turn's speaker
        if m.marker == "subject" and doc.has_predicate(m.marker_end, q.span_start):
            if m.kind != "unnamed" and fallback is None:
                fallback = m
            continue
        if m.kind == "unnamed" and not doc.person_like(m.surface):
            # 港氏が…17日の会見は「…」と語った: a thing as topic inside the named person's clause;
            # alone (判決は「…」とした) it still says the speaker is not named
            thing = thing or m
            continue
        take(m, "subject_before")
        return
    for m in (fallback, thing):
        if m is not None:
            take(m, "subject_before")
            return
    if interview:
        q.speaker_id, q.attribution, q.evidence = turn["speaker_id"], "transcript_turn", None
        return
    cue_end = q.cue_end if q.cue_end is not None else q.span_end
    after = next((m for m in mentions if q.span_end <= m.start <= cue_end + 1 and m.marker in ("topic", "subject")),
                 None)
    if after is not None:
        take(after, "subject_after")
        return
    if q.digest:
        for k in range(q.sentence + 1, min(q.sentence + 8, len(doc.sentences))):
            if doc.sentences[k]["text"].startswith("「"):
                break  # the next digest entry
            named = next((m for m in doc.mentions[k] if m.marker in ("topic", "subject") and m.speaker_id), None)
            if named:
                take(named, "next_sentence_subject")
                return
        return
    if q.standalone and q.cue is None and q.sentence + 1 < len(doc.sentences):
        following = doc.sentences[q.sentence + 1]
        if doc.turns[following["turn_id"]]["kind"] != "headline":
            subject = next((m for m in doc.mentions[q.sentence + 1] if m.marker in ("topic", "subject")), None)
            if subject is not None and subject.speaker_id is not None:
                take(subject, "next_sentence_subject")
                return
    speaker = carry.speaker_id
    sources = {noun for _pos, noun in doc.sources[q.sentence]}
    if speaker is None and carry.surface and carry.surface in sources and carry.last_named is not None:
        # 弁護人が明らかにした。弁護人によると「…」と話した: the source is not the speaker
        speaker, evidence = carry.last_named.speaker_id, (carry.last_named.start, carry.last_named.end)
    else:
        evidence = carry.evidence
    if speaker is not None:
        q.speaker_id, q.attribution, q.evidence = speaker, "previous_sentence_subject", evidence


def advance(doc: DocumentQuotes, index: int, quotes: list[Found], carry: Carry) -> None:
    """What the next sentences may be about, after sentence `index`."""
    for m in doc.mentions[index]:
        if m.marker in ("topic", "subject") and m.speaker_id is not None:
            carry.last_named = m
    named = [q for q in quotes if q.speaker_id is not None]
    if named:
        carry.speaker_id, carry.surface, carry.evidence = named[-1].speaker_id, "", named[-1].evidence
        return
    subjects = [m for m in doc.mentions[index] if m.marker in ("topic", "subject")
                and (m.kind != "unnamed" or doc.person_like(m.surface))]
    topic = next((m for m in subjects if m.marker == "topic"), None)
    main = topic or (subjects[-1] if subjects else None)
    if main is not None:
        carry.speaker_id, carry.surface, carry.evidence = main.speaker_id, main.surface, (main.start, main.end)


def echo(doc: DocumentQuotes, q: Found, body: list[Found]) -> bool:
    """A headline fragment that repeats a body quote's words takes that quote's speaker."""
    fragment = doc.text[q.start:q.end]
    best, best_len = None, 0
    for other in body:
        if other.speaker_id is None:
            continue
        words = doc.text[other.start:other.end]
        match = SequenceMatcher(None, fragment, words, autojunk=False).find_longest_match(
            0, len(fragment), 0, len(words))
        if match.size > best_len:
            best, best_len = other, match.size
    if best is not None and best_len >= max(3, (len(fragment) + 1) // 2):
        q.speaker_id, q.attribution, q.evidence = best.speaker_id, "headline_echo", (best.span_start, best.span_end)
        return True
    return False


def quote_rows(document_id: str, text: str, sentences: list[dict], turns: dict[int, dict],
               names: dict[str, str], words: Words) -> list[dict]:
    doc = DocumentQuotes(text, sentences, turns, names, words)
    chars = list(text)
    for s in sentences:
        doc.masked.append(doc.mask(s))
        chars[s["start"]:s["end"]] = doc.masked[-1]
    doc.masked_text = "".join(chars)
    for index, s in enumerate(sentences):
        if turns[s["turn_id"]]["kind"] == "interview" and "「" not in s["text"]:
            doc.mentions.append([])  # a transcript sentence without quotes: nothing to attribute
            doc.sources.append([])
        else:
            doc.find_mentions(index)
    doc.link_cataphora()
    found = [doc.find_quotes(index) for index in range(len(sentences))]
    carry = Carry()
    previous_turn_kind = None
    kept: list[Found] = []
    for index, quotes in enumerate(found):
        kind = turns[sentences[index]["turn_id"]]["kind"]
        if kind != previous_turn_kind and "interview" in (kind, previous_turn_kind):
            carry = Carry()
        previous_turn_kind = kind
        for q in quotes:
            resolve(doc, q, carry)
            if not q.headline:
                doc.resolved.append(q)
        if kind != "headline":
            advance(doc, index, quotes, carry)
        kept.extend(quotes)
    body = [q for q in kept if not q.headline]
    final = []
    for q in kept:
        named = q.before_name or q.after_name
        if q.headline and not named and not echo(doc, q, body) and q.cue is None:
            continue  # 「なぜ」会見で…: a headline fragment is a quote only when someone is named
        final.append(q)
    rows, occurrences = [], Counter()
    for position, q in enumerate(final):
        words_text = text[q.start:q.end]
        occurrences[words_text] += 1
        evidence = q.evidence
        rows.append({
            "id": quote_id(document_id, words_text, occurrences[words_text]),
            "document_id": document_id,
            "sentence_id": sentences[q.sentence]["id"],
            "position": position,
            "speaker_id": q.speaker_id,
            "start": q.start, "end": q.end, "text": words_text,
            "span_start": q.span_start, "span_end": q.span_end, "span_text": text[q.span_start:q.span_end],
            "kind": "mixed" if q.kind == "indirect" and "「" in words_text else q.kind,
            "cue": q.cue,
            "attribution": q.attribution if q.speaker_id is not None or q.attribution == "transcript_turn"
            else "none",
            "evidence_start": evidence[0] if evidence else None,
            "evidence_end": evidence[1] if evidence else None,
            "evidence": text[evidence[0]:evidence[1]] if evidence else None,
        })
    return rows


@layer("quotes", reads=("sentences", "turns"), writes=("quotes",))
def quotes(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    words = getattr(extractor, "quote_words", None) or Words.from_cues(extractor.knowledge.cues)
    return {"quotes": quote_rows(ctx.document_id, ctx.article.text, ctx.rows["sentences"], ctx.turns,
                                 extractor.names(ctx.article), words)}
