"""Narration between the turns of a transcript: a paragraph that speaks of both speakers.

An unlabeled paragraph after a turn is read as more of that turn (answers run over
many paragraphs). A writer's narration set between the turns reads the same, and
would go to the last speaker silently:

    小倉:今日はよろしくお願いします。

    カメラを固定して、2人のMC“だけ”の空間を設定。
    2人が語ったのは、MCとしての本音。谷原が、先輩・小倉に聞きたかったことを切り出します。

A speaker may speak of themselves by name (春日がね, 芽依は…) and of the other person
(谷原さんは), but hardly of both by name in one paragraph, outside quotation marks
and parentheses. So a paragraph after a blank line that names the speaker it would go
on from and another speaker of the article, each as the subject or object of a clause
(a particle after the name, or a title and then a particle), is read as narration;
anything weaker stays with the speaker, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from quotekb.parse.conventions import TITLES

# Particles that make a name the subject or object of a clause (小倉に, 谷原が).
# Not と (小倉と申します), の (小倉の駅前: often a place) or 、 (a list).
PARTICLES = ("が", "は", "に", "を", "も", "へ")
# What a writer puts between a name and its particle: the titles labels carry, and a
# few that narration adds (佐藤アナが, 佐藤さんたちは); longest first.
AFTER_NAME = tuple(sorted({*TITLES, "アナ", "アナウンサー", "さんたち", "たち", "ら"}, key=len, reverse=True))
# What a speaker's own words may hold that mention them without being narration:
# quotations, asides in parentheses (（小倉は苦笑い）) and hearsay (…って言われた).
MASKED = re.compile(r"「[^」]*(?:」|$)|『[^』]*(?:』|$)|“[^”]*(?:”|$)|（[^）]*(?:）|$)|\([^)]*(?:\)|$)")
HEARSAY = re.compile(r"言われ|いわれ|呼ばれ|申し|言います|いいます|って言")
# First-person words before a name: 私、小倉は… is the speaker naming himself.
FIRST_PERSON = ("私", "僕", "俺", "わたし", "わたくし", "あたし", "ぼく", "おれ", "オレ", "ワタシ", "うち", "自分")


def _script(char: str) -> str:
    code = ord(char)
    if 0x3040 <= code <= 0x309F:
        return "hiragana"
    if 0x30A0 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:
        return "katakana"
    if 0x3400 <= code <= 0x9FFF or char in "々〆ヶ":
        return "kanji"
    if char.isascii() and char.isalnum():
        return "latin"
    return "other"


def _kana_only(name: str) -> bool:
    return all(_script(c) in ("hiragana", "katakana") or c in "・ー" for c in name)


def named(text: str, names: Iterable[str]) -> str | None:
    """The first of `names` that `text` makes the subject or object of a clause, or None.

    A name counts at a word boundary only: not after a character of its own script
    (デル in ビジネスモデル, はるか in よりはるかに, 小倉 in 大小倉), and a name written in
    kana only needs a title after it (まことに is no name)."""
    closing = min((at for at in (text.find("」"), text.find("』")) if at >= 0), default=-1)
    opening = min((at for at in (text.find("「"), text.find("『")) if at >= 0), default=len(text))
    if 0 <= closing < opening:
        text = "\u3000" * (closing + 1) + text[closing + 1:]  # it opens inside a quotation
    bare = MASKED.sub(lambda m: "\u3000" * len(m.group()), text)
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), bare):
            if m.start() and _script(bare[m.start() - 1]) == _script(name[0]) != "other":
                continue  # inside a longer word
            if bare[max(0, m.start() - 6):m.start()].rstrip("、，, \u3000").endswith(FIRST_PERSON):
                continue  # 私、小倉は…: the speaker naming himself
            rest = bare[m.end():]
            title = next((t for t in AFTER_NAME if rest.startswith(t)), "")
            if _kana_only(name) and not title:
                continue
            if rest[len(title):].startswith(PARTICLES):
                return name
    return None


def is_narration(paragraph: str, speaker_names: Iterable[str], other_names: Iterable[str]) -> str | None:
    """Why `paragraph` reads as narration about the speaker it would go on from and
    another speaker ("小倉 and 谷原"), or None."""
    if HEARSAY.search(paragraph):
        return None
    own = named(paragraph, speaker_names)
    if own is None:
        return None
    other = named(paragraph, other_names)
    return f"{own} and {other}" if other else None
