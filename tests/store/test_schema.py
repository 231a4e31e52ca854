"""db/schema.sql is generated from the models and must not be stale."""

from __future__ import annotations

from conftest import REPO
from quotekb.store.schema import schema_sql


def test_schema_sql_is_current():
    committed = (REPO / "db" / "schema.sql").read_text(encoding="utf-8")
    assert committed == schema_sql(), "db/schema.sql is stale: run `make schema`"


def test_schema_enforces_constraints(db):
    fks = db.execute("PRAGMA foreign_key_list(sentences)").fetchall()
    assert {r["table"] for r in fks} == {"documents", "turns", "sections", "speakers"}
    indexes = {r["name"] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    for column in ("turn_id", "section_id", "speaker_id", "document_id"):
        assert f"ix_sentences_{column}" in indexes
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name='sentences'").fetchone()[0]
    assert "CHECK (kind IN ('statement', 'question', 'rhetorical', 'discourse', 'fragment', 'heading', 'quotation'))" in sql
    assert 'start <= "end"' in sql
