"""db/schema.sql is generated from the models and must not be stale."""

from __future__ import annotations

import re

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
    assert ("CHECK (kind = 'statement' OR kind = 'question' OR kind = 'rhetorical' OR kind = 'discourse' "
            "OR kind = 'fragment' OR kind = 'heading' OR kind = 'quotation')") in sql
    assert 'start <= "end"' in sql


def test_the_enum_checks_take_every_vocabulary_value_and_refuse_any_other():
    # the checks are comparisons joined by OR (models._one_of), evaluated here by
    # SQLite itself on each value, a near miss and NULL
    import sqlite3

    from quotekb.store.models import Base

    conn = sqlite3.connect(":memory:")
    checked = 0
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            name = str(getattr(constraint, "name", ""))
            if not (name.endswith("_enum") or name == "ck_stance_source"):
                continue  # not a closed set of values
            text = str(constraint.sqltext)
            column = text.split(" ", 1)[0]
            values = re.findall(r"= '([^']*)'", text)
            assert len(values) >= 2, text

            def passes(value, text=text, column=column):
                # a CHECK fails only when its expression is false (0), not NULL
                return conn.execute(f"SELECT ({text}) IS NOT 0 FROM (SELECT ? AS {column})", (value,)).fetchone()[0]

            assert all(passes(v) for v in values), text
            assert not passes(values[0] + "s") and not passes(values[0].upper()) and not passes(""), text
            # NULL passes every CHECK: the nullable ones say so, the others leave it to NOT NULL
            assert passes(None)
            assert ("IS NULL" in text) == table.columns[column].nullable, text
            checked += 1
    conn.close()
    assert checked >= 11
