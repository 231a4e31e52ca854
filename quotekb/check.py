"""`quotekb check`: run everything a build runs except writing, and report what was found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from quotekb.errors import InputError
from quotekb.ingest.corpus import load_corpus
from quotekb.ingest.knowledge import load_knowledge
from quotekb.knowledge.pipeline import Extractor
from quotekb.knowledge.unregistered import unregistered_speakers
from quotekb.parse.document import ParsedDocument
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
    warned = 0
    for article in corpus.articles:
        done = process_document(article, corpus.speakers, extractor, ids)
        doc, rows = done.doc, done.rows
        per_speaker = Counter(t.speaker_id for t in doc.turns if t.kind == "interview")
        turns = ", ".join(f"{sid} {n}" for sid, n in sorted(per_speaker.items()))
        linked = sum(1 for k in rows["key_points"] if k.get("sentence_id"))
        status = f"{len(doc.warnings)} warning(s)" if doc.warnings else "ok"  # never "ok" when something looks wrong
        warned += len(doc.warnings)
        yield (
            f"{article.id}: {status}: {len(doc.sections)} sections, {sum(per_speaker.values())} "
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
        yield from report_lines(doc)
    extractor.finish()
    yield f"corpus has {warned} warning(s); quotekb check --strict refuses them" if warned else "corpus ok"


WARNING = ": warning: "
PREVIEW = 16  # characters of each turn shown


def report_lines(doc: ParsedDocument) -> Iterator[str]:
    """What the parser decided for one article: the turn sequence (speaker and first
    characters of each), the lines given to no turn, the rules' decisions, and
    warnings for what looks wrong (refused by --strict)."""
    text, aid = doc.article.text, doc.article.id
    interview = [t for t in doc.turns if t.kind == "interview"]
    for n, turn in enumerate(interview, start=1):
        words = " ".join(text[turn.start : turn.end].split())
        label = f" [{turn.label}]" if turn.label else " [unlabeled]"
        yield f"{aid}:   turn {n} line {turn.line}: {turn.speaker_id}{label} {words[:PREVIEW]}"
    spans = sorted((t.start, t.end) for t in interview)
    for seg in doc.segments:
        if seg.kind in ("blank", "speaker_label", "turn"):
            continue
        if any(a <= seg.start < b for a, b in spans):
            continue
        yield f"{aid}:   no turn, line {seg.line} ({seg.kind}): {' '.join(text[seg.start : seg.end].split())[:30]}"
    for decision in doc.decisions:
        yield f"{aid}:   decided: {decision}"
    for warning in doc.warnings:
        yield f"{aid}{WARNING}{warning}"


def refuse_warnings(lines: list[str], corpus_dir: Path) -> None:
    """--strict: any warning is an error (CI and the build of the shipped corpus)."""
    warnings = [line for line in lines if WARNING in line]
    if warnings:
        raise InputError(corpus_dir, f"{len(warnings)} warning(s) under --strict, the first: {warnings[0]}",
                         "fix what the warning names (usually the article YAML or corpus/speakers.yaml), "
                         "or check without --strict")
