"""The knowledge layer on the seed, with expected values read from the text by hand."""

from __future__ import annotations

import json

import pytest

from conftest import SEED_ID

QUESTIONS = {
    # asked of the other party (tests/gold/seed.jsonl, is_question) ...
    "では、google は人工知能時代のベル研究所なのでしょうか?",
    "これは適切な比喩だと思いますか?",
    "ただ知りたいのですが、ソースは何だと思いますか?",
    "なぜ人工知能の発展はこれまでと違うのでしょうか?",
    "スケーリング法が当てはまり、物事が私たちが考えているほど大きくなった場合、これらの企業はいつか国有化されると思いますか?",
    "それともどう思いますか?",
    "gartner 風の予測、私はおかしいでしょうか?",
    "何があなたの意見を変えるでしょうか?",
    "そこであなたのオッズを変えるものは何でしょうか?",
    "この見解に基本的に同意しますか?",
    # ... by function: a request, and a statement of "my other question is ..."
    "ai企業の経済的堀についてどう思うか教えてください。",
    "しかし、私のもう一つの疑問は、極度に豊かな世界を考慮する必要があるのかということです。",
}

RHETORICAL = {
    # questions the speaker answers at once (gold: rhetorical)
    "残る疑問は、収益がどこに行くのかということだ。",
    "それは nvidia に流れるのでしょうか、人工知能企業に流れるのでしょうか、それとも下流のアプリケーションに流れるのでしょうか?",
    "太陽光発電?",
    "ここで 1 つの疑問は、10 億または 100 億のパラメータを持つオープンソース モデルをリリースする人はいるのか、ということだと思います。",
    "このアプローチを模倣するプロキシベースのシステムを作成することもできますが、なぜでしょうか?",
    "こうした状況をどのように検出し、どのように対処するのでしょうか。",
    "私の考えは、21世紀の進歩を圧縮できるだろうか、ということです。",
    "21 世紀の生物学的進歩をすべて ai を使って 10 倍加速することはできるでしょうか?",
}


def test_questions_are_sentences_not_claims(db):
    questions = {r[0] for r in db.execute(
        "SELECT text FROM sentences WHERE kind = 'question' AND document_id = ?", (SEED_ID,))}
    assert questions == QUESTIONS
    assert {r[0] for r in db.execute(
        "SELECT text FROM sentences WHERE kind = 'rhetorical' AND document_id = ?", (SEED_ID,))} == RHETORICAL
    claimed = db.execute(
        "SELECT count(*) FROM claims c JOIN sentences s ON s.id = c.sentence_id WHERE s.kind != 'statement'"
    ).fetchone()[0]
    assert claimed == 0
    asked = QUESTIONS | RHETORICAL
    placeholders = ",".join("?" * len(asked))
    assert db.execute(f"SELECT count(*) FROM claims WHERE text IN ({placeholders})", tuple(asked)).fetchone()[0] == 0


def test_fragment_is_not_a_claim(db):
    fragments = db.execute("SELECT text FROM sentences WHERE kind = 'fragment' AND document_id = ?", (SEED_ID,))
    assert [r[0] for r in fragments] == ["群れ。"]


def test_every_statement_is_one_claim(db):
    statements = db.execute("SELECT count(*) FROM sentences WHERE kind = 'statement'").fetchone()[0]
    assert tuple(db.execute("SELECT count(*), count(DISTINCT sentence_id), count(DISTINCT id) FROM claims").fetchone()) == (
        statements, statements, statements)


def test_claims_quote_their_sentence(db):
    bad = db.execute(
        "SELECT count(*) FROM claims c JOIN sentences s ON s.id = c.sentence_id "
        'WHERE c.text != s.text OR c.start != s.start OR c."end" != s."end" OR c.speaker_id != s.speaker_id '
        "OR c.turn_id != s.turn_id OR c.section_id IS NOT s.section_id"
    ).fetchone()[0]
    assert bad == 0


def claim(db, text_start: str):
    rows = db.execute(
        "SELECT * FROM claims WHERE text LIKE ? || '%' AND document_id = ?", (text_start, SEED_ID)).fetchall()
    assert len(rows) == 1, text_start
    return rows[0]


