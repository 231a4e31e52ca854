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
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from quotekb import nlp
from quotekb.knowledge.layer import DocumentContext, layer
from quotekb.knowledge.rules import CueCategory

NOUN = "\u3400-\u9fff\u30a0-\u30ff\uff66-\uff9fー・々〆A-Za-zＡ-Ｚａ-ｚ"
NOUN_CHAR = re.compile(f"[{NOUN}0-9０-９]")
HIRAGANA = re.compile("[\u3041-\u309fー]")
# after a name: its title (社長, 会長兼社長), a parenthesis (55) or (大阪維新の会代表), a =写真=, an honorific
SUFFIX = re.compile(
    f"[{NOUN}]{{0,10}}(?:[(（][^)）「」]{{0,24}}[)）]|=[^=「」]{{0,6}}=)*(?:ら|さん|氏|君|ちゃん|様)?(?:[(（][^)）「」]{{0,12}}[)）])?"
)
PARTICLES = (
    ("については", "about"), ("について", "about"), ("には", "other"), ("では", "other"), ("とは", "other"),
    ("からは", "other"), ("は", "topic"), ("が", "subject"), ("も", "subject"), ("の", "genitive"),
    ("から", "agent"), ("に", "dative"), ("を", "other"), ("と", "other"), ("や", "other"),
)
UNNAMED = re.compile(f"([{NOUN}]{{1,14}}(?:[(（][^)）「」]{{0,20}}[)）])?(?:ら|たち)?)(は|が|も)")
QUOTATIVE = re.compile(r"(?:である|です|だ)?(?:など|なんて)?(?:との|という|って|と)")
DIGEST = re.compile(r"=\s*[0-9０-９]{1,2}(?:月[0-9０-９]{1,2})?日付")
CLOSING = re.compile(r"^[」』）)]*[。！？!?]*\s*$")
DASH_END = re.compile(r"^[—―─-]+[。]?\s*$")
CATAPHORA = re.compile(r"こう[^。、]{1,10}[。]$")
WINDOW = 40  # characters after the quotative particle searched for the reporting verb
MASK = "□"


@lru_cache(maxsize=64)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern:
    """Every registered name and alias in one alternation (names longest first), compiled
    once per registry: scanning name by name made the layer linear in the registry."""
    return re.compile("|".join(re.escape(n) for n in names)) if names else re.compile("(?!)")


def quote_id(document_id: str, text: str, occurrence: int) -> str:
    key = "\x1f".join((document_id, " ".join(text.split()), str(occurrence)))
    return "quo-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def brackets(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Outermost 「…」 spans in text[start:end] (『』 and inner 「」 stay inside)."""
    spans, depth, begin = [], 0, 0
    first = text.find("「", start, end)
    if first < 0:
        return spans  # most sentences quote nobody
    for i in range(first, end):
        ch = text[i]
        if ch == "「":
            if depth == 0:
                begin = i
            depth += 1
        elif ch == "」" and depth:
            depth -= 1
            if depth == 0:
                spans.append((begin, i + 1))
    return spans


@dataclass
class Mention:
    """A person (or an unnamed noun) in subject, topic or other position, outside quotes."""

    start: int
    end: int
    surface: str
    speaker_id: str | None
    kind: str  # name, anaphor, unnamed
    marker: str  # topic, subject, genitive, agent, about, other
    marker_end: int
    titles: str = ""


@dataclass
class Found:
    """A quote before its speaker is decided."""

    sentence: int  # index into the document's sentences
    start: int
    end: int
    span_start: int
    span_end: int
    kind: str
    cue: str | None = None
    cue_end: int | None = None
    passive: bool = False
    standalone: bool = False  # the bracket is its sentence (or ends a sentence after its subject)
    digest: bool = False  # 「…」=5日付『…』: a quotation digest names the speaker after it
    parenthetical: tuple[int, int] | None = None
    after_name: tuple[int, int] | None = None  # headline 「…」=NHK会長
    before_name: tuple[int, int] | None = None  # headline トヨタ社長「…」
    nominal: bool = False
    agent_before: bool = False  # 記者から「…」
    headline: bool = False
    speaker_id: str | None = None
    attribution: str = "none"
    evidence: tuple[int, int] | None = None


