"""Building: determinism, atomic replacement, and failures that leave the database alone."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from conftest import CORPUS
from quotekb.cli import cli


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    lines = list(conn.iterdump())
    conn.close()
    return lines


def test_two_builds_give_identical_rows(tmp_path):
    runner = CliRunner()
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for path in (a, b):
        result = runner.invoke(cli, ["build", "--corpus", str(CORPUS), "--db", str(path)])
        assert result.exit_code == 0, result.output
    dump_a = dump(a)
    assert dump_a == dump(b)
    assert any(line.startswith('INSERT INTO "sentences"') for line in dump_a)


def test_build_prints_progress_and_row_counts(tmp_path):
    result = CliRunner().invoke(cli, ["build", "--corpus", str(CORPUS), "--db", str(tmp_path / "q.db")])
    assert result.exit_code == 0
    assert "[1/1] 000_4ec62380fbf01393:" in result.output
    # read from the text: headline, summary and lead are the author's turns, plus 20 interview turns
    assert "turns 23" in result.output and "sections 5" in result.output


def broken_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    article = root / "articles" / "000_4ec62380fbf01393.yaml"
    article.write_text(
        article.read_text(encoding="utf-8").replace("ノア・スミス: noah-smith", "ノア・スミス: noah-smithh"),
        encoding="utf-8",
    )
    return root


def test_failed_build_exits_2_with_one_line_and_keeps_the_database(tmp_path):
    runner = CliRunner()
    db = tmp_path / "quotekb.db"
    assert runner.invoke(cli, ["build", "--corpus", str(CORPUS), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    result = runner.invoke(cli, ["build", "--corpus", str(broken_corpus(tmp_path)), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "000_4ec62380fbf01393.yaml:" in lines[0]
    assert "unknown speaker 'noah-smithh'" in lines[0]
    assert "Traceback" not in result.output
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".quotekb.db.tmp")] == []


def test_check_reports_the_same_error(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--corpus", str(broken_corpus(tmp_path))])
    assert result.exit_code == 2
    assert "unknown speaker 'noah-smithh'" in result.output


def test_check_summarises_a_good_corpus():
    result = CliRunner().invoke(cli, ["check", "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "20 interview turns (dario-amodei 10, erik-torenberg 2, noah-smith 8)" in result.output


def test_a_morpheme_whose_lexeme_cannot_be_mapped_fails_the_merge(tmp_path):
    # the merge maps shard lexeme ids through a join; a morpheme left without one
    # must stop the build, never silently drop out of the database
    import pytest

    from quotekb.ingest.corpus import load_corpus
    from quotekb.ingest.knowledge import load_knowledge
    from quotekb.knowledge.pipeline import Extractor
    from quotekb.store import workers
    from quotekb.store.schema import create_schema, make_engine
    from quotekb.store.writer import Rebaser, merge_shard, pack, write_rows

    corpus = load_corpus(CORPUS)
    extractor = Extractor(load_knowledge(CORPUS, corpus.speakers), corpus.speakers)
    extractor.precheck(corpus.articles)
    runner = workers.start(corpus.articles, corpus.speakers, extractor, True, 1, tmp_path)
    runner.parse()
    (done,) = list(runner.results())
    with sqlite3.connect(done.shard) as shard:  # lose one lexeme from the shard
        assert shard.execute("DELETE FROM lexemes WHERE rowid = 1").rowcount == 1
    engine = make_engine(tmp_path / "q.db")
    create_schema(engine)
    with engine.connect() as conn:
        counts = Counter()
        write_rows(conn, pack(extractor.global_rows(corpus)), counts)
        with pytest.raises(sqlite3.IntegrityError, match="NOT NULL constraint failed: morphemes.lexeme_id"):
            merge_shard(conn, done.shard, Rebaser(), done.used_ids, counts)
    engine.dispose()


def test_a_full_build_checks_every_foreign_key_once_at_its_end(tmp_path, monkeypatch):
    # a full build loads with foreign_keys off (schema.make_engine) and checks all keys
    # after the load: a row that points nowhere still fails the build, in one line,
    # and the database it would have replaced stays as it was
    from quotekb.store import build as build_module
    from quotekb.store.writer import COLUMNS

    runner = CliRunner()
    db = tmp_path / "quotekb.db"
    assert runner.invoke(cli, ["build", "--corpus", str(CORPUS), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    write_chunk = build_module.write_chunk
    lexeme_id = COLUMNS["morphemes"].index("lexeme_id")

    def dangling(conn, batches, lexemes, counts):
        batches[0]["morphemes"][0] = list(batches[0]["morphemes"][0])
        batches[0]["morphemes"][0][lexeme_id] = 10**9  # no lexeme has this id
        return write_chunk(conn, batches, lexemes, counts)

    monkeypatch.setattr(build_module, "write_chunk", dangling)
    result = runner.invoke(cli, ["build", "--full", "--corpus", str(CORPUS), "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert "FOREIGN KEY constraint failed: morphemes.lexeme_id = 1000000000 matches no lexemes.id" in lines[-1]
    assert "Traceback" not in result.output
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".quotekb.db.tmp")] == []


def test_check_foreign_keys_names_the_key_and_the_value_that_breaks_it(tmp_path):
    import pytest

    from quotekb.store.schema import check_foreign_keys, create_schema, make_engine

    engine = make_engine(tmp_path / "q.db", foreign_keys=False)
    create_schema(engine)
    with engine.begin() as conn:
        check_foreign_keys(conn)  # an empty database holds
        conn.exec_driver_sql("INSERT INTO speaker_labels (id, document_id, speaker_id, label) "
                            "VALUES (7, 'no-document', 'nobody', 'X')")
        with pytest.raises(sqlite3.IntegrityError, match="speaker_labels.(document_id = 'no-document' matches no "
                                                           "documents.id|speaker_id = 'nobody' matches no speakers.id)"):
            check_foreign_keys(conn)
    engine.dispose()


def test_check_foreign_keys_reads_a_key_that_names_only_the_parent_table():
    # REFERENCES p with no columns means p's primary key (SQLite reports `to` as NULL)
    import pytest
    from sqlalchemy import create_engine

    from quotekb.store.schema import check_foreign_keys

    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE p (a TEXT, b INTEGER, PRIMARY KEY (a, b))")
        conn.exec_driver_sql("CREATE TABLE ch (x TEXT, y INTEGER, FOREIGN KEY (x, y) REFERENCES p)")
        conn.exec_driver_sql("INSERT INTO p VALUES ('k', 2)")
        conn.exec_driver_sql("INSERT INTO ch VALUES ('k', 2), ('k', 3)")
        with pytest.raises(sqlite3.IntegrityError, match=r"ch\.x, ch\.y = 'k', 3 matches no p\.a, p\.b$"):
            check_foreign_keys(conn)
    engine.dispose()


def test_a_build_restores_the_collector_thresholds_also_when_it_fails(tmp_path, monkeypatch):
    # builds relax the cyclic collector (workers.bulk_gc); a library caller's
    # process must get its own thresholds back either way
    import gc

    import pytest

    from quotekb.errors import InputError
    from quotekb.store import workers
    from quotekb.store.build import build

    during = []
    process = workers.process

    def recording(*args, **kwargs):
        during.append(gc.get_threshold())
        return process(*args, **kwargs)

    monkeypatch.setattr(workers, "process", recording)
    previous = gc.get_threshold()
    gc.set_threshold(1234, 5, 6)
    try:
        build(CORPUS, tmp_path / "ok.db")
        assert gc.get_threshold() == (1234, 5, 6)
        with pytest.raises(InputError):
            build(broken_corpus(tmp_path), tmp_path / "bad.db")
        assert gc.get_threshold() == (1234, 5, 6)
    finally:
        gc.set_threshold(*previous)
    assert during == [workers.BULK_GC_THRESHOLDS]  # the one article, processed under the relaxed policy