def test_headline_and_lead_carry_attributed_to(db):
    headline = claim(db, "「aiユニコーン」ceo:aiの未来は")
    assert (headline["speaker_id"], headline["attributed_to"]) == ("huang-wenwen", "dario-amodei")
    assert json.loads(headline["cues"])["attributed_to"] == ["ceo:"]
    thinks = claim(db, "太陽光発電産業を例に挙げると")
    assert (thinks["speaker_id"], thinks["attributed_to"]) == ("huang-wenwen", "dario-amodei")
    assert json.loads(thinks["cues"])["attributed_to"][0] == "アモデイ氏"
    # 同氏 refers back to アモデイ氏
    assert claim(db, "同氏は太陽光発電産業の例を用いて")["attributed_to"] == "dario-amodei"
    # subject dropped: "…ことも強調し、…と述べました" continues the previous reported view
    assert claim(db, "ただし、このこの法則が常に")["attributed_to"] == "dario-amodei"
    # the author's own definition
    assert claim(db, "スケーリングの法則は主に")["attributed_to"] == "huang-wenwen"
    # interview claims are the speaker's own view
    assert db.execute("SELECT count(*) FROM claims c JOIN turns t ON t.id = c.turn_id "
                      "WHERE t.kind = 'interview' AND c.attributed_to != c.speaker_id AND c.document_id = ?",
                      (SEED_ID,)).fetchone()[0] == 0


def test_claim_kinds_hedges_and_certainty_on_the_seed(db):
    # read from the text, with the cue that decides
    assert claim(db, "スケーリングの法則が永遠に続くとは誰も信じるべきではありません")["kind"] == "normative"
    conditional = claim(db, "より優れた推論方法を持っていれば")
    assert conditional["kind"] == "conditional" and conditional["hedged"] and conditional["has_number"]
    assert claim(db, "はい、少しです。")["kind"] == "response"
    assert claim(db, "はい、電話会社です。")["kind"] == "response"
    certain = claim(db, "完璧な例えはありませんが")
    assert certain["certain"] and "間違いなく" in json.loads(certain["cues"])["certainty"]
    assert certain["hedged"]  # …と私は間違いなく思います: certain and hedged at once
    plain = claim(db, "私はそこにとても賢い人たちをたくさん知っています。")
    assert (plain["kind"], plain["hedged"], plain["certain"], plain["has_number"]) == ("assertion", 0, 0, 0)


def test_every_topic_matches_a_sentence_of_the_seed(db):
    topics = {r[0] for r in db.execute("SELECT id FROM topics")}
    matched = {r[0] for r in db.execute("SELECT DISTINCT topic_id FROM sentence_topics")}
    assert topics and matched == topics
    # every topic on a claim; open-models reaches one only through anaphora: the one
    # sentence naming オープンソース is Amodei's rhetorical "ここで 1 つの疑問は…リリースする人は
    # いるのか", and the claim after it picks the topic up by repeating the noun (そのようなモデル)
    claimed = {r[0] for r in db.execute("SELECT DISTINCT topic_id FROM claim_topics")}
    assert topics == claimed
    open_models = [json.loads(r[0]) for r in db.execute(
        "SELECT ct.matched FROM claim_topics ct JOIN claims c ON c.id = ct.claim_id "
        "WHERE ct.topic_id = 'open-models' AND c.document_id = ?", (SEED_ID,))]
    assert open_models == [["anaphora: そのようなモデル -> オープン ソース"]]


def test_scaling_law_topic_covers_all_three_spellings(db):
    texts = [r[0] for r in db.execute(
        "SELECT c.text FROM claims c JOIN claim_topics t ON t.claim_id = c.id WHERE t.topic_id = 'scaling-laws'")]
    all_claims = [r[0] for r in db.execute("SELECT text FROM claims")]
    for spelling in ("スケーリングの法則", "スケーリング則", "スケーリング法"):
        expected = [t for t in all_claims if spelling in t]
        assert expected and all(t in texts for t in expected), spelling


def test_amodei_on_scaling_laws_answers_the_motivating_question(db):
    rows = db.execute(
        "SELECT c.text, c.hedged FROM claims c JOIN claim_topics t ON t.claim_id = c.id "
        "WHERE t.topic_id = 'scaling-laws' AND c.speaker_id = 'dario-amodei'").fetchall()
    texts = [r[0] for r in rows]
    assert "スケーリングの法則が永遠に続くとは誰も信じるべきではありません。" in texts
    assert any(r[1] for r in rows) and not all(r[1] for r in rows)


FRAMES = {
    # frame: (proposer, first sentence that raises it in the interview)
    "bell-labs": ("noah-smith", "では、google は人工知能時代のベル研究所なのでしょうか?"),
    "solar-power": ("noah-smith", "しかし、太陽光発電について考えてみてください。"),
    "electricity": ("noah-smith", "電気の話はご存知かと思いますが、基本的に電気を入手した当初、メーカーは蒸気発生器を解体しようとしたため、発電機は損失を被りました。"),
    "steel": ("noah-smith", "これは実際、鉄鋼の製造方法などの重工業の経済学に似ています。"),
}

