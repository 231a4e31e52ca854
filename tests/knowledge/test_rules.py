"""Every cue category, topic and frame exercised on small synthetic sentences.

The sentences are written by hand; the expected cue words are read off them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from quotekb import nlp
from quotekb.ingest.corpus import load_speakers
from quotekb.ingest.knowledge import load_knowledge
from quotekb.knowledge.rules import SentenceView, fold_with_origin, match_alternatives


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(CORPUS, load_speakers(CORPUS / "speakers.yaml"))


def view(text: str, first_in_turn: bool = False) -> SentenceView:
    tokens = nlp.tokenize(text)
    searchable = [t for t in tokens if t.searchable]
    return SentenceView(0, text, [t.normalized_form for t in searchable],
                        [(t.start, t.end) for t in searchable], [t.pos_detail for t in tokens], first_in_turn,
                        form_pos=[t.pos_detail for t in searchable])


CUES = [
    # (category, sentence, first in turn, a cue word expected among the found ones)
    ("question", "来年の予算はどうなりますか", False, "ますか"),
    ("question", "理由を教えてください。", False, "教えてください"),
    ("hedge", "来年は雨が多いかもしれません。", False, "かもしれ"),
    ("hedge", "それは正しいと思います。", False, "と思い"),
    ("certainty", "それは間違いなく正しい。", False, "間違いなく"),
    ("certainty", "……それは間違いなく正しい。", False, "間違いなく"),
    ("prediction", "将来、価格は下がるだろう。", False, "将来"),
    ("conditional", "雨が降れば、試合は中止です。", False, "れば"),
    ("normative", "政府はもっと投資すべきです。", False, "べき"),
    ("response", "はい、その通りです。", True, "はい、"),
    ("stance_agree", "その意見に同意します。", False, "同意します"),
    ("stance_partial", "ある程度は正しいと言えます。", False, "ある程度"),
    ("stance_disagree", "その見方には同意できません。", False, "同意できません"),
    ("analogy_marker", "市場はまるで戦場のようだ。", False, "まるで"),
    ("reporting", "社長は成長が続くと述べた。", False, "と述べ"),
    ("anaphora", "同氏は慎重な見方を示した。", False, "同氏"),
    ("question_prompt", "実際、価格は変わらないわけですが", False, "が"),
    ("self_answered", "それで何が変わるのか、なぜでしょうか?", False, "なぜでしょうか"),
    ("discourse", "では、まず費用について考えてみましょう。", False, "てみましょう"),
    ("discourse", "本日はありがとうございました。", False, "ありがとうございました"),
    ("predicate_tail", "そうなると思う。", False, "思う"),
    ("stative_predicate", "その町には駅が有る。", False, "有る"),
    ("topic_anaphora", "これは長く続いてきた。", False, "此れ"),
    ("answer_outline", "この質問は二つに分けることができます。", False, "に分けることができます"),
    ("signpost_continuation", "一つは短期の場合、もう一つは長期の場合です。", False, "一つは"),
    ("signpost_continuation", "それは重要だと思うからです。", False, "からです。"),
    ("retort_echo_ignored", "そういうことです。", False, "こと"),
    ("conclusion", "つまり、費用の問題だということになります。", False, "ということになります"),
    ("noun_complement", "需要も増えるという経験則を指します。", False, "という経験則"),
    ("challenge", "何のための会見なのか。", False, "のか。"),
    ("theme_shift", "品質については別の課題があります。", False, "については"),
    ("back_reference", "あなたの言う見方は正しい。", False, "あなたの言う"),
    ("comparison_talk", "それは良い比喩だと思います。", False, "比喩"),
    ("comparison_talk", "完璧な例えはありません。", False, "例え"),
    # reported speech (knowledge/quotes.py reads these surfaces)
    ("quote_verbs", "「謝りたい」と陳謝した。", False, "陳謝"),
    ("quote_passive", "「本当か」と問われると黙った。", False, "問われ"),
    ("quote_blockers", "「祝」と印刷された旗。", False, "印刷"),
    ("quote_as_said", "「問題ない」としている。", False, "としている"),
    ("indirect_quote_cues", "会合を続ける考えを明らかにした。", False, "考えを明らかに"),
    ("indirect_quotative_verbs", "価格は下がると述べた。", False, "と述べ"),
    ("quote_sources", "警視庁によりますと、男は黙っている。", False, "によりますと"),
    ("person_titles", "同社長は笑った。", False, "社長"),
    ("compound_particles", "会見において述べた。", False, "において"),
    ("quote_cataphora", "逮捕された男が認めた。", False, "逮捕された男"),
    ("person_nouns", "弁護人は黙った。", False, "人"),
]


@pytest.mark.parametrize("category, text, first, expected", CUES)
def test_cue_category_fires(knowledge, category, text, first, expected):
    assert expected in knowledge.cues[category].find(view(text, first))


NEGATIVE = [
    ("certainty", "それは必ずしも正しくない。"),  # 必ずしも is not certainty
    # folding changes lengths before the cue (… becomes ..., ㌔ becomes キロ): the
    # exclusion must still cover the lemma's span in the original text
    ("certainty", "……それは必ずしも正しくない。"),
    ("certainty", "㌔単位の話は必ずしも正しくない。"),
    ("analogy_marker", "例えば、次のように考えます。"),  # 例えば / 次のように are not comparisons
    ("normative", "驚くべき成果です。"),  # adnominal べき
    ("conditional", "技術は利益をもたらすでしょう。"),  # たら inside もたらす
    ("response", "そうですね、はい。"),  # not first in its turn, and not opening the sentence
    ("reporting", "山田氏は経済について語った。"),  # what was talked about, not whose view
    ("topic_anaphora", "それとも別の道がありますか。"),  # a conjunction, not a reference
    ("conclusion", "そういうことになると彼は困ります。"),  # not the main predicate
    ("comparison_talk", "例えば、価格は下がります。"),  # 例えば gives an example, it does not talk of a comparison
]


@pytest.mark.parametrize("category, text", NEGATIVE)
def test_excluded_cues_do_not_fire(knowledge, category, text):
    assert knowledge.cues[category].find(view(text)) == []


ONE_PER_PLACE = [
    # (category, sentence, the one cue word expected): each sentence has one cue that the
    # rules find both as a string of the text and as a lemma (or a longer and a shorter
    # string); the card and the export list it once, as written
    ("certainty", "それは間違いなく正しい。", ["間違いなく"]),
    ("hedge", "おそらく来年は晴れる。", ["おそらく"]),
    ("hedge", "それは正しいと思います。", ["と思い"]),
    ("conditional", "雨が降れば、試合は中止です。", ["れば"]),
    ("response", "はい、結構です。", ["はい、"]),
    # two places, two cue words
    ("response", "はい、その通りです。", ["はい、", "その通りです"]),
    ("hedge", "おそらく雨だと思います。", ["おそらく", "と思い"]),
]


@pytest.mark.parametrize("category, text, expected", ONE_PER_PLACE)
def test_one_cue_word_per_place(knowledge, category, text, expected):
    assert knowledge.cues[category].find(view(text, first_in_turn=True)) == expected


def test_every_cue_category_has_a_synthetic_example(knowledge):
    assert set(knowledge.cues) == {c[0] for c in CUES}


TOPICS = {
    "scaling-laws": "スケーリング則はまだ続くと研究者は見ている。",
    "profits-business-models": "その会社は新しいビジネスモデルで利益を出した。",
    "market-structure": "市場は寡占に向かっている。",
    "inference-compute-cost": "推論のコストが下がった。",
    "model-size-capability": "パラメーターを増やすとモデルの能力が上がる。",
    "reliability-error-handling": "システムの信頼性を高めるにはエラーを検出する必要がある。",
    "model-orchestration": "一つのエージェントが他のモデルに仕事を任せる。",
    "nationalization-geopolitics": "政府は通信会社の国有化を検討している。",
    "data-scarcity-synthetic-data": "学習用のデータ不足を合成データで補う。",
    "open-models": "オープンソースのモデルが公開された。",
    "product-differentiation": "各社は製品の差別化を急いでいる。",
    "ai-biology-science": "ゲノム解析で病気の原因を探る。",
    "labor-substitution": "機械が従業員の仕事を奪う。",
    "hype-cycle": "期待が高すぎてバブルになった。",
}


@pytest.mark.parametrize("topic_id, text", sorted(TOPICS.items()))
def test_topic_matches_its_synthetic_sentence(knowledge, topic_id, text):
    topic = next(t for t in knowledge.topics if t.id == topic_id)
    assert match_alternatives(list(topic.alternatives), view(text))


def test_topics_do_not_match_an_unrelated_sentence(knowledge):
    unrelated = view("今日は天気が良いので散歩に行きました。")
    assert [t.id for t in knowledge.topics if match_alternatives(list(t.alternatives), unrelated)] == []


def test_every_topic_has_a_synthetic_example(knowledge):
    assert {t.id for t in knowledge.topics} == set(TOPICS)


FRAMES = {
    "bell-labs": "ベル研究所はトランジスタを発明した。",
    "solar-power": "太陽光パネルの価格は下がり続けた。",
    "electricity": "工場は蒸気から電気に切り替えた。",
    "steel": "鉄鋼は巨額の設備投資を必要とする。",
}


@pytest.mark.parametrize("frame_id, text", sorted(FRAMES.items()))
def test_frame_cues_match_their_synthetic_sentence(knowledge, frame_id, text):
    frame = next(f for f in knowledge.frames if f.id == frame_id)
    assert match_alternatives(list(frame.cues), view(text))
    others = [f.id for f in knowledge.frames if f.id != frame_id and match_alternatives(list(f.cues), view(text))]
    assert others == []


def test_every_frame_has_a_synthetic_example(knowledge):
    assert {f.id for f in knowledge.frames} == set(FRAMES)


def test_alternative_sequence_needs_order_and_adjacency(knowledge):
    scaling = next(t for t in knowledge.topics if t.id == "scaling-laws")
    assert match_alternatives(list(scaling.alternatives), view("スケーリング則"))
    assert not match_alternatives(list(scaling.alternatives), view("則とスケーリング"))


def test_alternative_index_agrees_with_testing_every_topic(knowledge, seed_text):
    # the build files each alternative under one required form; over every line of
    # the seed (and each topic's own example) it must find exactly what testing every
    # alternative of every topic finds, in the same order
    from quotekb.knowledge.rules import AlternativeIndex

    rule_lists = [list(t.alternatives) for t in knowledge.topics]
    index = AlternativeIndex(rule_lists)
    texts = [line for line in seed_text.splitlines() if line.strip()] + list(TOPICS.values())
    matched_lines = 0
    for text in texts:
        v = view(text)
        expected = {i: m for i, alts in enumerate(rule_lists) if (m := match_alternatives(alts, v))}
        assert index.match(v) == expected, text
        matched_lines += bool(expected)
    assert matched_lines > 20


@settings(deadline=None)  # a loaded machine must not fail a correct fold
@given(st.text(alphabet="ab…㌔ｶﾞﾊﾟＡＩ必ずしも。\u3099 ", max_size=20))
def test_fold_with_origin_folds_like_nlp_fold_and_maps_inside_the_text(text):
    folded, origin = fold_with_origin(text)
    assert folded == nlp.fold(text)
    view_ = SentenceView(0, text, [], [])
    for start in range(len(folded)):
        for end in range(start + 1, len(folded) + 1):
            a, b = view_.original_span(start, end)
            assert 0 <= a < b <= len(text)
            # the folded span comes from the characters it maps back to
            assert folded[start:end] in nlp.fold(text[a:b])
