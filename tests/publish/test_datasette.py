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
