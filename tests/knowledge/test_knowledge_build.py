"""Stable claim ids across edits, and knowledge-file errors that stop check and build."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPUS, SEED_ID
from quotekb.cli import cli
from quotekb.store.build import build

EDITED = "私はそこにとても賢い人たちをたくさん知っています。"


def copy_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    return root


def claims_by_position(db: Path) -> list[tuple[str, str]]:
    """The seed's claims: a database built beside other articles must give it the same ids."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT id, text FROM claims WHERE document_id = ? ORDER BY position", (SEED_ID,)).fetchall()
    conn.close()
    return rows


def test_editing_one_sentence_changes_only_its_claim_id(tmp_path, seed_db):
    root = copy_corpus(tmp_path)
    text_path = root / "articles" / f"{SEED_ID}.txt"
    text = text_path.read_text(encoding="utf-8")
    assert text.count(EDITED) == 1
    text_path.write_text(text.replace(EDITED, "私はそこにとても賢い人たちを何人も知っています。"), encoding="utf-8")
    build(root, tmp_path / "edited.db")
    before, after = claims_by_position(seed_db), claims_by_position(tmp_path / "edited.db")
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b[0] != a[0]]
    assert len(changed) == 1
    assert changed[0][0][1] == EDITED


def test_rebuild_keeps_claim_ids(tmp_path, seed_db):
    build(CORPUS, tmp_path / "again.db")
    assert claims_by_position(seed_db) == claims_by_position(tmp_path / "again.db")


def break_topics_unknown_field(root: Path) -> tuple[str, int]:
    path = root / "topics.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("label_en:"))
    lines.insert(index + 1, "    colour: red\n")
    path.write_text("".join(lines), encoding="utf-8")
    return "topics.yaml", index + 2


def break_curated_quote(root: Path) -> tuple[str, int]:
    path = root / "analogies.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "quote: \"もしスケーリングの法則が正しければ" in line)
    lines[index] = lines[index].replace("巨大な市場", "小さな市場")
    path.write_text("".join(lines), encoding="utf-8")
    # the error points at the stance entry: the "- " line it belongs to
    entry = next(i for i in range(index, -1, -1) if lines[i].lstrip().startswith("- "))
    return "analogies.yaml", entry + 1


def break_duplicate_topic(root: Path) -> tuple[str, int]:
    path = root / "topics.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - id: open-models", "  - id: market-structure", 1)
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - id: market-structure", text.splitlines().index("  - id: market-structure") + 1)
    return "topics.yaml", line + 1


@pytest.mark.parametrize("breaker, words", [
    (break_topics_unknown_field, "unknown field 'colour'"),
    (break_curated_quote, "curated stance quote for 'solar-power' not found"),
    (break_duplicate_topic, "duplicate topic id 'market-structure'"),
])
def test_knowledge_file_errors_fail_check_and_build(tmp_path, breaker, words):
    runner = CliRunner()
    db = tmp_path / "quotekb.db"
    assert runner.invoke(cli, ["build", "--corpus", str(CORPUS), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    root = copy_corpus(tmp_path)
    filename, line = breaker(root)
    for args in (["check", "--corpus", str(root)], ["build", "--corpus", str(root), "--db", str(db)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert f"{filename}:{line}:" in lines[0]
        assert words in lines[0]
    assert db.read_bytes() == before
