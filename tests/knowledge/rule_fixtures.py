"""What the rule-class tests share: the rows of a hand-written interview as the
knowledge layers leave them, lookups into them, and the hand gold beside the
program's labels (aligned as scripts/evaluate.py aligns them)."""

from __future__ import annotations

import sys
from pathlib import Path

from quotekb.ingest.corpus import load_corpus
from quotekb.ingest.knowledge import load_knowledge
from quotekb.knowledge.pipeline import Extractor
from quotekb.parse.document import parse_article
from quotekb.store.rows import IdAllocator, document_rows

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def extracted_rows(root: Path) -> dict:
    """Rows of the first (only) article of the corpus at root, every layer run."""
    corpus = load_corpus(root)
    extractor = Extractor(load_knowledge(root, corpus.speakers), corpus.speakers)
    extractor.precheck(corpus.articles)
    ids = IdAllocator()
    article = corpus.articles[0]
    rows, views = document_rows(parse_article(article, corpus.speakers), ids)
    extractor.run(article, rows, views, ids.assign)
    return rows


def sentence(rows: dict, text: str) -> dict:
    found = [s for s in rows["sentences"] if s["text"] == text]
    assert len(found) == 1, text
    return found[0]


def claim(rows: dict, text: str) -> dict | None:
    sid = sentence(rows, text)["id"]
    return next((c for c in rows["claims"] if c["sentence_id"] == sid), None)


def gold_units() -> dict[str, tuple[dict, dict]]:
    """{text: (gold labels, program labels)} over every gold file."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        import evaluate
    finally:
        sys.path.remove(str(SCRIPTS))
    return {u.gold["text"]: (u.gold, u.program) for a in evaluate.load_articles() for u in a.units}
