"""Key-point alignment: the best window is the one its definition gives, ties included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from quotekb.knowledge.keypoints import MAX_WINDOW, THRESHOLD, align

# two letters and short strings: many windows tie at the best score
SHORT = st.text(alphabet="ab", min_size=1, max_size=4)


def expected(point: str, sentences: list[dict], text: str) -> tuple | None:
    """The definition, window by window: the highest score, then the earliest first
    sentence, then the longer window."""
    groups: dict[int, list[dict]] = {}
    for s in sentences:
        groups.setdefault(s["turn_id"], []).append(s)
    best = None
    for group in groups.values():
        for i in range(len(group)):
            for n in range(1, MAX_WINDOW + 1):
                if i + n > len(group):
                    continue
                first, last = group[i], group[i + n - 1]
                window = " ".join(text[first["start"] : last["end"]].split())
                key = (fuzz.ratio(point, window), -first["id"], n)
                if best is None or key > best[0]:
                    best = (key, first["id"], last["id"], n)
    return best


@settings(max_examples=300, deadline=None)
@given(turn_texts=st.lists(st.lists(SHORT, min_size=1, max_size=4), min_size=1, max_size=3), point=SHORT)
def test_the_best_window_is_the_definitions_even_among_ties(turn_texts, point):
    text, sentences, turns = "", [], {}
    for turn_id, texts in enumerate(turn_texts, start=1):
        turns[turn_id] = {"kind": "interview"}
        for sentence_text in texts:
            start = len(text)
            text += sentence_text + " "
            sentences.append({"id": len(sentences) + 1, "turn_id": turn_id, "kind": "statement",
                              "start": start, "end": start + len(sentence_text), "speaker_id": "guest"})
    points = [{"text": point}]
    align(points, sentences, turns, text)
    (score, _neg_id, _n), first_id, last_id, n = expected(point, sentences, text)
    assert points[0]["similarity"] == round(score / 100.0, 4)
    if score / 100.0 >= THRESHOLD:
        assert (points[0]["sentence_id"], points[0]["end_sentence_id"], points[0]["sentence_count"]) == (
            first_id, last_id, n)
    else:
        assert "sentence_id" not in points[0]


def test_a_point_repeated_in_two_turns_links_to_the_earlier_one():
    text = "電気のようなものです。 鉄鋼と同じです。 電気のようなものです。 "
    sentences = [
        {"id": 1, "turn_id": 1, "kind": "statement", "start": 0, "end": 11, "speaker_id": "a"},
        {"id": 2, "turn_id": 1, "kind": "statement", "start": 12, "end": 20, "speaker_id": "a"},
        {"id": 3, "turn_id": 2, "kind": "statement", "start": 21, "end": 32, "speaker_id": "b"},
    ]
    points = [{"text": "電気のようなものです。"}]
    align(points, sentences, {1: {"kind": "interview"}, 2: {"kind": "interview"}}, text)
    assert (points[0]["sentence_id"], points[0]["sentence_count"], points[0]["speaker_id"]) == (1, 1, "a")
    assert points[0]["similarity"] == 1.0


def test_no_interview_sentence_leaves_the_point_unscored():
    points = [{"text": "何か"}]
    align(points, [], {}, "")
    assert points == [{"text": "何か"}]


def test_between_windows_tied_from_one_sentence_the_longer_wins():
    # "aa" against "a" and against "a ab": 2 * 1 / 3 and 2 * 2 / 6 of the characters
    # in common, both 0.667; against "ab" alone 0.5
    text = "a ab "
    sentences = [
        {"id": 1, "turn_id": 1, "kind": "statement", "start": 0, "end": 1, "speaker_id": "a"},
        {"id": 2, "turn_id": 1, "kind": "statement", "start": 2, "end": 4, "speaker_id": "a"},
    ]
    points = [{"text": "aa"}]
    align(points, sentences, {1: {"kind": "interview"}}, text)
    assert (points[0]["sentence_id"], points[0]["end_sentence_id"], points[0]["sentence_count"]) == (1, 2, 2)
    assert points[0]["similarity"] == round(2 / 3, 4)
