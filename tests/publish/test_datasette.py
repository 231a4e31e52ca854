"""Datasette with the repo's datasette.yaml and metadata.yaml, through its own test client."""

from __future__ import annotations

import pytest

from conftest import SEED_ID


@pytest.mark.asyncio(loop_scope="session")
async def test_home_page_shows_the_title(ds, datasette_metadata):
    response = await ds.client.get("/")
    assert response.status_code == 200
    # the bilingual title from metadata.yaml, and the license, on the home page
    assert datasette_metadata["title"] in response.text
    assert "Apache-2.0" in response.text


@pytest.mark.asyncio(loop_scope="session")
async def test_turns_facet_by_speaker(ds):
    response = await ds.client.get(f"/quotekb/turns.json?_facet=speaker_id&kind=interview&document_id={SEED_ID}")
    assert response.status_code == 200
    facet = response.json()["facet_results"]["results"]["speaker_id"]
    counts = {item["value"]: item["count"] for item in facet["results"]}
    assert counts == {"noah-smith": 8, "dario-amodei": 10, "erik-torenberg": 2}
    labels = {item["value"]: item["label"] for item in facet["results"]}
    assert labels["dario-amodei"] == "ダリオ・アモデイ"


@pytest.mark.asyncio(loop_scope="session")
async def test_turns_facet_without_filter_counts_interview_speakers(ds):
    response = await ds.client.get(f"/quotekb/turns.json?_facet=speaker_id&document_id={SEED_ID}")
    facet = response.json()["facet_results"]["results"]["speaker_id"]
    counts = {item["value"]: item["count"] for item in facet["results"]}
    assert (counts["noah-smith"], counts["dario-amodei"], counts["erik-torenberg"]) == (8, 10, 2)


@pytest.mark.asyncio(loop_scope="session")
async def test_quotes_facet_by_speaker_kind_and_cue(ds, datasette_metadata):
    response = await ds.client.get(f"/quotekb/quotes.json?document_id={SEED_ID}&_facet=speaker_id&_facet=kind&_facet=cue")
    assert response.status_code == 200
    results = response.json()["facet_results"]["results"]
    speakers = {item["value"]: item["count"] for item in results["speaker_id"]["results"]}
    # the seed: four reported views of Amodei in the lead, two quotes inside his turns
    assert speakers == {"dario-amodei": 6}
    kinds = {item["value"]: item["count"] for item in results["kind"]["results"]}
    assert kinds == {"indirect": 4, "direct": 2}
    cues = {item["value"] for item in results["cue"]["results"]}
    assert {"と述べました", "ことを説明した"} <= cues
    page = await ds.client.get("/quotekb/quotes")
    assert datasette_metadata["databases"]["quotekb"]["tables"]["quotes"]["description"][:20] in page.text


@pytest.mark.asyncio(loop_scope="session")
async def test_who_said_what_about_a_word(ds):
    response = await ds.client.get("/quotekb/quotes_about.json?about=太陽光発電産業&_shape=objects")
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert all("太陽光発電産業" in r["sentence"] for r in rows)
    seed = [r for r in rows if r["document_id"] == SEED_ID]
    assert seed and {r["speaker_id"] for r in seed} == {"dario-amodei"}
    empty = await ds.client.get("/quotekb/quotes_about.json?about=&_shape=objects")
    assert empty.json()["rows"] == []
