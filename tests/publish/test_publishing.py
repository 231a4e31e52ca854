"""The Datasette site with the repo's config: descriptions, stored queries, read-only."""

from __future__ import annotations

import json

import pytest

from conftest import SEED_ID
from quotekb.publish.serve import datasette_command


@pytest.mark.asyncio(loop_scope="session")
async def test_every_table_and_column_has_a_description(ds):
    listing = (await ds.client.get("/quotekb.json")).json()
    names = [t["name"] for t in listing["tables"] if not t["hidden"]] + [v["name"] for v in listing["views"]]
    assert {"claims", "claims_view", "analogies", "tokens"} <= set(names)
    missing = []
    for name in names:
        table = (await ds.client.get(f"/quotekb/{name}.json?_extra=metadata&_extra=columns&_size=0")).json()
        if not table["metadata"].get("description"):
            missing.append(name)
        described = table["metadata"].get("columns", {})
        missing += [f"{name}.{c}" for c in table["columns"] if not described.get(c)]
    assert missing == []


def speaker_set(rows):
    return {r["speaker"] for r in rows}


def check_search(rows, seed_text, db):
    # read from the text: 電気 is said only by Noah Smith, in section 04, in two sentences
    assert speaker_set(rows) == {"ノア・スミス"} and {r["section"] for r in rows} == {4}
    assert len(rows) == 2


def check_kwic(rows, seed_text, db):
    assert [(r["match"], r["speaker"], r["section"]) for r in rows] == [("鉄鋼", "ノア・スミス", 3)]


def check_substring(rows, seed_text, db):
    # 太陽光 stands in the headline and lead (author), Noah's and Dario's turns
    assert speaker_set(rows) == {"黄文文", "ノア・スミス", "ダリオ・アモデイ"}


def check_claims_by_topic(rows, seed_text, db):
    assert {r["topic"] for r in rows} == {"scaling-laws"}
    assert "スケーリングの法則が永遠に続くとは誰も信じるべきではありません。" in [r["text"] for r in rows]


def check_topic_by_speaker(rows, seed_text, db):
    scaling = next(r for r in rows if r["topic"] == "scaling-laws")
    # corpus-wide counts: the seed's are what is left after the other articles' claims
    others = dict(db.execute(
        "SELECT sp.name, count(*) FROM claim_topics ct JOIN claims c ON c.id = ct.claim_id "
        "JOIN speakers sp ON sp.id = c.speaker_id WHERE ct.topic_id = 'scaling-laws' AND c.document_id != ? "
        "GROUP BY sp.id", (SEED_ID,)).fetchall())
    seed_counts = {name: n - others.get(name, 0) for name, n in json.loads(scaling["by_speaker"]).items()}
    # Noah never names the scaling law and Erik only asks about it: the author and Amodei claim it
    assert {name for name, n in seed_counts.items() if n > 0} == {"ダリオ・アモデイ", "黄文文"}


def not_in_seed(db, table: str, speaker: str, where: str = "") -> int:
    """A speaker's rows of `table` in the other articles, to take out of a corpus-wide count."""
    return db.execute(f"SELECT count(*) FROM {table} WHERE speaker_id = ? AND document_id != ? {where}",
                      (speaker, SEED_ID)).fetchone()[0]


def check_speaker_summary(rows, seed_text, db):
    # the query counts over every article and has no document parameter: each count
    # minus the other articles' rows is the seed's
    by_id = {r["id"]: dict(r) for r in rows}
    for speaker, row in by_id.items():
        row["turns"] -= not_in_seed(db, "turns", speaker)
        row["questions"] -= not_in_seed(db, "sentences", speaker, "AND kind = 'question'")
        row["claims"] -= not_in_seed(db, "claims", speaker)
        row["rhetorical"] -= not_in_seed(db, "sentences", speaker, "AND kind = 'rhetorical'")
    # read from the text: turns per speaker; every question Dario puts he answers himself
    # (tests/gold/seed.jsonl: 7 rhetorical, none asked), Noah answers one of his own
    assert (by_id["dario-amodei"]["turns"], by_id["noah-smith"]["turns"], by_id["erik-torenberg"]["turns"]) == (
        10, 8, 2)
    assert (by_id["dario-amodei"]["questions"], by_id["dario-amodei"]["rhetorical"]) == (0, 7)
    assert (by_id["noah-smith"]["questions"], by_id["noah-smith"]["rhetorical"]) == (8, 1)
    assert by_id["erik-torenberg"]["claims"] == 0  # Erik only asks


def check_analogy_overview(rows, seed_text, db):
    assert {r["analogy"] for r in rows} == {"bell-labs", "solar-power", "electricity", "steel"}


def check_claim_in_context(rows, seed_text, db):
    assert [r["is_claim"] for r in rows] == [0, 0, 1, 0, 0]


