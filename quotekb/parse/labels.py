"""Label discovery: line-initial labels that repeat, the candidates an article's YAML
may list. Which layouts start a turn, and whose, is parse/conventions.py."""

from __future__ import annotations

import re
from collections import Counter

HONORIFICS = ("氏", "さん", "様", "先生")
# A line-initial label for discovery: a short name before a colon or inside 【】.
DISCOVER = re.compile(r"^(?:【([^】\s]{1,20})】|([^\s:：。、「」]{1,20}?)\s*[:：])")


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
