"""Search every text unit (title, sentences, section headings, key points) with the same
Sudachi index, and topics offered for a query that names one. Seed text as the oracle."""

from __future__ import annotations

import re

import pytest

from conftest import SEED_ID
from quotekb.ingest.knowledge import Entity
from quotekb.knowledge.mentions import compile_entities, mention_rows
from quotekb.store.units import terms_and_spans

aio = pytest.mark.asyncio(loop_scope="session")


async def search_all(ds, q: str) -> list[dict]:
    response = await ds.client.get("/quotekb/search_all.json", params={"q": q, "_shape": "array"})
    assert response.status_code == 200
    return response.json()


async def seed_rows(ds, q: str) -> list[dict]:
    return [r for r in await search_all(ds, q) if r["document_id"] == SEED_ID]


@aio
@pytest.mark.parametrize("q, pattern", [("google", "google"), ("法則", "法則"), ("ベル研究所", "ベル研究所")])
async def test_every_occurrence_is_inside_a_result(ds, seed_text, q, pattern):
    rows = await seed_rows(ds, q)
    places = [m.start() for m in re.finditer(pattern, seed_text, re.IGNORECASE)]
    assert places  # the word is in the seed
    uncovered = [p for p in places if not any(r["start"] <= p < r["end"] for r in rows)]
    assert uncovered == []


@aio
async def test_a_section_heading_is_found_and_marked(ds, seed_text):
    rows = await seed_rows(ds, "google")
    heading = [r for r in rows if r["unit"] == "heading"]
    assert [r["snippet"] for r in heading] == ["⟦google⟧は人工知能時代のベル研究所になれなかった"]
    assert heading[0]["section"] == 1
    r = heading[0]
    assert seed_text[r["start"]:r["end"]] == r["snippet"].replace("⟦", "").replace("⟧", "")


@aio
async def test_key_points_and_the_title_are_units(ds, seed_text):
    # 寡占 stands in key point 4 (…むしろ寡占に近いものかもしれません) and in Amodei's answer
    rows = await seed_rows(ds, "寡占")
    units = {r["unit"] for r in rows}
    assert "key_point" in units and "sentence" in units
    key_point = next(r for r in rows if r["unit"] == "key_point")
    assert "⟦寡占⟧" in key_point["snippet"]
    # key point 4, after its "4. ": its words come before the transcript says them
    assert key_point["start"] == seed_text.index("4. 数百億または数千億のパラメータ") + 3
    # the headline 「aiユニコーン」ceo:aiの未来は太陽光発電産業と同様になる is the title unit
    rows = await seed_rows(ds, "ユニコーン")
    title = [r for r in rows if r["unit"] == "title"]
    assert len(title) == 1 and title[0]["start"] == seed_text.index("「aiユニコーン」ceo")


@aio
async def test_results_come_in_reading_order(ds):
    rows = await search_all(ds, "法則")
    order = [(r["document_id"], r["start"]) for r in rows]
    assert order == sorted(order)


def test_units_are_indexed_like_sentences():
    # the same normalization as the sentence index: inflected 思います is stored as 思う
    terms, spans = terms_and_spans("AIは思います")
    assert terms.split() == ["ai", "は", "思う", "ます"]
    assert spans.split()[0] == "0-2"


@aio
async def test_a_query_that_names_a_topic_offers_it(ds, db):
    claims = db.execute("SELECT count(*) FROM claim_topics WHERE topic_id = 'scaling-laws'").fetchone()[0]
    for path, params in (("/quotekb/search", {"q": "スケーリング則"}),
                         ("/quotekb/claims_view", {"_search": "スケーリング則"})):
        page = (await ds.client.get(path, params=params)).text
        assert f'<a href="/quotekb/claims_by_topic?topic=scaling-laws"><b>{claims} claims</b> on スケーリング則</a>' in page
        assert "and its variants (" in page
    # 電気 names no topic
    assert "qk-offer" not in (await ds.client.get("/quotekb/search", params={"q": "電気"})).text


def test_mentions_in_headings_and_key_points_have_no_sentence():
    matcher = compile_entities([Entity(id="google", name="Google", kind="organization", variants=("google",))])
    text = "googleの話\n\n1. googleは強い。\n\n山田: googleです。"
    sentence_start = text.index("googleです")
    sentences = [{"id": 7, "start": sentence_start, "end": len(text)}]
    units = [("heading", 0, 8), ("key_point", 10, 23)]
    rows = mention_rows(matcher, SEED_ID, sentences, text, units)
    assert [(r["unit"], r["sentence_id"], r["start"]) for r in rows] == [
        ("heading", None, 0), ("key_point", None, 13), ("sentence", 7, sentence_start)]