STANCES = {
    # (frame, first words of the responding sentence): (stance, deciding words, source)
    ("bell-labs", "完璧な例えはありませんが"): ("partial", "完璧な...はありません", "rule"),
    ("bell-labs", "はい、電話会社です。"): ("agree", "はい", "rule"),
    ("solar-power", "おそらく私が言いたいのは"): ("disagree", "もしスケーリングの法則が正しければ、これは非常に巨大な市場になるだろう", "curated"),
    ("solar-power", "それが間違っているとすれば"): ("partial", "それが間違っているとすれば、これは、インターネットや太陽光発電と同様に", "curated"),
    ("electricity", "したがって、これには私が同意する部分と"): ("partial", "混在", "rule"),
    ("steel", "はい、少しです。"): ("partial", "はい、少し", "rule"),
}


def test_four_frames_with_their_proposer(db):
    rows = db.execute(
        "SELECT a.id, a.proposed_by, s.text FROM analogies a JOIN sentences s ON s.id = a.proposal_sentence_id "
        "WHERE a.document_id = ?", (SEED_ID,)
    ).fetchall()
    assert len(rows) == len(FRAMES)
    assert {r[0]: (r[1], r[2]) for r in rows} == FRAMES


def test_each_response_stance_with_its_cue(db):
    rows = db.execute(
        "SELECT m.analogy_id, s.text, m.stance, m.stance_cue, m.stance_source, m.speaker_id "
        "FROM analogy_mentions m JOIN sentences s ON s.id = m.sentence_id "
        "WHERE m.stance IS NOT NULL AND m.document_id = ?", (SEED_ID,)
    ).fetchall()
    got = {}
    for frame, text, stance, cue, source, speaker in rows:
        assert speaker == "dario-amodei"
        key = next((k for k in STANCES if k[0] == frame and text.startswith(k[1])), None)
        if key:
            got[key] = (stance, cue, source)
        else:  # the rest of a whole answer: its own stance words, or the answer's stance
            assert source in ("rule", "turn") and (cue is None) == (source == "turn")
    assert got == STANCES


def test_headline_and_lead_are_framing_not_proposal(db):
    roles = db.execute(
        "SELECT DISTINCT m.role FROM analogy_mentions m JOIN turns t ON t.id = (SELECT turn_id FROM sentences WHERE id = m.sentence_id) "
        "WHERE t.kind != 'interview'"
    ).fetchall()
    assert [r[0] for r in roles] == ["framing"]
    headline = db.execute(
        "SELECT m.role, m.speaker_id FROM analogy_mentions m JOIN sentences s ON s.id = m.sentence_id "
        "WHERE m.analogy_id = 'solar-power' AND s.text LIKE '「aiユニコーン」%' AND m.document_id = ?", (SEED_ID,)
    ).fetchone()
    assert tuple(headline) == ("framing", "huang-wenwen")


def test_analogy_candidates_hold_comparisons_outside_the_four_frames(db):
    texts = [r[0] for r in db.execute("SELECT c.text FROM analogy_candidates c JOIN sentences s ON s.id = c.sentence_id "
                                      "WHERE s.document_id = ?", (SEED_ID,))]
    # the simile inside Amodei's answer on Bell Labs belongs to that frame's answer
    assert "まるで百の花が咲き競い合っているかのようです。" not in texts
    assert [tuple(r) for r in db.execute("SELECT m.analogy_id, m.role FROM analogy_mentions m JOIN sentences s ON s.id = m.sentence_id "
                      "WHERE s.text = 'まるで百の花が咲き競い合っているかのようです。' AND s.document_id = ?",
                      (SEED_ID,))] == [
                          ("bell-labs", "response")]
    assert any(t.startswith("つまり、少しばかげた比喩を使うと、ai がサイバーマンのようなもの") for t in texts)
    assert "これは適切な比喩だと思いますか?" not in texts  # it elaborates bell-labs
    mentioned = {r[0] for r in db.execute("SELECT sentence_id FROM analogy_mentions")}
    assert not mentioned & {r[0] for r in db.execute("SELECT sentence_id FROM analogy_candidates")}


