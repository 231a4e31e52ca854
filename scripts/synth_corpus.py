"""Synthetic corpora for benchmarks: many articles recombined from a seed article.

    python scripts/synth_corpus.py OUT_DIR N [--seed S] [--source corpus] [--bytes 10000]

Each synthetic article `syn_00001` ... keeps the seed's front matter structure (header,
title, date, page furniture, byline, lead, optional key points and note) and fills
sections "01".."0N" with whole interview turns of the seed (label line + its paragraphs,
a blank line between lines, exactly as in the seed), drawn with random.Random(seed), so
the same arguments always give byte-identical files. About 10 KB of UTF-8 per article
(1,000 articles ~ 10 MB). Every top-level *.yaml of the source corpus (speakers.yaml,
and topics.yaml, analogies.yaml ... when they exist) is copied unchanged.

The seed's line kinds come from quotekb's own parser (the segments it tiles the text
with), so the synthetic text is cut exactly where a build cuts the seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO / "corpus"
PREFIX = "syn_"
TARGET_BYTES = 10_000
FIRST_SENTENCE = re.compile(r"[^。？?！!]*[。？?！!]")


@dataclass
class Seed:
    id: str
    meta: dict
    newline: str
    trailing_newline: bool
    # front matter: (kind, line content) in source order, up to the first section
    front: list[tuple[str, str]]
    headings: list[list[str]]  # heading lines of each section
    turns: list[tuple[str, list[str]]]  # (speaker label, [label line, paragraph lines ...])
    leads: list[str] = field(default_factory=list)


def _line_kinds(source: Path, article_id: str) -> list[tuple[str, str]]:
    """(kind, content) of every non-blank line of the article, as quotekb parses it."""
    sys.path.insert(0, str(REPO))
    from quotekb.ingest.corpus import load_corpus
    from quotekb.parse.document import parse_article

    corpus = load_corpus(source)
    article = next(a for a in corpus.articles if a.id == article_id)
    text = article.text
    by_line: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for seg in parse_article(article, corpus.speakers).segments:
        if seg.kind != "blank":
            by_line[seg.line].append((seg.kind, seg.start, seg.end))
    lines = []
    for number in sorted(by_line):
        segs = by_line[number]
        kinds = [k for k, _, _ in segs]
        kind = "speaker_label" if "speaker_label" in kinds else kinds[0]
        lines.append((kind, text[min(s for _, s, _ in segs) : max(e for _, _, e in segs)]))
    return lines


def load_seed(source: Path, article_id: str | None = None) -> Seed:
    articles = sorted((source / "articles").glob("*.yaml"))
    if article_id is None:
        articles = [p for p in articles if not p.stem.startswith(PREFIX)] or articles
        if not articles:
            raise SystemExit(f"{source}/articles: no article to use as a seed")
        article_id = articles[0].stem
    yaml_path = source / "articles" / f"{article_id}.yaml"
    meta = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    raw = yaml_path.with_suffix(".txt").read_bytes().decode(meta.get("encoding") or "utf-8-sig")
    newline = "\r\n" if "\r\n" in raw else "\n"

    front: list[tuple[str, str]] = []
    headings: list[list[str]] = []
    turns: list[tuple[str, list[str]]] = []
    labels = sorted(meta["transcript"].get("labels") or {}, key=len, reverse=True)
    in_front = True
    for kind, content in _line_kinds(source, article_id):
        if kind == "section_number":
            in_front = False
            headings.append([])
        elif in_front:
            front.append((kind, content))
        elif kind == "section_heading":
            headings[-1].append(content)
        elif kind == "speaker_label":
            label = next((lb for lb in labels if content.startswith(lb)), content)
            turns.append((label, [content]))
        elif kind == "turn" and turns:
            turns[-1][1].append(content)
        # notes or furniture inside the interview are not recombined
    if not turns:
        raise SystemExit(f"{yaml_path}: no labelled speaker turns to recombine")
    headings = [h for h in headings if h] or [["インタビュー"]]
    leads = [c for k, c in front if k in ("lead", "summary")] or [turns[0][1][-1]]
    return Seed(article_id, meta, newline, raw.endswith(("\n", "\r")), front, headings, turns, leads)


def _first_sentence(paragraph: str) -> str | None:
    """The paragraph's first sentence when it ends with 。 (key points quote statements)."""
    m = FIRST_SENTENCE.match(paragraph)
    return m.group(0) if m and m.group(0).endswith("。") else None


