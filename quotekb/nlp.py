"""The one place that owns Japanese tokenization and normalization.

Indexing (tokens table, full-text search) and querying (the sudachi_query SQL function)
both go through `terms`, so they cannot drift apart. Split mode A is used for both:
mode C keeps 太陽光発電 as one token, so a search for 太陽光 would miss it. The core
dictionary loads once per process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from sudachipy import Dictionary, SplitMode

MODE = SplitMode.A
# Morphemes that carry no searchable content.
SKIP_POS = frozenset({"補助記号", "空白"})
# Sudachi accepts at most ~49 KB of UTF-8 per call; stay well below it.
CHUNK_CHARS = 4000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')


@cache
def tokenizer():
    return Dictionary(dict="core").tokenizer(mode=MODE)


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

    @property
    def searchable(self) -> bool:
        return self.pos not in SKIP_POS and bool(self.normalized_form.strip())


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Every morpheme of text with offsets into the document (offset = text's start)."""
    tokens: list[Token] = []
    for chunk_start in range(0, len(text), CHUNK_CHARS):
        chunk = text[chunk_start : chunk_start + CHUNK_CHARS]
        base = offset + chunk_start
        for m in tokenizer().tokenize(chunk):
            pos = m.part_of_speech()
            tokens.append(Token(
                position=len(tokens),
                surface=m.surface(),
                dictionary_form=m.dictionary_form(),
                normalized_form=fold(m.normalized_form()),
                reading=m.reading_form(),
                pos=pos[0],
                pos_detail=",".join(p for p in pos if p != "*"),
                start=base + m.begin(),
                end=base + m.end(),
            ))
    return tokens


def terms(text: str) -> list[str]:
    """Normalized forms of the searchable morphemes of text, in order."""
    text = CONTROL.sub(" ", text)
    return [t.normalized_form.replace('"', "") for t in tokenize(text) if t.searchable]


def fts_document(text: str) -> str:
    """What the FTS index stores for a sentence: its terms joined by spaces."""
    return " ".join(terms(text))


def fts_query(user_input: str | None) -> str:
    """User input -> a safe FTS5 MATCH expression.

    Each whitespace-separated term (or "quoted phrase") becomes an FTS5 phrase of its
    normalized tokens; terms are ANDed. FTS5 syntax in the input (AND, NEAR, *, ^,
    parentheses, quotes) is neutralised because every token is emitted inside double
    quotes. Input with no searchable token gives '', which callers treat as no query.
    """
    if not user_input:
        return ""
    phrases = []
    for m in QUERY_PART.finditer(CONTROL.sub(" ", user_input)):
        part_terms = [t for t in terms(m.group(1) if m.group(1) is not None else m.group(2)) if t]
        if part_terms:
            phrases.append('"' + " ".join(part_terms) + '"')
    return " AND ".join(phrases)