KEY_POINTS = {
    # number: first transcript sentence it paraphrases (all eight paraphrase Amodei)
    1: "スケーリング法とビジネスの問題を完全に切り離すのは難しいと思います。",
    2: "市場が非常に巨大であるため、私の最初の答えは次のとおりです。",
    3: "おそらく私が言いたいのは、もしスケーリングの法則が正しければ、これは非常に巨大な市場になるだろう、ということです。",
    4: "数百億または数千億のパラメータを使用してモデルを構築する場合、関与するのはおそらく 4 ~ 5 の事業体 (おそらく一部の国営企業) にすぎないでしょう。",
    5: "たとえそのようなモデルがリリースされたとしても、そのような大規模なモデルの推論におけるランニングコストは非常に高く、コストのほとんどはモデルのトレーニングではなく推論に費やされます。",
    6: "当社には、より大型で強力なモデルと、より高速で安価でインテリジェント性が低いモデルがありますが、一部のお客様は、大型モデルがタスクを多数の小型モデルに分散し、それらのモデルが大型モデルに報告を返してタスクを完了できることに気づきました。",
    7: "スケーリングの法則が永遠に続くとは誰も信じるべきではありません。",
    8: "ai を正しく使用できれば、これらの発見を行う速度を 10 倍、おそらく 100 倍に高めることができます。",
}


def test_each_key_point_links_to_the_sentence_it_paraphrases(db):
    rows = db.execute(
        "SELECT k.number, s.text, k.speaker_id, s.speaker_id, k.similarity FROM key_points k "
        "LEFT JOIN sentences s ON s.id = k.sentence_id WHERE k.document_id = ? ORDER BY k.number", (SEED_ID,)
    ).fetchall()
    assert {r[0]: r[1] for r in rows} == KEY_POINTS
    assert all(r[2] == r[3] == "dario-amodei" for r in rows)
    assert all(0.6 <= r[4] <= 1.0 for r in rows)
    assert rows[7][4] == 1.0  # key point 8 is verbatim


def test_mentions_with_case_insensitive_variants(db, seed_text):
    counts = dict(db.execute(
        "SELECT entity_id, count(*) FROM mentions WHERE document_id = ? GROUP BY entity_id", (SEED_ID,)).fetchall())
    # counted by hand in the text, headings included: google appears in lower case
    assert counts["google"] == seed_text.lower().count("google") == 9
    assert counts["transformer"] == 2  # トランスフォーマー once, 変圧器 once
    assert counts["alphafold"] == 1 and counts["crispr"] == 3 and counts["gartner"] == 2
    assert counts["bell-labs"] == seed_text.count("ベル研究所")
    # the section 01 heading 「googleは人工知能時代のベル研究所になれなかった」 is not a sentence
    heading = db.execute("SELECT entity_id, text FROM mentions WHERE unit = 'heading' AND sentence_id IS NULL "
                         "AND document_id = ? ORDER BY start", (SEED_ID,)).fetchall()
    assert [tuple(r) for r in heading] == [("google", "google"), ("bell-labs", "ベル研究所")]
    assert "api" in counts and counts["api"] == 1


@pytest.mark.parametrize("table", ["claims", "mentions"])
def test_knowledge_spans_are_exact(db, table):
    bad = db.execute(
        f'SELECT count(*) FROM {table} t JOIN documents d ON d.id = t.document_id '
        f'WHERE substr(d.text, t.start + 1, t."end" - t.start) != t.text'
    ).fetchone()[0]
    assert bad == 0


def test_claims_view_has_array_columns(db):
    row = db.execute(
        "SELECT topics, analogies, mentions FROM claims_view WHERE text LIKE 'はい、電話会社です。' AND document_id = ?",
        (SEED_ID,)).fetchone()
    assert json.loads(row[1]) == ["bell-labs"]
    cross = dict(db.execute(
        "SELECT speaker_id, claims FROM topic_speaker WHERE topic_id = 'nationalization-geopolitics'").fetchall())
    assert "erik-torenberg" not in cross  # Erik only asks about it: questions are not claims
    # read from the text: Amodei's claims naming 国有化, 国営, 敵 or 国家安全保障
    dario = [r[0] for r in db.execute("SELECT text FROM claims WHERE speaker_id = 'dario-amodei'")]
    carried = db.execute(
        "SELECT count(*) FROM claim_topics ct JOIN claims c ON c.id = ct.claim_id WHERE c.speaker_id = 'dario-amodei' "
        "AND ct.topic_id = 'nationalization-geopolitics' AND ct.matched LIKE '%anaphora:%'").fetchone()[0]
    # none carried: the one claim that used to carry it (その世界では、…製品が経済の大きなシェアを
    # 占める…, after 国家安全保障) names a topic of its own, profits, which is all the gold gives it
    assert carried == 0
    assert cross["dario-amodei"] == carried + sum(
        1 for t in dario if any(w in t for w in ("国有化", "国営", "敵", "国家安全保障")))
