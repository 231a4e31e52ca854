"""Datasette with the repo's datasette.yaml and metadata.yaml, through its own test client."""

from __future__ import annotations

import pytest
import pytest_asyncio
from datasette.app import Datasette


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ds(seed_db, datasette_config, datasette_metadata):
    datasette = Datasette(
        immutables=[str(seed_db)], config=datasette_config, metadata=datasette_metadata
    )
    await datasette.invoke_startup()
    return datasette


@pytest.mark.asyncio(loop_scope="session")
async def test_home_page_shows_the_title(ds, datasette_metadata):
    response = await ds.client.get("/")
    assert response.status_code == 200
    assert "quotekb" in response.text
    assert "日本語インタビュー記事" in response.text


@pytest.mark.asyncio(loop_scope="session")
async def test_turns_facet_by_speaker(ds):
    response = await ds.client.get("/quotekb/turns.json?_facet=speaker_id&kind=interview")
    assert response.status_code == 200
    facet = response.json()["facet_results"]["results"]["speaker_id"]
    counts = {item["value"]: item["count"] for item in facet["results"]}
    assert counts == {"noah-smith": 8, "dario-amodei": 10, "erik-torenberg": 2}
    labels = {item["value"]: item["label"] for item in facet["results"]}
    assert labels["dario-amodei"] == "ダリオ・アモデイ"


@pytest.mark.asyncio(loop_scope="session")
async def test_turns_facet_without_filter_counts_interview_speakers(ds):
    response = await ds.client.get("/quotekb/turns.json?_facet=speaker_id")
    facet = response.json()["facet_results"]["results"]["speaker_id"]
    counts = {item["value"]: item["count"] for item in facet["results"]}
    assert (counts["noah-smith"], counts["dario-amodei"], counts["erik-torenberg"]) == (8, 10, 2)


@pytest.mark.asyncio(loop_scope="session")
async def test_every_visible_table_and_view_has_a_description(ds, datasette_metadata):
    listing = (await ds.client.get("/quotekb.json")).json()
    tables = [t["name"] for t in listing["tables"] if not t["hidden"]] + [v["name"] for v in listing["views"]]
    assert "sentences" in tables
    described = datasette_metadata["databases"]["quotekb"]["tables"]
    missing = [t for t in tables if not described.get(t, {}).get("description")]
    assert missing == []
