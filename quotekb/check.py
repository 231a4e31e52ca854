"""`quotekb check`: run everything a build runs except writing, and report what was found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from quotekb.ingest.corpus import load_corpus
from quotekb.ingest.knowledge import load_knowledge
from quotekb.knowledge.pipeline import Extractor
from quotekb.knowledge.unregistered import unregistered_speakers
from quotekb.pipeline import process_document
from quotekb.store.rows import IdAllocator


def check_corpus(corpus_dir: Path) -> Iterator[str]:
    corpus = load_corpus(corpus_dir)
    knowledge = load_knowledge(corpus_dir, corpus.speakers)
    yield (
        f"{len(corpus.speakers)} speakers, {len(knowledge.topics)} topics, {len(knowledge.frames)} analogy "
        f"frames, {len(knowledge.entities)} entities, {len(knowledge.cues)} cue categories"
    )
    extractor = Extractor(knowledge, corpus.speakers)
    extractor.precheck(corpus.articles)
    ids = IdAllocator()
    for article in corpus.articles:
        done = process_document(article, corpus.speakers, extractor, ids)
        doc, rows = done.doc, done.rows
        per_speaker = Counter(t.speaker_id for t in doc.turns if t.kind == "interview")
        turns = ", ".join(f"{sid} {n}" for sid, n in sorted(per_speaker.items()))
        linked = sum(1 for k in rows["key_points"] if k.get("sentence_id"))
        yield (
            f"{article.id}: ok: {len(doc.sections)} sections, {sum(per_speaker.values())} "
            f"interview turns ({turns}), {len(doc.sentences)} sentences, {len(rows['claims'])} claims, "
            f"{len(rows['analogies'])} analogies, {linked}/{len(doc.key_points)} key points linked"
        )
        if rows.get("quotes"):
            named = sum(1 for q in rows["quotes"] if q["speaker_id"])
            yield f"{article.id}: {len(rows['quotes'])} quotes, {named} with a speaker"
        for person in unregistered_speakers(rows.get("quotes", [])):
            yield (f"{article.id}: {person.name} ({person.evidence}) speaks but is not in speakers.yaml, so the "
                   f"quote's speaker stays empty; to attribute it, add to corpus/speakers.yaml:\n{person.yaml_entry()}")
        if doc.discovered_labels:
            found = ", ".join(f"{label} -> {sid}" for label, sid in doc.discovered_labels.items())
            yield f"{article.id}: no labels in the YAML; discovered: {found}"
    extractor.finish()
    yield "corpus ok"
