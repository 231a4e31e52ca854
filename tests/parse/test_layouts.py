"""Every transcript layout of the issue on a small synthetic article, with a minimal YAML
(no labels: the registry names the people), alone and mixed; and the refusals."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from corpus_factory import make_corpus
from quotekb.cli import cli
from quotekb.errors import InputError
from quotekb.ingest.corpus import load_corpus
from quotekb.parse.document import parse_article

REGISTRY = [
    {"id": "yamada", "name": "山田太郎", "role": "host", "aliases": ["山田"]},
    {"id": "sato", "name": "佐藤花子", "role": "guest", "aliases": ["佐藤"]},
    {"id": "suzuki", "name": "鈴木一郎", "role": "guest", "aliases": ["鈴木"]},
    {"id": "press", "name": "記者団", "role": "interviewer"},
    {"id": "writer", "name": "記者一郎", "role": "author"},
]
ROLES = {"interviewer": "yamada", "interviewee": "sato"}
PRESS = {"interviewer": "press", "interviewee": "yamada"}

CASES = {
    # name: (body, top-level YAML, expected interview turns (speaker, text))
    "L1 label alone on its line": (
        "山田太郎\n\n質問です。\n\n佐藤花子\n\n答えです。\n\n続きの段落です。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。\n\n続きの段落です。")]),
    "L1 label alone with a colon": (
        "山田:\n質問です。\n佐藤：\n答えです。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。")]),
    "L2 ASCII and full-width colon": (
        "山田: 質問です。\n佐藤：答えです。\n山田:次です。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。")]),
    "L3 name, space, text": (
        "山田 質問です。\n佐藤\u3000答えです。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。")]),
    "L4 name ── text and name――text": (
        "山田 ── 質問です。\n佐藤――答えです。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。")]),
    "L4 a word before a dash, once and without a title, is the speaker's text": (
        "山田――質問です。\n佐藤――答えです。\nそして――続きです。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。\nそして――続きです。")]),
    "L5 【name】 inline and alone": (
        "【山田】質問です。\n【佐藤】\n答えです。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。")]),
    "L6 （name） and (name), with an affiliation": (
        "（山田）質問です。\n(佐藤:ゲスト)\n答えです。\n鈴木)\n補足です。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("suzuki", "補足です。")]),
    "L7 honorifics and titles": (
        "山田氏: 質問です。\n佐藤さん：答えです。\n山田社長「次の質問です。」\n鈴木一郎副社長「補足します。」\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "「次の質問です。」"), ("suzuki", "「補足します。」")]),
    "L8 alias on first mention": (
        "佐藤花子さん（以下、ハナ）：答えです。\n山田: 質問です。\nハナ：続きです。\n", {},
        [("sato", "答えです。"), ("yamada", "質問です。"), ("sato", "続きです。")]),
    "L9 press conference: name and title before 「…」, unlabeled answers, -- questions": (
        " --最初の質問は\n 山田太郎社長「答えです」\n ――次の質問は\n 「続きの答えです」\n"
        " 鈴木一郎副社長「補足です」\n --さらに質問\n 「鈴木の答えです」\n", PRESS,
        [("press", "最初の質問は"), ("yamada", "「答えです」"), ("press", "次の質問は"), ("yamada", "「続きの答えです」"),
         ("suzuki", "「補足です」"), ("press", "さらに質問"), ("suzuki", "「鈴木の答えです」")]),
    "L10 ――, ──, ―, —, -- questions, unlabeled answers": (
        "――一つ目。\n答え一。\n──二つ目。\n答え二。\n―三つ目。\n答え三。\n—四つ目。\n答え四。\n--五つ目。\n答え五。\n", ROLES,
        [("yamada", "一つ目。"), ("sato", "答え一。"), ("yamada", "二つ目。"), ("sato", "答え二。"), ("yamada", "三つ目。"),
         ("sato", "答え三。"), ("yamada", "四つ目。"), ("sato", "答え四。"), ("yamada", "五つ目。"), ("sato", "答え五。")]),
    "L10 ーー, –– and －－ too; a line of dashes is a separator": (
        "ーー一つ目。\n答え一。\n––二つ目。\n答え二。\n－－三つ目。\n答え三。\n――――――\n", ROLES,
        [("yamada", "一つ目。"), ("sato", "答え一。"), ("yamada", "二つ目。"), ("sato", "答え二。"), ("yamada", "三つ目。"),
         ("sato", "答え三。\n――――――")]),
    "L10 questions answered by labeled speakers": (
        "――質問です。\n佐藤: 答えです。\n――次です。\n鈴木: 別の答えです。\n", ROLES,
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。"), ("suzuki", "別の答えです。")]),
    "L11 Q, Q., Q1., Q：, 質問： and A., A1., 回答：": (
        "Q 一つ目ですか。\nA. 答え一。\nQ1. 二つ目ですか。\nA1. 答え二。\nQ：三つ目ですか。\n回答：答え三。\n"
        "質問：四つ目ですか。\n答え四。\nQ.\n五つ目ですか。\nA\n答え五。\n", ROLES,
        [("yamada", "一つ目ですか。"), ("sato", "答え一。"), ("yamada", "二つ目ですか。"), ("sato", "答え二。"),
         ("yamada", "三つ目ですか。"), ("sato", "答え三。"), ("yamada", "四つ目ですか。"), ("sato", "答え四。"),
         ("yamada", "五つ目ですか。"), ("sato", "答え五。")]),
    "L11 Q: and A: repeated with an ASCII colon are markers, not people called Q and A": (
        "Q:一つ目ですか。\nA:答え一。\nQ:二つ目ですか。\nA:答え二。\nQ:三つ目ですか。\nA:答え三。\n", ROLES,
        [("yamada", "一つ目ですか。"), ("sato", "答え一。"), ("yamada", "二つ目ですか。"), ("sato", "答え二。"),
         ("yamada", "三つ目ですか。"), ("sato", "答え三。")]),
    "L10 −− (two U+2212 minus signs, a Shift_JIS 全角マイナス decoded) questions": (
        "−−一つ目。\n「答え一。」\n−−二つ目。\n「答え二。」\n", ROLES,
        [("yamada", "一つ目。"), ("sato", "「答え一。」"), ("yamada", "二つ目。"), ("sato", "「答え二。」")]),
    "L12 paragraphs separated by single newlines": (
        "山田: 質問です。\n佐藤: 答えです。\n二つ目の段落です。\n山田: 次です。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。\n二つ目の段落です。"), ("yamada", "次です。")]),
    "L13 a paragraph that starts with a full-width space continues the turn": (
        "【山田】質問です。\n【佐藤】答えです。\n\u3000(資料を見せながら)続きです。\n\u3000さらに続きです。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。\n\u3000(資料を見せながら)続きです。\n\u3000さらに続きです。")]),
    "L14 subheadings between turns": (
        "山田: 質問です。\n佐藤: 答えです。\n\n■次の話題について\n\n山田: 次です。\n佐藤: はい。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。"), ("sato", "はい。")]),
    "mixed: 【】, colon, paren, Q/A and ―― in one article": (
        "【山田】最初です。\n佐藤: 答えです。\n（鈴木）補足です。\nQ. 質問ですか。\nA. 答えです。\n――もう一つ。\n最後の答えです。\n",
        ROLES,
        [("yamada", "最初です。"), ("sato", "答えです。"), ("suzuki", "補足です。"), ("yamada", "質問ですか。"),
         ("sato", "答えです。"), ("yamada", "もう一つ。"), ("sato", "最後の答えです。")]),
    "many turns on one line": (
        "山田: 質問です。 佐藤: 答えです。 山田: 次です。\n", {},
        [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。")]),
}


def parse(tmp_path, body: str, top: dict | None = None, transcript: dict | None = None, registry=REGISTRY,
          title: str = "見出しの一行"):
    text = "見出しの一行\n\n" + body
    root = make_corpus(tmp_path / "corpus", text, speakers={"speakers": registry}, title=title,
                       transcript=transcript or {}, **(top or {}))
    corpus = load_corpus(root)
    return text, parse_article(corpus.articles[0], corpus.speakers)


def turns(text, doc):
    return [(t.speaker_id, text[t.start : t.end]) for t in doc.turns if t.kind == "interview"]


@pytest.mark.parametrize("name", list(CASES))
def test_layout_gives_the_right_turns(tmp_path, name):
    body, top, expected = CASES[name]
    text, doc = parse(tmp_path, body, top)
    assert turns(text, doc) == expected
    assert "".join(text[s.start : s.end] for s in doc.segments) == text


def test_the_subheading_belongs_to_no_turn(tmp_path):
    text, doc = parse(tmp_path, CASES["L14 subheadings between turns"][0])
    headings = [text[s.start : s.end] for s in doc.segments if s.kind == "section_heading"]
    assert headings == ["■次の話題について"]


@pytest.mark.parametrize("convention, labels", [
    ("bracket", ["yamada", "sato"]),  # only 【】 lines are labels: 鈴木: is text of 佐藤's turn
    (["bracket", "label-colon"], ["yamada", "sato", "suzuki"]),
    ("auto", ["yamada", "sato", "suzuki"]),
])
def test_the_yaml_selects_the_layouts(tmp_path, convention, labels):
    text, doc = parse(tmp_path, "【山田】質問です。\n【佐藤】答えです。\n鈴木: 補足です。\n", transcript={"convention": convention})
    assert [speaker for speaker, _ in turns(text, doc)] == labels


def test_interviewer_and_interviewee_at_the_top_level_or_under_transcript(tmp_path):
    body = "――質問です。\n答えです。\n"
    for n, (top, transcript) in enumerate([(ROLES, {}), ({}, ROLES)]):
        text, doc = parse(tmp_path / str(n), body, top, transcript)
        assert turns(text, doc) == [("yamada", "質問です。"), ("sato", "答えです。")]
    with pytest.raises(InputError, match="interviewer is 'yamada' at the top level but 'suzuki' under transcript"):
        parse(tmp_path / "both", body, ROLES, {"interviewer": "suzuki"})


def test_a_name_alone_beside_question_marks_is_a_caption_and_reported(tmp_path):
    # 佐藤 answers unlabeled; 佐藤花子 alone under a photo is not a label
    text, doc = parse(tmp_path, "――質問です。\n答えです。\n\n佐藤花子\n写真の説明\n\n――次です。\n次の答えです。\n", ROLES)
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。"),
                                ("sato", "次の答えです。")]
    assert any("'佐藤花子' is a caption" in d for d in doc.decisions)


def test_boilerplate_before_the_title_and_a_title_only_in_the_metadata(tmp_path):
    root = make_corpus(tmp_path / "corpus", "トップへ戻る\n見出しの一行\n山田: 質問です。\n佐藤: 答えです。\n",
                       speakers={"speakers": REGISTRY}, transcript={}, boilerplate=["トップへ戻る"])
    corpus = load_corpus(root)
    doc = parse_article(corpus.articles[0], corpus.speakers)
    kinds = [s.kind for s in doc.segments if s.kind != "blank"]
    assert kinds[:2] == ["boilerplate", "title"]
    text, doc = parse(tmp_path / "meta", "山田: 質問です。\n佐藤: 答えです。\n", title="HTMLにだけある題")
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", "答えです。")]
    assert "title" not in {s.kind for s in doc.segments}


@pytest.mark.parametrize("body, top, message", [
    # a label that names nobody, once: its words must not join 佐藤's turn
    ("山田: 質問です。\n佐藤: 答えです。\n田中: 別の人です。\n", {}, "'田中:' looks like a speaker label but names nobody"),
    ("【山田】質問です。\n【田中】別の人です。\n", {}, "'【田中】' looks like a speaker label but names nobody"),
    ("山田太郎\n質問です。\n佐藤花子\n答えです。\n田中部長\n別の人です。\n", {}, "'田中部長' looks like a speaker label"),
    ("（山田）質問です。\n（佐藤）\n答えです。\n（田中）\n別の人です。\n", {}, "'田中' looks like a speaker label"),
    ("田中花子さん（以下、田中）：別の人です。\n山田: 質問です。\n", {}, "looks like a speaker label but names nobody"),
    ("――質問です。\n山田社長「答えです」\n――次は\n田中部長「別の人です」\n", PRESS, "'田中部長' looks like a speaker label"),
    ("山田――質問です。\n佐藤――答えです。\n田中部長――別の人です。\n", {}, "'田中部長' looks like a speaker label"),
    ("山田 ── 質問です。\n田中 ── 別の人です。\n佐藤 ── 答えです。\n田中 ── また別の人です。\n", {},
     "'田中' looks like a speaker label (it starts 2 lines"),
    ("山田: 質問です。 佐藤: 答えです。 田中: 別の人です。\n", {}, "'田中' inside the line looks like a speaker label"),
    # without an interviewer a dash before any turn is narration: then there are no turns
    ("――質問です。\n答えです。\n", {"interviewee": "sato"}, "no speaker turns recognised"),
    ("山田: 始めます。\n――質問です。\n答えです。\n", {"interviewee": "sato"},
     "questions marked '――' have no speaker; add 'interviewer:"),
    ("Q. 質問です。\nA. 答えです。\n", {"interviewer": "yamada"}, "answers marked 'A.' have no speaker; add 'interviewee:"),
    ("――質問です。\n答えです。\n", {"interviewer": "yamada"}, "an unlabeled answer follows a question"),
    ("――質問です。\n答えです。\n", {"interviewer": "yamada", "interviewee": "yamada"}, "both interviewer and interviewee"),
])
def test_what_cannot_be_attributed_is_refused(tmp_path, body, top, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse(tmp_path, body, top)


def test_a_label_two_speakers_share_is_refused(tmp_path):
    twins = [*REGISTRY, {"id": "yamada2", "name": "山田次郎", "role": "guest", "aliases": ["山田"]}]
    with pytest.raises(InputError, match="names more than one speaker: yamada and yamada2"):
        parse(tmp_path, "佐藤: 質問です。\n山田: 答えです。\n", registry=twins)


def check(root, *args):
    return CliRunner().invoke(cli, ["check", "--corpus", str(root), *args])


def test_check_reports_turns_lines_in_no_turn_decisions_and_warnings(tmp_path):
    text = "見出しの一行\n\n――質問です。\n答えです。\n\n佐藤花子\n写真の説明\n\n――次です。\n"
    root = make_corpus(tmp_path / "corpus", text, speakers={"speakers": REGISTRY}, transcript={}, **ROLES)
    result = check(root)
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert "a1:   turn 1 line 3: yamada [――] 質問です。" in out
    assert "a1:   turn 2 line 4: sato [unlabeled] 答えです。" in out
    assert "a1:   turn 3 line 9: yamada [――] 次です。" in out
    assert "a1:   no turn, line 1 (title): 見出しの一行" in out
    assert "a1:   no turn, line 6 (boilerplate): 佐藤花子" in out
    assert "a1:   no turn, line 7 (section_heading): 写真の説明" in out
    assert any("decided: line 6 '佐藤花子' is a caption" in line for line in out)
    # an unanswered last question is not two questions in a row
    assert not any(": warning: " in line for line in out)
    assert out[-1] == "corpus ok"


def test_check_strict_refuses_warnings_with_exit_2_and_one_line(tmp_path):
    # 鈴木一郎 is mentioned but never speaks: a warning
    text = "見出しの一行\n\n山田: 鈴木一郎さんはどう考えますか。\n佐藤: 答えです。\n"
    root = make_corpus(tmp_path / "corpus", text, speakers={"speakers": REGISTRY}, transcript={})
    lenient = check(root)
    assert lenient.exit_code == 0
    assert "a1: warning: suzuki (鈴木一郎) is mentioned in the text but never starts a turn" in lenient.output
    # without --strict it is reported, never called ok
    assert lenient.output.splitlines()[1].startswith("a1: 1 warning(s): ")
    assert lenient.output.splitlines()[-1] == "corpus has 1 warning(s); quotekb check --strict refuses them"
    result = check(root, "--strict")
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "1 warning(s) under --strict" in errors[0]


def test_refused_input_leaves_the_database_untouched(tmp_path):
    good = make_corpus(tmp_path / "good", "見出しの一行\n\n山田: 質問です。\n佐藤: 答えです。\n",
                       speakers={"speakers": REGISTRY}, transcript={})
    db = tmp_path / "quotekb.db"
    assert CliRunner().invoke(cli, ["build", "--corpus", str(good), "--db", str(db), "-j", "1"]).exit_code == 0
    before = db.read_bytes()
    bad = make_corpus(tmp_path / "bad", "見出しの一行\n\n山田: 質問です。\n佐藤: 答えです。\n田中: 誰？\n",
                      speakers={"speakers": REGISTRY}, transcript={})
    result = CliRunner().invoke(cli, ["build", "--corpus", str(bad), "--db", str(db), "-j", "1"])
    assert result.exit_code == 2
    assert "'田中:' looks like a speaker label but names nobody" in result.output
    assert db.read_bytes() == before


def test_the_shipped_corpus_passes_check_strict():
    from conftest import CORPUS

    result = check(CORPUS, "--strict")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "corpus ok"


@pytest.mark.parametrize("line", [
    "佐藤 花子さんは笑った。",  # the full name written with a space, not 佐藤's label
    "A 社の話です。",  # no question anywhere: A is a company, not an answer
    "山田太郎氏は言った。",
    "山田さん、それは違います。",
    "佐藤「はい」と答えた。",  # 「 after a bare surname with no title: a quotation
    "鈴木社長「はい」と答えた。",  # 「…」と答えた: a quotation in the speaker's sentence
    "写真：編集部撮影",  # page furniture before a colon, not a speaker
    "※注: 発言は一部省略しています",
])
def test_text_that_only_looks_like_a_label_continues_the_turn(tmp_path, line):
    text, doc = parse(tmp_path, f"山田: 質問です。\n佐藤: 答えです。\n{line}\n")
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", f"答えです。\n{line}")]


def test_the_authors_name_alone_is_a_byline_and_reported(tmp_path):
    text, doc = parse(tmp_path, "山田: 質問です。\n佐藤: 答えです。\n記者一郎\n山田: 次です。\n")
    assert [speaker for speaker, _ in turns(text, doc)] == ["yamada", "sato", "yamada"]
    assert "line 5 '記者一郎' is the author's or editor's name: a byline, not a label" in doc.decisions


def test_a_dash_before_the_interview_without_an_interviewer_is_narration(tmp_path):
    body = "――大晦日の深夜、編集室で二人が話していた。\n山田 かんぱーい!\n佐藤 かんぱーい!\n"
    text, doc = parse(tmp_path, body)
    assert turns(text, doc) == [("yamada", "かんぱーい!"), ("sato", "かんぱーい!")]
    # after the first turn a dash line is a question, and without an interviewer it is refused
    with pytest.raises(InputError, match="questions marked '――' have no speaker"):
        parse(tmp_path / "later", body + "――次の質問です。\n")


@pytest.mark.parametrize("convention, message", [("foo", "'foo' is not one of"), (["bracket", "nope"], "'nope' is not one of"),
                                                 ([], "should be non-empty")])
def test_a_convention_that_does_not_exist_is_one_line(tmp_path, convention, message):
    with pytest.raises(InputError, match=message):
        parse(tmp_path, "山田: 質問です。\n", transcript={"convention": convention})


NARRATION = "山田: 質問です。\n佐藤: 答えです。\n\n{}\n\n山田: 次です。\n"


@pytest.mark.parametrize("paragraph", [
    "カメラが回る。\n山田が、先輩の佐藤に次の話題を振った。",  # the whole paragraph, from its first line
    "佐藤さんは笑って、山田氏にうなずいた。",
    "司会の山田太郎が佐藤花子に尋ねた。",
])
def test_narration_that_speaks_of_both_speakers_is_the_authors(tmp_path, paragraph):
    # between two turns, a paragraph after a blank line that speaks of the speaker who
    # would be going on and of the other speaker, by name, is the writer's
    text, doc = parse(tmp_path, NARRATION.format(paragraph), {"author": "writer"})
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。")]
    lead = [text[t.start : t.end] for t in doc.turns if t.kind == "lead" and t.speaker_id == "writer"]
    assert lead == [paragraph]
    assert any("narration (the paragraph speaks of" in d for d in doc.decisions), doc.decisions
    assert doc.warnings == []


@pytest.mark.parametrize("paragraph", [
    "山田さんはご存じでしょう。",  # the other person only
    "でも佐藤はね、そういうの負けないんですよ。",  # herself by name: some people do
    "私、佐藤は山田さんに賛成です。",
    "「佐藤は山田に従え」と言われました。",  # inside a quotation
    "佐藤は山田に似てるって、よく言われました。",  # hearsay
    "（佐藤は山田を見ながら）それは違います。",  # an aside in parentheses
    "佐藤市の話をします。山田町も。",  # not their names: longer words
    "佐藤と申します。山田の後輩です。",  # と and の do not make the subject
])
def test_a_paragraph_that_is_not_narration_goes_on_with_the_turn(tmp_path, paragraph):
    text, doc = parse(tmp_path, NARRATION.format(paragraph), {"author": "writer"})
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", f"答えです。\n\n{paragraph}"), ("yamada", "次です。")]
    assert not any("narration (the paragraph" in d for d in doc.decisions)


def test_narration_needs_a_paragraph_of_its_own(tmp_path):
    # a line right under the answer (a single newline) is the answer going on
    body = "山田: 質問です。\n佐藤: 答えです。\n山田が佐藤に言ったんです。\n"
    text, doc = parse(tmp_path, body, {"author": "writer"})
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", "答えです。\n山田が佐藤に言ったんです。")]


def test_text_after_narration_is_not_given_away_silently(tmp_path):
    # whose is the paragraph after the narration? the writer's still, or 佐藤's again:
    # a warning, so that the build refuses it unless told
    body = NARRATION.format("山田が、佐藤に尋ねた。\n\nそれは違うと思います。")
    text, doc = parse(tmp_path, body, {"author": "writer"})
    assert any("unlabeled text after the narration of line 6 is given to the author: if it is sato's" in w
               for w in doc.warnings), doc.warnings


@pytest.mark.parametrize("text, names, found", [
    ("前作よりはるかに大変でした。", ["はるか"], None),  # a kana name needs a title after it
    ("はるかさんが来た。", ["はるか"], "はるか"),
    ("ビジネスモデルが変わった。", ["デル"], None),  # inside a longer katakana word
    ("大小倉が好きだ。", ["小倉"], None),
    ("MC谷原が話す。", ["谷原"], "谷原"),  # a latin title before the name
    ("もう少し黙っていろ」って小倉は言う。", ["小倉"], "小倉"),  # the quotation closed before it
    ("小倉は、\n「小倉は」", ["小倉"], "小倉"),
    ("「小倉は", ["小倉"], None),  # an unclosed quotation runs to the end
])
def test_names_count_at_word_boundaries_outside_quotations(text, names, found):
    from quotekb.parse.narration import named

    assert named(text, names) == found


def test_labels_of_the_author_are_refused_with_the_mapping_that_makes_them_labels(tmp_path):
    # note.com interviews are often written by the interviewer: the author's name is read
    # as a byline, so `山田:` labels name nobody; the message says who they are and how
    # to make them labels, instead of "no known speaker"
    body = "山田:\n質問です。\n\n佐藤:\n答えです。\n\n山田:\n次です。\n\n佐藤:\nはい。\n"
    with pytest.raises(InputError) as refused:
        parse(tmp_path / "a", body, {"author": "yamada"})
    message = str(refused.value)
    assert "label '山田' (2x) names yamada, the article's author or editor" in message
    assert "'labels: {\"山田\": \"yamada\"}'" in message and "\n" not in message
    text, doc = parse(tmp_path / "b", body, {"author": "yamada"}, transcript={"labels": {"山田": "yamada"}})
    assert [speaker for speaker, _ in turns(text, doc)] == ["yamada", "sato", "yamada", "sato"]


def test_narration_knows_a_speaker_by_the_surname_of_their_labels(tmp_path):
    # 佐藤: labels resolve to 佐藤花子 by her surname, with no alias registered: the
    # narration that writes her as 佐藤 is still about her
    registry = [{**s, "aliases": []} if s["id"] in ("sato", "yamada") else s for s in REGISTRY]
    text, doc = parse(tmp_path, NARRATION.format("山田が、先輩の佐藤に次の話題を振った。"), {"author": "writer"},
                      registry=registry)
    assert turns(text, doc) == [("yamada", "質問です。"), ("sato", "答えです。"), ("yamada", "次です。")]
