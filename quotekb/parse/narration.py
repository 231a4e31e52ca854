"""Narration between the turns of a transcript: a paragraph that speaks of the speaker.

An unlabeled paragraph after a turn is read as more of that turn (answers run over
many paragraphs). A writer's narration set between the turns reads the same, and
would go to the last speaker silently:

    小倉:今日はよろしくお願いします。

    カメラを固定して、2人のMC“だけ”の空間を設定。
    2人が語ったのは、MCとしての本音。谷原が、先輩・小倉に聞きたかったことを切り出します。

People do not speak of themselves by their own name followed by a particle (小倉に,
小倉さんが), so a paragraph that does, outside quotation marks and not after 私 or
僕 (私、小倉は…), is not the last speaker's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A name followed (after an honorific or title, perhaps) by a particle or a comma:
# the name is what the sentence speaks of (小倉に, 谷原が, 小倉さんは, 山田社長の).
PARTICLES = "がはにをのともへや、，"
# Honorifics and titles a writer puts after a name (conventions.TITLES holds the
# label ones; these are the ones narration uses).
AFTER_NAME = ("さん", "氏", "様", "先生", "君", "くん", "ちゃん", "選手", "監督", "社長", "会長", "首相", "総理",
              "大臣", "知事", "市長", "代表", "議員", "委員", "教授", "記者", "アナ", "アナウンサー")
# First-person words before a name: 私、小倉は… is the speaker naming himself.
FIRST_PERSON = ("私", "僕", "俺", "わたくし", "わたし", "ぼく", "自分")
QUOTED = re.compile(r"「[^「」]*」|『[^『』]*』|“[^“”]*”|\"[^\"]*\"")
# a kanji before a name makes it part of a longer word (大小倉); kana before it is a
# particle (司会の谷原), latin letters a title (MC谷原)
_KANJI = re.compile(r"[\u3400-\u9fff々〆ヶ]")


def third_person(text: str, names: Iterable[str]) -> str | None:
    """The first of `names` that `text` speaks of in the third person, or None."""
    bare = QUOTED.sub(lambda m: "\u3000" * len(m.group()), text)
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), bare):
            before = bare[max(0, m.start() - 5) : m.start()].rstrip("、，\u3000 ")
            if m.start() and _KANJI.match(bare[m.start() - 1]):
                continue  # inside a longer word
            if before.endswith(FIRST_PERSON):
                continue
            rest = bare[m.end() :]
            title = next((t for t in AFTER_NAME if rest.startswith(t)), "")
            if rest[len(title) : len(title) + 1] in tuple(PARTICLES):
                return name
    return None
