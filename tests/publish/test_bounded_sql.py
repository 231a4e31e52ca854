"""Hostile SQL against the plugin's functions: each refuses input past its documented
limit quickly, and Datasette's time limit holds between calls. Queries build their huge
strings in SQL, as an attacker on the query page would."""

from __future__ import annotations

import time

import pytest

from quotekb.publish.datasette_plugin.functions import MAX_QUERY_CHARS, MAX_QUERY_TERMS, MAX_TEXT_CHARS

HUGE = "printf('%.*c', 1500000, 'a')"  # 1.5 M characters, made by SQLite itself
# the time budget of one hostile request: refusing must not wait for any tokenizing.
# Unbounded, these requests took 30 s to 110 s; the budget is generous so that a
# loaded machine (CI, several builds at once) does not fail a request that was cut
# off as it should be. Latency itself is measured by scripts/loadtest.py, not here.
FAST = 8.0


@pytest.fixture(autouse=True)
def as_served(monkeypatch):
    """Errors rendered as `quotekb serve` renders them: without rich's traceback with
    locals (the test venv has rich; it alone costs 1-2 s per error, see test_serving)."""
    import datasette.handle_exception

    monkeypatch.setattr(datasette.handle_exception, "rich", None)


async def timed_sql(ds, sql: str, **params):
    started = time.perf_counter()
    response = await ds.client.get("/quotekb/-/query.json", params={"sql": sql, **params})
    return response, time.perf_counter() - started


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("call", [
    f"sudachi_tokens({HUGE})",
    f"sudachi_query({HUGE})",
    f"sudachi_highlight({HUGE}, 'a')",
    f"sudachi_highlight('電気', {HUGE})",
    f"quotekb_mark({HUGE}, 'a', '0-1')",
    f"quotekb_mark('a', {HUGE}, '0-1')",
])
async def test_functions_refuse_huge_input_fast(ds, call):
    response, seconds = await timed_sql(ds, f"select length({call}) as n")
    assert response.status_code == 400, response.text
    assert "raised exception" in response.json()["error"]
    assert seconds < FAST


@pytest.mark.asyncio(loop_scope="session")
async def test_limits_are_far_above_real_input_and_hold_at_the_edge(ds):
    # exactly at the limit the call works; one character more is refused
    ok, _ = await timed_sql(ds, f"select length(sudachi_tokens(printf('%.*c', {MAX_TEXT_CHARS}, 'x'))) as n")
    assert ok.status_code == 200, ok.text
    over, _ = await timed_sql(ds, f"select length(sudachi_tokens(printf('%.*c', {MAX_TEXT_CHARS + 1}, 'x'))) as n")
    assert over.status_code == 400
    query = "電気 " * (MAX_QUERY_CHARS // 3)  # 999 characters, 333 terms: over the term limit
    assert len(query) <= MAX_QUERY_CHARS
    many, _ = await timed_sql(ds, "select sudachi_query(:q) as m", q=query)
    assert many.status_code == 400
    enough = "電気 " * MAX_QUERY_TERMS
    fine, _ = await timed_sql(ds, "select sudachi_query(:q) as m", q=enough)
    assert fine.status_code == 200
    assert fine.json()["rows"][0]["m"].count('"電気"') == MAX_QUERY_TERMS


@pytest.mark.asyncio(loop_scope="session")
async def test_the_search_query_and_table_search_refuse_a_huge_q_with_a_400(ds):
    q = "電気" * 600  # 1,200 characters, over MAX_QUERY_CHARS
    started = time.perf_counter()
    stored = await ds.client.get("/quotekb/search.json", params={"q": q})
    table = await ds.client.get("/quotekb/sentences.json", params={"_search": q})
    assert (stored.status_code, table.status_code) == (400, 400)
    assert time.perf_counter() - started < 2 * FAST


@pytest.mark.asyncio(loop_scope="session")
async def test_the_time_limit_holds_across_many_cheap_calls(ds):
    # ten million calls of a cheap function: only the time limit can end this query
    sql = ("with recursive r(i) as (select 1 union all select i + 1 from r where i < 10000000) "
           "select count(sudachi_tokens('電気を使う')) as n from r")
    response, seconds = await timed_sql(ds, sql, _timelimit="200")
    assert response.status_code == 400
    assert "interrupted" in response.json()["error"].lower() or "time limit" in response.json()["error"].lower()
    assert seconds < 0.2 + FAST


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("table", ["sentences_fts", "sentences_trigram"])
async def test_a_raw_match_on_a_huge_string_obeys_the_time_limit(ds, table):
    # a huge phrase built in SQL against either index, without the plugin's functions
    sql = f"select count(*) as n from {table} where {table} match '\"' || {HUGE} || '\"'"
    response, seconds = await timed_sql(ds, sql, _timelimit="300")
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert response.json()["rows"][0]["n"] == 0  # no sentence holds 1.5 M a's
    assert seconds < 0.3 + FAST


@pytest.mark.asyncio(loop_scope="session")
async def test_no_value_built_in_sql_can_outgrow_the_length_limit(ds):
    response, seconds = await timed_sql(ds, "select length(zeroblob(100000000)) as n")
    assert response.status_code == 400
    assert "too big" in response.json()["error"]
    assert seconds < FAST


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("sql", ["select fts3_tokenizer('simple') as p", "select hex(fts3_tokenizer('porter')) as p",
                                 "select fts3_tokenizer('x', x'00') as p"])
async def test_fts3_tokenizer_cannot_be_called(ds, sql):
    response, _ = await timed_sql(ds, sql)
    assert response.status_code == 400
    assert response.json()["rows"] == []


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("path", ["/quotekb/substring.json", "/quotekb/substring"])
async def test_substring_with_a_nul_and_a_quote_answers_200_with_no_rows(ds, path):
    response = await ds.client.get(path, params={"q": '\x00"'})
    assert response.status_code == 200, response.text
    if path.endswith(".json"):
        assert response.json()["rows"] == []