class Deck:
    """Draws items in shuffled rounds: every item is used once before any is used again.

    Curated values in the shared YAML files (e.g. stance quotes in analogies.yaml) must be
    found somewhere in the corpus, so even a corpus of a few articles contains every turn,
    lead paragraph and heading of the seed at least once.
    """

    def __init__(self, items: list, rng: random.Random):
        self.items, self.rng, self.pending = list(items), rng, []

    def draw(self, accept=lambda _item: True):
        if not self.pending:
            self.pending = self.rng.sample(self.items, len(self.items))
        for i, item in enumerate(self.pending):
            if accept(item):
                return self.pending.pop(i)
        candidates = [item for item in self.items if accept(item)]
        return self.rng.choice(candidates) if candidates else None


@dataclass
class Decks:
    turns: Deck
    leads: Deck
    headings: Deck


def _article(seed: Seed, rng: random.Random, decks: Decks, number: int, target_bytes: int) -> tuple[str, dict]:
    article_id = f"{PREFIX}{number:05d}"
    published = (dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(1096))).isoformat()
    with_furniture = rng.random() < 0.5
    with_key_points = rng.random() < 0.5
    with_note = rng.random() < 0.5

    # interview turns first: the key points quote them
    size = lambda lines: sum(len(x.encode("utf-8")) + 2 for x in lines)  # noqa: E731
    front_budget = 1200
    budget = max(target_bytes - front_budget, 2000)
    chosen: list[tuple[str, list[str]]] = []
    used = 0
    while used < budget:
        previous = chosen[-1][0] if chosen else None
        turn = decks.turns.draw(lambda t, previous=previous, room=budget - used:
                                t[0] != previous and size(t[1]) <= room and t not in chosen)
        if turn is None:
            break
        chosen.append(turn)
        used += size(turn[1])
    for label in sorted({label for label, _ in seed.turns}):  # every label of the YAML occurs
        if all(t[0] != label for t in chosen):
            options = [t for t in seed.turns if t[0] == label]
            chosen.append(min(options, key=lambda t: size(t[1])))

    n_sections = max(1, min(rng.randint(2, 4), len(chosen) // 2))
    cuts = sorted(rng.sample(range(1, len(chosen)), n_sections - 1)) if n_sections > 1 else []
    bounds = [0, *cuts, len(chosen)]
    headings: list[list[str]] = []
    for _ in range(n_sections):
        headings.append(decks.headings.draw(lambda h: h not in headings) or rng.choice(seed.headings))
    title = f"{headings[0][0]}(合成記事その{number})"

    # summary and lead paragraphs, without repeating one within the article
    leads: list[str] = []

    def take(k: int) -> list[str]:
        for _ in range(k):
            leads.append(decks.leads.draw(lambda p: p not in leads) or rng.choice(seed.leads))
        return leads[-k:]

    lines: list[str] = []
    meta_lines = {"boilerplate": [], "notes": [], "key_points_intro": None}
    emitted_lead = emitted_key_points = False
    for kind, content in seed.front:
        if kind == "title":
            lines.append(title)
        elif kind == "date":
            lines.append(published)
        elif kind == "boilerplate":
            if with_furniture:
                lines.append(content)
                meta_lines["boilerplate"].append(content)
        elif kind == "summary":
            lines.extend(take(1))
        elif kind == "lead":
            if not emitted_lead:
                emitted_lead = True
                lines.extend(take(rng.randint(1, 2)))
        elif kind in ("key_points_intro", "key_point"):
            if with_key_points and not emitted_key_points and kind == "key_points_intro":
                emitted_key_points = True
                lines.append(content)
                meta_lines["key_points_intro"] = content
                # each key point is the exact first sentence of a paragraph of the article
                spoken = sorted({s for t in chosen for p in t[1][1:] if (s := _first_sentence(p))})
                picks = rng.sample(spoken, min(len(spoken), rng.randint(3, 5)))
                lines.extend(f"{i}. {p}" for i, p in enumerate(picks, start=1))
        elif kind == "note":
            if with_note:
                lines.append(content)
                meta_lines["notes"].append(content)
        else:  # header, byline and anything else the seed has: kept as is
            lines.append(content)
    if not emitted_lead:
        lines.extend(take(1))
    for s in range(n_sections):
        lines.append(f"{s + 1:02d}")
        lines.extend(headings[s])
        for _label, turn_lines in chosen[bounds[s] : bounds[s + 1]]:
            lines.extend(turn_lines)

    nl = seed.newline
    text = (nl + nl).join(lines) + (nl if seed.trailing_newline else "")

    meta: dict = {}
    for key, value in seed.meta.items():
        if key == "title":
            meta[key] = title
        elif key == "published_on":
            meta[key] = published
        elif key == "id":
            meta[key] = article_id
        elif key == "description":
            meta[key] = f"Synthetic benchmark article recombining interview turns of {seed.id}."
        elif key in ("boilerplate", "notes", "key_points_intro"):
            if meta_lines[key]:
                meta[key] = meta_lines[key]
        elif key in ("encoding", "url"):
            continue  # the synthetic text is UTF-8 and has no source page
        elif key == "aliases":
            # the build checks every alias against the text: keep those that occur
            kept = {alias: sid for alias, sid in value.items() if alias in text}
            if kept:
                meta[key] = kept
        elif key == "transcript":
            # likewise every label must start a turn of this recombined text
            labels = {label: sid for label, sid in (value.get("labels") or {}).items()
                      if any(line.startswith(label) for line in text.splitlines())}
            meta[key] = {**value, "labels": labels} if value.get("labels") else value
        else:
            meta[key] = value
    return text, meta


def make_corpus(out_dir: Path, n_articles: int, seed: int = 0, source: Path = DEFAULT_SOURCE,
                target_bytes: int = TARGET_BYTES, article_id: str | None = None) -> int:
    """Write n_articles synthetic articles (and the source's shared YAML) into out_dir.

    Returns the total number of characters of the article texts.
    """
    out_dir, source = Path(out_dir), Path(source)
    base = load_seed(source, article_id)
    rng = random.Random(seed)
    decks = Decks(Deck(base.turns, rng), Deck(base.leads, rng), Deck(base.headings, rng))
    articles = out_dir / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    for stale in sorted(articles.glob(f"{PREFIX}*")):
        stale.unlink()
    for shared in sorted(source.glob("*.yaml")):
        shutil.copyfile(shared, out_dir / shared.name)
    total = 0
    for number in range(1, n_articles + 1):
        text, meta = _article(base, rng, decks, number, target_bytes)
        stem = articles / f"{PREFIX}{number:05d}"
        stem.with_suffix(".txt").write_bytes(text.encode("utf-8"))
        header = f"# Synthetic article generated by scripts/synth_corpus.py from {base.id} (seed {seed}).\n"
        body = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
        stem.with_suffix(".yaml").write_bytes((header + body).encode("utf-8"))
        total += len(text)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="corpus to recombine")
    parser.add_argument("--article", help="seed article id (default: the first in the source)")
    parser.add_argument("--bytes", type=int, default=TARGET_BYTES, help="approximate UTF-8 bytes per article")
    args = parser.parse_args(argv)
    chars = make_corpus(args.out_dir, args.n, args.seed, args.source, args.bytes, args.article)
    size = sum(p.stat().st_size for p in (args.out_dir / "articles").glob(f"{PREFIX}*.txt"))
    print(f"{args.out_dir}: {args.n} articles, {chars:,} characters, {size:,} bytes of text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
