"""search_top: the stored best answers of frequent single terms give exactly what ranking
every match gives, through the Datasette stored query and in process, after full and
incremental builds. The threshold is lowered so that a three-article corpus has such terms."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import pytest_asyncio
from datasette.app import Datasette

from conftest import CORPUS, with_two_more_articles
from quotekb import nlp
from quotekb.publish.export import connect_readonly
from quotekb.store import search_top
from quotekb.store.build import build
from quotekb.store.search import search

MIN = 40  # matches; the seed alone has a few hundred sentences


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    mp = pytest.MonkeyPatch()
    mp.setattr(search_top, "MIN_MATCHES", MIN)
    try:
        corpus = with_two_more_articles(tmp_path_factory.mktemp("top") / "corpus")
        db = corpus.parent / "quotekb.db"
        build(corpus, db)
    finally:
        mp.undo()
    return db


@pytest.fixture(scope="module")
def without_top(built, tmp_path_factory) -> Path:
    """The same database with search_top emptied: every search ranks in FTS5."""
    copy = tmp_path_factory.mktemp("no-top") / "quotekb.db"
    shutil.copy(built, copy)
    conn = sqlite3.connect(copy)
    conn.execute("DELETE FROM search_top")
    conn.commit()
    conn.close()
    return copy


def _frequency(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, sentences_fts, row)")
    counts = dict(conn.execute("SELECT term, doc FROM temp.v"))
    conn.close()
    return counts


def _stored(db: Path) -> dict[str, list[tuple[int, float]]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT query, sentence_id, rank FROM search_top ORDER BY query, position").fetchall()
    conn.close()
    found: dict[str, list] = {}
    for query, sentence_id, rank in rows:
        found.setdefault(query, []).append((sentence_id, rank))
    return found


def test_the_build_stores_every_term_at_the_threshold_and_no_other(built):
    counts = _frequency(built)
    stored = _stored(built)
    frequent = {f'"{t}"' for t, n in counts.items() if n >= MIN}
    assert frequent and set(stored) == frequent
    # 50 rows where the term matches that many sentences (all terms here do: MIN < 50 < counts)
    assert all(len(rows) == min(search_top.TOP, counts[q.strip('"')]) for q, rows in stored.items())


def test_the_default_threshold_leaves_a_small_corpus_without_stored_answers(tmp_path):
    db = tmp_path / "quotekb.db"
    build(CORPUS, db)
    assert _stored(db) == {}


def _ranked(db: Path, query: str) -> list[tuple[int, float]]:
    """Every match ranked by FTS5, the 50 best, as the stored query ranks them."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT rowid, bm25(sentences_fts) AS r FROM sentences_fts WHERE sentences_fts MATCH ? "
        "ORDER BY r, rowid LIMIT 50", (query,)).fetchall()
    conn.close()
    return rows


def test_stored_answers_are_the_ranking_of_the_finished_index(built):
    for query, rows in _stored(built).items():
        assert rows == _ranked(built, query), query


def test_an_incremental_build_ranks_again(built, tmp_path, monkeypatch):
    """One more article changes every BM25 score (the row count, the average length):
    after an incremental build the stored answers equal those of the new index."""
    monkeypatch.setattr(search_top, "MIN_MATCHES", MIN)
    corpus = tmp_path / "corpus"
    shutil.copytree(built.parent / "corpus", corpus)
    db = tmp_path / "quotekb.db"
    shutil.copy(built, db)
    before = _stored(db)
    article = next(p for p in sorted((corpus / "articles").glob("syn_*.txt")))
    for suffix in (".txt", ".yaml"):
        shutil.copy(article.with_suffix(suffix), corpus / "articles" / f"syn_extra{suffix}")
    stats = build(corpus, db)
    assert stats.mode == "incremental"
    after = _stored(db)
    assert after != before  # the scores moved
    for query, rows in after.items():
        assert rows == _ranked(db, query), query


async def _stored_query(db: Path, q: str, config: dict, metadata: dict) -> list[dict]:
    datasette = Datasette(immutables=[str(db)], config=config, metadata=metadata)
    await datasette.invoke_startup()
    response = await datasette.client.get("/quotekb/search.json", params={"q": q, "_shape": "array"})
    assert response.status_code == 200
    return response.json()


# a frequent single term (stored), a rare one, a phrase and two terms (ranked in FTS5)
QUERIES = ["思う", "モデル", "です", "電気", "鉄鋼", "スケーリング則", "推論 コスト"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def answers(built, without_top, datasette_config, datasette_metadata):
    return {q: (await _stored_query(built, q, datasette_config, datasette_metadata),
                await _stored_query(without_top, q, datasette_config, datasette_metadata)) for q in QUERIES}


@pytest.mark.asyncio(loop_scope="module")
async def test_the_stored_search_query_answers_the_same_with_and_without_stored_answers(built, answers):
    stored = _stored(built)
    used = [q for q in QUERIES if nlp.fts_query(q) in stored]
    assert {"思う", "です"} <= set(used) and "推論 コスト" not in used  # both branches are exercised
    for q, (with_top, plain) in answers.items():
        assert with_top, q
        assert with_top == plain, q


def test_in_process_search_answers_the_same_with_and_without_stored_answers(built, without_top):
    fast, plain = connect_readonly(built), connect_readonly(without_top)
    try:
        for q in QUERIES:
            for limit in (1, 10, 50, 51, None):
                assert search(fast, q, limit=limit) == search(plain, q, limit=limit), (q, limit)
    finally:
        fast.close()
        plain.close()
