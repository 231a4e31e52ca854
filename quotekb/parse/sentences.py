"""Japanese sentence splitting over character offsets.

A sentence ends at 。．！？ or ASCII ! ? (the translated sources use ASCII ?), together
with any closing brackets or quotes and repeated terminators that follow. A terminator
inside 「…」 does not end the sentence when the quotation goes on, and 「…。」と言った
stays one sentence. Sentences never cross a line break: callers split per paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

TERMINATORS = frozenset("。．！？!?")
OPENERS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕", "《": "》", "〈": "〉"}
CLOSERS = frozenset("」』）)】〕》〉\"'”’")
# A quotation followed by a quotative verb phrase is part of the sentence that quotes
# it (「…。」と言った); 「はい。」とても… is two sentences.
QUOTATIVE = (
    "と言", "といい", "とい", "と述", "と語", "と思", "と話", "と答", "と説明", "と強調", "と指摘", "と考",
    "と書", "と聞", "と主張", "と明か", "と訴", "と笑", "と尋", "と問", "との", "とし", "って",
)
STRIP = " \t\u3000\ufeff"
QUESTION_ENDINGS = ("?", "？")


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end], whitespace trimmed at both ends."""
    spans = list(_split(text, start, end, track_brackets=True))
    if spans and spans[-1][1] == -1:
        # unbalanced brackets: the depth tracking would swallow the rest, so ignore it
        spans = list(_split(text, start, end, track_brackets=False))
    return spans


# Characters the splitter acts on; everything between them is skipped by the regex
# engine instead of one Python step per character.
_SIGNIFICANT = re.compile("[" + re.escape("".join(sorted(TERMINATORS | set(OPENERS) | CLOSERS))) + "]")
_CONTENT = re.compile("[^" + re.escape(STRIP) + "]")


def _split(text: str, start: int, end: int, track_brackets: bool) -> Iterator[tuple[int, int]]:
    depth = 0
    sentence_start: int | None = None
    i = start
    while i < end:
        if sentence_start is None:
            content = _CONTENT.search(text, i, end)
            if content is None:
                break
            sentence_start = i = content.start()
        significant = _SIGNIFICANT.search(text, i, end)
        if significant is None:
            break
        i = significant.start()
        ch = text[i]
        if track_brackets and ch in OPENERS:
            depth += 1
        elif track_brackets and ch in CLOSERS and depth > 0:
            depth -= 1
        if ch == "．" and 0 < i and text[i - 1].isdigit() and i + 1 < end and text[i + 1].isdigit():
            i += 1  # a full-width decimal point (1．5), not the end of a sentence
            continue
        if ch in TERMINATORS and (depth == 0 or not track_brackets or _closes_quote(text, i, end, depth)):
            j = i + 1
            while j < end and (text[j] in TERMINATORS or text[j] in CLOSERS):
                if track_brackets and text[j] in CLOSERS and depth > 0:
                    depth -= 1
                j += 1
            if depth == 0 and text.startswith(QUOTATIVE, j) and j > i + 1:
                i = j  # 「…。」と言った: the quotation continues the sentence
                continue
            if depth == 0 or not track_brackets:
                yield sentence_start, j
                sentence_start = None
            i = j
            continue
        i += 1
    if sentence_start is not None:
        stop = end
        while stop > sentence_start and text[stop - 1] in STRIP:
            stop -= 1
        if track_brackets and depth > 0:
            yield sentence_start, -1
            return
        yield sentence_start, stop


def _closes_quote(text: str, i: int, end: int, depth: int) -> bool:
    """True when the terminator at i is followed by closers that end every open bracket."""
    j = i + 1
    closed = 0
    while j < end and (text[j] in TERMINATORS or text[j] in CLOSERS):
        closed += text[j] in CLOSERS
        j += 1
    return closed >= depth


def is_question(sentence: str) -> bool:
    core = sentence.rstrip("".join(CLOSERS) + STRIP)
    return core.endswith(QUESTION_ENDINGS)
