"""Rows of one document: structure and tokens, with integer ids local to the shard.

Ids start at 1 within each shard (a chunk of consecutive articles, workers.py); the
build shifts them onto the database's when it merges the shards, in corpus order
(writer.merge_shard), so chunks can be processed in parallel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import Integer

from quotekb import nlp
from quotekb.knowledge.rules import SentenceView
from quotekb.parse.document import ParsedDocument
from quotekb.store.models import Base


def _integer_id_tables() -> frozenset[str]:
    found = set()
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].name == "id" and isinstance(pk[0].type, Integer):
            found.add(table.name)
    return frozenset(found)


INTEGER_ID_TABLES = _integer_id_tables()


class IdAllocator:
    """Sequential integer ids per table; `counts` says how many each table used."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def take(self, table: str, n: int) -> int:
        first = self.counts[table] + 1
        self.counts[table] += n
        return first

    def assign(self, table: str, rows: list[dict]) -> None:
        """Number the rows of a table with an integer id, unless they carry one."""
        if table in INTEGER_ID_TABLES and rows and "id" not in rows[0]:
            first = self.take(table, len(rows))
            for i, row in enumerate(rows):
                row["id"] = first + i


class Lexicon:
    """Lexemes numbered in order of first use. A shard's lexicon starts empty (ids from
    1, which the merge maps onto the database's lexemes table). A serial build's numbers
    new lexemes after the database's largest id (`last_id`; after a rebuild that dropped
    lexemes, more than their number) and asks `lookup` for the id of a lexeme the
    database may have, so its ids are the database's and its rows go straight in
    (writer.write_chunk) without reading the whole lexemes table first."""

    def __init__(self, lookup: Callable[[tuple[str, ...]], int | None] | None = None, last_id: int = 0) -> None:
        self.ids: dict[tuple[str, ...], int] = {}
        self.lookup, self.last_id = lookup, last_id
        self.added: list[list] = []

    def id_of(self, fields: tuple[str, ...]) -> int:
        """The id of a lexeme not in `ids` yet (token_rows looks there first)."""
        lexeme_id = self.lookup(fields) if self.lookup is not None else None
        if lexeme_id is None:
            self.last_id = lexeme_id = self.last_id + 1
            self.added.append([lexeme_id, *fields])
        self.ids[fields] = lexeme_id
        return lexeme_id

    def rows(self) -> list[list[str]]:
        """Value lists in LEXEME_COLUMNS order, the row for id n at index n - 1 (a
        shard's lexicon, where every lexeme is new)."""
        return [list(fields) for fields in self.ids]

    def new_rows(self) -> list[list]:
        """[id, *fields] of the lexemes added since the last call, in order of id."""
        added, self.added = self.added, []
        return added


# the value orders of lexeme and morpheme rows; tests/test_nlp.py checks them
# against the models
LEXEME_COLUMNS = ("surface", "dictionary_form", "normalized_form", "reading", "pos", "pos_detail")
MORPHEME_COLUMNS = ("sentence_id", "position", "search_position", "lexeme_id", "start", "end")


Analysed = list[list[tuple[nlp.Lexeme, int, int]]]


def analyse(docs: list[ParsedDocument]) -> list[Analysed]:
    """The morphemes of every sentence of these documents (per document, per sentence).

    Done for a whole chunk in one pass, before any row is made: Sudachi reads its
    dictionary from all over memory, and any work between two sentences pushes it out
    of the CPU caches. Tokenizing a sentence in the middle of a build took about 1.7x
    as long as in a run of sentences; this pass saved about 1 s of CPU in a build of
    1,000 synthetic articles.
    """
    return [[nlp.morphemes(doc.article.text[s.start : s.end]) for s in doc.sentences] for doc in docs]


def token_rows(
    sentences: list[dict], lexicon: Lexicon, analysed: Analysed | None = None
) -> tuple[list[tuple], list[list], dict[int, SentenceView]]:
    """Morphemes of every sentence as value tuples (lexeme ids from `lexicon`), the
    rows of the full-text index, and what the rules look at per sentence.
    `analysed` holds the sentences' morphemes when they were found beforehand (analyse).

    Tuples, not dicts: about 2,000 morphemes per article make this the build's
    hottest loop.
    """
    morphemes, fts, views = [], [], {}
    lexeme_ids = lexicon.ids
    if analysed is None:
        analysed = [nlp.morphemes(sentence["text"]) for sentence in sentences]
    for sentence, found in zip(sentences, analysed, strict=True):
        sentence_id, base, text = sentence["id"], sentence["start"], sentence["text"]
        forms, spans, pos, form_pos = [], [], [], []
        for position, (lexeme, start, end) in enumerate(found):
            fields = lexeme.fields
            lexeme_id = lexeme_ids.get(fields)
            if lexeme_id is None:
                lexeme_id = lexicon.id_of(fields)
            pos.append(fields[5])
            if lexeme.searchable:
                search_position = len(forms)
                forms.append(fields[2])
                spans.append((start, end))
                form_pos.append(fields[5])
            else:
                search_position = None
            morphemes.append((sentence_id, position, search_position, lexeme_id, base + start, base + end))
        # the index stores exactly what nlp.terms() would give, without tokenizing twice
        fts.append([sentence_id, nlp.join_terms(forms), " ".join([f"{s}-{e}" for s, e in spans])])
        views[sentence_id] = SentenceView(
            id=sentence_id, text=text, forms=forms, spans=spans, pos=pos, form_pos=form_pos,
            first_in_turn=sentence["position_in_turn"] == 0,
        )
    return morphemes, fts, views