QUERIES = {
    # name: (params, check on the rows, with expectations read from the text)
    "search": ({"q": "電気"}, check_search),
    "kwic": ({"q": "鉄鋼"}, check_kwic),
    "substring": ({"q": "太陽光"}, check_substring),
    "claims_by_topic": ({"topic": "scaling-laws"}, check_claims_by_topic),
    "analogy_overview": ({}, check_analogy_overview),
    "topic_by_speaker": ({}, check_topic_by_speaker),
    "speaker_summary": ({}, check_speaker_summary),
    "claim_in_context": (None, check_claim_in_context),
}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_stored_query_returns_rows(ds, db, seed_text, name):
    params, check = QUERIES[name]
    if params is None:
        claim_id = db.execute(
            "SELECT id FROM claims WHERE text = 'はい、少しです。' AND document_id = ?", (SEED_ID,)).fetchone()[0]
        params = {"claim": claim_id}
    response = await ds.client.get(f"/quotekb/{name}.json", params={**params, "_shape": "array"})
    assert response.status_code == 200
    rows = response.json()
    assert rows
    if "document_id" in rows[0]:
        # no stored query takes a document: the expectations are the seed's rows of the output
        rows = [r for r in rows if r["document_id"] == SEED_ID]
        assert rows
    check(rows, seed_text, db)
    page = await ds.client.get(f"/quotekb/{name}", params=params)
    assert page.status_code == 200


@pytest.mark.asyncio(loop_scope="session")
async def test_stored_queries_have_titles_and_descriptions(ds):
    queries = (await ds.client.get("/quotekb/-/queries.json")).json()
    listed = queries["queries"] if isinstance(queries, dict) else queries
    by_name = {q["name"]: q for q in listed}
    assert set(QUERIES) <= set(by_name)
    for name in QUERIES:
        assert by_name[name]["title"] and by_name[name]["description"], name


@pytest.mark.asyncio(loop_scope="session")
async def test_analogy_overview_lists_the_four_frames(ds):
    rows = (await ds.client.get("/quotekb/analogy_overview.json?_shape=array")).json()
    rows = [r for r in rows if r["document_id"] == SEED_ID]  # the query lists every article's frames
    assert [r["analogy"] for r in rows] == ["bell-labs", "solar-power", "steel", "electricity"]
    assert {r["proposed_by"] for r in rows} == {"ノア・スミス"}
    steel = next(r for r in rows if r["analogy"] == "steel")
    assert steel["stances"] == "ダリオ・アモデイ: partial «はい、少し» (rule)"


@pytest.mark.asyncio(loop_scope="session")
async def test_claim_in_context_shows_two_sentences_each_side(ds, db):
    claim_id = db.execute(
        "SELECT id FROM claims WHERE text = 'はい、少しです。' AND document_id = ?", (SEED_ID,)).fetchone()[0]
    rows = (await ds.client.get("/quotekb/claim_in_context.json", params={"claim": claim_id, "_shape": "array"})).json()
    assert [r["offset"] for r in rows] == [-2, -1, 0, 1, 2]
    assert rows[1]["text"] == "これは実際、鉄鋼の製造方法などの重工業の経済学に似ています。"
    assert rows[2]["is_claim"] == 1


@pytest.mark.asyncio(loop_scope="session")
async def test_claims_view_array_facets(ds):
    data = (await ds.client.get(f"/quotekb/claims_view.json?document_id={SEED_ID}&_extra=facet_results&_size=0")).json()
    facets = data["facet_results"]["results"]
    # certainty (one facet) replaces the two 0/1 columns hedged and certain
    assert {"speaker", "kind", "certainty", "section", "topics", "analogies"} <= set(facets)
    assert facets["analogies"]["type"] == "array"
    analogies = {item["value"] for item in facets["analogies"]["results"]}
    assert analogies == {"bell-labs", "solar-power", "electricity", "steel"}
    filtered = (await ds.client.get(
        f"/quotekb/claims_view.json?analogies__arraycontains=steel&document_id={SEED_ID}&_shape=array")).json()
    # Noah Smith's proposal and Dario Amodei's answer, read from section 03
    assert [r["text"] for r in filtered] == ["これは実際、鉄鋼の製造方法などの重工業の経済学に似ています。", "はい、少しです。"]


@pytest.mark.asyncio(loop_scope="session")
async def test_arbitrary_read_only_sql_is_allowed(ds):
    response = await ds.client.get("/quotekb/-/query.json", params={"sql": "select count(*) as n from claims"})
    assert response.status_code == 200
    assert response.json()["rows"][0]["n"] > 100
    response = await ds.client.get("/quotekb/-/query.json", params={"sql": "delete from claims"})
    assert response.status_code in (400, 403)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("actor", [None, {"id": "root"}])
async def test_writes_are_refused(ds, actor):
    cookies = {"ds_actor": ds.client.actor_cookie(actor)} if actor else {}
    insert = await ds.client.post("/quotekb/claims/-/insert", json={"row": {"id": "x"}}, cookies=cookies)
    assert insert.status_code == 403
    write = await ds.client.post("/quotekb/-/execute-write", json={"sql": "delete from claims"}, cookies=cookies)
    assert write.status_code == 403
    count = await ds.client.get("/quotekb/-/query.json", params={"sql": "select count(*) as n from claims"})
    assert count.json()["rows"][0]["n"] > 100


def test_the_plain_datasette_baseline_is_immutable_with_both_files(tmp_path):
    # what scripts/loadtest.py compares `quotekb serve` with
    argv = datasette_command(tmp_path / "q.db", "127.0.0.1", 8001, tmp_path / "d.yaml", tmp_path / "m.yaml")
    options = argv[argv.index("serve") + 1 :]
    assert options[options.index("-i") + 1] == str(tmp_path / "q.db")
    assert options[options.index("-c") + 1].endswith("d.yaml") and options[options.index("-m") + 1].endswith("m.yaml")
