"""Topics a search query names: "8 claims on スケーリング則 and its variants".

A topic is offered when every normalized form of one of its rule alternatives (topics.rules:
alternatives split by |, forms by spaces or +) is among the query's Sudachi terms, the same
normalization the index and sudachi_query() use.
"""

from __future__ import annotations

import sqlite3

from quotekb import nlp
from quotekb.publish.datasette_plugin.sql import rows

MAX_QUERY_CHARS = 200  # plugin code is not interrupted by sql_time_limit_ms: bound the input


def _alternatives(rules: str) -> list[tuple[str, set[str]]]:
    out = []
    for alternative in rules.split("|"):
        forms = {f for part in alternative.split("+") for f in part.split()}
        if forms:
            out.append((alternative.strip(), forms))
    return out


def topic_offers(conn: sqlite3.Connection, query: str | None) -> list[dict]:
    terms = set(nlp.terms((query or "")[:MAX_QUERY_CHARS]))
    if not terms:
        return []
    offers = []
    for topic in rows(conn, """SELECT t.id, t.label_ja, t.label_en, t.rules,
                                      (SELECT count(*) FROM claim_topics ct WHERE ct.topic_id = t.id) AS claims
                               FROM topics t ORDER BY t.id"""):
        alternatives = _alternatives(topic["rules"])
        matched = [text for text, forms in alternatives if forms <= terms]
        if matched:
            topic["matched"] = matched
            topic["variants"] = [text for text, _forms in alternatives if text not in matched]
            offers.append(topic)
    return sorted(offers, key=lambda t: (-t["claims"], t["id"]))
