"""Bad input: one line naming the file (and line), exit status 2, no traceback, and an
existing database left byte-identical."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import CORPUS, SEED_ID
from corpus_factory import make_corpus, write_article
from quotekb.cli import cli

GOOD = "見出しの一行\n\n山田太郎:\n\n質問です。\n\n佐藤花子:\n\n答えです。\n"


@pytest.fixture()
def existing_db(tmp_path) -> Path:
    db = tmp_path / "db" / "quotekb.db"
    assert CliRunner().invoke(cli, ["build", "--corpus", str(CORPUS), "--db", str(db), "-q"]).exit_code == 0
    return db


def builds(root: Path, db: Path) -> sqlite3.Connection:
    """`quotekb build` succeeds; a connection to what it wrote."""
    result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return sqlite3.connect(db)


def fails_cleanly(root: Path, db: Path, *expected: str) -> str:
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], lines[0]
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["quotekb.db"]
    return lines[0]


def test_empty_text_file(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", "")
    fails_cleanly(root, existing_db, "a1.txt: text file is empty")


def test_binary_content(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    # the NUL byte follows two line breaks (\r\n and \n), so it is on line 3
    fails_cleanly(root, existing_db, "a1.txt:3: binary content (NUL byte)")


def test_shift_jis_is_named_and_the_encoding_key_then_works(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD.encode("cp932"))
    fails_cleanly(root, existing_db, "a1.txt:1: text is Shift_JIS/CP932", "encoding: cp932")
    write_article(root, "a1", GOOD.encode("cp932"), encoding="cp932")
    db = tmp_path / "sjis.db"
    conn = builds(root, db)
    assert conn.execute("SELECT text, encoding FROM documents").fetchone() == (GOOD, "cp932")
    assert [r[0] for r in conn.execute("SELECT speaker_id FROM turns WHERE kind = 'interview' ORDER BY position")] == [
        "yamada", "sato"]


def test_utf8_bom_and_crlf_are_accepted_losslessly(tmp_path):
    stored = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")
    root = make_corpus(tmp_path / "c", stored)
    db = tmp_path / "bom.db"
    conn = builds(root, db)
    text = conn.execute("SELECT text FROM documents").fetchone()[0]
    assert text.encode("utf-8") == stored
    joined = conn.execute("SELECT group_concat(text, '') FROM (SELECT text FROM segments ORDER BY position)").fetchone()[0]
    assert joined == text
    for table in ("segments", "turns", "sentences", "claims"):
        bad = conn.execute(f'SELECT count(*) FROM {table} t, documents d WHERE substr(d.text, t.start + 1, '
                           f't."end" - t.start) != t.text').fetchone()[0]
        assert bad == 0, table
    assert conn.execute("SELECT text FROM turns WHERE speaker_id = 'sato'").fetchone()[0] == "答えです。"


def test_missing_yaml(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD)
    (root / "articles" / "a2.txt").write_text(GOOD, encoding="utf-8")
    fails_cleanly(root, existing_db, "a2.txt: article text has no YAML beside it", "a2.yaml")


def test_invalid_yaml_names_the_line(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD)
    path = root / "articles" / "a1.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "transcript: [unclosed\n", encoding="utf-8")
    line = path.read_text(encoding="utf-8").count("\n") + 1
    fails_cleanly(root, existing_db, f"a1.yaml:{line}: invalid YAML", "fix the YAML syntax")


def test_unknown_speaker(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD, transcript={"labels": {"山田太郎": "yamada", "佐藤花子": "satou"}})
    fails_cleanly(root, existing_db, "a1.yaml:", "unknown speaker 'satou'", "corpus/speakers.yaml")


def test_duplicate_article_ids(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD)
    write_article(root, "a2", GOOD, id="a1")
    fails_cleanly(root, existing_db, "a2.yaml:", "duplicate article id 'a1'", "a1.yaml has it too")


def test_duplicate_speaker_ids(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD)
    registry = yaml.safe_load((root / "speakers.yaml").read_text(encoding="utf-8"))
    registry["speakers"].append(dict(registry["speakers"][0]))
    (root / "speakers.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    fails_cleanly(root, existing_db, "speakers.yaml:", "duplicate speaker id 'yamada'")


def test_no_recognizable_speaker_turns(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", "見出しの一行\n\nただの段落です。\n\nもう一つの段落です。\n",
                       transcript={"labels": {"山田太郎": "yamada"}})
    fails_cleanly(root, existing_db, "a1.txt: no speaker turns recognised", "transcript.labels")


def test_very_large_file_is_refused_with_its_limit(tmp_path, existing_db):
    root = make_corpus(tmp_path / "c", GOOD)
    with open(root / "articles" / "a1.txt", "ab") as handle:
        handle.write("あ".encode() * (50 * 1024 * 1024 // 3))
    message = fails_cleanly(root, existing_db, "a1.txt: text file is over the", "split it into several articles")
    assert "16,777,216-byte limit" in message


def test_seed_corpus_copy_with_a_broken_article_keeps_the_database(tmp_path, existing_db):
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    (root / "articles" / f"{SEED_ID}.txt").write_bytes(b"")
    fails_cleanly(root, existing_db, f"{SEED_ID}.txt: text file is empty")


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_nul_characters_are_refused_whatever_the_encoding_key_says(tmp_path, existing_db, encoding):
    # a NUL after 質問です。 on line 5 (headline, blank, label, blank, question)
    text = GOOD.replace("質問です。", "質問です。\x00\x00")
    root = make_corpus(tmp_path / "c", text.encode(encoding), encoding=encoding)
    fails_cleanly(root, existing_db, "a1.txt:5: binary content (NUL byte)")


def test_an_explicit_utf8_sig_encoding_keeps_the_bom(tmp_path):
    stored = ("\ufeff" + GOOD).encode("utf-8")
    root = make_corpus(tmp_path / "c", stored, encoding="utf-8-sig")
    db = tmp_path / "sig.db"
    conn = builds(root, db)
    text = conn.execute("SELECT text FROM documents").fetchone()[0]
    assert text.encode("utf-8") == stored
    assert conn.execute("SELECT count(*) FROM sentences s, documents d WHERE "
                        "substr(d.text, s.start + 1, s.\"end\" - s.start) != s.text").fetchone()[0] == 0


def test_utf16_with_its_encoding_key_builds(tmp_path):
    # UTF-16 bytes are full of NULs; only NUL characters after decoding are refused
    root = make_corpus(tmp_path / "c", GOOD.encode("utf-16"), encoding="utf-16")
    db = tmp_path / "u16.db"
    conn = builds(root, db)
    assert conn.execute("SELECT text, encoding FROM documents").fetchone() == (GOOD, "utf-16")
