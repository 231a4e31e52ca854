"""The seed article parsed into structure: counts derived by reading the text."""

from __future__ import annotations

from collections import Counter

from conftest import SEED_ID

LANGUAGE_SELECTOR = "한어Русский языкEnglishFrançais"


def test_five_numbered_sections_with_their_headings(db):
    rows = db.execute(
        "SELECT number, title, subtitle FROM sections WHERE document_id = ? ORDER BY number", (SEED_ID,)).fetchall()
    # read from the text: 01..05, sections 02, 04 and 05 have a second heading line
    assert [tuple(r) for r in rows] == [
        (1, "googleは人工知能時代のベル研究所になれなかった", None),
        (2, "スケーリングの法則:", "データサイズが増加するにつれて、モデルはより強力になります"),
        (3, "ai の未来は太陽光発電産業と同様になる", None),
        (4, "スケーリングの法則", "ai に影響を与えて新しいビジネス モデルを作成する"),
        (5, "ai は生物学的発見を 100 倍スピードアップできる可能性がある", "世紀の時間を圧縮して進む"),
    ]


def test_twenty_interview_turns_by_speaker_plus_the_lead(db):
    counts = Counter(
        r["speaker_id"]
        for r in db.execute("SELECT speaker_id FROM turns WHERE kind = 'interview' AND document_id = ?", (SEED_ID,))
    )
    assert counts == {"noah-smith": 8, "dario-amodei": 10, "erik-torenberg": 2}
    lead = db.execute("SELECT speaker_id, text FROM turns WHERE kind = 'lead' AND document_id = ?", (SEED_ID,)).fetchall()
    assert len(lead) == 1
    assert lead[0]["speaker_id"] == "huang-wenwen"
    assert lead[0]["text"].startswith("今週は、「aiユニコーン」anthropic社のceo")
    assert lead[0]["text"].endswith("かなりの課題に直面しています。")


def test_interview_turn_order_follows_the_labels(db, seed_text):
    labels = {"ノア・スミス": "noah-smith", "ダリオ・アモデイ": "dario-amodei", "エリック・トーレンバーグ": "erik-torenberg"}
    expected = [labels[line[:-1]] for line in seed_text.splitlines() if line[:-1] in labels and line.endswith(":")]
    got = [r[0] for r in db.execute(
        "SELECT speaker_id FROM turns WHERE kind='interview' AND document_id = ? ORDER BY position", (SEED_ID,))]
    assert got == expected


def test_turn_that_ends_a_section_stops_before_the_next_number(db):
    last_of_01 = db.execute(
        "SELECT t.text FROM turns t JOIN sections s ON s.id = t.section_id "
        "WHERE s.number = 1 AND t.document_id = ? ORDER BY t.position DESC LIMIT 1", (SEED_ID,)
    ).fetchone()[0]
    assert last_of_01.endswith("物事はそのようには進みませんでした。")
    assert "02" not in last_of_01


def test_eight_key_points_numbered_in_order(db):
    rows = db.execute(
        "SELECT number, text FROM key_points WHERE document_id = ? ORDER BY number", (SEED_ID,)).fetchall()
    assert [r[0] for r in rows] == list(range(1, 9))
    assert rows[0][1] == "スケーリング法をビジネスの問題から完全に切り離すことはやや困難です。"
    assert rows[7][1] == "ai を正しく使用できれば、これらの発見を行う速度を 10 倍、おそらく 100 倍に高めることができます。"


