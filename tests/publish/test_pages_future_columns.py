"""The pages are written for tables other layers are adding: a `quotes` table and a
`claims.certainty` column. On a copy of the seed database that has them, the reader view
marks each quote with its speaker and the certainty shown is the column's, not the
one derived from hedged/certain."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
import pytest_asyncio
from datasette.app import Datasette

from conftest import SEED_ID

QUOTE = "完璧な例えはありません"  # Amodei's opening words in section 01


@pytest.fixture(scope="module")
def future_db(seed_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("future") / "quotekb.db"
    shutil.copy(seed_db, path)
    conn = sqlite3.connect(path)
    doc = conn.execute("SELECT text FROM documents WHERE id = ?", (SEED_ID,)).fetchone()[0]
    start = doc.index(QUOTE)
    sentence_id, claim_id = conn.execute(
        "SELECT s.id, c.id FROM sentences s JOIN claims c ON c.sentence_id = s.id "
        "WHERE s.start <= ? AND ? < s.\"end\"", (start, start)).fetchone()
    conn.executescript("""
        CREATE TABLE quotes (id INTEGER PRIMARY KEY, document_id TEXT, sentence_id INTEGER, speaker_id TEXT,
                             start INTEGER, "end" INTEGER, text TEXT, kind TEXT, cue TEXT, attribution TEXT);
        ALTER TABLE claims ADD COLUMN certainty TEXT;
        UPDATE claims SET certainty = 'neutral';
    """)
    conn.execute("INSERT INTO quotes VALUES (1, ?, ?, 'dario-amodei', ?, ?, ?, 'direct', NULL, 'label')",
                 (SEED_ID, sentence_id, start, start + len(QUOTE), QUOTE))
    conn.execute("UPDATE claims SET certainty = 'certain' WHERE id = ?", (claim_id,))
    conn.commit()
    conn.close()
    return path, claim_id


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ds_future(future_db, datasette_config, datasette_metadata):
    datasette = Datasette(immutables=[str(future_db[0])], config=datasette_config, metadata=datasette_metadata)
    await datasette.invoke_startup()
    return datasette


@pytest.mark.asyncio(loop_scope="module")
async def test_quotes_are_marked_with_their_speaker(ds_future):
    page = (await ds_future.client.get(f"/quotekb/documents/{SEED_ID}")).text
    assert (f'<q class="qk-quote quote-direct" title="direct quote: ダリオ・アモデイ">{QUOTE}'
            '<span class="qk-quote-by">ダリオ・アモデイ</span></q>') in page


@pytest.mark.asyncio(loop_scope="module")
async def test_the_certainty_column_is_used_when_present(ds_future, future_db):
    claim_id = future_db[1]
    # derived from the cue flags this claim is mixed (思う and 間違いなく); the column says certain
    page = (await ds_future.client.get(f"/quotekb/claims/{claim_id}")).text
    assert '<span class="qk-chip cert-chip cert-certain">certain</span>' in page
    reader = (await ds_future.client.get(f"/quotekb/documents/{SEED_ID}")).text
    assert f'cert-certain" href="/quotekb/claims/{claim_id}"' in reader
    assert 'cert-hedged" href=' not in reader  # every other claim is 'neutral' in the column
