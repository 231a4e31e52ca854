"""Recognizing who speaks on a line, under the transcript conventions of Japanese articles.

Conventions (the article YAML's transcript.convention; `auto` tries the labelled ones):
  label-line   the label alone on its line, optionally with a colon:  ノア・スミス:
  label-colon  label and text on one line: 山田: text / 山田氏：text / 佐藤 text
  bracket      【山田】text
  dash         ――question (interviewer); unlabeled paragraphs answer (interviewee)
  qa           Q: question / A: answer
A match gives the speaker and where, within the stripped line, the label ends and the
spoken text begins, so both keep exact offsets.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

COLONS = ":："
HONORIFICS = ("氏", "さん", "様", "先生")
DASHES = re.compile(r"^(?:[―—─]{1,2}|-{2})\s*")
QA = re.compile(r"^([QAＱＡ])\s*[:：.．]\s*")
BRACKET = re.compile(r"^【([^】]{1,30})】\s*")
# A line-initial label for discovery: a short name before a colon or inside 【】.
DISCOVER = re.compile(r"^(?:【([^】\s]{1,20})】|([^\s:：。、「」]{1,20}?)\s*[:：])")


@dataclass(frozen=True)
class LabelMatch:
    speaker_id: str
    label: str
    label_end: int  # offset within the stripped line where the label (and colon) ends
    content_start: int  # offset within the stripped line where spoken text starts


class LabelMatcher:
    def __init__(
        self,
        labels: dict[str, str],
        convention: str = "auto",
        interviewer: str | None = None,
        interviewee: str | None = None,
    ):
        self.labels = labels
        self.convention = convention
        self.interviewer = interviewer
        self.interviewee = interviewee
        # longest first, so 山田太郎 wins over 山田
        self._ordered = sorted(labels, key=len, reverse=True)

    def match(self, line: str) -> LabelMatch | None:
        conv = self.convention
        if conv in ("auto", "label-line") and (m := self._label_line(line)):
            return m
        if conv in ("auto", "bracket") and (m := self._bracket(line)):
            return m
        if conv in ("auto", "label-colon") and (m := self._label_colon(line)):
            return m
        if conv == "dash" and self.interviewer and (d := DASHES.match(line)):
            return LabelMatch(self.interviewer, line[: d.end()].strip(), d.end(), d.end())
        if conv == "qa" and (q := QA.match(line)):
            letter = q.group(1).translate(str.maketrans("ＱＡ", "QA"))
            speaker = self.interviewer if letter == "Q" else self.interviewee
            if speaker:
                return LabelMatch(speaker, line[: q.end()].rstrip(), q.end(), q.end())
        return None

    def _label_line(self, line: str) -> LabelMatch | None:
        name = line.rstrip(COLONS).rstrip()
        for label in (name, _strip_honorific(name)):
            if label in self.labels:
                return LabelMatch(self.labels[label], label, len(line), len(line))
        return None

    def _bracket(self, line: str) -> LabelMatch | None:
        m = BRACKET.match(line)
        if not m:
            return None
        name = m.group(1).strip()
        for label in (name, _strip_honorific(name)):
            if label in self.labels:
                return LabelMatch(self.labels[label], label, line.index("】") + 1, m.end())
        return None

    def _label_colon(self, line: str) -> LabelMatch | None:
        for label in self._ordered:
            if not line.startswith(label):
                continue
            i = len(label)
            for honorific in HONORIFICS:
                if line.startswith(honorific, i):
                    i += len(honorific)
                    break
            rest = line[i:]
            stripped = rest.lstrip(" \u3000")
            if stripped[:1] and stripped[0] in COLONS:
                colon = i + (len(rest) - len(stripped)) + 1
                content = colon + (len(line[colon:]) - len(line[colon:].lstrip(" \u3000")))
                return LabelMatch(self.labels[label], label, colon, content)
            # a surname-only label followed by a space: 佐藤 text. Only when the YAML
            # says label-colon: under auto, "山田太郎 さんの…" inside a turn is just text
            if self.convention == "label-colon" and rest[:1] in (" ", "\u3000") and stripped:
                return LabelMatch(self.labels[label], label, i, i + len(rest) - len(stripped))
        return None


def _strip_honorific(name: str) -> str:
    for honorific in HONORIFICS:
        if name.endswith(honorific) and len(name) > len(honorific):
            return name[: -len(honorific)]
    return name


def discover_labels(lines: list[str], min_count: int = 2,
                    known: frozenset[str] = frozenset()) -> tuple[dict[str, int], dict[str, int]]:
    """Line-initial labels that repeat, candidates when an article's YAML lists none:
    (marked with a colon or 【】, registered names alone on their lines).

    A line without a colon counts only when it is exactly a registered name or alias
    (`known`, an honorific allowed): any short line that repeats (a caption, a
    heading) would otherwise be taken for a speaker. Which of the two kinds stands
    for a speaker is decided against the registry (parse.discover).
    """
    marked: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    for line in lines:
        m = DISCOVER.match(line)
        if m:
            marked[_strip_honorific((m.group(1) or m.group(2)).strip())] += 1
        elif known and (name := line.strip(" \u3000")):
            for candidate in (name, _strip_honorific(name)):
                if candidate in known:
                    alone[candidate] += 1
                    break

    def repeated(counts: Counter[str]) -> dict[str, int]:
        return {label: n for label, n in counts.most_common() if n >= min_count}

    return repeated(marked), repeated(alone)
