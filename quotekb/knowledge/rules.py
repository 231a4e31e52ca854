"""Declarative matching over Sudachi tokens and sentence text.

Two kinds of rule, both loaded from corpus/ YAML and never written in Python:

* Alternatives (topics.yaml, analogies.yaml cues), in the spirit of KH Coder coding
  rules: `all` = every listed normalized form occurs in the sentence, `sequence` = the
  forms occur consecutively in order, `none` = none of these forms occurs. A rule
  list matches when any alternative does.
* Cue categories (cues.yaml): lemmas (optionally `lemma@pos`: only with that part of
  speech), lemma_sequences, surfaces ("..." = a gap), final_surfaces,
  turn_initial_surfaces, sentence_initial_surfaces, with exclude_surfaces that cancel
  any cue occurrence they overlap (必ず inside 必ずしも is not certainty). Two
  position rules, so that a cue inside a noun phrase or a subordinate clause does not
  decide: `main_predicate` (only predicate_tail words may follow the cue: the
  なければならない of 償却しなければならない莫大な固定費 is not an obligation) and
  `followed_by` (the cue must be followed by one of these: ば is a condition of the
  main clause when a comma follows it, not inside 場合はモデルに戻って修正できる機能).

Every match reports the words that made it, so each decision can be audited.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# rules must fold exactly as the indexed tokens are folded
from quotekb.nlp import fold


@dataclass
class SentenceView:
    """What rules look at: folded text, searchable forms with spans, position in turn."""

    id: int
    text: str
    forms: list[str]
    spans: list[tuple[int, int]]  # sentence-relative spans of each searchable form
    pos: list[str] = field(default_factory=list)  # pos_detail of every token
    first_in_turn: bool = False
    folded: str = ""
    form_pos: list[str] = field(default_factory=list)  # pos_detail of each searchable form

    def __post_init__(self) -> None:
        self.folded, self.origin = fold_with_origin(self.text)
        self.form_set = set(self.forms)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """A span of `folded` as a span of `text` (what token spans are offsets into)."""
        if self.origin is None:
            return start, end
        starts, ends = self.origin
        if end > start:
            return starts[start], ends[end - 1]
        at = starts[start] if start < len(starts) else len(self.text)
        return at, at


def fold_with_origin(text: str) -> tuple[str, tuple[list[int], list[int]] | None]:
    """text folded as nlp.fold folds it, and where each folded character came from:
    None when folding kept every offset, else (start, end) in text per folded
    character. NFKC can change lengths (… becomes ..., ㌔ becomes キロ), so spans
    found in folded text are mapped back before they are compared with token spans.

    Folded cluster by cluster (a character and the marks that compose with it, such
    as half-width ｶ and ﾞ), which gives the whole-string fold."""
    folded = fold(text)
    # lower() maps each character to one or more: equal lengths after an NFKC that
    # changed nothing means one to one
    if len(folded) == len(text) and unicodedata.is_normalized("NFKC", text):
        return folded, None
    clusters: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        piece = fold(ch)
        if clusters and piece and unicodedata.combining(piece[0]):
            clusters[-1] = (clusters[-1][0], i + 1)
        else:
            clusters.append((i, i + 1))
    parts, starts, ends = [], [], []
    for a, b in clusters:
        piece = fold(text[a:b])
        parts.append(piece)
        starts.extend([a] * len(piece))
        ends.extend([b] * len(piece))
    return "".join(parts), (starts, ends)


@dataclass(frozen=True)
class Alternative:
    all: tuple[str, ...] = ()
    sequence: tuple[str, ...] = ()
    none: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, data: dict) -> Alternative:
        return cls(
            all=tuple(fold(str(x)) for x in data.get("all", ())),
            sequence=tuple(fold(str(x)) for x in data.get("sequence", ())),
            none=tuple(fold(str(x)) for x in data.get("none", ())),
        )

    def terms(self) -> str:
        parts = []
        if self.all:
            parts.append("+".join(self.all))
        if self.sequence:
            parts.append(" ".join(self.sequence))
        return " & ".join(parts)

    def match(self, forms: list[str], form_set: set[str]) -> bool:
        # set tests first: most sentences fail on a missing form without any scan
        if not (self.all or self.sequence):
            return False
        if self.all and not form_set.issuperset(self.all):
            return False
        if self.sequence and not form_set.issuperset(self.sequence):
            return False
        if self.none and not form_set.isdisjoint(self.none):
            return False
        return not self.sequence or find_sequence(forms, self.sequence) >= 0


def find_sequence(forms: list[str], sequence: tuple[str, ...], start: int = 0) -> int:
    n, first = len(sequence), sequence[0]
    last = len(forms) - n
    i = start
    while i <= last:
        try:
            i = forms.index(first, i, last + 1)
        except ValueError:
            return -1
        if n == 1 or tuple(forms[i : i + n]) == sequence:
            return i
        i += 1
    return -1


def match_alternatives(alternatives: list[Alternative], view: SentenceView) -> list[str]:
    """The terms of every alternative that matches (empty: no match)."""
    return [alt.terms() for alt in alternatives if alt.match(view.forms, view.form_set)]


class AlternativeIndex:
    """Many rule lists (one per topic or frame) matched against a sentence at once.

    Each alternative is filed under one form it requires, so a sentence only tests
    the alternatives one of its own forms can trigger: with 14 topics of ~7
    alternatives each, most sentences test none instead of ~100.
    """

    def __init__(self, rule_lists: list[list[Alternative]]) -> None:
        self.by_form: dict[str, list[tuple[int, int, Alternative]]] = {}
        for list_index, alternatives in enumerate(rule_lists):
            for alt_index, alt in enumerate(alternatives):
                required = alt.all or alt.sequence
                if required:  # an alternative that requires nothing never matches
                    self.by_form.setdefault(required[0], []).append((list_index, alt_index, alt))
        self.triggers = frozenset(self.by_form)

    def match(self, view: SentenceView) -> dict[int, list[str]]:
        """{rule-list index: terms of its matching alternatives}, as
        match_alternatives gives per list; lists with no match are left out."""
        hits = []
        # set intersection in C first: most of a sentence's forms trigger nothing
        for form in view.form_set & self.triggers:
            for entry in self.by_form[form]:
                if entry[2].match(view.forms, view.form_set):
                    hits.append(entry)
        matched: dict[int, list[str]] = {}  # keys in list order: hits are sorted by it
        for list_index, _alt_index, alt in sorted(hits, key=lambda e: e[:2]):
            matched.setdefault(list_index, []).append(alt.terms())
        return matched


@dataclass
class CueCategory:
    name: str
    lemmas: tuple[str, ...] = ()
    lemma_sequences: tuple[tuple[str, ...], ...] = ()
    surfaces: tuple[str, ...] = ()
    final_surfaces: tuple[str, ...] = ()
    turn_initial_surfaces: tuple[str, ...] = ()
    exclude_surfaces: tuple[str, ...] = ()
    sentence_initial_surfaces: tuple[str, ...] = ()
    main_predicate: bool = False
    followed_by: tuple[str, ...] = ()
    tail: CueCategory | None = None  # predicate_tail, for main_predicate (set by the loader)

    def __post_init__(self) -> None:
        # "と@助詞,接続助詞": the lemma counts only with a part of speech that starts so;
        # "と@助詞,接続助詞@動詞|助動詞": and only right after a token with one of these
        plain = [x for x in self.lemmas if "@" not in x]
        self.pos_lemmas: dict[str, tuple[str, tuple[str, ...]]] = {}
        for spec in self.lemmas:
            if "@" in spec:
                lemma, pos, *after = spec.split("@")
                self.pos_lemmas[lemma] = (pos, tuple(after[0].split("|")) if after else ())
        self.lemma_set = frozenset(plain) | frozenset(self.pos_lemmas)
        # the part before the first "..." gap: a cheap containment test before the scan
        self.surface_heads = tuple((s, s.split("...")[0]) for s in self.surfaces)

    @classmethod
    def from_yaml(cls, name: str, data: dict) -> CueCategory:
        def strings(key: str) -> tuple[str, ...]:
            return tuple(fold(str(x)) for x in data.get(key) or ())

        return cls(
            name=name,
            lemmas=strings("lemmas"),
            lemma_sequences=tuple(tuple(fold(str(x)) for x in seq) for seq in data.get("lemma_sequences") or ()),
            surfaces=strings("surfaces"),
            final_surfaces=strings("final_surfaces"),
            turn_initial_surfaces=strings("turn_initial_surfaces"),
            exclude_surfaces=strings("exclude_surfaces"),
            sentence_initial_surfaces=strings("sentence_initial_surfaces"),
            main_predicate=bool(data.get("main_predicate", False)),
            followed_by=strings("followed_by"),
        )

    def is_tail(self, view: SentenceView, end: int) -> bool:
        """Only predicate-tail words follow original offset `end`: auxiliaries,
        particles, and the lemmas listed in this (predicate_tail) category."""
        previous_tail = False
        for i, (start, _end) in enumerate(view.spans):
            if start < end:
                continue
            pos = view.form_pos[i] if i < len(view.form_pos) else ""
            form = view.forms[i]
            if form == "し" and pos.startswith("助詞,接続助詞"):
                return True  # 〜し、〜: the next clause is a main clause of its own
            # する after a tail noun (推測する, 予想する) belongs to it
            ok = pos.startswith(("助動詞", "助詞")) or form in self.lemma_set or (form == "為る" and previous_tail)
            if not ok:
                return False
            previous_tail = form in self.lemma_set
        return True

    def _placed(self, view: SentenceView, start: int, end: int) -> bool:
        """The position rules for an occurrence at original offsets start..end."""
        if self.main_predicate and self.tail is not None and not self.tail.is_tail(view, end):
            return False
        if self.followed_by:
            after = fold(view.text[end:])
            return any(_starts_with(after, f) for f in self.followed_by)
        return True
    def find(self, view: SentenceView) -> list[str]:
        """Cue words found in the sentence, in order of first occurrence, deduplicated.

        Surfaces are matched on the folded text and token spans index the original
        text: every span is compared in original offsets (view.original_span)."""
        text = view.folded
        excluded: list[tuple[int, int]] | None = None  # found on first need: most sentences hit nothing

        def allowed_original(start: int, end: int) -> bool:
            nonlocal excluded
            if excluded is None:
                excluded = [view.original_span(*span) for ex in self.exclude_surfaces
                            for span in _occurrences(text, ex)]
            return not any(start < e and s < end for s, e in excluded) and self._placed(view, start, end)

        def allowed(start: int, end: int) -> bool:  # a span of the folded text
            return allowed_original(*view.original_span(start, end))

        # (original start, end, the cue word, 0 if it is a string of the text, 1 a lemma)
        hits: list[tuple[int, int, str, int]] = []
        if self.lemma_set and not self.lemma_set.isdisjoint(view.form_set):
            for i, form in enumerate(view.forms):
                if form not in self.lemma_set:
                    continue
                wanted = self.pos_lemmas.get(form)
                if wanted and not _pos_fits(view, i, *wanted):
                    continue
                if allowed_original(*view.spans[i]):
                    hits.append((*view.spans[i], form, 1))
        for seq in self.lemma_sequences:
            if seq[0] not in view.form_set:
                continue
            i = find_sequence(view.forms, seq)
            while i >= 0:
                start, end = view.spans[i][0], view.spans[i + len(seq) - 1][1]
                if allowed_original(start, end):
                    hits.append((start, end, "".join(seq) if _is_cjk(seq) else " ".join(seq), 1))
                    break
                i = find_sequence(view.forms, seq, i + 1)
        for surface, head in self.surface_heads:
            if head not in text:
                continue
            span = _gapped(text, surface, allowed)
            if span is not None:
                hits.append((*view.original_span(*span), surface, 0))
        stripped = text.rstrip()
        # one C-level test for all of them first: most sentences end and start otherwise
        if self.final_surfaces and stripped.endswith(self.final_surfaces):
            for surface in self.final_surfaces:
                if stripped.endswith(surface) and allowed(len(stripped) - len(surface), len(stripped)):
                    hits.append((*view.original_span(len(stripped) - len(surface), len(stripped)), surface, 0))
        if view.first_in_turn and self.turn_initial_surfaces and text.startswith(self.turn_initial_surfaces):
            for surface in self.turn_initial_surfaces:
                if text.startswith(surface) and allowed(0, len(surface)):
                    hits.append((*view.original_span(0, len(surface)), surface, 0))
        if self.sentence_initial_surfaces and text.startswith(self.sentence_initial_surfaces):
            for surface in self.sentence_initial_surfaces:
                if text.startswith(surface) and allowed(0, len(surface)):
                    hits.append((*view.original_span(0, len(surface)), surface, 0))
        if not hits:
            return []
        # one word per place in the sentence: a surface and a lemma of the same
        # occurrence (間違いなく, 間違い無い) are one cue. At a start, a string of the
        # text wins (readers find it as written), then the longest.
        seen: dict[str, int] = {}
        covered = 0
        for start, end, word, _lemma in sorted(hits, key=lambda h: (h[0], h[3], h[0] - h[1])):
            if start < covered:
                continue
            covered = end
            seen.setdefault(word, start)
        return list(seen)


def _pos_fits(view: SentenceView, i: int, pos: str, after: tuple[str, ...]) -> bool:
    tags = view.form_pos
    if i >= len(tags) or not tags[i].startswith(pos):
        return False
    return not after or (i > 0 and tags[i - 1].startswith(after))


def _starts_with(text: str, expected: str, gap: int = 8) -> bool:
    """text starts with expected, where "..." stands for up to `gap` characters
    without a comma or sentence end."""
    if "..." not in expected:
        return text.startswith(expected)
    head, rest = expected.split("...", 1)
    if not text.startswith(head):
        return False
    for skip in range(len(head), min(len(text), len(head) + gap) + 1):
        if skip > len(head) and text[skip - 1] in "、,。.!?！？":
            return False
        if _starts_with(text[skip:], rest, gap):
            return True
    return False


def _is_cjk(seq: tuple[str, ...]) -> bool:
    return not any(part.isascii() for part in seq)


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    spans, i = [], text.find(needle)
    while needle and i >= 0:
        spans.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    return spans


def _gapped(text: str, surface: str, allowed) -> tuple[int, int] | None:
    """First allowed occurrence of surface, where "..." stands for any gap."""
    parts = [p for p in surface.split("...")]
    for start, end in _occurrences(text, parts[0]):
        cursor, ok = end, True
        for part in parts[1:]:
            j = text.find(part, cursor)
            if j < 0:
                ok = False
                break
            cursor = j + len(part)
        if ok and allowed(start, cursor):
            return start, cursor
    return None
