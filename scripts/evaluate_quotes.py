"""Quote precision/recall and speaker accuracy on the real news gold.

tests/fixtures/real/news/<slug>.txt with <slug>.expected.yaml (written by reading, before
the program ran): each excerpt is built alone, from its text, the expected file's
speakers and its minimal `article:` YAML (form: news), into a scratch corpus and a real
SQLite file; the quotes table is then compared with the expected quotes.

Matching: a found quote matches an expected one when their words are equal (whitespace
ignored), or, for the remaining ones, when one contains the other and they differ by at
most a fifth of the longer (a clause boundary one word off). Speaker accuracy is over
matched quotes: the same speaker id, or both NULL. A wrong speaker (a named id where the
gold has another id or NULL) is counted apart from a missed one (NULL where the gold
names someone): the first misattributes, the second only fails to attribute.

    python scripts/evaluate_quotes.py            # table per excerpt and the totals
    python scripts/evaluate_quotes.py --readme   # and write the tables into README.md and the gold's README

`evaluate()` and `table()` are what scripts/evaluate.py (make eval) calls for the quotes row.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT / "tests" / "fixtures" / "real" / "news"
KNOWLEDGE_FILES = ("topics.yaml", "analogies.yaml", "entities.yaml", "cues.yaml")
SPACE = re.compile(r"\s+")


def _words(text: str | None) -> str:
    return SPACE.sub("", text or "")


@dataclass
class Score:
    name: str
    gold: int = 0
    found: int = 0
    matched: int = 0
    speaker_right: int = 0
    speaker_wrong: int = 0  # a named id that is not the gold's (the error that must not happen)
    speaker_missed: int = 0  # NULL where the gold names someone
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    speaker_errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for key in ("gold", "found", "matched", "speaker_right", "speaker_wrong", "speaker_missed"):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_right / self.matched if self.matched else 1.0


def _near(a: str, b: str) -> bool:
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return short in long and len(long) - len(short) <= len(long) // 5


def score(name: str, found: list[dict], gold: list[dict]) -> Score:
    """Compare found quotes ({text, speaker_id}) with gold ones ({text, speaker})."""
    result = Score(name, gold=len(gold), found=len(found))
    unmatched = list(range(len(found)))
    pairs: list[tuple[dict, dict]] = []
    rest = []
    for g in gold:
        hit = next((i for i in unmatched if _words(found[i]["text"]) == _words(g["text"])), None)
        if hit is None:
            rest.append(g)
            continue
        unmatched.remove(hit)
        pairs.append((g, found[hit]))
    for g in rest:
        hit = next((i for i in unmatched if _near(_words(found[i]["text"]), _words(g["text"]))), None)
        if hit is None:
            result.misses.append(g["text"])
            continue
        unmatched.remove(hit)
        pairs.append((g, found[hit]))
    result.extras = [found[i]["text"] for i in unmatched]
    result.matched = len(pairs)
    for g, f in pairs:
        expected, got = g.get("speaker"), f.get("speaker_id")
        if expected == got:
            result.speaker_right += 1
        elif got is None:
            result.speaker_missed += 1
            result.speaker_errors.append(f"missed {expected}: {g['text'][:20]}")
        else:
            result.speaker_wrong += 1
            result.speaker_errors.append(f"WRONG {got} (gold {expected}): {g['text'][:20]}")
    return result


def excerpts(directory: Path = NEWS) -> list[tuple[str, Path, dict]]:
    out = []
    for path in sorted(directory.glob("*.expected.yaml")):
        slug = path.name.removesuffix(".expected.yaml")
        out.append((slug, directory / f"{slug}.txt", yaml.safe_load(path.read_text(encoding="utf-8"))))
    return out


def write_corpus(root: Path, slug: str, text_path: Path, expected: dict) -> Path:
    """A corpus with only this excerpt: its text, its minimal article YAML, its speakers
    (plus the repository's registry, which the shared knowledge files refer to)."""
    (root / "articles").mkdir(parents=True)
    for name in KNOWLEDGE_FILES:
        shutil.copy(ROOT / "corpus" / name, root / name)
    registry = yaml.safe_load((ROOT / "corpus" / "speakers.yaml").read_text(encoding="utf-8"))["speakers"]
    speakers = [{k: v for k, v in s.items() if v not in (None, [])} for s in expected["speakers"]]
    (root / "speakers.yaml").write_text(
        yaml.safe_dump({"speakers": speakers + registry}, allow_unicode=True), encoding="utf-8")
    (root / "articles" / f"{slug}.yaml").write_text(
        yaml.safe_dump(expected["article"], allow_unicode=True), encoding="utf-8")
    shutil.copy(text_path, root / "articles" / f"{slug}.txt")
    return root


def build_quotes(slug: str, text_path: Path, expected: dict, workdir: Path) -> list[dict]:
    """Build the excerpt into a real SQLite file and read its quotes back, each with
    `document_text` (the stored article) so callers can check the offsets."""
    from quotekb.store.build import build

    corpus = write_corpus(workdir / "corpus", slug, text_path, expected)
    db = workdir / "quotekb.db"
    build(corpus, db)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "SELECT q.*, d.text AS document_text FROM quotes q JOIN documents d ON d.id = q.document_id "
            "ORDER BY q.document_id, q.position")]
    finally:
        conn.close()


def evaluate(directory: Path = NEWS) -> tuple[Score, list[tuple[Score, list[dict]]]]:
    total = Score("all")
    per: list[tuple[Score, list[dict]]] = []
    for slug, text_path, expected in excerpts(directory):
        with tempfile.TemporaryDirectory() as tmp:
            found = build_quotes(slug, text_path, expected, Path(tmp))
        result = score(slug, found, expected["quotes"])
        total.add(result)
        per.append((result, found))
    return total, per


def table(total: Score, per: list[tuple[Score, list[dict]]]) -> str:
    lines = ["| excerpt | gold | found | matched | P | R | speaker acc. | wrong | missed |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s, _found in [*per, (total, [])]:
        lines.append(f"| {s.name} | {s.gold} | {s.found} | {s.matched} | {s.precision:.2f} | {s.recall:.2f} | "
                     f"{s.speaker_accuracy:.2f} | {s.speaker_wrong} | {s.speaker_missed} |")
    return "\n".join(lines)


def readme_table(total: Score, excerpt_count: int, outlet_count: int) -> str:
    return "\n".join([
        "| layer | gold | found | matched | precision | recall | speaker accuracy | wrong speaker "
        "| speaker left NULL |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| quotes (news gold: {excerpt_count} excerpts, {outlet_count} outlet names) | {total.gold} | "
        f"{total.found} | {total.matched} | "
        f"{total.precision:.2f} | {total.recall:.2f} | {total.speaker_accuracy:.2f} | {total.speaker_wrong} | "
        f"{total.speaker_missed} |",
    ])



def main() -> int:
    total, per = evaluate()
    print(table(total, per))
    if "--readme" in sys.argv[1:]:
        sys.path.insert(0, str(ROOT / "scripts"))
        from readme_sections import replace_section

        outlets = {expected["outlet"] for _slug, _path, expected in excerpts()}
        replace_section("eval-quotes", readme_table(total, len(per), len(outlets)))
        replace_section("eval-quotes-per-excerpt", table(total, per), NEWS / "README.md")
    for s, _found in per:
        for text in s.misses:
            print(f"{s.name}: not found: {text[:40]}")
        for text in s.extras:
            print(f"{s.name}: not in the gold: {text[:40]}")
        for line in s.speaker_errors:
            print(f"{s.name}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
