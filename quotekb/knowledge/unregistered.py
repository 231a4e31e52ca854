"""People who speak in the text but are not in corpus/speakers.yaml.

A quote whose speaker stayed NULL because its subject is a personal name the registry
does not know (田中次郎社長は「…」) is reported by `quotekb check` with a speakers.yaml
entry to paste: the name from Sudachi's 人名 tokens, an id romanized from their reading.
Nothing is registered automatically: a person enters the registry only by an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from quotekb import nlp

# Hepburn, with long vowels written out (トウ -> tou): ids only need to be stable and readable
_KANA = {
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o", "カ": "ka", "キ": "ki", "ク": "ku", "ケ": "ke", "コ": "ko",
    "サ": "sa", "シ": "shi", "ス": "su", "セ": "se", "ソ": "so", "タ": "ta", "チ": "chi", "ツ": "tsu", "テ": "te",
    "ト": "to", "ナ": "na", "ニ": "ni", "ヌ": "nu", "ネ": "ne", "ノ": "no", "ハ": "ha", "ヒ": "hi", "フ": "fu",
    "ヘ": "he", "ホ": "ho", "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo", "ヤ": "ya", "ユ": "yu",
    "ヨ": "yo", "ラ": "ra", "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro", "ワ": "wa", "ヲ": "o", "ン": "n",
    "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge", "ゴ": "go", "ザ": "za", "ジ": "ji", "ズ": "zu", "ゼ": "ze",
    "ゾ": "zo", "ダ": "da", "ヂ": "ji", "ヅ": "zu", "デ": "de", "ド": "do", "バ": "ba", "ビ": "bi", "ブ": "bu",
    "ベ": "be", "ボ": "bo", "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po", "ヴ": "vu",
}
_SMALL = {"ャ": "ya", "ュ": "yu", "ョ": "yo", "ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o"}


def romanize(katakana: str) -> str:
    out: list[str] = []
    double = False
    for ch in katakana:
        if ch == "ッ":
            double = True
            continue
        if ch in _SMALL and out:
            prev, small = out.pop(), _SMALL[ch]
            # キャ -> kya, シャ -> sha, ファ -> fa
            out.append(prev[:-1] + (small[-1] if prev in ("shi", "chi", "ji") or len(small) == 1 else small))
            continue
        if ch == "ー":
            if out:
                out.append(out[-1][-1])
            continue
        syllable = _KANA.get(ch, "")
        if double and syllable:
            syllable = syllable[0] + syllable
        double = False
        out.append(syllable)
    return "".join(out)


@dataclass(frozen=True)
class Unregistered:
    name: str  # as written
    speaker_id: str  # suggested
    reading: str
    evidence: str  # the subject as written (田中次郎社長)

    def yaml_entry(self) -> str:
        return (f"  - id: {self.speaker_id}\n    name: {self.name}\n    reading: {self.reading}\n"
                f"    role: other\n    aliases: [{self.evidence}]")


def unregistered_speakers(quote_rows: list[dict]) -> list[Unregistered]:
    """Personal names that are the subject of a quote whose speaker stayed NULL."""
    found: dict[str, Unregistered] = {}
    for q in quote_rows:
        if q["speaker_id"] is not None or not q.get("evidence"):
            continue
        tokens = [t for t in nlp.tokenize(q["evidence"]) if "人名" in t.pos_detail]
        if not tokens:
            continue
        name = "".join(t.surface for t in tokens)
        parts = [romanize(t.reading) for t in tokens]
        if name not in found and all(parts):
            found[name] = Unregistered(name, "-".join(parts), "・".join(t.reading for t in tokens), q["evidence"])
    return list(found.values())
