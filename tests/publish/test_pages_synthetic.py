"""The pages on articles unlike the seed: no sections, no key points, no analogies.

Small fixture corpora (tests/corpus_factory.py) built into tmp dirs, served through
Datasette's test client with the repo's configuration."""

from __future__ import annotations

import re
import sqlite3

import pytest
import pytest_asyncio
from datasette.app import Datasette

from corpus_factory import make_corpus
from quotekb.store.build import build

# a lead, then two turns without any numbered section, key point or analogy
ARTICLE = """見出しの一行

2025-01-02

著者 | 記者一郎

山田氏は市場が拡大すると考えている。

山田太郎:

市場はおそらく大きくなるでしょう。

佐藤花子:

いいえ、価格は必ず下がります。
"""


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory):
    root = make_corpus(tmp_path_factory.mktemp("plain") / "corpus", ARTICLE)
    db = root.parent / "quotekb.db"
    build(root, db)
    return db


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ds_plain(plain_db, datasette_config, datasette_metadata):
    datasette = Datasette(immutables=[str(plain_db)], config=datasette_config, metadata=datasette_metadata)
    await datasette.invoke_startup()
    return datasette


@pytest.mark.asyncio(loop_scope="module")
async def test_reader_view_of_an_article_without_sections(ds_plain, plain_db):
    conn = sqlite3.connect(plain_db)
    claims = {r[0] for r in conn.execute("SELECT id FROM claims WHERE document_id = 'a1'")}
    conn.close()
    page = (await ds_plain.client.get("/quotekb/documents/a1")).text
    assert "見出しの一行" in page and "山田太郎" in page and "佐藤花子" in page
    assert "qk-secno" not in page  # no numbered section to show
    assert set(re.findall(r'href="/quotekb/claims/(clm-[0-9a-f]+)"', page)) >= claims and claims


@pytest.mark.asyncio(loop_scope="module")
async def test_cards_speaker_pages_and_charts_without_analogies(ds_plain, plain_db):
    conn = sqlite3.connect(plain_db)
    claim = conn.execute("SELECT id FROM claims WHERE text = 'いいえ、価格は必ず下がります。'").fetchone()[0]
    conn.close()
    card = (await ds_plain.client.get(f"/quotekb/claims/{claim}")).text
    # 必ず is a certainty cue, marked in the quote; an interview turn outside any section is not the lead
    assert '<mark class="cue-certain" title="certainty cue">必ず</mark>' in card
    assert "section" not in re.search(r'<p class="qk-source">(.*?)</p>', card, re.S).group(1)
    assert "前文" not in card
    assert "佐藤花子" in card and "2025-01-02" in card
    speaker = await ds_plain.client.get("/quotekb/speakers/sato")
    assert speaker.status_code == 200 and claim in speaker.text
    charts = await ds_plain.client.get("/quotekb/-/charts")
    assert charts.status_code == 200 and 'id="doc-a1"' in charts.text
