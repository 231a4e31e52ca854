"""Quotes on real news: each excerpt of tests/fixtures/real/news built alone, with only
its minimal article YAML (form: news) and the speakers of its expected file, into a
real SQLite file; the quotes are compared with the expected ones, written by reading
(the scorer is scripts/evaluate_quotes.py, the one `make eval` reports).

Where this program and the annotator disagree after a look, the adjudication is in
tests/fixtures/real/news/README.md and listed here; the expected values are not edited.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("evaluate_quotes", REPO / "scripts" / "evaluate_quotes.py")
evaluate_quotes = importlib.util.module_from_spec(_spec)
sys.modules["evaluate_quotes"] = evaluate_quotes  # dataclasses look their module up
_spec.loader.exec_module(evaluate_quotes)

EXCERPTS = evaluate_quotes.excerpts()
# gold quotes this program does not give, with the README's adjudication
ADJUDICATED_MISSES = {
    # headline fragment with no named speaker: the rule (a headline fragment is a
    # quote only when a speaker is named) against the guideline that records it with NULL
    "mainichi-kobelco": {"不正なぜ"},
}


@pytest.fixture(scope="module")
def results() -> dict[str, tuple]:
    out = {}
    for slug, text_path, expected in EXCERPTS:
        with tempfile.TemporaryDirectory() as tmp:
            found = evaluate_quotes.build_quotes(slug, text_path, expected, Path(tmp))
        out[slug] = (evaluate_quotes.score(slug, found, expected["quotes"]), found, expected)
    return out


def test_there_is_real_gold():
    outlets = {e["outlet"] for _slug, _path, e in EXCERPTS}
    assert len(EXCERPTS) >= 6 and len(outlets) >= 6


@pytest.mark.parametrize("slug", [slug for slug, _path, _e in EXCERPTS])
def test_excerpt_quotes_match_the_expected_ones(results, slug):
    result, found, expected = results[slug]
    report = "\n".join([
        f"{slug}: {result.matched}/{result.gold} expected quotes found, {len(result.extras)} extra",
        *(f"  found: {q['text'][:30]!r} speaker={q['speaker_id']} cue={q['cue']} ({q['attribution']})"
          for q in found),
        *(f"  expected: {q['text'][:30]!r} speaker={q['speaker']} cue={q['cue']}" for q in expected["quotes"]),
    ])
    assert result.speaker_wrong == 0, report  # never the wrong speaker
    assert set(result.misses) == ADJUDICATED_MISSES.get(slug, set()), report
    assert result.extras == [], report
    assert result.speaker_missed == 0, report


@pytest.mark.parametrize("slug", [slug for slug, _path, _e in EXCERPTS])
def test_quote_offsets_point_into_the_stored_text(results, slug):
    for q in results[slug][1]:
        text = q["document_text"]
        assert text[q["start"]:q["end"]] == q["text"]
        assert text[q["span_start"]:q["span_end"]] == q["span_text"]
        if q["evidence"] is not None:
            assert text[q["evidence_start"]:q["evidence_end"]] == q["evidence"]


def test_speakers_the_text_does_not_name_stay_null(results):
    nulls = [(slug, q["text"]) for slug, (_r, _f, e) in results.items() for q in e["quotes"] if q["speaker"] is None]
    assert len(nulls) >= 5
    for slug, words in nulls:
        if words in ADJUDICATED_MISSES.get(slug, set()):
            continue
        found = [q for q in results[slug][1] if evaluate_quotes._words(q["text"]) == evaluate_quotes._words(words)]
        assert found and all(q["speaker_id"] is None for q in found), (slug, words)


def test_targets_on_the_news_gold(results):
    total = evaluate_quotes.Score("all")
    for result, _found, _expected in results.values():
        total.add(result)
    assert total.precision >= 0.9 and total.recall >= 0.9, (total.precision, total.recall)
    assert total.speaker_accuracy >= 0.95, total.speaker_accuracy
    assert total.speaker_wrong == 0
