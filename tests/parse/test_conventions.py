"""Transcript conventions of Japanese interview articles, each on a small transcript."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from corpus_factory import make_corpus
from quotekb.cli import cli
from quotekb.errors import InputError
from quotekb.ingest.corpus import load_corpus
from quotekb.parse.document import parse_article

LABELS = {"山田太郎": "yamada", "佐藤花子": "sato"}
SURNAMES = {"山田": "yamada", "佐藤": "sato"}
QA_ROLES = {"interviewer": "yamada", "interviewee": "sato"}

CASES = {
    # name: (transcript body, transcript YAML, expected interview turns (speaker, text))
    "label alone on its line": (
        "山田太郎:\n\n質問です。\n\n佐藤花子:\n\n答えです。\n\n続きの段落です。\n",
        {"convention": "label-line", "labels": LABELS},
        [("yamada", "質問です。"), ("sato", "答えです。\n\n続きの段落です。")],
    ),
    "ASCII and full-width colon on one line": (
        "山田太郎: 質問です。\n佐藤花子：答えです。続きです。\n山田太郎: 次の質問ですか?\n",
        {"convention": "label-colon", "labels": LABELS},
        [("yamada", "質問です。"), ("sato", "答えです。続きです。"), ("yamada", "次の質問ですか?")],
    ),
    "【name】": (
        "【山田太郎】質問です。\n【佐藤花子】答えです。\n",
        {"convention": "bracket", "labels": LABELS},
        [("yamada", "質問です。"), ("sato", "答えです。")],
    ),
    "name with an honorific": (
        "山田氏: 質問です。\n佐藤氏：答えです。\n",
        {"convention": "label-colon", "labels": SURNAMES},
        [("yamada", "質問です。"), ("sato", "答えです。")],
    ),
    "surname followed by a space": (
        "山田 質問です。\n佐藤\u3000答えです。\n",
        {"convention": "label-colon", "labels": SURNAMES},
        [("yamada", "質問です。"), ("sato", "答えです。")],
    ),
    "―― questions, unlabeled answers": (
        "――最初の質問です。\n答えの一段落目です。\n\n答えの二段落目です。\n― 次の質問です。\n次の答えです。\n",
        {"convention": "dash", **QA_ROLES},
        [("yamada", "最初の質問です。"), ("sato", "答えの一段落目です。\n\n答えの二段落目です。"),
         ("yamada", "次の質問です。"), ("sato", "次の答えです。")],
    ),
    "— (em dash) questions": (
        "—質問です。\n答えです。\n",
        {"convention": "dash", **QA_ROLES},
        [("yamada", "質問です。"), ("sato", "答えです。")],
    ),
    "Q: / A:": (
        "Q: 質問です。\nA: 答えです。\nＱ：次の質問。\nＡ：次の答え。\n",
        {"convention": "qa", **QA_ROLES},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次の質問。"), ("sato", "次の答え。")],
    ),
    "labels discovered when the YAML lists none": (
        "山田: 質問です。\n佐藤: 答えです。\n山田: 次です。\n佐藤: はい。\n",
        {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。"), ("sato", "はい。")],
    ),
    "registered names alone on their lines, no colon, discovered": (
        # 佐藤氏 is an alias: it counts as a label of its own, and repeats too; 山田太郎氏
        # is the name with an honorific (no alias), full-width spaces around it
        "山田太郎\n\n質問です。\n\n佐藤氏\n\n答えです。\n\n\u3000山田太郎氏\u3000\n\n次です。\n\n佐藤氏\n\nはい。\n",
        {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。"), ("sato", "はい。")],
    ),
}


def parse(tmp_path, body: str, transcript: dict):
    text = "見出しの一行\n\n" + body
    corpus = load_corpus(make_corpus(tmp_path / "corpus", text, transcript=transcript))
    return text, parse_article(corpus.articles[0], corpus.speakers)


@pytest.mark.parametrize("name", list(CASES))
def test_convention_gives_the_right_turns(tmp_path, name):
    body, transcript, expected = CASES[name]
    text, doc = parse(tmp_path, body, transcript)
    assert [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"] == expected
    assert "".join(text[s.start : s.end] for s in doc.segments) == text


def test_check_reports_discovered_labels(tmp_path):
    body, transcript, _expected = CASES["labels discovered when the YAML lists none"]
    root = make_corpus(tmp_path / "corpus", "見出しの一行\n\n" + body, transcript=transcript)
    result = CliRunner().invoke(cli, ["check", "--corpus", str(root)])
    assert result.exit_code == 0, result.output
    assert "discovered: 山田 -> yamada, 佐藤 -> sato" in result.output


def test_a_short_line_that_repeats_but_names_nobody_is_not_a_label(tmp_path):
    # without a colon only registered names count: 写真 (a caption) stays text, and
    # so does 記者一郎, the article's author (make_corpus), alone on a line: a byline
    body = ("写真\n\n山田太郎\n\n質問です。\n\n佐藤花子\n\n答えです。\n\n写真\n\n記者一郎\n\n"
            "山田太郎\n\n次です。\n\n佐藤花子\n\nはい。\n\n記者一郎\n")
    text, doc = parse(tmp_path, body, {})
    assert doc.discovered_labels == {"山田太郎": "yamada", "佐藤花子": "sato"}
    assert [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"] == [
        ("yamada", "質問です。"), ("sato", "答えです。\n\n写真\n\n記者一郎"), ("yamada", "次です。"),
        ("sato", "はい。\n\n記者一郎")]


def test_one_speaker_marked_with_a_colon_and_one_by_name_alone(tmp_path):
    body = "山田: 質問です。\n\n佐藤花子\n\n答えです。\n\n山田: 次です。\n\n佐藤花子\n\nはい。\n"
    text, doc = parse(tmp_path, body, {})
    assert doc.discovered_labels == {"山田": "yamada", "佐藤花子": "sato"}
    assert [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"] == [
        ("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。"), ("sato", "はい。")]


def test_discovered_labels_naming_nobody_are_reported(tmp_path):
    with pytest.raises(InputError, match=r"name no known speaker, or more than one: 田中 \(2x\), 鈴木 \(2x\)"):
        parse(tmp_path, "田中: 質問です。\n鈴木: 答えです。\n田中: 次。\n鈴木: はい。\n", {})


def test_a_repeated_caption_is_reported_with_the_labels_to_list(tmp_path):
    # 出典: repeats like a label but names nobody; the message gives the YAML that
    # lists the two real labels, and with it the article parses
    body = "山田: 質問です。\n佐藤: 答えです。\n出典: 資料A\n山田: 次です。\n佐藤: はい。\n出典: 資料B\n"
    with pytest.raises(InputError) as caught:
        parse(tmp_path / "first", body, {})
    message = str(caught.value)
    assert "name no known speaker, or more than one: 出典 (2x)" in message
    assert """if the speaker labels are 山田, 佐藤, add 'labels: {"山田": "yamada", "佐藤": "sato"}'""" in message
    pasted = yaml.safe_load(message.split("add '")[1].split("'")[0])  # the YAML, as a user pastes it
    assert pasted == {"labels": {"山田": "yamada", "佐藤": "sato"}}
    text, doc = parse(tmp_path / "second", body, pasted)
    assert [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"] == [
        ("yamada", "質問です。"), ("sato", "答えです。\n出典: 資料A"), ("yamada", "次です。"), ("sato", "はい。\n出典: 資料B")]


def test_a_name_alone_on_its_line_beside_colon_labels_is_a_caption(tmp_path):
    # the transcript marks its labels with colons; 山田太郎氏 alone on a line (a photo
    # caption) must not start a turn and take 佐藤's answers
    body = ("山田: 質問です。\n佐藤: 答えです。\n\n山田太郎氏\n\n続きの答えです。\n"
            "山田: 次です。\n佐藤: はい。\n\n山田太郎氏\n\nさらに答えます。\n")
    text, doc = parse(tmp_path, body, {})
    assert doc.discovered_labels == {"山田": "yamada", "佐藤": "sato"}
    turns = [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"]
    assert turns[1] == ("sato", "答えです。\n\n山田太郎氏\n\n続きの答えです。")
    assert [speaker for speaker, _text in turns] == ["yamada", "sato", "yamada", "sato"]


def discover_with(tmp_path, body: str, extra_speakers: list[dict]):
    from corpus_factory import SPEAKERS

    speakers = {"speakers": SPEAKERS["speakers"] + extra_speakers}
    corpus = load_corpus(make_corpus(tmp_path / "corpus", "見出しの一行\n\n" + body, speakers=speakers,
                                     transcript={}))
    return parse_article(corpus.articles[0], corpus.speakers)


def test_a_name_two_speakers_share_is_not_a_label(tmp_path):
    # 山田氏 is also the alias of a second 山田: alone on its line or before a colon,
    # it names two people, and that is an error, not a guess
    twin = [{"id": "yamada2", "name": "山田次郎", "role": "guest", "aliases": ["山田氏"]}]
    for body in ("山田氏\n\n質問です。\n\n佐藤花子\n\n答えです。\n\n山田氏\n\n次です。\n\n佐藤花子\n\nはい。\n",
                 "山田氏: 質問です。\n佐藤: 答えです。\n山田氏: 次です。\n佐藤: はい。\n"):
        with pytest.raises(InputError, match="names yamada and yamada2"):
            discover_with(tmp_path / str(len(body)), body, twin)


def test_the_suggested_labels_are_yaml_that_loads_back_as_written(tmp_path):
    # a label with YAML syntax in it ([司会]) and an id YAML would read as a number
    host = [{"id": "007", "name": "司会者", "role": "host", "aliases": ["[司会]"]}]
    body = "[司会]: 質問です。\n佐藤: 答えです。\n出典: A\n[司会]: 次です。\n佐藤: はい。\n出典: B\n"
    with pytest.raises(InputError) as caught:
        discover_with(tmp_path, body, host)
    pasted = yaml.safe_load(str(caught.value).split("add '")[1].split("' under")[0])
    assert pasted == {"labels": {"[司会]": "007", "佐藤": "sato"}}


def test_a_caption_beside_names_alone_still_gets_the_labels_to_paste(tmp_path):
    # no colon labels but two 出典: captions: the hint must still offer the names
    body = ("山田太郎\n\n質問です。\n出典: A\n\n佐藤花子\n\n答えです。\n\n山田太郎\n\n次です。\n出典: B\n\n"
            "佐藤花子\n\nはい。\n")
    with pytest.raises(InputError, match="""add 'labels: {"山田太郎": "yamada", "佐藤花子": "sato"}'"""):
        parse(tmp_path, body, {})


def test_a_label_with_a_full_width_space_survives_the_one_line_message(tmp_path):
    # the message folds whitespace into one space; the label's U+3000 must not be lost
    host = [{"id": "host", "name": "司会\u3000太郎", "role": "host"}]
    body = ("司会\u3000太郎\n\n質問です。\n出典: A\n\n佐藤花子\n\n答えです。\n\n司会\u3000太郎\n\n次です。\n出典: B\n\n"
            "佐藤花子\n\nはい。\n")
    with pytest.raises(InputError) as caught:
        discover_with(tmp_path, body, host)
    pasted = yaml.safe_load(str(caught.value).split("add '")[1].split("' under")[0])
    assert pasted == {"labels": {"司会\u3000太郎": "host", "佐藤花子": "sato"}}
