"""Parsing units on small synthetic transcripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_factory import make_corpus
from quotekb.errors import InputError
from quotekb.ingest.corpus import load_corpus
from quotekb.parse.document import parse_article
from quotekb.parse.sentences import split_sentences

TRANSCRIPT = """ニュース

見出しの一行

2025-01-02

著者 | 記者一郎

記者の書いたリードです。山田氏は佐藤氏に話を聞いた。

01

最初の章の題
章の副題その一
章の副題その二

山田太郎:

最初の質問です。いかがですか?

佐藤花子:

一つ目の段落です。

二つ目の段落です。「引用です。」と言った。

三つ目の段落です!

02

二番目の章

山田太郎:

最後の質問ですか？
"""


def parse(tmp_path: Path, text: str = TRANSCRIPT, **meta):
    corpus = load_corpus(make_corpus(tmp_path / "corpus", text, **meta))
    return parse_article(corpus.articles[0], corpus.speakers)


def spans(doc, items):
    return [doc.article.text[i.start : i.end] for i in items]


def test_multi_line_heading_gives_title_and_subtitles(tmp_path):
    doc = parse(tmp_path)
    first, second = doc.sections
    assert (first.number, second.number) == (1, 2)
    text = doc.article.text
    assert [text[ln.start : ln.end] for ln in first.heading_lines] == ["最初の章の題", "章の副題その一", "章の副題その二"]
    assert [text[ln.start : ln.end] for ln in second.heading_lines] == ["二番目の章"]


def test_label_followed_by_several_paragraphs_is_one_turn(tmp_path):
    doc = parse(tmp_path)
    interview = [t for t in doc.turns if t.kind == "interview"]
    assert [t.speaker_id for t in interview] == ["yamada", "sato", "yamada"]
    sato = interview[1]
    assert len(sato.paragraphs) == 3
    assert doc.article.text[sato.start : sato.end] == (
        "一つ目の段落です。\n\n二つ目の段落です。「引用です。」と言った。\n\n三つ目の段落です!"
    )


def test_turn_that_ends_a_section_stops_at_the_next_number(tmp_path):
    doc = parse(tmp_path)
    sato = [t for t in doc.turns if t.speaker_id == "sato"][0]
    assert doc.article.text[sato.start : sato.end].endswith("三つ目の段落です!")
    assert sato.section == 0
    first = doc.sections[0]
    assert doc.article.text[first.start : first.end].endswith("三つ目の段落です!")
    last = [t for t in doc.turns if t.kind == "interview"][-1]
    assert last.section == 1


def test_sentences_split_on_japanese_and_ascii_terminators(tmp_path):
    doc = parse(tmp_path)
    sentences = spans(doc, doc.sentences)
    assert sentences == [
        "見出しの一行",
        "記者の書いたリードです。", "山田氏は佐藤氏に話を聞いた。",
        "最初の質問です。", "いかがですか?",
        "一つ目の段落です。", "二つ目の段落です。", "「引用です。」と言った。", "三つ目の段落です!",
        "最後の質問ですか？",
    ]
    kinds = [s.kind for s in doc.sentences]
    assert kinds.count("question") == 2


def test_front_matter_kinds(tmp_path):
    doc = parse(tmp_path)
    kinds = [s.kind for s in doc.segments if s.kind != "blank"]
    assert kinds[:6] == ["header", "title", "date", "byline", "lead", "section_number"]
    assert [t.kind for t in doc.turns[:2]] == ["headline", "lead"]


def test_segments_tile_the_text_with_crlf_and_bom(tmp_path):
    text = "\ufeff" + TRANSCRIPT.replace("\n", "\r\n")
    doc = parse(tmp_path, text)
    assert "".join(doc.article.text[s.start : s.end] for s in doc.segments) == text
    assert spans(doc, doc.sentences)[3] == "最初の質問です。"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一。二！三？四?五!", ["一。", "二！", "三？", "四?", "五!"]),
        ("彼は「そうだ。」と言った。次だ。", ["彼は「そうだ。」と言った。", "次だ。"]),
        ("「はい。」次です。", ["「はい。」", "次です。"]),
        ("本当ですか?!はい。", ["本当ですか?!", "はい。"]),
        ("（括弧の中。）あと", ["（括弧の中。）", "あと"]),
        ("終わりなし", ["終わりなし"]),
        ("「閉じない。かっこ。", ["「閉じない。", "かっこ。"]),
    ],
)
def test_sentence_splitter(text, expected):
    assert [text[a:b] for a, b in split_sentences(text, 0, len(text))] == expected


def test_a_title_not_in_the_text_is_metadata_only(tmp_path):
    # many pages carry their title only in the HTML: the text parses the same, with
    # no title segment and no headline turn, and the lines before the interview are
    # the author's summary
    doc = parse(tmp_path, title="本文にない題")
    assert "title" not in {s.kind for s in doc.segments}
    assert [t.kind for t in doc.turns if t.kind == "headline"] == []
    assert [t.speaker_id for t in doc.turns if t.kind == "interview"] == ["yamada", "sato", "yamada"]
    assert any("title not in the text" in d for d in doc.decisions)


def test_label_mapped_to_unknown_speaker_names_the_yaml_line(tmp_path):
    root = make_corpus(tmp_path / "c", TRANSCRIPT,
                       transcript={"labels": {"山田太郎": "yamada", "佐藤花子": "nobody"}})
    with pytest.raises(InputError) as info:
        load_corpus(root)
    message = str(info.value)
    assert "a1.yaml:" in message and "unknown speaker 'nobody'" in message


@pytest.mark.parametrize("text", ["", "a", "a\nb", "a\r\nb\rc\n\nd", "\r\n\r\n", "x\r", "\n\r\nz"])
def test_line_index_counts_like_the_line_breaks_before_each_offset(text):
    from quotekb.parse.document import LINE_BREAK, LineIndex

    line_of = LineIndex(text)
    for offset in range(len(text) + 1):
        # the definition: line breaks that start before the offset, plus one
        assert line_of(offset) == len(LINE_BREAK.findall(text, 0, offset)) + 1, (text, offset)


def _reference_split(text, start, end, track_brackets):
    """The splitter as first written, one character per step: the oracle for the
    faster one, which jumps between the characters it acts on."""
    from quotekb.parse.sentences import CLOSERS, OPENERS, QUOTATIVE, STRIP, TERMINATORS, _closes_quote

    depth, sentence_start, i = 0, None, start
    while i < end:
        ch = text[i]
        if sentence_start is None:
            if ch in STRIP:
                i += 1
                continue
            sentence_start = i
        if track_brackets and ch in OPENERS:
            depth += 1
        elif track_brackets and ch in CLOSERS and depth > 0:
            depth -= 1
        if ch == "．" and 0 < i and text[i - 1].isdigit() and i + 1 < end and text[i + 1].isdigit():
            i += 1
            continue
        if ch in TERMINATORS and (depth == 0 or not track_brackets or _closes_quote(text, i, end, depth)):
            j = i + 1
            while j < end and (text[j] in TERMINATORS or text[j] in CLOSERS):
                if track_brackets and text[j] in CLOSERS and depth > 0:
                    depth -= 1
                j += 1
            if depth == 0 and text.startswith(QUOTATIVE, j) and j > i + 1:
                i = j
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


@given(st.text(alphabet="。．！？!?「」『』（）()【】”'と言っ1１あ漢A \u3000\t", max_size=40),
       st.booleans())
@settings(max_examples=3000, deadline=None)
def test_sentence_splitter_matches_the_character_by_character_reference(text, track):
    from quotekb.parse.sentences import _split

    for start in (0, min(2, len(text))):
        assert list(_split(text, start, len(text), track)) == list(_reference_split(text, start, len(text), track))