def document_rows(
    doc: ParsedDocument, ids: IdAllocator, lexicon: Lexicon | None = None, with_tokens: bool = True,
    analysed: Analysed | None = None,
) -> tuple[dict[str, list], dict[int, SentenceView]]:
    """All rows of one parsed article, keyed by table name, ids assigned, and the
    sentence views the knowledge layer reads (empty without the token layer).
    Morphemes refer to lexemes by their id in `lexicon` (a new one when None);
    `analysed` is the article's entry of analyse() when it was run for a chunk."""
    article, text = doc.article, doc.article.text
    meta = article.meta
    rows: dict[str, list[dict]] = {}
    rows["documents"] = [{
        "id": article.id,
        "title": meta.get("title"),  # a news excerpt may have no headline or date
        "published_on": meta.get("published_on"),
        "language": meta.get("language") or "ja",  # the schema default
        "author": meta.get("author"),
        "editor": meta.get("editor"),
        "publisher": meta.get("publisher"),
        "description": meta.get("description"),
        "url": meta.get("url"),
        "source_file": f"articles/{article.text_path.name}",
        "encoding": article.encoding,
        "sha256": article.sha256,
        "yaml_sha256": article.yaml_sha256,
        "char_count": len(text),
        "text": text,
    }]
    labels = article.labels or doc.discovered_labels  # as declared, else as discovered
    first = ids.take("speaker_labels", len(labels))
    rows["speaker_labels"] = [
        {"id": first + i, "document_id": article.id, "label": label, "speaker_id": speaker}
        for i, (label, speaker) in enumerate(sorted(labels.items()))
    ]
    first = ids.take("segments", len(doc.segments))
    rows["segments"] = [
        {"id": first + i, "document_id": article.id, "position": i, "kind": s.kind,
         "line": s.line, "start": s.start, "end": s.end, "text": text[s.start : s.end]}
        for i, s in enumerate(doc.segments)
    ]
    first = ids.take("sections", len(doc.sections))
    section_ids = [first + i for i in range(len(doc.sections))]
    rows["sections"] = []
    for sid, s in zip(section_ids, doc.sections, strict=True):
        lines = [text[ln.start : ln.end] for ln in s.heading_lines]
        head_start, head_end = s.heading_lines[0].start, s.heading_lines[-1].end
        rows["sections"].append({
            "id": sid, "document_id": article.id, "number": s.number, "title": lines[0],
            "subtitle": " / ".join(lines[1:]) or None, "heading_start": head_start,
            "heading_end": head_end, "heading": text[head_start:head_end],
            "start": s.start, "end": s.end,
        })
    first = ids.take("turns", len(doc.turns))
    turn_ids = [first + i for i in range(len(doc.turns))]
    rows["turns"] = [
        {"id": tid, "document_id": article.id,
         "section_id": section_ids[t.section] if t.section is not None else None,
         "speaker_id": t.speaker_id, "position": i, "kind": t.kind, "label": t.label,
         "start": t.start, "end": t.end, "text": text[t.start : t.end]}
        for i, (tid, t) in enumerate(zip(turn_ids, doc.turns, strict=True))
    ]
    first = ids.take("sentences", len(doc.sentences))
    rows["sentences"] = [
        {"id": first + i, "document_id": article.id, "turn_id": turn_ids[s.turn],
         "section_id": rows["turns"][s.turn]["section_id"],
         "speaker_id": doc.turns[s.turn].speaker_id, "position": i,
         "position_in_turn": s.position_in_turn, "kind": s.kind,
         "start": s.start, "end": s.end, "text": text[s.start : s.end]}
        for i, s in enumerate(doc.sentences)
    ]
    views: dict[int, SentenceView] = {}
    if with_tokens:
        rows["morphemes"], rows["sentences_fts"], views = token_rows(
            rows["sentences"], lexicon or Lexicon(), analysed)
    first = ids.take("key_points", len(doc.key_points))
    rows["key_points"] = [
        {"id": first + i, "document_id": article.id, "number": k.number,
         "start": k.start, "end": k.end, "text": text[k.start : k.end],
         # filled by the knowledge layer when a transcript sentence matches
         "sentence_id": None, "end_sentence_id": None, "sentence_count": None, "speaker_id": None,
         "similarity": None}
        for i, k in enumerate(doc.key_points)
    ]
    return rows, views


