"""Each closed set of values has one source (quotekb/vocabulary.py): the CHECK
constraints, the CLI's choices, the corpus YAML schema and the exported JSON Schema
must all say the same."""

from __future__ import annotations

import json
import re

from quotekb import vocabulary
from quotekb.cli import cli
from quotekb.ingest.corpus import _schemas
from quotekb.publish.export import schema_text
from quotekb.publish.quotes_export import schema_text as quotes_schema_text
from quotekb.store.models import Base


def _check_values(table: str, column: str) -> tuple[str, ...]:
    """The values a CHECK of `column = 'a' OR column = 'b' ...` (optionally after
    `column IS NULL OR`) allows."""
    for constraint in Base.metadata.tables[table].constraints:
        text = str(getattr(constraint, "sqltext", ""))
        terms = text.removeprefix(f"{column} IS NULL OR ").split(" OR ")
        matches = [re.fullmatch(rf"{column} = '([^']*)'", term) for term in terms]
        if all(matches):
            return tuple(m.group(1) for m in matches)
    raise AssertionError(f"no CHECK on {table}.{column}")


def test_check_constraints_use_the_vocabulary():
    assert _check_values("speakers", "role") == vocabulary.SPEAKER_ROLES
    assert _check_values("segments", "kind") == vocabulary.SEGMENT_KINDS
    assert _check_values("turns", "kind") == vocabulary.TURN_KINDS
    assert _check_values("sentences", "kind") == vocabulary.SENTENCE_KINDS
    assert _check_values("claims", "kind") == vocabulary.CLAIM_KINDS
    assert _check_values("claims", "certainty") == vocabulary.CERTAINTIES
    assert _check_values("analogy_mentions", "role") == vocabulary.MENTION_ROLES
    assert _check_values("analogy_mentions", "stance") == vocabulary.STANCES
    assert _check_values("analogy_mentions", "stance_source") == vocabulary.STANCE_SOURCES
    assert _check_values("quotes", "kind") == vocabulary.QUOTE_KINDS
    assert _check_values("quotes", "attribution") == vocabulary.QUOTE_ATTRIBUTIONS
    assert _check_values("entities", "kind") == vocabulary.ENTITY_KINDS


def test_the_cli_offers_the_claim_kinds():
    export_claims = cli.commands["export"].commands["claims"]
    kind = next(p for p in export_claims.params if p.name == "kind")
    assert tuple(kind.type.choices) == vocabulary.CLAIM_KINDS


def test_the_cli_offers_the_quote_kinds():
    export_quotes = cli.commands["export"].commands["quotes"]
    kind = next(p for p in export_quotes.params if p.name == "kind")
    assert tuple(kind.type.choices) == vocabulary.QUOTE_KINDS


def test_the_exported_quote_schema_uses_the_vocabulary():
    props = json.loads(quotes_schema_text())["properties"]
    assert tuple(props["kind"]["enum"]) == vocabulary.QUOTE_KINDS
    assert tuple(props["attribution"]["enum"]) == vocabulary.QUOTE_ATTRIBUTIONS
    person = json.loads(quotes_schema_text())["$defs"]["person"]["properties"]
    assert tuple(person["role"]["enum"]) == vocabulary.SPEAKER_ROLES


def test_the_exported_json_schema_uses_the_vocabulary():
    schema = json.loads(schema_text())
    props = schema["properties"]
    assert tuple(props["kind"]["enum"]) == vocabulary.CLAIM_KINDS
    assert tuple(props["certainty"]["enum"]) == vocabulary.CERTAINTIES
    mention = props["analogies"]["items"]["properties"]
    assert tuple(mention["role"]["enum"]) == vocabulary.MENTION_ROLES
    assert tuple(mention["stance"]["enum"]) == (*vocabulary.STANCES, None)
    assert tuple(mention["stance_source"]["enum"]) == (*vocabulary.STANCE_SOURCES, None)
    assert tuple(schema["$defs"]["person"]["properties"]["role"]["enum"]) == vocabulary.SPEAKER_ROLES


def test_the_corpus_yaml_schema_uses_the_vocabulary():
    schemas = _schemas()
    speaker = schemas["speakers"]["properties"]["speakers"]["items"]["properties"]
    assert tuple(speaker["role"]["enum"]) == vocabulary.SPEAKER_ROLES
    transcript = schemas["article"]["properties"]["transcript"]["properties"]
    # one convention, or a list of them
    assert tuple(schemas["$defs"]["convention"]["enum"]) == vocabulary.CONVENTIONS
    assert transcript["convention"]["items"] == transcript["convention"]["then"] == {"$ref": "#/$defs/convention"}
    article = schemas["article"]["properties"]
    assert tuple(article["form"]["enum"]) == vocabulary.ARTICLE_FORMS
    text = json.dumps(schemas)
    assert "$vocabulary" not in text  # every marker was resolved
