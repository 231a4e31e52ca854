"""Hostile build inputs nobody listed: files that are not files, links out of the corpus,
YAML that explodes, files the build may not read, odd line endings, odd names. Each is
one line naming the file, exit 2, no traceback, the database untouched, in seconds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from corpus_factory import BASE_META, make_corpus, write_article
from quotekb.cli import cli

GOOD = "見出しの一行\n\n山田太郎:\n\n質問です。\n\n佐藤花子:\n\n答えです。\n"
SECONDS = 20  # each bad input is refused well within this (the hangs it replaces never ended)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> bytes:
    """A small database, built once; each test starts from a copy of its bytes."""
    root = make_corpus(tmp_path_factory.mktemp("good") / "c", GOOD)
    db = root.parent / "db" / "quotekb.db"
    assert CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db), "-q"]).exit_code == 0
    return db.read_bytes()


@pytest.fixture()
def db(tmp_path, built) -> Path:
    path = tmp_path / "db" / "quotekb.db"
    path.parent.mkdir()
    path.write_bytes(built)
    return path


def _build_argv(root: Path, db: Path) -> list[str]:
    return [sys.executable, "-c", "import sys; from quotekb.cli import cli; sys.exit(cli())",
            "build", "--corpus", str(root), "--db", str(db), "--jobs", "1"]


def fails_cleanly(root: Path, db: Path, *expected: str, unprivileged: bool = False) -> str:
    """`quotekb build` in a child process (a hang is a timeout, not a stuck suite)."""
    before = db.read_bytes()
    argv = _build_argv(root, db)
    if unprivileged:
        argv = without_read_override(argv)
    started = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=SECONDS)
    assert time.monotonic() - started < SECONDS
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", result.stdout + result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert len(lines[0]) < 400, lines[0]  # quotes at most a few characters of input
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["quotekb.db"]
    return lines[0]


def without_read_override(argv: list[str]) -> list[str]:
    """argv run so that file permissions apply: as root, chmod does not stop a read, so
    the child runs as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv,
    util-linux); switching to nobody would not do, the interpreter lives under /root."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root without setpriv (util-linux): cannot make a file unreadable to the build")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", *argv]


# -- not regular files ----------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".txt", ".yaml"])
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, db, suffix):
    root = make_corpus(tmp_path / "c", GOOD)
    path = root / "articles" / f"a1{suffix}"
    path.unlink()
    os.mkfifo(path)
    fails_cleanly(root, db, f"a1{suffix}: is a FIFO (named pipe), not a regular file")


