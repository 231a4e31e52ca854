"""What a knowledge layer is: a function of a document's context that returns rows
per table, declaring the tables it reads and the tables it writes (in the spirit of
GiNZA's `@Language.factory(requires=..., assigns=...)`).

The layers run in the order of knowledge/pipeline.py's LAYERS; `check_order` proves,
when that module is imported, that each one reads only tables the structure step or an
earlier layer wrote, and the runner refuses rows for a table a layer did not declare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from quotekb.ingest.corpus import Article
from quotekb.knowledge.rules import SentenceView

# what the structure step (store/rows.py) gives every document before any layer runs
STRUCTURE_TABLES = frozenset({
    "documents", "speaker_labels", "segments", "sections", "turns", "sentences", "key_points",
    "morphemes", "sentences_fts",
})


@dataclass
class DocumentContext:
    """One document as the layers see it. `rows` holds every table written so far;
    `knowledge` is the build-wide Extractor (rules, compiled indexes, curated data);
    `found` carries values between layers that are not rows (e.g. analogy markers)."""

    article: Article
    rows: dict[str, list]
    views: dict[int, SentenceView]
    turns: dict[int, dict]
    knowledge: object
    found: dict[str, object] = field(default_factory=dict)

    @property
    def document_id(self) -> str:
        return self.article.id


@dataclass(frozen=True)
class Layer:
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    run: Callable[[DocumentContext], dict[str, list[dict]]]


def layer(name: str, reads: tuple[str, ...], writes: tuple[str, ...]):
    """Declare a function as a knowledge layer."""
    def wrap(function: Callable[[DocumentContext], dict[str, list[dict]]]) -> Layer:
        return Layer(name, tuple(reads), tuple(writes), function)
    return wrap


def check_order(layers: list[Layer]) -> None:
    available = set(STRUCTURE_TABLES)
    names = set()
    for item in layers:
        if item.name in names:
            raise ValueError(f"knowledge layer {item.name!r} is listed twice")
        names.add(item.name)
        missing = [table for table in item.reads if table not in available]
        if missing:
            raise ValueError(f"knowledge layer {item.name!r} reads {', '.join(missing)}, "
                             "which no earlier layer writes: move it after the layer that does")
        available.update(item.writes)


def run_layers(layers: list[Layer], context: DocumentContext, assign_ids: Callable[[str, list[dict]], None]) -> None:
    """Run every layer in order, storing what it returns into context.rows."""
    for item in layers:
        produced = item.run(context)
        undeclared = sorted(set(produced) - set(item.writes))
        if undeclared:
            raise RuntimeError(f"knowledge layer {item.name!r} returned rows for {', '.join(undeclared)}, "
                               "which it does not declare in writes=")
        for table in item.writes:  # declared order: ids are taken table by table
            if table in produced:
                assign_ids(table, produced[table])
                context.rows[table] = produced[table]
