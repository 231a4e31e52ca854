"""`quotekb export`: claims as JSON/JSONL against the committed schema, and the data package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import REPO, SEED_ID
from quotekb.cli import cli

SCHEMA_PATH = REPO / "quotekb" / "publish" / "claims.schema.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def export(seed_db, *args) -> str:
    result = CliRunner().invoke(cli, ["export", "claims", "--db", str(seed_db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_schema_command_prints_the_committed_schema():
    result = CliRunner().invoke(cli, ["export", "schema"])
    assert result.exit_code == 0
    assert result.output == SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(result.output)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_json_export_validates_and_counts_every_claim(seed_db, db, validator, seed_text):
    items = json.loads(export(seed_db))
    assert len(items) == db.execute("SELECT count(*) FROM claims").fetchone()[0]
    # the seed's quotes against the seed file itself, any other article's against its stored text
    texts = dict(db.execute("SELECT id, text FROM documents").fetchall())
    texts[SEED_ID] = seed_text
    seed_items = [item for item in items if item["document"]["id"] == SEED_ID]
    assert len(seed_items) == db.execute("SELECT count(*) FROM claims WHERE document_id = ?", (SEED_ID,)).fetchone()[0]
    for item in items:
        validator.validate(item)
        text = texts[item["document"]["id"]]
        start, end = item["span"]["start"], item["span"]["end"]
        assert text[start:end] == item["quote"]["exact"] == item["text"]
        assert text[:start].endswith(item["quote"]["prefix"])
        assert text[end:].startswith(item["quote"]["suffix"])
    assert [i["id"] for i in items] == [r[0] for r in db.execute("SELECT id FROM claims ORDER BY document_id, position")]


def test_jsonl_export_validates_line_by_line(seed_db, validator):
    lines = export(seed_db, "--format", "jsonl").splitlines()
    assert len(lines) > 100
    for line in lines:
        validator.validate(json.loads(line))


def test_export_is_byte_identical_across_runs(seed_db, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    export(seed_db, "-o", str(first))
    export(seed_db, "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().decode("utf-8") == export(seed_db)


@pytest.mark.parametrize("option, value, sql", [
    ("--speaker", "noah-smith", "SELECT id FROM claims WHERE speaker_id = ?"),
    ("--kind", "conditional", "SELECT id FROM claims WHERE kind = ?"),
    ("--document", "000_4ec62380fbf01393", "SELECT id FROM claims WHERE document_id = ?"),
    ("--topic", "scaling-laws", "SELECT claim_id FROM claim_topics WHERE topic_id = ?"),
])
def test_filters_return_exactly_what_sql_returns(seed_db, db, option, value, sql):
    exported = {item["id"] for item in json.loads(export(seed_db, option, value))}
    expected = {r[0] for r in db.execute(sql, (value,))}
    assert expected and exported == expected


def test_filters_combine(seed_db, db):
    exported = {i["id"] for i in json.loads(export(seed_db, "--speaker", "dario-amodei", "--topic", "scaling-laws"))}
    expected = {r[0] for r in db.execute(
        "SELECT c.id FROM claims c JOIN claim_topics t ON t.claim_id = c.id "
        "WHERE c.speaker_id = 'dario-amodei' AND t.topic_id = 'scaling-laws'")}
    assert expected and exported == expected


def test_export_carries_analogies_and_key_points(seed_db):
    items = {i["text"]: i for i in json.loads(export(seed_db))}
    steel = items["はい、少しです。"]
    assert steel["analogies"] == [
        {"id": "steel", "role": "response", "stance": "partial", "stance_cue": "はい、少し", "stance_source": "rule"}]
    assert items["スケーリングの法則が永遠に続くとは誰も信じるべきではありません。"]["key_point"] == 7


def test_unknown_filter_value_is_one_line_exit_2(seed_db):
    result = CliRunner().invoke(cli, ["export", "claims", "--db", str(seed_db), "--speaker", "nobody"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "unknown --speaker 'nobody'" in result.output


def test_data_package_validates_with_frictionless(seed_db, tmp_path, db):
    out = tmp_path / "package"
    result = CliRunner().invoke(cli, ["export", "package", "--db", str(seed_db),
                                      "--metadata", str(REPO / "metadata.yaml"), str(out)])
    assert result.exit_code == 0, result.output
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    names = {r["name"] for r in package["resources"]}
    assert {"claims", "sentences", "analogy_mentions", "morphemes", "lexemes"} <= names
    claims = next(r for r in package["resources"] if r["name"] == "claims")
    assert claims["schema"]["primaryKey"] == ["id"]
    assert {"fields": ["sentence_id"], "reference": {"resource": "sentences", "fields": ["id"]}} in claims["schema"]["foreignKeys"]
    assert all(f.get("description") for f in claims["schema"]["fields"])
    lines = (out / "claims.csv").read_text(encoding="utf-8").count("\n")
    assert lines >= db.execute("SELECT count(*) FROM claims").fetchone()[0] + 1
    frictionless = Path(sys.executable).parent / "frictionless"
    check = subprocess.run([str(frictionless), "validate", str(out / "datapackage.json")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    again = CliRunner().invoke(cli, ["export", "package", "--db", str(seed_db), str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
