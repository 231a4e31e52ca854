"""The site's own pages through Datasette's test client, with the repo's datasette.yaml
and metadata.yaml: reader view, claim card, speaker page, charts, tables and home page.

Expected values are read from the seed text (tests/conftest.py builds it) or counted
with plain SQL on the built database, never taken from the pages' own code.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from conftest import SEED_ID
from quotekb.publish.datasette_plugin import cards

pytestmark = pytest.mark.asyncio(loop_scope="session")


def claim_links(page: str) -> set[str]:
    return set(re.findall(r'href="/quotekb/claims/(clm-[0-9a-f]+)"', page))


async def test_reader_view_is_the_article_with_every_claim_linked(ds, db):
    response = await ds.client.get(f"/quotekb/documents/{SEED_ID}")
    assert response.status_code == 200
    page = response.text
    # the headline, the date, the byline and the first sentence of the summary, as written
    assert "「aiユニコーン」ceo:aiの未来は太陽光発電産業と同様になる" in page
    assert '<time datetime="2024-08-31">' in page
    assert "黄文文" in page and "ハードai" in page
    assert "太陽光発電産業を例に挙げると、たとえ技術が非常に重要になり" in page
    # the five numbered sections with their headings, in order
    numbers = re.findall(r'<span class="qk-secno">(\d+)</span>', page)
    assert numbers == ["01", "02", "03", "04", "05"]
    assert "googleは人工知能時代のベル研究所になれなかった" in page
    # turns carry the speaker's name and role
    assert re.search(r'<h3 class="qk-speaker qk-block" data-speaker="dario-amodei"><a [^>]*>ダリオ・アモデイ</a>', page)
    assert "guest, Anthropic (CEO, co-founder)" in page
    expected = {row[0] for row in db.execute("SELECT id FROM claims WHERE document_id = ?", (SEED_ID,))}
    assert claim_links(page) >= expected and len(expected) > 100  # the count itself: tests/knowledge
    # key point 1 links to the sentence it summarizes
    sentence = db.execute("SELECT sentence_id FROM key_points WHERE document_id = ? AND number = 1",
                          (SEED_ID,)).fetchone()[0]
    assert f'href="#s-{sentence}"' in page and f'id="s-{sentence}"' in page
    # Noah's Bell Labs question is the proposal of the frame; Amodei answers with "はい" (agree)
    assert 'data-frame="bell-labs"' in page and "Bell Labs · response · <b>agree</b>" in page
    # the filters exist but stay hidden until the script shows them: the text reads without JS
    assert '<form class="qk-filters" hidden' in page


async def test_reader_marks_claims_by_kind_and_certainty(ds, db):
    page = (await ds.client.get(f"/quotekb/documents/{SEED_ID}")).text
    # 「…大きいかもしれませんが…」 in the summary is hedged (かもしれ)
    claim = db.execute("SELECT id FROM claims WHERE document_id = ? AND text LIKE '太陽光発電産業と同様に、ai テクノロジーの市場規模は非常に大きいかもしれませんが、そこから利益を上げる%'",
                       (SEED_ID,)).fetchone()[0]
    assert re.search(rf'class="qk-s qk-claim kind-assertion cert-hedged" href="/quotekb/claims/{claim}"', page)


async def test_claim_card_carries_date_title_speaker_context_and_citation(ds, db):
    # Amodei's answer to the Bell Labs question: 「完璧な例えはありませんが、…間違いなく思います。」
    claim_id, sentence_id = db.execute(
        "SELECT id, sentence_id FROM claims WHERE document_id = ? AND text = '完璧な例えはありませんが、これにはある程度の真実があると私は間違いなく思います。'",
        (SEED_ID,)).fetchone()
    response = await ds.client.get(f"/quotekb/claims/{claim_id}")
    assert response.status_code == 200
    page = response.text
    assert "2024-08-31" in page
    assert "「aiユニコーン」ceo:aiの未来は太陽光発電産業と同様になる" in page
    assert "ダリオ・アモデイ" in page and "Anthropic (CEO, co-founder)" in page
    assert "section 1 「googleは人工知能時代のベル研究所になれなかった」" in page
    # the sentence before is Noah's question, the one after Amodei's next sentence
    assert "これは適切な比喩だと思いますか?" in page
    assert "多くの人は、google が目標を達成するためにより多くのリソースを持っていたことを除けば" in page
    # both a hedge (思います, lemma 思う) and a certainty word (間違いなく): mixed, cue words marked in the quote
    assert "cert-mixed" in page
    assert '<mark class="cue-certain" title="certainty cue">間違いなく</mark>' in page
    assert '<mark class="cue-hedge" title="hedged cue">思い</mark>' in page
    # the Bell Labs frame with Amodei's partial stance
    assert "Bell Labs · response · <b>partial</b>" in page
    # a ready citation, a BibTeX-like entry and the W3C selector with the exact offsets
    text = html.unescape(page)
    assert f"@misc{{{claim_id}," in text
    assert "author = {Dario Amodei}" in text
    selector = json.loads(re.search(r'<pre class="qk-selector">(.*?)</pre>', text, re.S).group(1))
    start, end = db.execute("SELECT start, \"end\" FROM sentences WHERE id = ?", (sentence_id,)).fetchone()
    assert selector["selector"][0] == {"type": "TextPositionSelector", "start": start, "end": end}
    assert selector["selector"][1]["exact"] == "完璧な例えはありませんが、これにはある程度の真実があると私は間違いなく思います。"
    # links to JSON and to the claim in the reader view
    assert f'href="/quotekb/claims/{claim_id}.json"' in page
    assert f'href="/quotekb/documents/{SEED_ID}#s-{sentence_id}"' in page


async def test_claim_card_names_whose_view_a_reported_claim_states(ds, db):
    # the lead: 「…aiはおそらく非常に強力になり…だろうと考えている。」 written by the author about Amodei
    claim_id = db.execute("SELECT id FROM claims WHERE document_id = ? AND text LIKE 'アモデイ氏は、この法則が今後も維持されれば%'",
                          (SEED_ID,)).fetchone()[0]
    page = (await ds.client.get(f"/quotekb/claims/{claim_id}")).text
    assert "黄文文" in page
    assert re.search(r'reports the view of 帰属 <a href="/quotekb/speakers/dario-amodei">ダリオ・アモデイ</a>', page)
    assert "前文" in page  # before the interview sections


async def test_speaker_page_links_all_of_the_speakers_claims(ds, db):
    response = await ds.client.get("/quotekb/speakers/dario-amodei")
    assert response.status_code == 200
    page = response.text
    assert "ダリオ・アモデイ" in page and "Dario Amodei" in page and "Anthropic (CEO, co-founder)" in page
    linked = claim_links(page)
    # every claim is linked, except in a group longer than the page lists, which links to the rest
    by_topic = {}
    for claim_id, topic in db.execute(
            "SELECT c.id, ct.topic_id FROM claims c LEFT JOIN claim_topics ct ON ct.claim_id = c.id "
            "WHERE c.speaker_id = 'dario-amodei'"):
        by_topic.setdefault(topic, set()).add(claim_id)
    for topic, ids in by_topic.items():
        if len(ids) <= cards.GROUP_LIMIT:
            assert linked >= ids, topic
        else:
            assert f"all {len(ids)} claims" in page, topic
            assert len(linked & ids) >= cards.GROUP_LIMIT
        if topic:
            label = db.execute("SELECT label_ja FROM topics WHERE id = ?", (topic,)).fetchone()[0]
            assert f'<a href="#topic-{topic}">{label} <b>{len(ids)}</b></a>' in page
    # and what the author wrote as his view (…とアモデイ氏は考えている in the seed's lead)
    reported = {row[0] for row in db.execute(
        "SELECT id FROM claims WHERE attributed_to = 'dario-amodei' AND speaker_id != 'dario-amodei' "
        "AND document_id = ?", (SEED_ID,))}
    assert reported and 'reported by others as ダリオ・アモデイ' in page
    # the analogies he answered, with their stances (read from the text: はい / はい、少し)
    assert "Bell Labs" in page and "agree «はい»" in page and "partial «はい、少し»" in page
    # his most frequent content word, counted here over his tokens
    top = db.execute("SELECT normalized_form FROM content_tokens WHERE speaker_id = 'dario-amodei' "
                     "GROUP BY normalized_form, pos ORDER BY count(*) DESC, normalized_form LIMIT 1").fetchone()[0]
    assert f'<td class="qk-word">{top}</td>' in page


async def test_speaker_page_of_someone_who_only_asks(ds):
    page = (await ds.client.get("/quotekb/speakers/erik-torenberg")).text
    assert "エリック・トーレンバーグ" in page and "0 claims" in page


async def test_unknown_rows_fall_back_to_datasette(ds):
    assert (await ds.client.get("/quotekb/claims/clm-0000000000000000")).status_code == 404
    assert (await ds.client.get("/quotekb/documents/nope")).status_code == 404


async def test_charts_page_carries_the_counts_and_the_script(ds, db):
    response = await ds.client.get("/quotekb/-/charts")
    assert response.status_code == 200
    page = response.text
    assert "/-/static-plugins/quotekb/quotekb.js" in page and "cdn" not in page.lower()
    data = json.loads(re.search(r'<script type="application/json" id="qk-chart-data">(.*?)</script>', page, re.S)
                      .group(1))
    pairs = db.execute("SELECT count(*) FROM (SELECT DISTINCT ct.topic_id, c.speaker_id FROM claim_topics ct "
                       "JOIN claims c ON c.id = ct.claim_id)").fetchone()[0]
    assert len(data["heatmap"]["cells"]) == pairs
    mentions = db.execute("SELECT count(*) FROM analogy_mentions").fetchone()[0]
    assert sum(len(d["timeline"]["marks"]) for d in data["documents"]) == mentions
    # every mark links to rows; the claims_view link of a heatmap cell returns exactly its count
    cell = max(data["heatmap"]["cells"], key=lambda c: c["n"])
    rows = (await ds.client.get(cell["url"].replace("/quotekb/claims_view?", "/quotekb/claims_view.json?")
                                + "&_shape=array")).json()
    assert len(rows) == cell["n"]
    bar = data["certainty"]["bars"][0]["segments"][0]
    rows = (await ds.client.get(bar["url"].replace("/quotekb/claims_view?", "/quotekb/claims_view.json?")
                                + "&_shape=array&_size=max")).json()
    assert len(rows) == bar["n"]
    assert (await ds.client.get("/nope/-/charts")).status_code == 404


async def test_table_pages_fold_the_help_and_put_the_text_first(ds, datasette_metadata):
    page = (await ds.client.get("/quotekb/claims")).text
    described = len(datasette_metadata["databases"]["quotekb"]["tables"]["claims"]["columns"])
    assert '<details class="qk-about">' in page and f"{described} column descriptions" in page
    headers = re.findall(r'<th [^>]*data-column="([^"]+)"', page)
    assert headers[:2] == ["id", "text"] and headers[-1] != "text"
    # the long document title is not repeated as the cell text of every row
    cells = re.findall(r'<td class="col-document_id[^"]*">(.*?)</td>', page, re.S)
    assert cells and all("太陽光発電産業と同様になる</a>" not in c for c in cells)


async def test_search_box_keeps_the_query(ds):
    page = (await ds.client.get("/quotekb/claims", params={"_search": "電気"})).text
    assert '<input id="_search" type="search" name="_search" value="電気">' in page


async def test_ids_in_views_and_stored_queries_are_links(ds, db):
    page = (await ds.client.get("/quotekb/claims_view")).text
    first = db.execute("SELECT id FROM claims ORDER BY sentence_id LIMIT 1").fetchone()[0]
    assert f'<a href="/quotekb/claims/{first}">{first}</a>' in page
    page = (await ds.client.get("/quotekb/claims_by_topic", params={"topic": "scaling-laws"})).text
    assert re.search(r'<a href="/quotekb/claims/clm-[0-9a-f]+">clm-', page)
    assert '<a href="/quotekb/topics/scaling-laws">scaling-laws</a>' in page
    page = (await ds.client.get("/quotekb/speaker_summary")).text
    assert '<a href="/quotekb/speakers/dario-amodei">dario-amodei</a>' in page


async def test_claims_view_facets_by_certainty(ds, db):
    data = (await ds.client.get("/quotekb/claims_view.json?_facet=certainty")).json()
    counts = {r["value"]: r["count"] for r in data["facet_results"]["results"]["certainty"]["results"]}
    hedged_only = db.execute("SELECT count(*) FROM claims WHERE hedged AND NOT certain").fetchone()[0]
    total = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert counts["hedged"] == hedged_only and sum(counts.values()) == total


async def test_home_page_asks_the_tour_questions_and_hides_technical_tables(ds, db):
    page = (await ds.client.get("/")).text
    assert "Questions to ask" in page
    first = db.execute("SELECT id FROM documents ORDER BY published_on, id LIMIT 1").fetchone()[0]
    assert f'href="/quotekb/documents/{first}"' in page and 'href="/quotekb/-/charts"' in page
    database = (await ds.client.get("/quotekb.json")).json()
    hidden = {t["name"] for t in database["tables"] if t["hidden"]}
    assert {"lexemes", "morphemes", "segments", "sentences_fts"} <= hidden
    # hidden, yet reachable
    assert (await ds.client.get("/quotekb/segments")).status_code == 200


async def test_charts_of_one_article_by_its_id(ds):
    response = await ds.client.get("/quotekb/-/charts", params={"document": SEED_ID})
    assert response.status_code == 200 and f'id="doc-{SEED_ID}"' in response.text
    assert (await ds.client.get("/quotekb/-/charts", params={"document": "nope"})).status_code == 404


async def test_database_page_asks_the_questions_too(ds):
    page = (await ds.client.get("/quotekb")).text
    assert "Questions to ask" in page and 'href="/quotekb/search_all?q=google"' in page


PAGES_WITH_LINKS = [
    "/quotekb/claims_view", "/quotekb/claims", "/quotekb/analogy_overview", "/quotekb/topic_by_speaker",
    "/quotekb/speaker_summary", "/quotekb/claims_by_topic?topic=scaling-laws", "/quotekb/search?q=電気",
    "/quotekb/search_all?q=google", "/quotekb/kwic?q=鉄鋼", "/quotekb/substring?q=太陽光",
    "/quotekb/analogy_candidates", "/quotekb/topic_speaker",
    f"/quotekb/documents/{SEED_ID}", "/quotekb/speakers/dario-amodei", "/quotekb/-/charts", "/",
]


@pytest.mark.parametrize("path", PAGES_WITH_LINKS)
async def test_every_link_to_a_row_or_page_opens(ds, path):
    page = (await ds.client.get(path)).text
    hrefs = {html.unescape(h).split("#")[0] for h in re.findall(r'href="(/[^"]*)"', page)}
    # rows, pages and filtered tables; sort links and static files are Datasette's own
    targets = sorted(h for h in hrefs if h and "/-/static" not in h and "_sort" not in h and ".json" not in h
                     and "?sql=" not in h)
    assert targets
    broken = []
    for href in targets[:80]:
        response = await ds.client.get(href)
        if response.status_code != 200:
            broken.append((href, response.status_code))
    assert broken == []
