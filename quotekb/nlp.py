"""The one place that owns Japanese tokenization and normalization.

Indexing (morphemes and lexemes, full-text search) and querying (the sudachi_query SQL function)
both go through `terms`, so they cannot drift apart. Split mode A is used for both:
mode C keeps 太陽光発電 as one token, so a search for 太陽光 would miss it. The core
dictionary loads once per process; each thread gets its own tokenizer over it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from sudachipy import Dictionary, SplitMode

MODE = SplitMode.A
# Morphemes that carry no searchable content.
SKIP_POS = frozenset({"補助記号", "空白"})
# Sudachi accepts at most ~49 KB of UTF-8 per call; stay well below it.
CHUNK_CHARS = 4000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')


_local = threading.local()


@cache
def dictionary() -> Dictionary:
    """The core dictionary, loaded once per process."""
    return Dictionary(dict="core")


def reset_thread_state() -> None:
    """Forget per-thread tokenizers (a forked worker must create its own)."""
    global _local
    _local = threading.local()


def tokenizer():
    # A Sudachi Tokenizer must not be used from two threads at once, and Datasette
    # runs SQL functions on a thread pool: one tokenizer per thread, one dictionary.
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _local.tokenizer = dictionary().tokenizer(mode=MODE)
    return tok


@lru_cache(maxsize=65536)
def fold(form: str) -> str:
    """Width folding (NFKC) and lower-cased Latin: Ａｉ, AI and ai are one form."""
    return unicodedata.normalize("NFKC", form).lower()


@dataclass(frozen=True)
class Token:
    position: int
    surface: str
    dictionary_form: str
    normalized_form: str
    reading: str
    pos: str
    pos_detail: str
    start: int
    end: int
    searchable: bool  # its lexeme's: the one rule, decided once in _lexeme


@dataclass(frozen=True)
class Lexeme:
    """What a morpheme is, apart from where it is: the same for every occurrence of
    one dictionary word with one surface, so it is looked up once and then shared."""

    # in the order of the lexemes table's columns surface .. pos_detail
    fields: tuple[str, str, str, str, str, str]
    searchable: bool


# (surface, word id) -> Lexeme. A dictionary word's forms, reading and part of speech
# follow from its word id; the surface is part of the key because one word can be
# written several ways (AI, ＡＩ). Reading five morpheme fields through the binding
# for every token cost more than Sudachi's own tokenizing.
_LEXEMES: dict[tuple[str, int], Lexeme] = {}
LEXEME_CACHE_LIMIT = 200_000
# Word ids whose top four bits are all set are not dictionary entries: unknown words
# and numbers Sudachi joins (一 read イチ or ヒト by context) get an id made from their
# part of speech only, so their fields are read from the morpheme every time.
_SYNTHETIC = 0xF << 28


@cache
def _pos(pos_id: int) -> tuple[str, str]:
    """(major class, full tuple joined) for a part-of-speech id: computed once per id."""
    pos = dictionary().pos_of(pos_id)
    return pos[0], ",".join(pos)


def _lexeme(surface: str, m) -> Lexeme:
    pos, pos_detail = _pos(m.part_of_speech_id())
    normalized = fold(m.normalized_form())
    return Lexeme(
        fields=(surface, m.dictionary_form(), normalized, m.reading_form(), pos, pos_detail),
        searchable=pos not in SKIP_POS and bool(normalized.strip()),
    )


def morphemes(text: str) -> list[tuple[Lexeme, int, int]]:
    """(lexeme, start, end) of every morpheme of text, offsets relative to text."""
    found: list[tuple[Lexeme, int, int]] = []
    tok, lexemes = tokenizer(), _LEXEMES
    for chunk_start in range(0, len(text), CHUNK_CHARS):
        chunk = text[chunk_start : chunk_start + CHUNK_CHARS]
        for m in tok.tokenize(chunk):
            begin, end = m.begin(), m.end()
            word_id = m.word_id()
            key = (chunk[begin:end], word_id)
            lexeme = lexemes.get(key)
            if lexeme is None:
                lexeme = _lexeme(key[0], m)
                if word_id & _SYNTHETIC != _SYNTHETIC:
                    if len(lexemes) >= LEXEME_CACHE_LIMIT:
                        lexemes.clear()  # bounded memory for a corpus of unbounded vocabulary
                    lexemes[key] = lexeme
            found.append((lexeme, chunk_start + begin, chunk_start + end))
    return found


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Every morpheme of text with offsets into the document (offset = text's start)."""
    return [
        Token(i, *lexeme.fields, offset + start, offset + end, lexeme.searchable)
        for i, (lexeme, start, end) in enumerate(morphemes(text))
    ]


