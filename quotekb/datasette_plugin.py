"""Datasette plugin: the Japanese search functions, loaded through the package entry point."""

from __future__ import annotations

import json

from datasette import hookimpl

from . import nlp


def sudachi_query(text: str | None) -> str:
    return nlp.fts_query(text)


def sudachi_tokens(text: str | None) -> str:
    """JSON array of the normalized forms of text (what the index stores)."""
    return json.dumps(nlp.terms(text or ""), ensure_ascii=False)


@hookimpl
def prepare_connection(conn) -> None:
    conn.create_function("sudachi_query", 1, sudachi_query, deterministic=True)
    conn.create_function("sudachi_tokens", 1, sudachi_tokens, deterministic=True)