def test_front_matter_segments(db):
    kinds = {
        r["kind"]: r["text"]
        for r in db.execute("SELECT kind, text FROM segments WHERE kind IN "
                            "('header','title','date','boilerplate','key_points_intro','note') AND document_id = ?",
                            (SEED_ID,))
    }
    assert kinds["header"] == "ニュース"
    assert kinds["title"] == "「aiユニコーン」ceo:aiの未来は太陽光発電産業と同様になる"
    assert kinds["date"] == "2024-08-31"
    assert kinds["boilerplate"].startswith(LANGUAGE_SELECTOR)
    assert kinds["key_points_intro"] == "話のポイントは次のとおりです。"
    assert kinds["note"] == "インタビューの全文は以下の通りですが、一部内容は削除されています。"
    bylines = [r[0] for r in db.execute(
        "SELECT text FROM segments WHERE kind='byline' AND document_id = ? ORDER BY position", (SEED_ID,))]
    assert bylines == ["ハードai", "著者 | 黄文文", "編集者 | ハードai"]


def test_no_sentence_contains_the_language_selector(db):
    assert db.execute("SELECT count(*) FROM sentences WHERE text LIKE '%' || ? || '%'",
                      (LANGUAGE_SELECTOR,)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sentences WHERE text LIKE '%Suomalainen%'").fetchone()[0] == 0


def test_ascii_question_marks_end_sentences(db):
    # "…流れるのでしょうか?市場が非常に巨大であるため、…" is two sentences in the source
    rows = [r[0] for r in db.execute(
        "SELECT text FROM sentences WHERE text LIKE '%下流のアプリケーションに流れるのでしょうか%' AND document_id = ?",
        (SEED_ID,))]
    assert rows == ["それは nvidia に流れるのでしょうか、人工知能企業に流れるのでしょうか、それとも下流のアプリケーションに流れるのでしょうか?"]


def test_quoted_speech_is_its_own_sentence(db):
    row = db.execute("SELECT text FROM sentences WHERE text LIKE '「おい、%' AND document_id = ?", (SEED_ID,)).fetchone()
    assert row[0] == ("「おい、私はプログラミングが得意なモデルを作成し、あなたはクリエイティブ ライティングが得意な"
                      "モデルを作成し、第三者はエンターテイメントが得意なモデルを作成した。」")


def test_every_span_matches_the_document_text_in_sql(db):
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    checked = []
    for table in tables:
        cols = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if {"start", "end", "text", "document_id"} <= cols:
            bad = db.execute(
                f'SELECT count(*) FROM {table} t JOIN documents d ON d.id = t.document_id '
                f'WHERE substr(d.text, t.start + 1, t."end" - t.start) != t.text'
            ).fetchone()[0]
            total = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert total > 0, table
            assert bad == 0, table
            checked.append(table)
    assert {"segments", "turns", "sentences", "key_points"} <= set(checked)
    bad_headings = db.execute(
        'SELECT count(*) FROM sections s JOIN documents d ON d.id = s.document_id '
        'WHERE substr(d.text, s.heading_start + 1, s.heading_end - s.heading_start) != s.heading '
        "OR substr(s.heading, 1, length(s.title)) != s.title"
    ).fetchone()[0]
    assert bad_headings == 0


def test_segments_reproduce_the_file_exactly(db, seed_text):
    joined = db.execute(
        "SELECT group_concat(text, '') FROM (SELECT text FROM segments WHERE document_id = ? ORDER BY position)",
        (SEED_ID,),
    ).fetchone()[0]
    assert joined == seed_text
    assert db.execute("SELECT text FROM documents WHERE id = ?", (SEED_ID,)).fetchone()[0] == seed_text
    gaps = db.execute(
        'SELECT count(*) FROM segments a JOIN segments b ON b.document_id = a.document_id '
        'AND b.position = a.position + 1 WHERE b.start != a."end"'
    ).fetchone()[0]
    assert gaps == 0


def test_document_metadata(db):
    row = db.execute("SELECT * FROM documents WHERE id = ?", (SEED_ID,)).fetchone()
    assert row["published_on"] == "2024-08-31"
    assert row["language"] == "ja"
    assert row["author"] == "huang-wenwen"
    assert row["editor"] == "hard-ai"
    names = dict(db.execute("SELECT id, name FROM speakers").fetchall())
    assert names[row["author"]] == "黄文文" and names[row["editor"]] == "ハードai"


def test_foreign_keys_hold(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
