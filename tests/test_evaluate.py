"""scripts/evaluate.py: the scorers on literal units, counted by hand, and the report."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.fixture(scope="module")
def ev():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import evaluate
    finally:
        sys.path.remove(str(SCRIPTS))
    return evaluate


def unit(ev, gold: dict, program: dict):
    base = {"speaker": "a", "is_question": False, "rhetorical": False, "is_claim": False, "kind": None,
            "hedged": False, "certainty": None, "attributed_to": None, "topics": [], "analogy": None,
            "role": None, "stance": None}
    return ev.Unit({**base, **gold}, {**ev.NOTHING, **program})


def test_claim_and_kind_figures_count_as_read(ev):
    units = [
        unit(ev, {"is_claim": True, "kind": "assertion"}, {"is_claim": True, "kind": "assertion"}),
        unit(ev, {"is_claim": True, "kind": "response"}, {"is_claim": True, "kind": "assertion"}),
        unit(ev, {"is_claim": True, "kind": "prediction"}, {}),  # missed
        unit(ev, {}, {"is_claim": True, "kind": "assertion"}),  # not a claim
    ]
    figures = ev.score_all(units).figures
    assert (figures["claim_precision"], figures["claim_recall"]) == (2 / 3, 2 / 3)
    assert figures["kind_accuracy"] == 1 / 2  # over the two claims both call claims


def test_topics_are_scored_per_pair_and_micro_averaged(ev):
    units = [
        unit(ev, {"topics": ["x", "y"]}, {"topics": {"x"}}),
        unit(ev, {"topics": []}, {"topics": {"y"}}),
    ]
    figures = ev.score_topics(units).figures
    assert (figures["topic_precision"], figures["topic_recall"]) == (1 / 2, 1 / 2)


def test_analogy_mentions_roles_and_stances(ev):
    mention = {"role": "response", "stance": "agree"}
    units = [
        unit(ev, {"analogy": "f", "role": "response", "stance": "partial"}, {"mentions": {"f": mention}}),
        unit(ev, {"analogy": "f", "role": None}, {"mentions": {"f": {"role": "framing", "stance": None}}}),
        unit(ev, {"analogy": "g", "role": "response", "stance": "agree"}, {}),
    ]
    figures = ev.score_analogies(units).figures
    assert (figures["analogy_precision"], figures["analogy_recall"]) == (1.0, 2 / 3)
    assert figures["analogy_role_accuracy"] == 1.0  # framing is the gold's null role
    assert figures["analogy_stance_accuracy"] == 0.0


def test_attribution_falls_back_to_the_speaker(ev):
    units = [unit(ev, {"is_claim": True, "attributed_to": None}, {"is_claim": True, "attributed_to": "a"}),
             unit(ev, {"is_claim": True, "attributed_to": "b"}, {"is_claim": True, "attributed_to": "a"})]
    assert ev.score_attribution(units).figures["attribution_accuracy"] == 1 / 2


def test_report_prints_every_article_and_layer(ev):
    out = io.StringIO()
    ev.report(out=out)
    text = out.getvalue()
    for heading in ("## seed", "## sankei-yoshimoto-kaiken-12 (held out)", "## yahoo-kanpo-kaiken-5 (held out)",
                    "## held-out files together", "## overall"):
        assert heading in text
    for line in ("questions", "claims", "claim kind accuracy", "kind confusion", "hedged", "certainty accuracy",
                 "topics (micro)", "scaling-laws", "analogy mentions", "analogy role accuracy", "stance accuracy",
                 "attribution"):
        assert line in text, line
