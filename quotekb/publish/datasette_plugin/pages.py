"""Datasette hooks for the pages people read: reader view, claim card, speaker page,
charts, the landing page's questions, and links and labels in tables and queries.

Registered by the plugin package (__init__.py) as a plugin of its own, so these hooks
sit beside the search and SQL-function hooks without sharing their names.
"""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import quote

from datasette import hookimpl
from datasette.resources import DatabaseResource
from datasette.utils import tilde_encode, urlsafe_components
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from quotekb.publish.datasette_plugin import cards, charts, reader, search_hints
from quotekb.store.views import VIEWS

# row pages that get a page of their own: table -> (loader, template variable)
ROW_PAGES = {
    "documents": (lambda conn, pk, base: reader.load(conn, pk), "reader"),
    "claims": (lambda conn, pk, base: cards.claim_card(conn, pk, base), "card"),
    "speakers": (lambda conn, pk, base: cards.speaker_page(conn, pk), "speaker_page"),
}

# Columns whose values are ids of another table's rows: column -> table. Datasette links
# foreign keys of tables itself; views and stored queries get these links here.
ID_COLUMNS = {
    "claim_id": "claims", "sentence_id": "sentences", "document_id": "documents", "speaker_id": "speakers",
    "attributed_to": "speakers", "turn_id": "turns", "topic_id": "topics",
    "topic": "topics", "section_id": "sections", "entity_id": "entities",
}
# what the `id` column of these views and stored queries is an id of
VIEW_ID_TABLE = {"claims_view": "claims", "speaker_summary": "speakers"}

# Column order on table pages: what a reader reads first, then the rest, machine columns last.
FIRST_COLUMNS = ("text", "snippet", "speaker", "speaker_id", "attributed_to", "kind", "certainty", "hedged", "certain")
LAST_COLUMNS = ("cues", "matched", "spans", "document_id", "turn_id", "sentence_id", "position", "start", "end")

# The README tour's questions, asked on the home page (path, question).
QUESTIONS = [
    ("/quotekb/documents/{document}", "Read the article with every claim marked / 記事を読む"),
    ("/quotekb/claims_view?speaker_id=dario-amodei&topics__arraycontains=scaling-laws",
     "What did Amodei claim about scaling laws, and how sure was he?"),
    ("/quotekb/claims_by_topic?topic=scaling-laws", "Which claims are on a topic?"),
    ("/quotekb/analogy_overview", "Who raised each comparison, who answered, with which stance and why?"),
    ("/quotekb/-/charts", "Who talks about what, and how sure are they? (charts)"),
    ("/quotekb/speakers/dario-amodei", "What did one speaker say, topic by topic?"),
    ("/quotekb/speaker_summary", "Turns, claims, hedging and top topics per speaker"),
    ("/quotekb/search?q=電気", "Where is 電気 (electricity) mentioned? Full-text search"),
    ("/quotekb/search_all?q=google", "Where does google appear, headings and key points included?"),
    ("/quotekb/kwic?q=スケーリング則", "How is スケーリング則 used? Keyword in context"),
    ("/quotekb/analogy_candidates", "Which comparisons belong to no declared frame yet?"),
]


def _pk(request) -> str | None:
    pks = request.url_vars.get("pks") if request else None
    if not pks:
        return None
    values = urlsafe_components(pks)
    return values[0] if len(values) == 1 else None


def row_url(database: str, table: str, value) -> str:
    return f"/{quote(database)}/{tilde_encode(table)}/{tilde_encode(str(value))}"


def column_order(names: list[str]) -> list[int]:
    """Indexes of display columns in reading order; the row link column stays first."""
    first = [0] if names else []
    rest = list(range(1, len(names)))
    front = [i for c in FIRST_COLUMNS for i in rest if names[i] == c]
    back = [i for c in LAST_COLUMNS for i in rest if names[i] == c]
    middle = [i for i in rest if i not in front and i not in back]
    return first + front + middle + back


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    async def inner():
        extra = {"qk_column_order": column_order}
        if view_name == "table" and request is not None:
            # Datasette 1.0a41 does not pass the search term to the template: keep it in the box
            extra["search"] = request.args.get("_search", "")
        if view_name == "row" and table in ROW_PAGES and database:
            pk = _pk(request)
            loader, name = ROW_PAGES[table]
            if pk is not None:
                base = f"{request.scheme}://{request.host}" if request else ""
                extra["qk_" + name] = await datasette.get_database(database).execute_fn(
                    lambda conn: loader(conn, pk, base))
        return extra

    return inner


@hookimpl
def register_routes(datasette):
    return [(r"^/(?P<database>[^/]+)/-/charts$", charts_page)]


