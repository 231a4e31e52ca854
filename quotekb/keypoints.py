"""Aligning the article's key points to the transcript sentences they summarize.

Key points paraphrase one to three consecutive sentences of a turn, so every window of
1-3 consecutive interview sentences within a turn is a candidate; the score is
rapidfuzz's normalized Indel similarity over characters (robust to the small rewordings
editors make, and fast enough to compare every key point with every window).
"""

from __future__ import annotations

from rapidfuzz import fuzz

MAX_WINDOW = 3
# Below this the best candidate is not a paraphrase: the key point stays unlinked.
THRESHOLD = 0.6


def align(key_points: list[dict], sentences: list[dict], turns: dict[int, dict], text: str) -> None:
    """Fill sentence_id, sentence_count, speaker_id and similarity of key_points in place."""
    by_turn: dict[int, list[dict]] = {}
    for s in sentences:
        if turns[s["turn_id"]]["kind"] == "interview" and s["kind"] != "question":
            by_turn.setdefault(s["turn_id"], []).append(s)
    windows = []
    for group in by_turn.values():
        for i in range(len(group)):
            for n in range(1, MAX_WINDOW + 1):
                if i + n <= len(group):
                    first, last = group[i], group[i + n - 1]
                    windows.append((first, last, n, " ".join(text[first["start"] : last["end"]].split())))
    for point in key_points:
        target = " ".join(point["text"].split())
        best = max(
            ((fuzz.ratio(target, candidate) / 100.0, -first["id"], n, first, last)
             for first, last, n, candidate in windows),
            default=None,
            key=lambda item: item[:3],
        )
        if best is None:
            continue
        score, _neg_id, n, first, last = best
        point["similarity"] = round(score, 4)
        if score >= THRESHOLD:
            point.update(sentence_id=first["id"], end_sentence_id=last["id"], sentence_count=n,
                         speaker_id=first["speaker_id"])