@dataclass
class Words:
    verbs: tuple[str, ...]
    passive: tuple[str, ...]
    blockers: tuple[str, ...]
    as_said: tuple[str, ...]
    indirect: tuple[str, ...]
    indirect_verbs: tuple[str, ...]
    sources: tuple[str, ...]
    titles: tuple[str, ...]
    compound: tuple[str, ...]
    cataphora: tuple[str, ...]
    cataphora_titles: tuple[str, ...]
    person_nouns: tuple[str, ...]

    @classmethod
    def from_cues(cls, cues: dict[str, CueCategory]) -> Words:
        def surfaces(name: str) -> tuple[str, ...]:
            category = cues.get(name)
            return tuple(sorted(category.surfaces, key=len, reverse=True)) if category else ()
        return cls(surfaces("quote_verbs"), surfaces("quote_passive"), surfaces("quote_blockers"),
                   surfaces("quote_as_said"), surfaces("indirect_quote_cues"),
                   tuple(s.removeprefix("と") for s in surfaces("indirect_quotative_verbs")),
                   surfaces("quote_sources"), surfaces("person_titles"), surfaces("compound_particles"),
                   surfaces("quote_cataphora"), tuple(cues["quote_cataphora"].final_surfaces)
                   if "quote_cataphora" in cues else (), surfaces("person_nouns"))


def _earliest(text: str, words: tuple[str, ...]) -> tuple[int, str] | None:
    best = None
    for w in words:
        i = text.find(w)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, w)
    return best


def _extend(text: str, end: int) -> int:
    """The end of a verb's inflection: the hiragana that follow its stem."""
    while end < len(text) and HIRAGANA.match(text[end]):
        end += 1
    return end


