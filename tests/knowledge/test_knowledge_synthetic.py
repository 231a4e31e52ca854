"""The knowledge rules end to end on a small synthetic article written by hand."""

from __future__ import annotations

import json
import sqlite3

import pytest

from corpus_factory import make_corpus
from quotekb.store.build import build

ARTICLE = """見出しの一行

2025-01-02

著者 | 記者一郎

山田氏は市場が拡大すると考えている。同氏は価格が下がると説明した。市場は大きい。

話のポイントは次のとおりです。

1. 月曜日の会議は午後三時に始まり、議題は予算でした。

2. はい、少しです。ただし違いもあります。

01

最初の章

山田太郎:

これは鉄鋼の製造と似ています。

佐藤花子:

はい、少しです。ただし違いもあります。

山田太郎:

もっと投資すべきですか?

佐藤花子:

いいえ、投資すべきだと思います。雨が降れば、試合は中止です。
"""

META = {"key_points_intro": "話のポイントは次のとおりです。"}


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = make_corpus(tmp_path_factory.mktemp("kb") / "corpus", ARTICLE, **META)
    db = root.parent / "quotekb.db"
    build(root, db)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def claim(kb, text):
    row = kb.execute("SELECT * FROM claims WHERE text = ?", (text,)).fetchone()
    assert row is not None, text
    return row


def test_frame_proposal_and_response_stance(kb):
    analogy = kb.execute("SELECT id, proposed_by FROM analogies").fetchall()
    assert [tuple(a) for a in analogy] == [("steel", "yamada")]
    mentions = kb.execute(
        "SELECT m.role, m.speaker_id, m.stance, m.stance_cue, m.stance_source, s.text FROM analogy_mentions m "
        "JOIN sentences s ON s.id = m.sentence_id ORDER BY s.position").fetchall()
    assert [tuple(m) for m in mentions] == [
        ("proposal", "yamada", None, None, None, "これは鉄鋼の製造と似ています。"),
        # the next turn by another speaker answers it; はい、少し is partial (before agree)
        ("response", "sato", "partial", "はい、少し", "rule", "はい、少しです。"),
    ]


def test_claim_kinds_follow_the_precedence(kb):
    assert claim(kb, "はい、少しです。")["kind"] == "response"
    # first in a turn that answers another speaker: response wins over normative
    answer = claim(kb, "いいえ、投資すべきだと思います。")
    assert answer["kind"] == "response"
    assert answer["hedged"] == 1
    assert claim(kb, "雨が降れば、試合は中止です。")["kind"] == "conditional"
    assert kb.execute("SELECT kind FROM sentences WHERE text = 'もっと投資すべきですか?'").fetchone()[0] == "question"
    assert kb.execute("SELECT count(*) FROM claims WHERE text = 'もっと投資すべきですか?'").fetchone()[0] == 0


def test_attribution_carries_through_doushi(kb):
    first = claim(kb, "山田氏は市場が拡大すると考えている。")
    assert (first["speaker_id"], first["attributed_to"]) == ("writer", "yamada")
    assert json.loads(first["cues"])["attributed_to"][:1] == ["山田氏"]
    second = claim(kb, "同氏は価格が下がると説明した。")
    assert second["attributed_to"] == "yamada"
    assert json.loads(second["cues"])["attributed_to"][0] == "同氏"
    # no reporting verb: the author's own voice
    assert claim(kb, "市場は大きい。")["attributed_to"] == "writer"


def test_key_points_link_or_stay_unlinked_with_their_best_score(kb):
    rows = {r["number"]: r for r in kb.execute("SELECT * FROM key_points")}
    unrelated = rows[1]
    assert unrelated["sentence_id"] is None and unrelated["speaker_id"] is None
    assert 0 < unrelated["similarity"] < 0.6
    linked = rows[2]
    assert linked["speaker_id"] == "sato" and linked["similarity"] == 1.0
    first = kb.execute("SELECT text FROM sentences WHERE id = ?", (linked["sentence_id"],)).fetchone()[0]
    assert first == "はい、少しです。" and linked["sentence_count"] == 2


PASSING_MENTION = """見出しの一行

01

最初の章

山田太郎:

昨日は電気代が高かった。鉄道で来ました。

佐藤花子:

はい、そうですね。
"""


def test_naming_a_source_domain_without_comparing_raises_no_analogy(tmp_path):
    root = make_corpus(tmp_path / "corpus", PASSING_MENTION)
    build(root, tmp_path / "q.db")
    conn = sqlite3.connect(tmp_path / "q.db")
    assert conn.execute("SELECT count(*) FROM analogies").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM analogy_mentions").fetchone()[0] == 0
    conn.close()
