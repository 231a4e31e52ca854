"""Curated values must be found in the text, and structure that cannot be right is
refused with the file and line, before anything is written."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from corpus_factory import make_corpus
from quotekb.cli import cli
from quotekb.ingest.corpus import load_corpus
from quotekb.parse.document import parse_article

TEXT = """見出しの一行

2025-01-02

著者 | 記者一郎

ナビゲーション

話のポイントは次のとおりです。

1. 最初の要点です。

01

最初の章

山田太郎:

質問です。

佐藤花子:

答えです。
"""


def check(tmp_path, text=TEXT, **meta):
    root = make_corpus(tmp_path / "corpus", text, **meta)
    result = CliRunner().invoke(cli, ["check", "--corpus", str(root)])
    return result


def assert_one_line(result, *expected):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], lines[0]


def test_the_example_is_valid(tmp_path):
    result = check(tmp_path, boilerplate=["ナビゲーション"], key_points_intro="話のポイントは次のとおりです。")
    assert result.exit_code == 0, result.output


def test_a_label_that_never_starts_a_turn(tmp_path):
    labels = {"山田太郎": "yamada", "佐藤花子": "sato", "佐藤花代": "sato"}
    assert_one_line(check(tmp_path, transcript={"labels": labels}),
                    "a1.yaml:", "speaker label '佐藤花代' never starts a turn")


def test_a_boilerplate_line_not_in_the_text(tmp_path):
    assert_one_line(check(tmp_path, boilerplate=["ナビゲーションX"]), "a1.yaml:", "boilerplate line not found")


def test_a_note_not_in_the_text(tmp_path):
    assert_one_line(check(tmp_path, notes=["全文は以下の通り。"]), "a1.yaml:", "notes line not found")


def test_a_key_points_intro_not_in_the_text(tmp_path):
    assert_one_line(check(tmp_path, key_points_intro="ポイントは次の通り。"), "a1.yaml:", "key_points_intro not found")


def test_an_alias_naming_an_unknown_speaker(tmp_path):
    assert_one_line(check(tmp_path, aliases={"記者": "nobody"}), "a1.yaml:", "alias '記者' names unknown speaker")


def test_an_alias_not_in_the_text(tmp_path):
    assert_one_line(check(tmp_path, aliases={"社長": "yamada"}), "a1.yaml:", "alias '社長' does not occur")


def test_an_impossible_date(tmp_path):
    assert_one_line(check(tmp_path, published_on="2024-13-45"), "a1.yaml:", "is not a calendar date")


def test_a_yaml_key_that_is_not_text(tmp_path):
    root = make_corpus(tmp_path / "corpus", TEXT)
    path = root / "articles" / "a1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("山田太郎: yamada", "yes: yamada"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--corpus", str(root)])
    assert_one_line(result, "a1.yaml:", "key 'yes' is read as bool")


def test_duplicate_key_point_numbers(tmp_path):
    text = TEXT.replace("1. 最初の要点です。", "1. 最初の要点です。\n\n1. もう一つの要点です。")
    result = check(tmp_path, text, key_points_intro="話のポイントは次のとおりです。")
    line = text.splitlines().index("1. もう一つの要点です。") + 1
    assert_one_line(result, f"a1.txt:{line}:", "key point 1 appears twice")


def test_text_between_a_heading_and_the_first_label(tmp_path):
    text = TEXT.replace("最初の章\n\n山田太郎:", "最初の章\n\nラベルのない段落です。\n\n山田太郎:")
    line = text.splitlines().index("ラベルのない段落です。") + 1
    assert_one_line(check(tmp_path, text), f"a1.txt:{line}:", "text before the first speaker label")


def test_a_label_with_no_text_names_its_line(tmp_path):
    text = TEXT.replace("佐藤花子:\n\n答えです。\n", "佐藤花子:\n")
    line = text.splitlines().index("佐藤花子:") + 1
    assert_one_line(check(tmp_path, text), f"a1.txt:{line}:", "speaker label '佐藤花子' has no text after it")


def parsed(tmp_path, text):
    corpus = load_corpus(make_corpus(tmp_path / "corpus", text))
    return text, parse_article(corpus.articles[0], corpus.speakers)


def test_a_paragraph_of_only_a_number_is_not_a_section(tmp_path):
    text, doc = parsed(tmp_path, TEXT.replace("答えです。", "答えです。\n\n100\n\n以上です。"))
    assert [s.number for s in doc.sections] == [1]
    sato = [t for t in doc.turns if t.speaker_id == "sato"][0]
    assert text[sato.start : sato.end] == "答えです。\n\n100\n\n以上です。"


def test_a_paragraph_starting_with_a_date_stays_text(tmp_path):
    text, doc = parsed(tmp_path, TEXT.replace("2025-01-02\n\n", "").replace(
        "著者 | 記者一郎\n", "著者 | 記者一郎\n\n2025年1月2日、記者は山田氏に話を聞いた。\n"))
    assert "2025年1月2日、記者は山田氏に話を聞いた。" in [text[s.start : s.end] for s in doc.sentences]


def test_surname_and_space_is_text_unless_the_convention_says_so(tmp_path):
    body = TEXT.replace("答えです。", "答えです。\n\n山田太郎 さんの言う通りです。")
    text, doc = parsed(tmp_path, body)
    turns = [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"]
    assert turns[-1] == ("sato", "答えです。\n\n山田太郎 さんの言う通りです。")


def test_a_bare_list_of_speakers_is_told_to_go_under_speakers(tmp_path):
    # the README's example once showed the entries without the `speakers:` key above them
    root = make_corpus(tmp_path / "corpus", TEXT)
    entries = yaml.safe_load((root / "speakers.yaml").read_text(encoding="utf-8"))["speakers"]
    (root / "speakers.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--corpus", str(root)])
    assert_one_line(result, "speakers.yaml:1:", "is not of type 'object'", "put the list under a 'speakers:' key")


def test_a_new_corpus_without_its_knowledge_files_hears_of_all_of_them_at_once(tmp_path):
    root = make_corpus(tmp_path / "corpus", TEXT)
    for name in ("topics.yaml", "entities.yaml", "cues.yaml"):
        (root / name).unlink()
    assert_one_line(CliRunner().invoke(cli, ["check", "--corpus", str(root)]),
                    "topics.yaml, entities.yaml, cues.yaml are missing", "copy them from the corpus/ directory")
    (root / "analogies.yaml").unlink()
    assert_one_line(CliRunner().invoke(cli, ["check", "--corpus", str(root)]),
                    "topics.yaml, analogies.yaml, entities.yaml, cues.yaml are missing")