class DocumentQuotes:
    def __init__(self, text: str, sentences: list[dict], turns: dict[int, dict], names: dict[str, str],
                 words: Words):
        self.text, self.sentences, self.turns, self.words = text, sentences, turns, words
        self.names = sorted(names.items(), key=lambda item: -len(item[0]))
        self.speaker_by_name = dict(self.names)
        self.name_pattern = _name_pattern(tuple(name for name, _sid in self.names))
        self.history: list[Mention] = []  # registered people named so far, in order
        self.mentions: list[list[Mention]] = []
        self.masked: list[str] = []
        self.sources: list[list[tuple[int, str]]] = []
        self.resolved: list[Found] = []  # body quotes whose speaker is decided, in order

    # -- what each sentence says about people ------------------------------------
    def mask(self, s: dict) -> str:
        """The sentence with quoted words blanked, so names inside quotes are not subjects."""
        chars = list(s["text"])
        for a, b in brackets(self.text, s["start"], s["end"]):
            for i in range(a - s["start"], b - s["start"]):
                chars[i] = MASK
        return "".join(chars)

    def find_mentions(self, index: int) -> None:
        s = self.sentences[index]
        masked, base = self.masked[index], s["start"]
        taken: list[tuple[int, int]] = []
        found: list[Mention] = []
        # one scan, longest name first at each position
        for m in self.name_pattern.finditer(masked) if self.names else ():
            a, b, name = m.start(), m.end(), m.group(0)
            taken.append((a, b))
            suffix = SUFFIX.match(masked, b)
            marker, marker_end = self._particle(masked, suffix.end())
            found.append(Mention(base + a, base + b, name, self.speaker_by_name[name], "name", marker,
                                 base + marker_end, name + masked[b:suffix.end()]))
        for m in UNNAMED.finditer(masked):
            a, b = m.span(1)
            if any(a < y and x < b for x, y in taken) or m.group(1).startswith(MASK):
                continue
            noun = m.group(1)
            marker = {"は": "topic", "が": "subject", "も": "subject"}[m.group(2)]
            if marker == "subject" and m.group(2) == "も":
                continue  # 思いも, 可能性も: too often not a person
            speaker, kind = self._anaphor(noun)
            found.append(Mention(base + a, base + b, noun, speaker, kind, marker, base + m.end()))
        found.sort(key=lambda m: m.start)
        for m in found:
            if m.kind == "name":
                self.history.append(m)
        self.mentions.append(found)
        sources = []
        for word in self.words.sources:
            for m in re.finditer(re.escape(word), masked):
                noun = re.search(f"[{NOUN}]+$", masked[: m.start()])
                sources.append((base + m.end(), noun.group(0) if noun else ""))
        self.sources.append(sorted(sources))

    def _particle(self, masked: str, at: int) -> tuple[str, int]:
        rest = masked[at:]
        for particle, marker in PARTICLES:
            if rest.startswith(particle):
                return marker, at + len(particle)
        return "other", at

    def _anaphor(self, noun: str) -> tuple[str | None, str]:
        """同社長 / 同氏 / 彼 / a bare title (監督) -> the last person named with that title."""
        core = re.sub(r"[(（].*$", "", noun)
        if core in ("彼", "彼女", "同氏"):
            return (self.history[-1].speaker_id if self.history else None), "anaphor"
        title = core[1:] if core.startswith("同") else core
        if title in self.words.titles:
            for m in reversed(self.history):
                if title in m.titles:
                    return m.speaker_id, "anaphor"
            return None, "anaphor"
        return None, "unnamed"

    # -- quotes -----------------------------------------------------------------
    def find_quotes(self, index: int) -> list[Found]:
        s = self.sentences[index]
        turn = self.turns[s["turn_id"]]
        headline = turn["kind"] == "headline"
        spans = brackets(self.text, s["start"], s["end"])
        found: list[Found] = []
        group: list[tuple[int, int]] = []
        for k, (a, b) in enumerate(spans):
            group.append((a, b))
            if k + 1 < len(spans) and spans[k + 1][0] == b:
                continue  # 「…」「…」と述べた: the cue after the last one is every one's
            decided = self.classify(index, group, s["end"], headline)
            found.extend(decided)
            group = []
        found.extend(self.indirect(index, found))
        found.sort(key=lambda q: q.span_start)
        return found

    def classify(self, index: int, group: list[tuple[int, int]], end: int, headline: bool) -> list[Found]:
        text = self.text
        first, last = group[0][0], group[-1][1]
        after = text[last:end]
        before = text[self.sentences[index]["start"]:first]
        base = {"sentence": index, "kind": "direct", "headline": headline}
        extra: dict = {}
        if headline:
            name = self._name_ending(before.rstrip(" 　・"))
            if name:
                extra["before_name"] = (first - len(before) + name[0], first - len(before) + name[1])
            if after.startswith("="):
                hit = self._name_at(after[1:])
                if hit:
                    extra["after_name"] = (last + 1 + hit[0], last + 1 + hit[1])
        elif before and NOUN_CHAR.match(before[-1]) and not self._name_ending(before):
            return []  # apposition: 観光列車「指宿のたまて箱」, 新「Xperia X」 name things, not words
        cue = self.cue(after, last)
        if cue is None and after.startswith(("(", "（")):
            close = re.match(r"[(（]([^)）]{1,30})[)）]", after)
            if close and (close.group(1) == "同" or self._name_at(close.group(1))):
                extra["parenthetical"] = (last + 1, last + 1 + len(close.group(1)))
                cue = self.cue(after[close.end():], last + close.end())
                if cue is None:
                    cue = (None, None, False)
            else:
                return []
        if cue is None:
            stripped = after.strip()
            if after.startswith("発言"):
                cue, extra["nominal"] = ("発言", last + 2, False), True
            elif CLOSING.match(after) or DASH_END.match(after):
                cue = (None, None, False)
                extra["standalone"] = True
            elif after.startswith("=") and (DIGEST.match(after) or "after_name" in extra):
                cue = (None, None, False)
                extra["digest"] = bool(DIGEST.match(after))
                extra["standalone"] = not headline
            elif headline:
                cue = (None, None, False)  # a headline fragment: a quote only if someone is named or echoed
            elif not stripped:
                cue = (None, None, False)
        if cue is None:
            return []
        if extra.get("standalone") and index + 1 < len(self.sentences):
            following = self.sentences[index + 1]
            if following["start"] - last <= 1 and DIGEST.match(following["text"]):
                extra["digest"] = True  # 「…!」=4日付『…』 split after the bracket
        if extra.get("standalone") and not before.strip() and index > 0:
            previous = self.sentences[index - 1]["text"]
            cataphora = CATAPHORA.search(previous)
            if cataphora and cue[0] is None:
                cue = (cataphora.group(0).rstrip("。"), None, False)
        if before.endswith("から"):
            extra["agent_before"] = True
        out = []
        for a, b in group:
            out.append(Found(start=a + 1, end=b - 1, span_start=a, span_end=b, cue=cue[0], cue_end=cue[1],
                             passive=cue[2], **base, **extra))
        return out

    def cue(self, after: str, offset: int) -> tuple[str, int, bool] | None:
        """(cue as written, its end offset, passive) when a quotative and a reporting
        verb follow the bracket within its clause."""
        m = QUOTATIVE.match(after)
        if not m:
            return None
        said = next((w for w in self.words.as_said if after.startswith(w, m.start() + len(m.group(0)) - 1)), None)
        if said and m.group(0).endswith("と"):
            stop = m.end() - 1 + len(said)
            return after[: stop].rstrip("、"), offset + stop, False
        window = after[m.end(): m.end() + WINDOW]
        window = re.split("[。「]", window)[0]
        verb = _earliest(window, self.words.verbs)
        blocker = _earliest(window, self.words.blockers)
        if verb is None or (blocker is not None and blocker[0] < verb[0]):
            return None
        stop = _extend(after, m.end() + verb[0] + len(verb[1]))
        passive = any(after.startswith(p, m.end() + verb[0]) for p in self.words.passive)
        return after[:stop], offset + stop, passive

    def indirect(self, index: int, direct: list[Found]) -> list[Found]:
        """Unbracketed content clauses: …考えを明らかにした, …と述べた, …とX氏は考えている."""
        s = self.sentences[index]
        if self.turns[s["turn_id"]]["kind"] in ("interview", "headline"):
            return []
        masked, base = self.masked[index], s["start"]
        out = []
        taken = [(q.span_start, q.span_end) for q in direct]
        candidates: list[tuple[int, int, int]] = []  # clause end, cue end, subject-after position
        for word in self.words.indirect:
            for m in re.finditer(re.escape(word), masked):
                candidates.append((m.start(), _extend(masked, m.end()), -1))
        for m in re.finditer("と", masked):
            i = m.start()
            if i == 0 or not HIRAGANA.match(masked[i - 1]) or masked[i - 1] == "と":
                continue
            rest = masked[i + 1:]
            verb = next((v for v in self.words.indirect_verbs if rest.startswith(v)), None)
            subject_at = -1
            if verb is None:
                inner = next((mm for mm in self.mentions[index] if mm.start - base == i + 1
                              and mm.marker in ("topic", "subject")), None)
                if inner is not None:
                    after = masked[inner.marker_end - base:].lstrip("、")
                    verb = next((v for v in self.words.indirect_verbs if after.startswith(v)), None)
                    if verb:
                        subject_at = inner.start
                        rest = after
            if verb is None or "考えられ" in rest[: len(verb) + 2] or not self.predicate_ends(base + i):
                continue
            cue_end = len(masked) - len(rest) + len(verb)
            candidates.append((i, _extend(masked, cue_end), subject_at))
        for clause_end, cue_end, _subject_at in sorted(candidates):
            if any(a - base < cue_end and clause_end < b - base for a, b in taken):
                continue
            start = self._clause_start(index, clause_end, direct)
            clause = s["text"][start:clause_end]
            if len(clause.strip()) < 4 or MASK in masked[start:clause_end]:
                continue
            q = Found(sentence=index, start=base + start, end=base + clause_end, span_start=base + start,
                      span_end=base + clause_end, kind="indirect", cue=s["text"][clause_end:cue_end],
                      cue_end=base + cue_end)
            out.append(q)
            taken.append((q.span_start, base + cue_end))
        return out

    def _clause_start(self, index: int, clause_end: int, direct: list[Found]) -> int:
        base = self.sentences[index]["start"]
        start = 0
        for m in self.mentions[index]:
            # the speaker stands before the clause: a named subject, or an unnamed person as topic
            # (弁護人は、…); other topics belong to the clause (アモデイ氏は、…aiは…だろうと考えている)
            speaker_like = m.speaker_id is not None or (m.marker == "topic" and self.person_like(m.surface))
            if m.marker_end - base <= clause_end and m.marker in ("topic", "subject") and speaker_like:
                start = max(start, m.marker_end - base)
        for q in direct:
            if q.cue_end is not None and q.cue_end - base <= clause_end:
                start = max(start, q.cue_end - base)
        text = self.sentences[index]["text"]
        while start < clause_end and text[start] in "、，, 　":
            start += 1
        return start

    def _name_at(self, text: str) -> tuple[int, int] | None:
        """A registered name or alias in text (the first, longest)."""
        best = None
        for name, _speaker in self.names:
            i = text.find(name)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, i + len(name))
        return best

    def _name_ending(self, text: str) -> tuple[int, int] | None:
        for name, _speaker in self.names:
            if text.endswith(name):
                return len(text) - len(name), len(text)
        return None

    def predicate_ends(self, at: int) -> bool:
        """A verb, adjective or auxiliary ends right before `at` (…制限すると: a clause;
        ゆっくりと話す: an adverb)."""
        tokens = nlp.tokenize(self.text[max(0, at - 12):at])
        return bool(tokens) and tokens[-1].pos in ("動詞", "形容詞", "助動詞")

    def link_cataphora(self) -> None:
        """逮捕された男が「…」: the man is the suspect the article names next."""
        for index, found in enumerate(self.mentions):
            for m in found:
                local_end = m.end - self.sentences[index]["start"]
                if m.kind != "unnamed" or not self.masked[index].endswith(self.words.cataphora, 0, local_end):
                    continue
                later = (n for ms in self.mentions[index:] for n in ms if n.kind == "name" and n.start > m.start)
                named = next((n for n in later if any(t in n.titles for t in self.words.cataphora_titles)), None)
                if named is not None:
                    m.speaker_id, m.kind = named.speaker_id, "anaphor"

    def has_predicate(self, start: int, end: int) -> bool:
        """A verb between a が-subject and a quote closes the subject's clause
        (…スタッフが…と発言した問題に絡み、「…」: the staff did not say the second)."""
        between = self.masked_text[start:end].replace(MASK, "")
        for word in self.words.compound:
            between = between.replace(word, MASK * len(word))
        return any(t.pos == "動詞" for t in nlp.tokenize(between))

    def person_like(self, noun: str) -> bool:
        """An unnamed subject that can speak (弁護人, 住民ら, 県警), not 決勝 or 甲子園."""
        core = re.sub(r"(?:[(（][^)）]*[)）])?(?:ら|たち)?$", "", noun)
        return core.endswith(self.words.person_nouns)

    def speaker_of(self, span: tuple[int, int]) -> str | None:
        surface = self.text[span[0]:span[1]]
        return next((sid for name, sid in self.names if surface.startswith(name) or name == surface), None)


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
        hit = doc._name_at(doc.text[a:b])
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