async def charts_page(datasette, request):
    database = request.url_vars["database"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        return Response.html("Database not found", status=404)
    if not await datasette.allowed(action="view-database", resource=DatabaseResource(database=database),
                                   actor=request.actor):
        return Response.html("Forbidden", status=403)
    document_id = request.args.get("document") or None
    data = await db.execute_fn(lambda conn: charts.load(conn, database, document_id))
    if document_id and not data["documents"]:
        return Response.html("Document not found", status=404)
    return Response.html(await datasette.render_template(
        "quotekb_charts.html",
        {"database": database, "charts": data, "charts_json": Markup(json.dumps(data, ensure_ascii=False)
                                                                     .replace("</", "<\\/"))},
        request=request,
    ))


def _cues_cell(value: str) -> Markup | None:
    """Cue JSON as one short line per category; the JSON itself stays on hover and in exports."""
    try:
        cues = json.loads(value)
    except ValueError:
        return None
    lines = [f"<b>{escape(k)}</b> {escape(', '.join(map(str, v)))}" for k, v in sorted(cues.items()) if v]
    return Markup(f'<span title="{escape(value)}">{"<br>".join(lines) or "–"}</span>')


def _id_list_cell(database: str, column: str, value: str, row) -> Markup | None:
    try:
        ids = json.loads(value)
    except ValueError:
        return None
    links = []
    for item in ids:
        if column == "topics":
            href = row_url(database, "topics", item)
        elif "document_id" in row.keys():
            href = f"/{quote(database)}/analogies/{tilde_encode(str(row['document_id']))},{tilde_encode(str(item))}"
        else:
            href = f"/{quote(database)}/analogies?id={quote(str(item))}"
        links.append(f'<a class="qk-chip" href="{href}">{escape(item)}</a>')
    return Markup(" ".join(links) or "–")


def _short(text: str, width: int = 14) -> str:
    return text if len(text) <= width else text[:width] + "…"


@hookimpl
def render_cell(row, value, column, table, database, datasette, request):
    if database is None:
        return None
    label = None
    if isinstance(value, dict):  # a foreign key Datasette expanded to its label
        value, label = value.get("value"), value.get("label")
    if value in (None, ""):
        return None
    if column == "cues" and isinstance(value, str) and value.startswith("{"):
        return _cues_cell(value)
    if column in ("topics", "analogies") and table in VIEWS and isinstance(value, str) and value.startswith("["):
        return _id_list_cell(database, column, value, row)
    if column == "document_id":
        # the title repeated on every row is a wall: show a short label, the title on hover
        title = label or ""
        shown = _short(title) if title and title != value else str(value)
        return Markup(f'<a href="{row_url(database, "documents", value)}" title="{escape(title)}">{escape(shown)}</a>')
    is_query_or_view = table is None or table in VIEWS
    if not is_query_or_view:
        return None
    if column == "sentence_id" and "document_id" in row.keys() and row["document_id"]:
        # a sentence is best read where it stands: its anchor in the reader view
        href = f"{row_url(database, 'documents', row['document_id'])}#s-{escape(value)}"
        return Markup(f'<a href="{href}" title="in the reader view">{escape(value)}</a>')
    if column in ("analogy", "analogy_id") and "document_id" in row.keys() and row["document_id"]:
        # analogies are keyed by (document_id, id)
        pk = f"{tilde_encode(str(row['document_id']))},{tilde_encode(str(value))}"
        return Markup(f'<a href="/{quote(database)}/analogies/{pk}">{escape(value)}</a>')
    # a stored query's name is in the path where a table's would be
    source = table or (request.url_vars.get("table") if request is not None else None)
    target = ID_COLUMNS.get(column) or (VIEW_ID_TABLE.get(source) if column == "id" else None)
    if target is None:
        return None
    return Markup(f'<a href="{row_url(database, target, value)}">{escape(value)}</a>')


@hookimpl
def top_homepage(datasette, request):
    names = [name for name in datasette.databases if not name.startswith("_")]
    return _questions(datasette, names[0]) if names else None


@hookimpl
def top_database(datasette, request, database):
    return _questions(datasette, database)


def _questions(datasette, database: str):
    async def inner():
        try:
            first = await datasette.get_database(database).execute(
                "SELECT id FROM documents ORDER BY published_on, id LIMIT 1")
        except sqlite3.Error:  # not a quotekb database: no questions to ask of it
            return ""
        document = first.rows[0][0] if first.rows else ""
        items = "".join(
            f'<li><a href="{escape(path.format(document=document).replace("/quotekb/", f"/{database}/", 1))}">'
            f"{escape(question)}</a></li>"
            for path, question in QUESTIONS
        )
        heading = "<h2>Questions to ask / 問いから始める</h2>"
        return Markup(f'<section class="qk-questions">{heading}<ul>{items}</ul></section>')

    return inner


# stored queries whose q is a search, and tables whose _search box is
SEARCH_QUERIES = {"search", "search_all", "kwic", "substring"}
SEARCH_TABLES = {"sentences", "claims", "claims_view"}


async def _offer_topics(datasette, database: str, query: str) -> str:
    offers = await datasette.get_database(database).execute_fn(lambda conn: search_hints.topic_offers(conn, query))
    items = []
    for t in offers:
        href = f"/{quote(database)}/claims_by_topic?topic={quote(t['id'])}"
        variants = f" and its variants ({escape(', '.join(t['variants']))})" if t["variants"] else ""
        items.append(f'<li><a href="{href}"><b>{t["claims"]} claims</b> on {escape(t["label_ja"])}</a>'
                     f' <span class="qk-muted">{escape(t["label_en"])}</span>{variants}</li>')
    if not items:
        return ""
    return Markup(f'<aside class="qk-offer"><p>Your search names a topic / 話題:</p><ul>{"".join(items)}</ul></aside>')


@hookimpl
def top_stored_query(datasette, request, database, query_name):
    async def inner():
        query = request.args.get("q", "") if request is not None else ""
        if query_name not in SEARCH_QUERIES or not query.strip():
            return ""
        return await _offer_topics(datasette, database, query)

    return inner


@hookimpl
def top_table(datasette, request, database, table):
    async def inner():
        query = request.args.get("_search", "") if request is not None else ""
        if table not in SEARCH_TABLES or not query.strip():
            return ""
        return await _offer_topics(datasette, database, query)

    return inner
