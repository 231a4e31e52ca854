"""One article through every stage, the same for `quotekb check`, the serial build
and each worker of a parallel build:

    article (ingest) -> parse_article (parse) -> document_rows: structure and tokens
    (store/rows.py) -> Extractor.run: the knowledge LAYERS (knowledge/pipeline.py)
"""

from __future__ import annotations

from dataclasses import dataclass

from quotekb.ingest.corpus import Article
from quotekb.knowledge.pipeline import Extractor
from quotekb.knowledge.rules import SentenceView
from quotekb.parse.document import ParsedDocument, parse_article
from quotekb.store.rows import Analysed, IdAllocator, Lexicon, document_rows


@dataclass
class ProcessedDocument:
    doc: ParsedDocument
    rows: dict[str, list]
    views: dict[int, SentenceView]


def process_document(article: Article, speakers: dict, extractor: Extractor, ids: IdAllocator,
                     lexicon: Lexicon | None = None, with_tokens: bool = True,
                     analysed: Analysed | None = None, doc: ParsedDocument | None = None) -> ProcessedDocument:
    """Every row of one article, ids from `ids`. `doc` when it was parsed already;
    `analysed` when its sentences were tokenized beforehand (store/rows.analyse).
    Without tokens there are no knowledge layers (they read the tokens)."""
    if doc is None:
        doc = parse_article(article, speakers)
    rows, views = document_rows(doc, ids, lexicon, with_tokens, analysed)
    if with_tokens:
        extractor.run(article, rows, views, ids.assign)
    return ProcessedDocument(doc, rows, views)