def test_a_directory_named_txt_is_refused(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    write_article(root, "a2", GOOD)
    (root / "articles" / "a2.txt").unlink()
    (root / "articles" / "a2.txt").mkdir()
    fails_cleanly(root, db, "a2.txt: is a directory")


def test_a_device_inside_the_corpus_is_refused(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    path = root / "articles" / "a1.txt"
    path.unlink()
    try:
        os.mknod(path, 0o600 | 0o020000, os.makedev(1, 5))  # a character device: /dev/zero's numbers
    except PermissionError:
        pytest.skip("this container may not create device nodes (no CAP_MKNOD); /dev/zero by link is tested below")
    fails_cleanly(root, db, "a1.txt: is a character device, not a regular file")


# -- links leaving the corpus -----------------------------------------------------------

def test_a_link_to_dev_zero_is_refused_before_reading(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    path = root / "articles" / "a1.txt"
    path.unlink()
    path.symlink_to("/dev/zero")
    fails_cleanly(root, db, "a1.txt: is a symbolic link to a file outside the corpus directory")


def test_a_linked_speakers_yaml_outside_the_corpus_is_refused_without_printing_it(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    secret = tmp_path / "elsewhere" / "private.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:secret-password-hash\n", encoding="utf-8")
    (root / "speakers.yaml").unlink()
    (root / "speakers.yaml").symlink_to(secret)
    line = fails_cleanly(root, db, "speakers.yaml: is a symbolic link to a file outside the corpus directory")
    assert "secret" not in line and "private" not in line


def test_a_link_that_stays_inside_the_corpus_is_fine(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    (root / "texts").mkdir()
    shutil.move(root / "articles" / "a1.txt", root / "texts" / "a1.txt")
    (root / "articles" / "a1.txt").symlink_to(Path("..") / "texts" / "a1.txt")
    result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db), "-q"])
    assert result.exit_code == 0, result.output


# -- YAML bombs and huge values --------------------------------------------------------

def _article_yaml(root: Path, extra: str) -> None:
    path = root / "articles" / "a1.yaml"
    path.write_text(yaml.safe_dump(BASE_META, allow_unicode=True) + extra, encoding="utf-8")


def test_an_alias_bomb_under_notes_is_refused_in_bounded_time(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    # nine levels of nine aliases each: 9^9 (387 million) values once expanded
    levels = ["  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    _article_yaml(root, "notes:\n" + "\n".join(levels) + "\n")
    fails_cleanly(root, db, "a1.yaml:", "expands to more than 200,000 values")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    _article_yaml(root, "notes: &me [one, *me]\n")
    fails_cleanly(root, db, "a1.yaml:", "an alias refers to its own anchor")


def test_a_huge_value_is_refused_and_not_quoted(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    _article_yaml(root, "notes: " + "長" * 300_000 + "\n")
    line = fails_cleanly(root, db, "a1.yaml:", "300,000 characters long, over the 100,000-character limit")
    assert "長長長長長" not in line


def test_a_schema_error_on_a_long_value_quotes_a_few_characters_of_it(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    meta = {**BASE_META, "published_on": "2025-01-02" + "x" * 50_000}
    (root / "articles" / "a1.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    line = fails_cleanly(root, db, "a1.yaml:", "published_on", "(50,010 characters)")
    assert "x" * 40 not in line


def test_a_huge_yaml_file_is_refused_by_its_size(tmp_path, db):
    root = make_corpus(tmp_path / "c", GOOD)
    with open(root / "topics.yaml", "a", encoding="utf-8") as handle:
        handle.write(("# " + "x" * 1000 + "\n") * 5000)  # 5 MB of comments
    fails_cleanly(root, db, "topics.yaml: YAML file is over the 4,194,304-byte limit")


# -- unreadable files and directories --------------------------------------------------

@pytest.mark.parametrize(("name", "what"), [
    ("speakers.yaml", "file"),
    ("topics.yaml", "file"),
    ("articles/a1.txt", "file"),
    ("articles/a1.yaml", "file"),
    ("articles", "directory"),
])
def test_an_unreadable_file_or_directory_is_one_line_naming_it(tmp_path, db, name, what):
    root = make_corpus(tmp_path / "c", GOOD)
    (root / name).chmod(0o000)
    try:
        fails_cleanly(root, db, f"{name}: {what} cannot be read (permission denied)", "chmod", unprivileged=True)
    finally:
        (root / name).chmod(0o755 if what == "directory" else 0o644)


# -- line endings ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    GOOD.replace("\n", "\r"),  # classic Mac OS: CR only
    "見出しの一行\r\n\r山田太郎:\n\r\n質問です。\r\r佐藤花子:\r\n\n答えです。\r\n",  # all three, mixed
], ids=["cr-only", "mixed"])
def test_cr_only_and_mixed_line_endings_build_losslessly(tmp_path, text):
    root = make_corpus(tmp_path / "c", text.encode("utf-8"))
    db = tmp_path / "le.db"
    result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db), "-q"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT text FROM documents").fetchone()[0] == text
    joined = conn.execute("SELECT group_concat(text, '') FROM (SELECT text FROM segments ORDER BY position)").fetchone()
    assert joined[0] == text
    for table in ("segments", "turns", "sentences"):
        bad = conn.execute(f'SELECT count(*) FROM {table} t, documents d WHERE substr(d.text, t.start + 1, '
                           f't."end" - t.start) != t.text').fetchone()[0]
        assert bad == 0, table
    # read from the text: 山田太郎 asks, 佐藤花子 answers, each in one sentence
    turns = conn.execute("SELECT speaker_id, text FROM turns WHERE kind = 'interview' ORDER BY position").fetchall()
    assert [(s, t.strip("\r\n")) for s, t in turns] == [("yamada", "質問です。"), ("sato", "答えです。")]


# -- names -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a\nb", "a b", "a.b", "-a", "x" * 101, "ａ１"],
                         ids=["newline", "space", "dot", "leading-dash", "too-long", "fullwidth"])
def test_a_file_name_that_is_not_a_valid_id_is_refused(tmp_path, db, name):
    root = make_corpus(tmp_path / "c", GOOD)
    write_article(root, name, GOOD)
    line = fails_cleanly(root, db, "is not a valid article id", "letters, digits, '_' and '-'")
    if "\n" in name:
        assert "a\\nb" in line  # shown escaped, on the one line


def test_an_id_pattern_name_builds():
    from quotekb.ingest.files import ID_PATTERN

    for good in ("000_4ec62380fbf01393", "syn_00001", "a1", "Interview-2025_01"):
        assert ID_PATTERN.fullmatch(good)
