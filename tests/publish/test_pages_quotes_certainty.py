"""The pages show the quotes layer and the claims' certainty column as the database
holds them: the reader view marks each quote of the seed with its speaker, and a claim
card shows the claim's own certainty label."""

from __future__ import annotations

import pytest

from conftest import SEED_ID


@pytest.mark.asyncio(loop_scope="session")
async def test_quotes_are_marked_with_their_speaker(ds, db):
    quotes = db.execute(
        "SELECT q.kind, sp.name FROM quotes q JOIN speakers sp ON sp.id = q.speaker_id WHERE q.document_id = ?",
        (SEED_ID,)).fetchall()
    assert quotes  # the seed's lead reports Amodei's views (…と述べました)
    page = (await ds.client.get(f"/quotekb/documents/{SEED_ID}")).text
    for kind, name in quotes:
        assert f'class="qk-quote quote-{kind}"' in page
        assert f'<span class="qk-quote-by">{name}</span>' in page


@pytest.mark.asyncio(loop_scope="session")
async def test_the_claim_card_shows_the_certainty_column(ds, db):
    for certainty in ("hedged", "neutral", "certain"):
        claim_id = db.execute("SELECT id FROM claims WHERE document_id = ? AND certainty = ? ORDER BY id LIMIT 1",
                              (SEED_ID, certainty)).fetchone()[0]
        page = (await ds.client.get(f"/quotekb/claims/{claim_id}")).text
        assert f'<span class="qk-chip cert-chip cert-{certainty}">{certainty}</span>' in page
        reader = (await ds.client.get(f"/quotekb/documents/{SEED_ID}")).text
        assert f'cert-{certainty}" href="/quotekb/claims/{claim_id}"' in reader
