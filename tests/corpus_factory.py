"""Small synthetic corpora for unit tests: a speakers.yaml and one or more articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

REPO_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
KNOWLEDGE = ("topics.yaml", "analogies.yaml", "entities.yaml", "cues.yaml")

SPEAKERS = {
    "speakers": [
        {"id": "yamada", "name": "山田太郎", "role": "host", "aliases": ["山田氏"]},
        {"id": "sato", "name": "佐藤花子", "role": "guest", "aliases": ["佐藤氏"]},
        {"id": "writer", "name": "記者一郎", "role": "author"},
    ]
}

BASE_META = {
    "title": "見出しの一行",
    "published_on": "2025-01-02",
    "language": "ja",
    "author": "writer",
    "transcript": {"convention": "label-line", "labels": {"山田太郎": "yamada", "佐藤花子": "sato"}},
}


def write_article(root: Path, article_id: str, text: str | bytes, **meta) -> Path:
    articles = root / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    data = {**BASE_META, **meta}
    (articles / f"{article_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    path = articles / f"{article_id}.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def make_corpus(root: Path, text: str | bytes, article_id: str = "a1", speakers: dict | None = None, **meta) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    registry = speakers or SPEAKERS
    # the shared knowledge files name the seed's speakers, so keep them registered
    seed_speakers = yaml.safe_load((REPO_CORPUS / "speakers.yaml").read_text(encoding="utf-8"))["speakers"]
    registry = {"speakers": registry["speakers"] + seed_speakers}
    (root / "speakers.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    for name in KNOWLEDGE:
        shutil.copy(REPO_CORPUS / name, root / name)
    write_article(root, article_id, text, **meta)
    return root
