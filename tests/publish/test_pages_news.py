"""Every page of a news article answers: the real news excerpts have sentences and
claims with no speaker (narration, a quote nobody is named for), which the pages must
show as nobody's instead of failing (a NULL attributed_to once made the reader view 500)."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys

import pytest
from datasette.app import Datasette

from conftest import REPO

_spec = importlib.util.spec_from_file_location("evaluate_quotes", REPO / "scripts" / "evaluate_quotes.py")
evaluate_quotes = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("evaluate_quotes", evaluate_quotes)
_spec.loader.exec_module(evaluate_quotes)

# excerpts with a quote whose speaker the text does not give (speaker null in the gold)
WITH_NOBODY = [(slug, path, exp) for slug, path, exp in evaluate_quotes.excerpts()
               if any(q.get("speaker") is None for q in exp["quotes"])]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("slug, text_path, expected", WITH_NOBODY[:4], ids=[s for s, _p, _e in WITH_NOBODY[:4]])
async def test_reader_claim_and_speaker_pages_of_a_news_article(tmp_path, slug, text_path, expected,
                                                                datasette_config, datasette_metadata):
    from quotekb.store.build import build

    corpus = evaluate_quotes.write_corpus(tmp_path / "corpus", slug, text_path, expected)
    db = tmp_path / "quotekb.db"
    build(corpus, db)
    with sqlite3.connect(db) as conn:
        claims = [r[0] for r in conn.execute("SELECT id FROM claims")]
        nobody = conn.execute("SELECT count(*) FROM claims WHERE attributed_to IS NULL").fetchone()[0]
        speakers = [r[0] for r in conn.execute("SELECT DISTINCT speaker_id FROM quotes WHERE speaker_id IS NOT NULL")]
    assert claims
    ds = Datasette(immutables=[str(db)], config=datasette_config, metadata=datasette_metadata)
    await ds.invoke_startup()
    paths = [f"/quotekb/documents/{slug}", *(f"/quotekb/claims/{c}" for c in claims),
             *(f"/quotekb/speakers/{s}" for s in speakers), "/quotekb/-/charts"]
    statuses = {path: (await ds.client.get(path)).status_code for path in paths}
    assert set(statuses.values()) == {200}, {p: s for p, s in statuses.items() if s != 200}
    assert nobody >= 0  # reported for the record: how many claims report nobody's view
