"""Topics that a sentence refers back to without naming them (knowledge/topics.py), and
the topic words added for issue 14: each rule on a synthetic interview written by hand
and on a real sentence of the hand gold (tests/gold/), whose labels were set by reading.
"""

from __future__ import annotations

import json

import pytest
from rule_fixtures import extracted_rows, gold_units, sentence
from test_rules import view

from conftest import CORPUS
from corpus_factory import make_corpus
from quotekb.ingest.corpus import load_speakers
from quotekb.ingest.knowledge import load_knowledge

ARTICLE = """見出しの一行

2025-01-02

著者 | 記者一郎

01

最初の章

山田太郎:

スケーリングの法則について伺います。この法則が続けば、推論のコストも下がりますか?

佐藤花子:

はい、下がると思います。完璧な例えはありませんが、それは鉄道の歴史に似ています。オープンソースのモデルも増えています。私は楽観的です。そのようなモデルは安全だと思います。パラメーターを増やしたモデルは専門家と同等です。このモデルは利益を生みます。しかし、本題に戻りましょう。それは大事なことです。

02

次の章

山田太郎:

はい、次に進みます。
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return extracted_rows(make_corpus(tmp_path_factory.mktemp("carry") / "corpus", ARTICLE))


@pytest.fixture(scope="module")
def gold():
    return gold_units()


def topics_of(rows: dict, text: str) -> dict[str, list[str]]:
    sid = sentence(rows, text)["id"]
    return {t["topic_id"]: json.loads(t["matched"]) for t in rows["sentence_topics"] if t["sentence_id"] == sid}


def real(gold, text: str) -> tuple[set[str], set[str]]:
    """(gold topics, program topics) of a unit of tests/gold/."""
    assert text in gold, text
    expected, program = gold[text]
    return set(expected["topics"]), set(program["topics"])


# --- a demonstrative that repeats the antecedent's noun --------------------------------

def test_a_repeated_noun_carries_its_topic_beside_the_sentences_own(synthetic):
    # この法則 repeats 法則 of スケーリングの法則; the sentence names inference cost itself
    found = topics_of(synthetic, "この法則が続けば、推論のコストも下がりますか?")
    assert found["scaling-laws"] == ["anaphora: この法則 -> スケーリング+法則"]
    assert found["inference-compute-cost"] == ["推論", "コスト"]


def test_a_repeated_noun_picks_the_topic_of_its_phrase(synthetic):
    # そのようなモデル repeats モデル of オープンソースのモデル, two sentences back
    assert topics_of(synthetic, "そのようなモデルは安全だと思います。") == {
        "open-models": ["anaphora: そのようなモデル -> オープン ソース"]}


def test_a_noun_that_only_cooccurs_with_a_topic_word_is_not_its_phrase(synthetic):
    # モデル … 同等 makes the capability topic, but モデル is no phrase of it: このモデル in
    # a sentence about profits does not bring the capability topic along; nor the open
    # models further back, since the nearest モデル is the one この points to
    assert set(topics_of(synthetic, "パラメーターを増やしたモデルは専門家と同等です。")) == {"model-size-capability"}
    assert topics_of(synthetic, "このモデルは利益を生みます。") == {"profits-business-models": ["利益"]}


def test_a_real_repeated_noun(gold):
    # このこの法則 (a translation stutter) after この法則 after スケーリングの法則; the
    # sentence names model performance itself
    expected, program = real(gold, "ただし、このこの法則が常に適用されるわけではないことも強調し、いくつかの側面でモデルのパフォーマンスを"
                                   "さらに向上させることができない場合、ai 業界全体に影響が及ぶ可能性があると述べました。")
    assert expected == program == {"scaling-laws", "model-size-capability"}
    expected, program = real(gold, "たとえそのようなモデルがリリースされたとしても、そのような大規模なモデルの推論におけるランニングコストは"
                                   "非常に高く、コストのほとんどはモデルのトレーニングではなく推論に費やされます。")
    assert expected == program == {"open-models", "model-size-capability", "inference-compute-cost"}


# --- a turn that replies to the previous speaker ---------------------------------------

def test_a_reply_carries_the_topics_the_previous_turn_ended_on(synthetic):
    assert topics_of(synthetic, "はい、下がると思います。") == {
        "inference-compute-cost": ["reply: はい -> 推論", "reply: はい -> コスト"],
        "scaling-laws": ["reply: はい -> スケーリング+法則"]}


def test_a_reply_does_not_reach_into_the_previous_section(synthetic):
    assert topics_of(synthetic, "はい、次に進みます。") == {}


def test_real_replies(gold):
    # "Do you basically agree with this view (compute, not energy, is the bottleneck)?" -> "Yes, ..."
    assert real(gold, "はい、それは理にかなっていると思います。") == ({"inference-compute-cost"},) * 2
    # and the answer goes on about it through それ / これ
    assert real(gold, "これについて深く考えたことはありませんが、一見すると意味があるように思えます。") == (
        {"inference-compute-cost"},) * 2
    # "What would change your view (that the scaling laws go on)?"
    assert real(gold, "何があなたの意見を変えるでしょうか?") == ({"scaling-laws"},) * 2
    # a partial agreement with the hype-cycle prediction that closed the question
    assert real(gold, "したがって、これには私が同意する部分と同意できない部分が混在していると思います。") == ({"hype-cycle"},) * 2


# --- talk about a comparison carries no topic ------------------------------------------

def test_talk_about_a_comparison_carries_no_topic(synthetic):
    # それ would carry the previous sentence's topics; it refers to the comparison instead
    assert topics_of(synthetic, "完璧な例えはありませんが、それは鉄道の歴史に似ています。") == {}


def test_real_talk_about_a_comparison(gold):
    # これ = Google as the Bell Labs of AI, not the monopoly money of the sentence before
    assert real(gold, "これは適切な比喩だと思いますか?") == (set(), set())
    assert real(gold, "つまり、少しばかげた比喩を使うと、ai がサイバーマンのようなもので、その作成と繁殖のプロセスが"
                      "人間と非常に似ている場合、私たちは問題に陥ります。") == (set(), set())


# --- a signpost that names no topic turns the talk -------------------------------------

def test_nothing_is_carried_past_a_signpost(synthetic):
    # それ would carry 利益 from two sentences back, across the signpost
    assert sentence(synthetic, "しかし、本題に戻りましょう。")["kind"] == "discourse"
    assert topics_of(synthetic, "それは大事なことです。") == {}


def test_real_signpost(gold):
    # "But let's go back to your question. Because I think it (the question) matters
    # around the world": not the pie of the sentence before the signpost
    assert real(gold, "それは世界中で重要だと私は思うからです。") == (set(), set())


# --- topic words added for issue 14 ------------------------------------------------------

NEW_ALTERNATIVES = [
    # (topic, the alternative's terms, a synthetic sentence, a real sentence of the seed gold)
    ("profits-business-models", "販売", "その会社は新しいソフトを販売している。",
     "会話ができるモデルを提供するだけでなく、apiを介して多くのお客様にモデルを販売することもできます。"),
    ("profits-business-models", "シェア+占める", "新製品が市場の半分のシェアを占めた。",
     "その世界では、このシステムとそれに基づく製品が経済の大きなシェアを占めることになると思います。"),
    ("profits-business-models", "パイ+分割", "利用者と企業でパイを分割する。",
     "問題の核心は、分割する「パイ」がどれだけ大きいかです。"),
    ("profits-business-models", "パイ+分配", "増えたパイをどう分配するかが問題だ。",
     "パイが大きくなるにつれて、それが最も興味深い問題になりますが、ドル紙幣をどのように分配するかを決定する人々は、"
     "確かに1兆ドルがどこに行くのかについて非常に懸念しているでしょう。"),
    ("profits-business-models", "ビジネス+経済", "新聞ビジネスの経済は厳しい。",
     "実は、私たちがあなたと話をするというアイデアは、別のポッドキャストで基本的にインターネット ビジネスの経済学について"
     "話していたときに、誰かが ai ビジネスについての悲観的な見解を持ち出し、ai がどれくらいあるのか疑問を呈したことから"
     "生まれました。"),
    ("model-size-capability", "モデル+同等", "新しいモデルは人間の専門家と同等だ。",
     "それが正しければ、私たちが構築しているモデルは、ノーベル賞を受賞した生物学者や業界のトッププログラマーと同等、"
     "あるいはそれ以上に優れていることになります。"),
    ("model-size-capability", "モデル+パフォーマンス", "モデルのパフォーマンスが上がった。",
     "ただし、このこの法則が常に適用されるわけではないことも強調し、いくつかの側面でモデルのパフォーマンスをさらに向上"
     "させることができない場合、ai 業界全体に影響が及ぶ可能性があると述べました。"),
    ("model-size-capability", "モデル+品質", "最新モデルの品質は高い。",
     "まず第一に、現行モデルの品質を凍結するのであれば、あなたの言うことはすべて正しいということに基本的に同意します。"),
    ("labor-substitution", "モデル+同僚", "このモデルは同僚として働く。",
     "そして、このモデルを実用化すると、基本的にすべての人にサービスを提供できるようになり、それがあなたの同僚となり、"
     "個人的なアシスタントとなり、国家安全保障や生物学研究に役立ちます。"),
    ("labor-substitution", "ai & 人間 だ", "多くの人は ai を人間だと考える。",
     "インターネットも似たようなものだと思いますが、aiも同様で、最初は誰もがaiを人間だと思っているようです。"),
    ("labor-substitution", "モデル & 人間 だ", "そのモデルは人間であるかのように話す。",
     "大きなモデルが小さなモデルをコーディネートしている姿も見られますが、これはモデルが人間であるという考えとは"
     "大きく異なります。"),
    ("hype-cycle", "活況", "株式市場は活況を呈している。",
     "したがって、今、あらゆるものが太陽光発電のように活況を呈しているからといって、それが必ずしも会社の利益につながる"
     "かどうかは、私にはまったくわかりません。"),
    ("hype-cycle", "ガートナー", "ガートナーの予測では、期待はいずれしぼむ。",
     "しかし、この人間の直接の置き換えがうまくいくケースはほんのわずかだと思いますが、その後、ガートナーの誇大宣伝サイクル"
     "の崩壊を経験することになるでしょう。"),
    ("hype-cycle", "ゲルトナー", "gartner の曲線が当てはまる。", "gartner 風の予測、私はおかしいでしょうか?"),
    ("ai-biology-science", "アルファ フォールド", "アルファフォールドはタンパク質の形を予測する。",
     "おそらく、alpha fold の登場により、状況は変わります。"),
    ("scaling-laws", "スケール+モデル", "モデルを次のスケールに広げる。",
     "まず、モデルをトレーニングしてから次のスケール モデルを試してみると、結果は非常に悪いものになると思います。"),
]


@pytest.fixture(scope="module")
def knowledge_topics():
    knowledge = load_knowledge(CORPUS, load_speakers(CORPUS / "speakers.yaml"))
    return {t.id: t for t in knowledge.topics}


@pytest.mark.parametrize("topic_id, terms, synthetic_text, real_text", NEW_ALTERNATIVES,
                         ids=[f"{t}:{a}" for t, a, _s, _r in NEW_ALTERNATIVES])
def test_new_topic_word(knowledge_topics, gold, topic_id, terms, synthetic_text, real_text):
    alternative = next(a for a in knowledge_topics[topic_id].alternatives if a.terms() == terms)
    for text in (synthetic_text, real_text):
        v = view(text)
        assert alternative.match(v.forms, v.form_set), text
    expected, program = real(gold, real_text)
    assert topic_id in expected and topic_id in program


def test_new_topic_words_miss_unrelated_sentences(knowledge_topics):
    # ビジネス alone, パイ as food, a model of a car that is not a person, a politician's colleagues
    # (a section title of tests/fixtures/real/transcripts/katsuya-okada-kaiken-20150626.txt)
    for text in ("私たちは基本的にビジネスでも同様のことを観察します。", "パイを焼いて食べた。", "この車のモデルは人気だ。",
                 "〇かつての同僚について"):
        v = view(text)
        assert not [a.terms() for t in knowledge_topics.values() for a in t.alternatives
                    if a.terms() in {n[1] for n in NEW_ALTERNATIVES} and a.match(v.forms, v.form_set)], text


def test_alphafold_as_one_word(knowledge_topics):
    alternative = next(a for a in knowledge_topics["ai-biology-science"].alternatives if a.terms() == "alphafold")
    v = view("AlphaFold2 の精度は高い。")
    assert alternative.match(v.forms, v.form_set)