def terms(text: str) -> list[str]:
    """Normalized forms of the searchable morphemes of text, in order."""
    return [t.normalized_form for t in tokenize(CONTROL.sub(" ", text)) if t.searchable]


def join_terms(forms) -> str:
    """What the FTS index stores for a sentence: its terms joined by spaces.

    Double quotes are dropped so that every term can be quoted inside a MATCH phrase.
    """
    return " ".join(f.replace('"', "") for f in forms)


def phrases(user_input: str | None) -> list[list[str]]:
    """User input -> phrases of normalized terms: one per whitespace-separated term or
    "quoted phrase"; parts with no searchable token (punctuation, emoji) drop out."""
    found = []
    for m in QUERY_PART.finditer(CONTROL.sub(" ", user_input or "")):
        part = m.group(1) if m.group(1) is not None else m.group(2)
        forms = [f for f in join_terms(terms(part)).split(" ") if f]
        if forms:
            found.append(forms)
    return found


def fts_query(user_input: str | None) -> str:
    """User input -> a safe FTS5 MATCH expression: its phrases, ANDed.

    FTS5 syntax in the input (AND, NEAR, *, ^, parentheses, quotes) is neutralised
    because every term is emitted inside a double-quoted phrase. Input with no
    searchable token gives '""', a valid expression that matches nothing.
    """
    return " AND ".join('"' + " ".join(p) + '"' for p in phrases(user_input)) or '""'


def match_spans(text: str, user_input: str | None, offset: int = 0) -> list[tuple[int, int]]:
    """Spans of text where any phrase of the query occurs, by the same normalization."""
    wanted = phrases(user_input)
    if not wanted:
        return []
    searchable = [t for t in tokenize(text, offset) if t.searchable]
    forms = [t.normalized_form.replace('"', "") for t in searchable]
    spans = []
    for phrase in wanted:
        n = len(phrase)
        for i in range(len(forms) - n + 1):
            if forms[i : i + n] == phrase:
                spans.append((searchable[i].start, searchable[i + n - 1].end))
    return sorted(spans)


HIGHLIGHT = ("\u27e6", "\u27e7")  # ⟦ ⟧: rare in text, visible in JSON and CSV
# What FTS5 highlight() is asked to put around matched terms (never in a term).
FTS_MARKS = ("\x01", "\x02")


def mark_matches(text: str | None, highlighted_terms: str | None, spans: str | None) -> str:
    """Wrap the characters of the terms FTS5 marked as matches in ⟦…⟧.

    highlighted_terms is highlight(sentences_fts, 0, FTS_MARKS) of the space-joined
    terms, spans their sentence-relative offsets: pure string work, no tokenizing.
    """
    if not text or not highlighted_terms or not spans:
        return text or ""
    offsets = [tuple(map(int, pair.split("-"))) for pair in spans.split(" ")]
    matched: list[tuple[int, int]] = []
    inside = False
    for index, term in enumerate(highlighted_terms.split(" ")):
        opened = FTS_MARKS[0] in term
        if (inside or opened) and index < len(offsets):
            start, end = offsets[index]
            if matched and matched[-1][1] >= start - 1 and not opened:
                matched[-1] = (matched[-1][0], end)  # the rest of a phrase
            else:
                matched.append((start, end))
        inside = (inside or opened) and FTS_MARKS[1] not in term
    out, cursor = [], 0
    for start, end in matched:
        out += [text[cursor:start], HIGHLIGHT[0], text[start:end], HIGHLIGHT[1]]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def highlight(text: str | None, user_input: str | None) -> str:
    """text with every query match wrapped in ⟦…⟧ (overlapping matches merged)."""
    if not text:
        return text or ""
    out, cursor = [], 0
    for start, end in match_spans(text, user_input):
        if start < cursor:
            continue
        out += [text[cursor:start], HIGHLIGHT[0], text[start:end], HIGHLIGHT[1]]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
