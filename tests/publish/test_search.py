"""Japanese full-text search: every query equals a brute-force scan of the sentences."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED_ID
from quotekb import nlp
from quotekb.publish.datasette_plugin.functions import MAX_QUERY_CHARS, MAX_QUERY_TERMS

# the stored search query shows the 50 best sentences of every article (datasette.yaml)
SEARCH_LIMIT = 50


@pytest.fixture(scope="session")
def sentences(seed_db):
    """The seed's sentences: what reading the seed finds, beside any other article."""
    import sqlite3

    conn = sqlite3.connect(seed_db)
    rows = conn.execute("SELECT id, text FROM sentences WHERE document_id = ? ORDER BY id", (SEED_ID,)).fetchall()
    conn.close()
    return rows


def scan(sentences, query: str) -> set[int]:
    """Brute force: tokenize each sentence and check every term's phrase occurs in order."""
    phrases = []
    for part in query.split():
        phrases.append([t for t in nlp.terms(part.strip('"'))])
    if query.startswith('"') and query.endswith('"'):
        phrases = [nlp.terms(query.strip('"'))]
    hits = set()
    for sid, text in sentences:
        forms = nlp.terms(text)
        if all(any(forms[i : i + len(p)] == p for i in range(len(forms))) for p in phrases):
            hits.add(sid)
    return hits


def containing(sentences, *needles: str) -> set[int]:
    return {sid for sid, text in sentences if any(n in text for n in needles)}


async def search_rows(ds, q: str) -> list[dict]:
    response = await ds.client.get("/quotekb/search.json", params={"q": q, "_shape": "array"})
    assert response.status_code == 200
    return response.json()


async def table_search_ids(ds, q: str) -> set[int]:
    """The sentences table's search box on the seed: the same sudachi_query MATCH on the
    same FTS table as the stored query, faceted to the seed's document and not capped."""
    response = await ds.client.get(
        "/quotekb/sentences.json", params={"_search": q, "document_id": SEED_ID, "_size": "max", "_shape": "array"})
    assert response.status_code == 200
    return {row["id"] for row in response.json()}


async def search_ids(ds, q: str) -> set[int]:
    """The seed's sentences the stored search query finds for q.

    The query has no document parameter and stops at SEARCH_LIMIT rows over every article:
    below the cap its seed rows are all the seed's matches; at the cap the seed's share may
    be cut, so the seed's matches are read from the uncapped table search instead."""
    rows = await search_rows(ds, q)
    assert len(rows) <= SEARCH_LIMIT
    if len(rows) == SEARCH_LIMIT:
        return await table_search_ids(ds, q)
    return {row["sentence_id"] for row in rows if row["document_id"] == SEED_ID}


QUERIES = ["電気", "鉄鋼", "法則", "思う", "スケーリング則", "太陽光", "ai", "AI", "推論 コスト", '"太陽光発電産業"']


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("q", QUERIES)
async def test_search_equals_brute_force_scan(ds, sentences, q):
    expected = scan(sentences, q)
    assert expected, f"the scan finds nothing for {q}: the test would prove nothing"
    rows = await search_rows(ds, q)
    seed_rows = {row["sentence_id"] for row in rows if row["document_id"] == SEED_ID}
    if len(rows) < SEARCH_LIMIT:
        assert seed_rows == expected
    else:  # capped over every article: what it shows of the seed is the seed's, the rest is cut
        assert seed_rows <= expected
    assert await table_search_ids(ds, q) == expected


@pytest.mark.asyncio(loop_scope="session")
async def test_search_finds_what_reading_the_text_finds(ds, sentences):
    # two-character words: every sentence that contains them literally
    for word in ("電気", "鉄鋼", "法則"):
        assert containing(sentences, word) <= await search_ids(ds, word)
    # lemma: 思う finds 思います and 思っていました
    found = await search_ids(ds, "思う")
    assert containing(sentences, "思います", "思っていました") <= found
    # 太陽光 finds 太陽光発電
    assert containing(sentences, "太陽光発電") <= await search_ids(ds, "太陽光")
    # all three spellings of the scaling law contain スケーリング and 法/則
    assert containing(sentences, "スケーリング則") <= await search_ids(ds, "スケーリング則")
    # case: ai and AI are the same search
    assert await search_ids(ds, "ai") == await search_ids(ds, "AI")
    # two terms are ANDed
    both = await search_ids(ds, "推論 コスト")
    assert both == (await search_ids(ds, "推論")) & (await search_ids(ds, "コスト"))
    assert containing(sentences, "推論におけるランニングコスト") <= both


