"""Datasette plugin: Japanese search for stored queries and table pages.

SQL functions (every connection, bounded input): see functions.py.
Table search: tables listed under plugins.quotekb.search in datasette.yaml get the
normal search box, run through sudachi_query against their FTS table, so facets and
filters combine with it.
"""

from __future__ import annotations

import html

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.plugins import pm
from markupsafe import Markup

from quotekb import nlp
from quotekb.publish.datasette_plugin import functions, pages

# the page hooks are a plugin of their own (pages.py), so hook names need not be unique here
if not pm.is_registered(pages):
    pm.register(pages, name="quotekb.pages")


@hookimpl
def prepare_connection(conn) -> None:
    functions.prepare(conn)


def _search_config(datasette, database: str) -> dict[str, dict]:
    # a database-level block wins; plugin_config() does not fall back to the top level
    config = datasette.plugin_config("quotekb", database=database) or datasette.plugin_config("quotekb") or {}
    return config.get("search", {})


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    # trylast: Datasette's own search filter runs first and would otherwise hide the box
    target = _search_config(datasette, database).get(table)
    if not target:
        return None
    q = request.args.get("_search", "").strip()
    extra = {"supports_search": True, "search": q}
    if not q:
        return FilterArguments([], extra_context=extra)
    fts, pk = target["fts_table"], target.get("fts_pk", "id")
    return FilterArguments(
        [f"[{pk}] IN (SELECT rowid FROM [{fts}] WHERE [{fts}] MATCH sudachi_query(:quotekb_search))"],
        {"quotekb_search": q},
        [f"search matches {q!r} (Sudachi-normalized)"],
        extra_context=extra,
    )


@hookimpl
def render_cell(value, column):
    # Highlight markers (⟦…⟧ from quotekb_mark or sudachi_highlight) become <mark>
    # on HTML pages only; JSON and CSV keep the markers.
    if not isinstance(value, str) or nlp.HIGHLIGHT[0] not in value:
        return None
    escaped = html.escape(value)
    return Markup(escaped.replace(nlp.HIGHLIGHT[0], "<mark>").replace(nlp.HIGHLIGHT[1], "</mark>"))
