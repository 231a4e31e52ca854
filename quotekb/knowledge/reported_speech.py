"""Reported speech as the text shows it: quoted spans, their cues, and the people
(named, referred back to, or unnamed) in subject or other positions around them.

knowledge/quotes.py decides from these who said each quote. Words come from
corpus/cues.yaml (quote_verbs, quote_passive, quote_blockers, quote_as_said,
indirect_quote_cues, indirect_quotative_verbs, quote_sources, person_titles,
compound_particles, quote_cataphora, person_nouns); only grammar is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from quotekb import nlp
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
        self.masked_text = text  # the whole text with quoted words blanked (set once sentences are masked)

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
            name = self.name_ending(before.rstrip(" 　・"))
            if name:
                extra["before_name"] = (first - len(before) + name[0], first - len(before) + name[1])
            if after.startswith("="):
                hit = self.name_at(after[1:])
                if hit:
                    extra["after_name"] = (last + 1 + hit[0], last + 1 + hit[1])
        elif before and NOUN_CHAR.match(before[-1]) and not self.name_ending(before):
            return []  # apposition: 観光列車「指宿のたまて箱」, 新「Xperia X」 name things, not words
        cue = self.cue(after, last)
        if cue is None and after.startswith(("(", "（")):
            close = re.match(r"[(（]([^)）]{1,30})[)）]", after)
            if close and (close.group(1) == "同" or self.name_at(close.group(1))):
                extra["parenthetical"] = (last + 1, last + 1 + len(close.group(1)))
                cue = self.cue(after[close.end():], last + close.end())
                if cue is None:
                    cue = (None, None, False)
            else:
                return []
        if cue is None:
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

    def name_at(self, text: str) -> tuple[int, int] | None:
        """A registered name or alias in text (the first, longest)."""
        best = None
        for name, _speaker in self.names:
            i = text.find(name)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, i + len(name))
        return best

    def name_ending(self, text: str) -> tuple[int, int] | None:
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
