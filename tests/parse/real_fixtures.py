"""The real transcript excerpts under tests/fixtures/real/transcripts/, as corpora.

Each excerpt comes with its speakers' registry entries, a minimal article YAML and the
turns expected by reading (speaker, first characters). `minimal_meta` adds only what
the schema requires and the excerpt does not know (an author, a date, the language).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from corpus_factory import KNOWLEDGE, REPO_CORPUS
from quotekb.parse.conventions import LAYOUTS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "real" / "transcripts"
WRITER = {"id": "fixture-writer", "name": "テスト記者", "role": "author"}
OPENING_QUOTES = ("「", "『")


def slugs() -> list[str]:
    return sorted(p.name.removesuffix(".expected.yaml") for p in FIXTURES.glob("*.expected.yaml"))


def expected(slug: str) -> dict:
    return yaml.safe_load((FIXTURES / f"{slug}.expected.yaml").read_text(encoding="utf-8"))


def text_of(slug: str) -> str:
    return (FIXTURES / f"{slug}.txt").read_text(encoding="utf-8")


def minimal_meta(exp: dict) -> dict:
    meta = dict(exp["article"])
    meta.setdefault("published_on", "2000-01-01")  # unknown for some pages; required by the schema
    meta.setdefault("author", WRITER["id"])
    return meta


def build_corpus(root: Path, slug: str, speakers: list[dict] | None = None, meta: dict | None = None) -> Path:
    """A corpus with only this excerpt, its speakers (or `speakers`) and its YAML (or `meta`)."""
    exp = expected(slug)
    registry = [*(exp["speakers"] if speakers is None else speakers), WRITER]
    root.mkdir(parents=True, exist_ok=True)
    # the shared knowledge files name the seed's speakers, so they stay registered
    seed = yaml.safe_load((REPO_CORPUS / "speakers.yaml").read_text(encoding="utf-8"))["speakers"]
    (root / "speakers.yaml").write_text(yaml.safe_dump({"speakers": registry + seed}, allow_unicode=True),
                                        encoding="utf-8")
    for name in KNOWLEDGE:
        shutil.copy(REPO_CORPUS / name, root / name)
    articles = root / "articles"
    articles.mkdir(exist_ok=True)
    data = minimal_meta(exp) if meta is None else meta
    (articles / f"{slug}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copy(FIXTURES / f"{slug}.txt", articles / f"{slug}.txt")
    return root


def spoken(text: str) -> str:
    """A turn's text as the expectations quote it: one opening 「 dropped."""
    text = text.lstrip(" \u3000\u00a0")
    return text[1:] if text.startswith(OPENING_QUOTES) else text


def mutations(slug: str) -> list[tuple[str, list[dict], dict]]:
    """One wrong or missing piece of YAML at a time: (what, speakers, article YAML)."""
    exp = expected(slug)
    speakers, meta = exp["speakers"], minimal_meta(exp)
    speaking = {t["speaker"] for t in exp["turns"]}
    out = []
    for sp in speakers:
        if sp["id"] in speaking:
            out.append((f"speaker {sp['id']} missing", [s for s in speakers if s is not sp], meta))
        for alias in sp.get("aliases", []):
            rest = [a for a in sp["aliases"] if a != alias]
            out.append((f"alias {alias} of {sp['id']} missing",
                        [{**s, "aliases": rest} if s is sp else s for s in speakers], meta))
            for other in speakers:
                if other is sp:
                    continue
                moved = [{**s, "aliases": rest} if s is sp else
                         {**s, "aliases": [*s.get("aliases", []), alias]} if s is other else s for s in speakers]
                out.append((f"alias {alias} given to {other['id']} instead of {sp['id']}", moved, meta))
    labelled = {}  # a label of each speaker as the text writes it (its registry name or alias)
    for sp in speakers:
        written = [n for n in (sp["name"], *sp.get("aliases", [])) if n in text_of(slug)]
        if written and sp["id"] in speaking:
            labelled[sp["id"]] = written[0]
    for sid, label in labelled.items():
        for other in speakers:
            if other["id"] != sid:
                wrong = {**meta, "transcript": {"labels": {label: other["id"]}}}
                out.append((f"transcript.labels maps {label} to {other['id']} instead of {sid}", speakers, wrong))
    for layout in LAYOUTS:
        out.append((f"convention {layout} only", speakers, {**meta, "transcript": {"convention": layout}}))
    for key in ("interviewer", "interviewee"):
        if key in meta:
            out.append((f"{key} missing", speakers, {k: v for k, v in meta.items() if k != key}))
        for sp in speakers:
            if sp["id"] != meta.get(key):
                out.append((f"{key} {sp['id']} (wrong)" if key in meta else f"{key} {sp['id']} (added)",
                            speakers, {**meta, key: sp["id"]}))
    return out