@pytest.mark.asyncio(loop_scope="session")
async def test_search_rows_carry_speaker_section_and_highlight(ds):
    rows = [r for r in await search_rows(ds, "鉄鋼") if r["document_id"] == SEED_ID]
    assert [r["speaker"] for r in rows] == ["ノア・スミス"]
    assert rows[0]["section"] == 3
    assert rows[0]["snippet"] == "これは実際、⟦鉄鋼⟧の製造方法などの重工業の経済学に似ています。"
    page = await ds.client.get("/quotekb/search", params={"q": "鉄鋼"})
    assert "<mark>鉄鋼</mark>" in page.text


@pytest.mark.asyncio(loop_scope="session")
async def test_empty_query_returns_no_rows(ds):
    for q in ("", " ", "。"):
        assert await search_ids(ds, q) == set()


@pytest.mark.asyncio(loop_scope="session")
async def test_table_search_box_combines_with_facets(ds, sentences):
    response = await ds.client.get(
        "/quotekb/sentences.json",
        params={"_search": "法則", "document_id": SEED_ID, "_extra": "facet_results", "_size": "max"},
    )
    data = response.json()
    ids = {row["id"] for row in data["rows"]}
    assert ids == scan(sentences, "法則")
    facet = data["facet_results"]["results"]["speaker_id"]["results"]
    assert sum(item["count"] for item in facet) == len(ids)
    narrowed = await ds.client.get(
        "/quotekb/sentences.json",
        params={"_search": "法則", "document_id": SEED_ID, "speaker_id": "dario-amodei", "_size": "max"},
    )
    assert {r["id"] for r in narrowed.json()["rows"]} < ids
    page = await ds.client.get("/quotekb/sentences", params={"_search": "法則"})
    assert 'value="法則"' in page.text


@pytest.mark.asyncio(loop_scope="session")
async def test_kwic_gives_context_from_the_source(ds, seed_text, db):
    # kwic lists every article's matches (under its 1000-row cap): the seed's are checked
    response = await ds.client.get("/quotekb/kwic.json", params={"q": "思う", "_shape": "array"})
    assert len(response.json()) < 1000
    rows = [r for r in response.json() if r["document_id"] == SEED_ID]
    texts = [r[0] for r in db.execute("SELECT text FROM sentences WHERE document_id = ?", (SEED_ID,))]
    expected = sum(t.normalized_form == "思う" for text in texts for t in nlp.tokenize(text))
    assert len(rows) == expected
    surfaces = {r["match"] for r in rows}
    assert {"思い", "思う", "思っ"} <= surfaces
    for r in rows:
        start, end = r["start"], r["end"]
        assert seed_text[start:end] == r["match"]
        assert r["left_context"] == seed_text[max(0, start - 20) : start].replace("\n", " ")
        assert r["right_context"] == seed_text[end : end + 20].replace("\n", " ")
    phrase = await ds.client.get("/quotekb/kwic.json", params={"q": "スケーリング則", "_shape": "array"})
    phrase_rows = [r for r in phrase.json() if r["document_id"] == SEED_ID]
    assert {r["match"] for r in phrase_rows} == {"スケーリング則"}
    assert len(phrase_rows) == seed_text.count("スケーリング則")


@pytest.mark.asyncio(loop_scope="session")
async def test_substring_search_uses_raw_text(ds, sentences):
    for q in ("太陽光", "ai", "法"):
        response = await ds.client.get("/quotekb/substring.json", params={"q": q, "_shape": "array"})
        assert len(response.json()) < 500  # under the query's cap, so every article's matches are listed
        seed_rows = {r["sentence_id"] for r in response.json() if r["document_id"] == SEED_ID}
        assert seed_rows == containing(sentences, q)


