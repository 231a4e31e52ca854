"""Loading the curated knowledge files in corpus/: topics, analogies, entities, cues.

Each file is validated against its JSON Schema (unknown fields are errors), ids must be
unique, and rule terms must be non-empty; every problem is a one-line InputError with
the file and line. Quotes that must occur in the text are checked later, per document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quotekb.errors import InputError, brief
from quotekb.ingest.corpus import validate
from quotekb.ingest.yamlio import load_yaml
from quotekb.knowledge.rules import Alternative, CueCategory


@dataclass(frozen=True)
class Topic:
    id: str
    label_ja: str
    label_en: str
    description: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class CuratedStance:
    speaker: str
    stance: str
    quote: str
    document: str | None
    line: int


@dataclass(frozen=True)
class Frame:
    id: str
    source_ja: str
    source_en: str
    target_ja: str | None
    target_en: str
    ground: str
    cues: tuple[Alternative, ...]
    stances: tuple[CuratedStance, ...]
    line: int


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    kind: str
    variants: tuple[str, ...]


@dataclass
class Knowledge:
    topics: list[Topic]
    frames: list[Frame]
    entities: list[Entity]
    cues: dict[str, CueCategory]
    path: Path  # the corpus directory, for error messages


def _unique(items: list, path: Path, what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            raise InputError(path, f"duplicate {what} id {brief(item['id'])}", "give each entry a unique id",
                             line=getattr(item, "line", None))
        seen.add(item["id"])


def _alternatives(entries: list, path: Path) -> tuple[Alternative, ...]:
    alternatives = []
    for entry in entries:
        for key in ("all", "sequence", "none"):
            for term in entry.get(key, ()):
                if not str(term).strip():
                    raise InputError(path, f"empty term in {key}", "remove it or write the normalized form",
                                     line=getattr(entry, "line", None))
        alternatives.append(Alternative.from_yaml(entry))
    return tuple(alternatives)


# The shared knowledge files every corpus holds beside speakers.yaml, in load order.
FILES = ("topics.yaml", "analogies.yaml", "entities.yaml", "cues.yaml")


def load_knowledge(root: Path, speakers: dict) -> Knowledge:
    root = Path(root)
    missing = [name for name in FILES if not (root / name).exists() and not (root / name).is_symlink()]
    if len(missing) > 1:
        # a new corpus directory: all of them in one line, not one run each
        raise InputError(root, f"{', '.join(missing)} are missing",
                         "copy them from the corpus/ directory that comes with quotekb (cues.yaml holds the "
                         "words the rules read; topics, analogy frames and entities are the corpus's own)")
    path = root / "topics.yaml"
    data = load_yaml(path, root)
    validate(data, "topics", path)
    _unique(data["topics"], path, "topic")
    topics = [
        Topic(t["id"], t["label_ja"], t["label_en"], t["description"], _alternatives(t["match"], path))
        for t in data["topics"]
    ]

    path = root / "analogies.yaml"
    data = load_yaml(path, root)
    validate(data, "analogies", path)
    _unique(data["analogies"], path, "analogy")
    frames = []
    for f in data["analogies"]:
        stances = []
        for s in f.get("stances", ()):
            if s["speaker"] not in speakers:
                raise InputError(path, f"unknown speaker {brief(s['speaker'])} in a curated stance",
                                 "use an id from corpus/speakers.yaml", line=s.line)
            stances.append(CuratedStance(s["speaker"], s["stance"], s["quote"], s.get("document"), s.line))
        frames.append(Frame(
            f["id"], f["source_ja"], f["source_en"], f.get("target_ja"), f["target_en"], f["ground"],
            _alternatives(f["cues"], path), tuple(stances), f.line,
        ))

    path = root / "entities.yaml"
    data = load_yaml(path, root)
    validate(data, "entities", path)
    _unique(data["entities"], path, "entity")
    entities = [Entity(e["id"], e["name"], e["kind"], tuple(e["variants"])) for e in data["entities"]]

    path = root / "cues.yaml"
    data = load_yaml(path, root)
    validate(data, "cues", path)
    cues = {name: CueCategory.from_yaml(name, spec) for name, spec in data["categories"].items()}
    for category in cues.values():  # what may follow a cue that must be the main predicate
        category.tail = cues.get("predicate_tail")
    return Knowledge(topics, frames, entities, cues, root)
