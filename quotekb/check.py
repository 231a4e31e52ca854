"""`quotekb check`: parse every article as a build would and report what was found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .corpus import load_corpus
from .parse import parse_article


def check_corpus(corpus_dir: Path) -> Iterator[str]:
    corpus = load_corpus(corpus_dir)
    yield f"{len(corpus.speakers)} speakers in {corpus_dir}/speakers.yaml"
    for article in corpus.articles:
        doc = parse_article(article, corpus.speakers)
        per_speaker = Counter(t.speaker_id for t in doc.turns if t.kind == "interview")
        turns = ", ".join(f"{sid} {n}" for sid, n in sorted(per_speaker.items()))
        yield (
            f"{article.id}: ok: {len(doc.sections)} sections, {sum(per_speaker.values())} "
            f"interview turns ({turns}), {len(doc.sentences)} sentences, {len(doc.key_points)} key points"
        )
        if doc.discovered_labels:
            found = ", ".join(f"{label} ({n}x)" for label, n in doc.discovered_labels.items())
            yield f"{article.id}: labels found at line starts: {found}"
    yield "corpus ok"
