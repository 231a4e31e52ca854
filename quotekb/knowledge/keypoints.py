"""Aligning the article's key points to the transcript sentences they summarize.

Key points paraphrase one to three consecutive sentences of a turn, so every window of
1-3 consecutive interview sentences within a turn is a candidate; the score is
rapidfuzz's normalized Indel similarity over characters (robust to the small rewordings
editors make, and fast enough to compare every key point with every window).
"""

from __future__ import annotations

import itertools

from rapidfuzz import fuzz, process

from quotekb.knowledge.layer import DocumentContext, layer

MAX_WINDOW = 3
# Below this the best candidate is not a paraphrase: the key point stays unlinked.
THRESHOLD = 0.6


@layer("key_points", reads=("key_points", "sentences", "turns"), writes=("key_points",))
def key_points(ctx: DocumentContext) -> dict[str, list[dict]]:
    align(ctx.rows["key_points"], ctx.rows["sentences"], ctx.turns, ctx.article.text)
    return {"key_points": ctx.rows["key_points"]}


def align(key_points: list[dict], sentences: list[dict], turns: dict[int, dict], text: str) -> None:
    """Fill sentence_id, sentence_count, speaker_id and similarity of key_points in place."""
    by_turn: dict[int, list[dict]] = {}
    for s in sentences:
        if turns[s["turn_id"]]["kind"] == "interview" and s["kind"] not in ("question", "rhetorical"):
            by_turn.setdefault(s["turn_id"], []).append(s)
    windows, candidates = [], []  # (first, last, n) and its whitespace-folded text, index by index
    for group in by_turn.values():
        for i in range(len(group)):
            for n in range(1, MAX_WINDOW + 1):
                if i + n <= len(group):
                    first, last = group[i], group[i + n - 1]
                    windows.append((first, last, n))
                    candidates.append(" ".join(text[first["start"] : last["end"]].split()))
    for point in key_points:
        best = _best_window(" ".join(point["text"].split()), windows, candidates)
        if best is None:
            continue
        score, n, first, last = best
        point["similarity"] = round(score, 4)
        if score >= THRESHOLD:
            point.update(sentence_id=first["id"], end_sentence_id=last["id"], sentence_count=n,
                         speaker_id=first["speaker_id"])


def _best_window(target: str, windows: list[tuple], candidates: list[str]) -> tuple | None:
    """(score, n, first, last) of the best window: the highest score, then the earliest
    first sentence, then the longer window. rapidfuzz scores and sorts every window in
    one call, in C; only the windows tied at the best score are compared here (the
    per-window Python calls were 2.6% of a build).

    Ties are read off the front of the sorted result, not asked for with score_cutoff:
    rapidfuzz turns a cutoff into a distance, and a window scoring exactly the best
    score was then left out."""
    scored = process.extract(target, candidates, scorer=fuzz.ratio, limit=None)  # best first
    if not scored:
        return None
    best = scored[0][1]
    tied = itertools.takewhile(lambda s: s[1] == best, scored)
    first, last, n = max((windows[index] for _choice, _score, index in tied),
                                     key=lambda w: (-w[0]["id"], w[2]))
    return best / 100.0, n, first, last
