"""The ratchet: no figure of `make eval` may fall below the level once reached.

tests/gold/ratchet.json holds the levels (rounded down to 0.01) for the seed, the
held-out excerpts together and overall; `python scripts/evaluate.py --write-ratchet`
raises them after a change that improves a figure. Lowering a level by hand needs a
reason in the commit that does it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def figures():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import evaluate
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return evaluate.evaluate()


FLOORS = json.loads((REPO / "tests" / "gold" / "ratchet.json").read_text(encoding="utf-8"))


def test_the_ratchet_covers_every_layer():
    for group in ("seed", "held-out", "blind", "overall"):
        names = set(FLOORS[group])
        for figure in ("question_precision", "claim_precision", "claim_recall", "kind_accuracy", "hedged_precision",
                       "certainty_accuracy", "attribution_accuracy"):
            assert figure in names, (group, figure)
    for figure in ("topic_f1", "analogy_precision", "analogy_recall", "analogy_stance_accuracy"):
        assert figure in FLOORS["seed"], figure


@pytest.mark.parametrize("group, name", [(g, n) for g, levels in FLOORS.items() for n in levels])
def test_no_figure_falls_below_the_level_reached(figures, group, name):
    value = figures[group][name]
    assert value is not None and value >= FLOORS[group][name], (
        f"{group} {name}: {value} < {FLOORS[group][name]} (tests/gold/ratchet.json)")
