"""Corpus -> one transaction into a temporary SQLite file -> atomic rename over the DB.

The corpus is read and parsed completely before any file is opened for writing, so bad
input never touches the database; the temporary file lives beside the target so the
final os.replace is atomic, and it is fsynced first so a crash cannot leave a torn file.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, insert

from . import models as m
from . import nlp
from .corpus import Corpus, load_corpus
from .db import apply_extras, create_schema, make_engine
from .extract import Extractor
from .knowledge_files import load_knowledge
from .parse import ParsedDocument, parse_article


@dataclass
class BuildStats:
    counts: Counter = field(default_factory=Counter)
    articles: int = 0
    chars: int = 0
    seconds: float = 0.0


class IdAllocator:
    """Sequential integer ids per table, in build order, so two builds agree."""

    def __init__(self) -> None:
        self._next: Counter = Counter()

    def take(self, table: str, n: int) -> int:
        first = self._next[table] + 1
        self._next[table] += n
        return first


def token_rows(sentences: list[dict]) -> tuple[list[dict], list[dict]]:
    """Sudachi tokens of every sentence, and the terms the full-text index stores."""
    tokens, fts = [], []
    for sentence in sentences:
        terms = []
        for token in nlp.tokenize(sentence["text"], offset=sentence["start"]):
            row = {"sentence_id": sentence["id"], "search_position": None, **token.__dict__}
            if token.searchable:
                row["search_position"] = len(terms)
                terms.append(token.normalized_form)
            tokens.append(row)
        # the index stores exactly what nlp.terms() would give, without tokenizing twice
        fts.append({"rowid": sentence["id"], "terms": nlp.join_terms(terms)})
    return tokens, fts


def document_rows(doc: ParsedDocument, ids: IdAllocator, with_tokens: bool = True) -> dict[str, list[dict]]:
    """All rows of one parsed article, keyed by table name, ids assigned."""
    article, text = doc.article, doc.article.text
    meta = article.meta
    rows: dict[str, list[dict]] = {}
    rows["documents"] = [{
        "id": article.id,
        "title": meta["title"],
        "published_on": meta["published_on"],
        "language": meta["language"],
        "author": meta.get("author"),
        "editor": meta.get("editor"),
        "publisher": meta.get("publisher"),
        "description": meta.get("description"),
        "url": meta.get("url"),
        "source_file": f"articles/{article.text_path.name}",
        "encoding": article.encoding,
        "sha256": article.sha256,
        "char_count": len(text),
        "text": text,
    }]
    first = ids.take("speaker_labels", len(article.labels))
    rows["speaker_labels"] = [
        {"id": first + i, "document_id": article.id, "label": label, "speaker_id": speaker}
        for i, (label, speaker) in enumerate(sorted(article.labels.items()))
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
    if with_tokens:
        rows["tokens"], rows["sentences_fts"] = token_rows(rows["sentences"])
    first = ids.take("key_points", len(doc.key_points))
    rows["key_points"] = [
        {"id": first + i, "document_id": article.id, "number": k.number,
         "start": k.start, "end": k.end, "text": text[k.start : k.end]}
        for i, k in enumerate(doc.key_points)
    ]
    return rows


# Insert order respects foreign keys.
TABLE_ORDER = [
    "documents", "speaker_labels", "segments", "sections", "turns", "sentences", "tokens",
    "sentences_fts", "key_points", "claims", "sentence_topics", "claim_topics", "analogies",
    "analogy_mentions", "analogy_markers", "mentions",
]


def write_rows(conn: Connection, rows: dict[str, list[dict]], stats: BuildStats) -> None:
    tables = m.Base.metadata.tables
    for name in TABLE_ORDER:
        batch = rows.get(name)
        if not batch:
            continue
        if name in tables:
            conn.execute(insert(tables[name]), batch)
        else:
            # virtual tables have no model: a plain executemany through the same connection
            columns = list(batch[0])
            placeholders = ", ".join(f":{c}" for c in columns)
            conn.exec_driver_sql(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({placeholders})", batch
            )
        stats.counts[name] += len(batch)


def speaker_rows(corpus: Corpus) -> list[dict]:
    return [
        {"id": s.id, "name": s.name, "name_en": s.name_en, "reading": s.reading,
         "role": s.role, "affiliation": s.affiliation}
        for s in sorted(corpus.speakers.values(), key=lambda s: s.id)
    ]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build(
    corpus_dir: Path,
    db_path: Path,
    echo: Callable[[str], None] = lambda _msg: None,
    with_tokens: bool = True,
) -> BuildStats:
    started = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    extractor = Extractor(load_knowledge(corpus_dir, corpus.speakers), corpus.speakers)
    extractor.precheck(corpus.articles)
    parsed = [parse_article(article, corpus.speakers) for article in corpus.articles]

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    stats = BuildStats()
    ids = IdAllocator()
    try:
        engine = make_engine(tmp)
        create_schema(engine)
        with engine.begin() as conn:
            speakers = speaker_rows(corpus)
            conn.execute(insert(m.Speaker.__table__), speakers)
            stats.counts["speakers"] = len(speakers)
            for name, batch in extractor.global_rows().items():
                conn.execute(insert(m.Base.metadata.tables[name]), batch)
                stats.counts[name] = len(batch)
            for n, doc in enumerate(parsed, start=1):
                rows = document_rows(doc, ids, with_tokens)
                if with_tokens:
                    extractor.document_rows(doc.article, rows, ids)
                write_rows(conn, rows, stats)
                stats.articles += 1
                stats.chars += len(doc.article.text)
                echo(
                    f"[{n}/{len(parsed)}] {doc.article.id}: {len(doc.article.text):,} chars, "
                    f"{len(doc.sections)} sections, {len(doc.turns)} turns, {len(doc.sentences)} sentences"
                )
            if with_tokens:
                extractor.finish()
            apply_extras(conn)
        engine.dispose()
        _fsync(tmp)
        os.replace(tmp, db_path)
        _fsync(db_path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stats.seconds = time.perf_counter() - started
    return stats
