"""`quotekb export quotes`: every quote as JSON against the committed schema, a NULL
speaker exported as null, sorted and byte-identical across runs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from corpus_factory import make_corpus
from quotekb.cli import cli
from quotekb.store.build import build

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "quotekb" / "publish" / "quotes.schema.json").read_text(encoding="utf-8"))
SPEAKERS = {"speakers": [{"id": "yamada", "name": "山田太郎", "role": "other", "aliases": ["山田社長"]}]}
TEXT = "山田社長は「来月までに報告したい」と釈明した。関係者は「知らない」と話した。\n"


@pytest.fixture(scope="module")
def news_db(tmp_path_factory) -> Path:
    root = make_corpus(tmp_path_factory.mktemp("news") / "corpus", TEXT, speakers=SPEAKERS)
    (root / "articles" / "a1.yaml").write_text(yaml.safe_dump({"form": "news"}), encoding="utf-8")
    db = root.parent / "quotekb.db"
    build(root, db)
    return db


def export(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["export", "quotes", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_exported_quote_validates_and_null_speakers_stay_null(news_db):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    items = json.loads(export(news_db))
    for item in items:
        validator.validate(item)
    assert [(q["text"], q["speaker"] and q["speaker"]["id"], q["cue"]) for q in items] == [
        ("来月までに報告したい", "yamada", "と釈明した"), ("知らない", None, "と話した")]
    first = items[0]
    assert first["quote"]["exact"] == "「来月までに報告したい」"
    assert TEXT[first["span"]["start"]:first["span"]["end"]] == first["text"]
    assert first["evidence"] == {"exact": "山田社長", "span": {"start": 0, "end": 4}}


def test_export_is_deterministic_and_filters(news_db):
    assert export(news_db) == export(news_db)
    lines = export(news_db, "--format", "jsonl", "--speaker", "yamada").splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["来月までに報告したい"]
    assert json.loads(export(news_db, "--kind", "indirect")) == []


def test_claims_export_of_a_news_article_with_an_unnamed_writer(news_db):
    schema = json.loads((REPO / "quotekb" / "publish" / "claims.schema.json").read_text(encoding="utf-8"))
    result = CliRunner().invoke(cli, ["export", "claims", "--db", str(news_db)])
    assert result.exit_code == 0, result.output
    claims = json.loads(result.output)
    for claim in claims:
        jsonschema.validate(claim, schema)
    assert [(c["speaker"], c["attributed_to"] and c["attributed_to"]["id"]) for c in claims] == [
        (None, "yamada"), (None, None)]


def test_schema_command_prints_either_schema():
    quotes = CliRunner().invoke(cli, ["export", "schema", "quotes"])
    assert quotes.exit_code == 0 and json.loads(quotes.output)["title"] == "quotekb quote"
    claims = CliRunner().invoke(cli, ["export", "schema"])
    assert json.loads(claims.output)["title"] == "quotekb claim"


def test_unknown_speaker_filter_is_one_line(news_db):
    result = CliRunner().invoke(cli, ["export", "quotes", "--db", str(news_db), "--speaker", "nobody"])
    assert result.exit_code == 2
    assert "unknown --speaker 'nobody'" in result.output