HOSTILE = [
    '"', '""', "'", "(", ")", "((", "AND", "OR", "NOT", "NEAR", "NEAR(a b, 2)", "a OR b", "*", "ai*",
    "^ai", "-ai", "+", ":", "terms:ai", "{terms}: ai", "\u0000", "\x01\x1f", "🎉🚀", "👨‍👩‍👧",
    "電気" * 16, "", "\u3000", "\ufeff", "\\", "%", "_", "[", "]",
]
# past the plugin's documented bounds (quotekb/publish/datasette_plugin/functions.py):
# refused with a 400 that names the limit, never tokenized
OVERSIZED = ["電気" * 1500, "a" * 10000, " ".join(f"語{i}" for i in range(MAX_QUERY_TERMS + 1))]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("q", HOSTILE)
async def test_no_input_makes_search_fail(ds, q):
    for path in ("/quotekb/search.json", "/quotekb/kwic.json", "/quotekb/substring.json"):
        response = await ds.client.get(path, params={"q": q})
        assert response.status_code == 200, (path, q)
    response = await ds.client.get("/quotekb/sentences.json", params={"_search": q})
    assert response.status_code == 200, q


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("q", OVERSIZED)
async def test_oversized_input_is_refused_with_a_400(ds, q):
    # the Sudachi searches refuse it; kwic and substring match raw text, bounded by
    # Datasette's time limit, and answer as for any text
    response = await ds.client.get("/quotekb/search.json", params={"q": q})
    assert response.status_code == 400, q[:20]
    for path in ("/quotekb/kwic.json", "/quotekb/substring.json"):
        assert (await ds.client.get(path, params={"q": q})).status_code == 200, (path, q[:20])
    response = await ds.client.get("/quotekb/sentences.json", params={"_search": q})
    assert response.status_code == 400, q[:20]


@pytest.mark.asyncio(loop_scope="session")
async def test_search_input_at_the_bound_still_works(ds, datasette_config):
    # the longest accepted input, run through the stored query's own SQL
    queries = datasette_config["databases"]["quotekb"]["queries"]
    q = ("電気の未来、" * 200)[:MAX_QUERY_CHARS]
    q = " ".join(q.split("、")[:MAX_QUERY_TERMS // 3])  # within the term bound too
    for name in ("search", "kwic", "substring"):
        result = await ds.get_database("quotekb").execute(queries[name]["sql"], {"q": q})
        assert result.rows == []  # no sentence holds all these terms, and nothing failed


@pytest.mark.asyncio(loop_scope="session")
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(q=st.text(max_size=60))
async def test_property_any_text_gives_http_200(ds, q):
    response = await ds.client.get("/quotekb/search.json", params={"q": q})
    assert response.status_code == 200
    response = await ds.client.get("/quotekb/sentences.json", params={"_search": q})
    assert response.status_code == 200


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("q", QUERIES)
async def test_snippet_marks_agree_with_retokenizing(ds, db, q):
    # the stored query marks matches from FTS5 highlight() and stored spans; tokenizing
    # each sentence again must mark exactly the same characters
    rows = (await ds.client.get("/quotekb/search.json", params={"q": q, "_shape": "array"})).json()
    assert rows
    for row in rows:
        text = db.execute("SELECT text FROM sentences WHERE id = ?", (row["sentence_id"],)).fetchone()[0]
        assert row["snippet"] == nlp.highlight(text, q)
        assert nlp.HIGHLIGHT[0] in row["snippet"]


@pytest.mark.asyncio(loop_scope="session")
async def test_search_is_ranked(ds):
    rows = (await ds.client.get("/quotekb/search.json", params={"q": "モデル", "_shape": "array"})).json()
    ranks = [r["rank"] for r in rows]
    assert len(ranks) > 10 and ranks == sorted(ranks)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("q", ["思う", "電気", "推論 コスト"])
async def test_search_keeps_the_best_by_bm25_then_sentence_id(ds, seed_db, q):
    """The stored query's rows are the first of every match sorted by BM25 score, then
    by sentence id at a tie: read here from all matches, scored and sorted in Python."""
    import sqlite3

    conn = sqlite3.connect(seed_db)
    scored = conn.execute("SELECT rowid, bm25(sentences_fts) FROM sentences_fts WHERE sentences_fts MATCH ?",
                          (nlp.fts_query(q),)).fetchall()
    conn.close()
    best = [sid for sid, _ in sorted(scored, key=lambda r: (r[1], r[0]))][:SEARCH_LIMIT]
    assert best
    assert [row["sentence_id"] for row in await search_rows(ds, q)] == best
    from quotekb.publish.export import connect_readonly
    from quotekb.store.search import search

    conn = connect_readonly(seed_db)
    try:
        assert [hit.sentence_id for hit in search(conn, q, limit=SEARCH_LIMIT)] == best
    finally:
        conn.close()
