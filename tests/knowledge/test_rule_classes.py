"""The rule classes of issue 14, each on a synthetic sentence written by hand and on a
real sentence from the hand gold (tests/gold/), whose label was set by reading alone.

Synthetic: one small interview built in a temporary corpus. Real: the units of
tests/gold/*.jsonl with the program's labels beside them, as scripts/evaluate.py
aligns them (the seed through the real parser, the fixture excerpts on the gold's own
segmentation).
"""

from __future__ import annotations

import json

import pytest
from rule_fixtures import claim, extracted_rows, gold_units, sentence

from corpus_factory import make_corpus

ARTICLE = """見出しの一行

2025-01-02

著者 | 記者一郎

01

最初の章

山田太郎:

今日はよろしくお願いします。この問題は二つに分けることができます。まず価格について考えてみましょう。価格はどうなると思いますか?

佐藤花子:

いえ、こちらこそありがとうございます。残る疑問は、誰が払うのかということだ。利用者が払います。価格は来年も下がらないと思います。需要は大きくなるでしょう。規制を除けば、障害はありません。償却しなければならない費用は大きいです。その可能性に私は興味があります。雨が降れば、工事は止まります。しかし、おっしゃる通りだと思います。

山田太郎:

はい。これは鉄鋼の製造と似ていますか?

佐藤花子:

はい、少しです。固定費が大きいからです。スケーリング則は今も続いています。これは重要な発見です。

山田太郎:

それはなぜか、理由を教えてください。実際、価格は変わらないわけですが

佐藤花子:

そういうことです。
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return extracted_rows(make_corpus(tmp_path_factory.mktemp("classes") / "corpus", ARTICLE))


@pytest.fixture(scope="module")
def gold():
    return gold_units()


def real(gold, text: str) -> tuple[dict, dict]:
    assert text in gold, text
    return gold[text]


# --- not claims: signposting, discourse, courtesies, fragments ----------------------

def test_signposts_and_courtesies_are_discourse_not_claims(synthetic):
    for text in ("今日はよろしくお願いします。", "この問題は二つに分けることができます。",
                 "まず価格について考えてみましょう。", "いえ、こちらこそありがとうございます。"):
        assert sentence(synthetic, text)["kind"] == "discourse", text
        assert claim(synthetic, text) is None


@pytest.mark.parametrize("text", ["これは 2 つの状況に分けることができます。", "しかし、あなたの質問に戻りましょう。",
                                  "そこで、スケーリング則が非常に強い形で成立する場合を考えてから、それが部分的に成立するか、まったく成立しない場合を考えてみましょう。",
                                  "申し訳ありません。"])
def test_real_signposts_and_courtesies_are_not_claims(gold, text):
    expected, program = real(gold, text)
    assert expected["is_claim"] is False and program["is_claim"] is False


def test_a_fragment_is_not_a_claim(gold):
    expected, program = real(gold, "群れ。")
    assert expected["is_claim"] is program["is_claim"] is False


# --- questions by function --------------------------------------------------------

def test_questions_by_function(synthetic):
    # answered at once in an answer turn: rhetorical, not a question, not a claim
    assert sentence(synthetic, "残る疑問は、誰が払うのかということだ。")["kind"] == "rhetorical"
    # a request for an answer is a question
    assert sentence(synthetic, "それはなぜか、理由を教えてください。")["kind"] == "question"
    # a statement ending in …から。 is an answer, not a question
    assert sentence(synthetic, "固定費が大きいからです。")["kind"] == "statement"
    # an interviewer stopping on …ですが when the guest answers next
    assert sentence(synthetic, "実際、価格は変わらないわけですが")["kind"] == "question"


@pytest.mark.parametrize("text, is_question, rhetorical", [
    ("残る疑問は、収益がどこに行くのかということだ。", False, True),
    ("太陽光発電?", False, True),
    ("このアプローチを模倣するプロキシベースのシステムを作成することもできますが、なぜでしょうか?", False, True),
    ("ai企業の経済的堀についてどう思うか教えてください。", True, False),
    ("しかし、私のもう一つの疑問は、極度に豊かな世界を考慮する必要があるのかということです。", True, False),
    ("普通に考えて会社批判だと思いますが", True, False),
    ("それは世界中で重要だと私は思うからです。", False, False),
])
def test_real_questions_by_function(gold, text, is_question, rhetorical):
    expected, program = real(gold, text)
    assert (expected["is_question"], expected["rhetorical"]) == (is_question, rhetorical)
    assert (program["is_question"], program["rhetorical"]) == (is_question, rhetorical)


# --- kinds ------------------------------------------------------------------------

def test_kinds_on_synthetic_sentences(synthetic):
    kinds = {
        "利用者が払います。": "response",  # the first claim answering a question
        "価格は来年も下がらないと思います。": "prediction",  # a future event, no future word
        "需要は大きくなるでしょう。": "prediction",
        "規制を除けば、障害はありません。": "assertion",  # ば inside 除けば is no condition
        "償却しなければならない費用は大きいです。": "assertion",  # obligation inside a noun phrase
        "雨が降れば、工事は止まります。": "conditional",
        "しかし、おっしゃる通りだと思います。": "response",  # its opening, not its position
        "そういうことです。": "response",
    }
    for text, kind in kinds.items():
        assert claim(synthetic, text)["kind"] == kind, text
    assert json.loads(claim(synthetic, "利用者が払います。")["cues"])["kind"] == ["(first claim of an answer)"]


@pytest.mark.parametrize("text, kind", [
    ("利益はこれらすべての場所に流れ込みます。", "prediction"),
    ("現在の状況を踏まえると、国有化はされないと思います。", "prediction"),
    ("多くの人は、google が目標を達成するためにより多くのリソースを持っていたことを除けば、ベル研究所の産業環境と非常によく似た、学術的なキャリアの継続であると考えていました。", "assertion"),
    ("これは、これらのイノベーションを大規模に拡張して統合する必要があるというものです。", "assertion"),
    ("もしあなたが組織のトップにいたとしても、それを開発中の他の 99 プロジェクトと合理的に区別することはできないでしょう。", "assertion"),
    ("完璧な例えはありませんが、これにはある程度の真実があると私は間違いなく思います。", "response"),
    ("しかし、おっしゃる通りだと思います。", "response"),
    ("そういうことです", "response"),
])
def test_real_kinds(gold, text, kind):
    expected, program = real(gold, text)
    assert expected["kind"] == program["kind"] == kind


# --- cue words inside noun phrases ------------------------------------------------

def test_possibility_as_a_noun_is_no_hedge(synthetic, gold):
    c = claim(synthetic, "その可能性に私は興味があります。")
    assert not c["hedged"] and c["certainty"] == "neutral"
    expected, program = real(gold, "しかし、私は確かにその可能性に対してオープンです。")
    assert (expected["hedged"], expected["certainty"]) == (program["hedged"], program["certainty"]) == (False, "certain")


def test_certainty_reads_hedges_and_boosters_together(synthetic, gold):
    assert claim(synthetic, "価格は来年も下がらないと思います。")["certainty"] == "hedged"
    assert claim(synthetic, "利用者が払います。")["certainty"] == "neutral"
    for text, certainty in (("完璧な例えはありませんが、これにはある程度の真実があると私は間違いなく思います。", "mixed"),
                            ("もちろん、より多くのデータ分析、ビッグデータ、人工知能は良いことですが、せいぜい補助的な役割にすぎません。",
                             "certain")):
        expected, program = real(gold, text)
        assert expected["certainty"] == program["certainty"] == certainty


# --- topics carried by anaphora ---------------------------------------------------

def test_a_topic_is_carried_by_anaphora_within_the_turn(synthetic):
    sid = sentence(synthetic, "これは重要な発見です。")["id"]
    carried = [t for t in synthetic["sentence_topics"] if t["sentence_id"] == sid]
    assert [t["topic_id"] for t in carried] == ["scaling-laws"]
    assert json.loads(carried[0]["matched"]) == ["anaphora: 此れ -> スケーリング 則"]
    # not across turns: the next turn opens with それ and names no topic: it carries none
    first = sentence(synthetic, "それはなぜか、理由を教えてください。")["id"]
    assert not [t for t in synthetic["sentence_topics"] if t["sentence_id"] == first]


def test_a_real_topic_carried_by_anaphora(gold):
    # "If that (the scaling law) holds, the models we build will equal Nobel laureates"
    expected, program = real(gold, "これは単なる経験上の観察であり、いつ停止する可能性もあります。")
    assert "scaling-laws" in expected["topics"] and "scaling-laws" in program["topics"]


# --- analogies: an answer answers the frame it was asked about --------------------

def test_the_answer_to_a_frame_question_responds_to_it(synthetic):
    by_sentence = {m["sentence_id"]: m for m in synthetic["analogy_mentions"] if m["analogy_id"] == "steel"}
    opening = by_sentence[sentence(synthetic, "はい、少しです。")["id"]]
    assert (opening["role"], opening["stance"], opening["stance_source"]) == ("response", "partial", "rule")
    # never names steel, answers it all the same; a reservation qualifies only its sentence
    reason = by_sentence[sentence(synthetic, "固定費が大きいからです。")["id"]]
    assert (reason["role"], reason["stance"], reason["stance_source"]) == ("response", "agree", "turn")


@pytest.mark.parametrize("text, frame, stance", [
    ("まるで百の花が咲き競い合っているかのようです。", "bell-labs", "agree"),
    ("理論上、google はこれを行うのに最適な場所です。", "bell-labs", "agree"),
])
def test_real_answers_respond_to_the_frame_without_naming_it(gold, text, frame, stance):
    expected, program = real(gold, text)
    assert (expected["analogy"], expected["role"], expected["stance"]) == (frame, "response", stance)
    mention = program["mentions"][frame]
    assert (mention["role"], mention["stance"]) == ("response", stance)


OTHER_ARTICLE = """別の見出し

2025-02-03

著者 | 記者一郎

01

比較の章

山田太郎:

AI産業は太陽電池の業界に似ていますか?

佐藤花子:

いいえ、違います。市場はずっと大きいからです。
"""


def test_frame_cues_serve_another_article_with_the_same_comparison(tmp_path):
    """Another article compares AI with solar power in its own words (太陽電池, not the
    seed's 太陽光発電): the frame is raised, and the answer that never names it responds."""
    root = make_corpus(tmp_path / "corpus", OTHER_ARTICLE, title="別の見出し")
    rows = extracted_rows(root)
    assert [(a["id"], a["proposed_by"]) for a in rows["analogies"]] == [("solar-power", "yamada")]
    got = {sentence(rows, text)["id"]: text for text in ("いいえ、違います。", "市場はずっと大きいからです。")}
    answers = {got[m["sentence_id"]]: (m["role"], m["stance"]) for m in rows["analogy_mentions"] if m["sentence_id"] in got}
    assert answers == {"いいえ、違います。": ("response", "disagree"), "市場はずっと大きいからです。": ("response", "disagree")}
