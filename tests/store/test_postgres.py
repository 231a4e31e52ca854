"""PostgreSQL against SQLite on a real server: the same rows, exports and search results.

The server is the one QUOTEKB_TEST_POSTGRES_URL names (.ci/run starts a throwaway
cluster and sets it), else a throwaway cluster this module starts itself with
scripts/pg_throwaway.sh. Only when no server binaries exist, and not in CI, are these
tests skipped; in CI (CI=true) a missing server fails them.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from conftest import CORPUS, REPO, SEED_ID
from quotekb.cli import cli
from quotekb.store import postgres, postgres_build
from quotekb.store.models import Base
from quotekb.store.search import tsquery_text, tsvector_text
from quotekb.store.views import VIEWS
from quotekb.store.writer import VIRTUAL

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import make_corpus as make_synthetic  # noqa: E402

THROWAWAY = REPO / "scripts" / "pg_throwaway.sh"
NO_BINARIES = 3  # pg_throwaway.sh's exit status when there is no server to start


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """URL of a database on a PostgreSQL server that tests may create databases on."""
    url = os.environ.get("QUOTEKB_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    directory = Path(f"/tmp/quotekb-pg-{uuid.uuid4().hex[:8]}")  # short: a socket path has ~100 bytes
    started = subprocess.run(["bash", str(THROWAWAY), "start", str(directory)], capture_output=True, text=True,
                             env={**os.environ, "PG_THROWAWAY_OPTIONS": "-c fsync=off"})
    if started.returncode == NO_BINARIES:
        shutil.rmtree(directory, ignore_errors=True)
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL server: .ci/run must install and start one")
        pytest.skip("no PostgreSQL server binaries here (apt-get install postgresql) and no "
                    "QUOTEKB_TEST_POSTGRES_URL")
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(THROWAWAY), "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture()
def pg_url(server, request):
    """A fresh, empty database for one test (the build uses a fixed schema name)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.conninfo(server), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(postgres.conninfo(server), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def sqlite_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        names = [t.name for t in Base.metadata.sorted_tables] + list(VIRTUAL)
        return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in names}


def fts_rows_sqlite(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT rowid, terms, spans FROM sentences_fts ORDER BY rowid").fetchall()


def view_rows(conn, name: str) -> list[tuple]:
    """A view's rows, sorted, numbers as floats (PostgreSQL's round() gives numeric)."""
    rows = [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in conn.execute(f"SELECT * FROM {name}")]
    return sorted(rows, key=repr)


def fts_rows_postgres(url: str) -> list[tuple]:
    with postgres.ReadConnection(url) as conn:
        return [tuple(r) for r in conn.execute("SELECT rowid, terms, spans FROM sentences_fts ORDER BY rowid")]


SEARCHES = ["電気", "思う", "推論 コスト", '"スケーリング 則"', "ai", "ＡＩ", "太陽光", "！？", "it's \\ 'x'"]
SUBSTRINGS = ["太陽光", "電気", "ai", "%", "_", "ＡＩ", "電\x00気", "'\\"]


def assert_same(sqlite_db: Path, url: str, tmp_path: Path, corpus: Path) -> None:
    """Row counts, the full-text rows, every export and search results agree."""
    counts = sqlite_counts(sqlite_db)
    assert counts["sentences"] > 0 and counts["morphemes"] > 0 and counts["claims"] > 0
    assert postgres_build.dump_counts(url) == counts
    assert fts_rows_postgres(url) == fts_rows_sqlite(sqlite_db)
    with postgres.ReadConnection(url) as conn:
        # lossless on PostgreSQL too: substr() counts code points there as well
        spans = [t for t in Base.metadata.sorted_tables if {"start", "end", "text", "document_id"} <= set(t.c.keys())]
        assert {"segments", "turns", "sentences", "claims", "key_points", "mentions"} <= {t.name for t in spans}
        for table in spans:
            broken = conn.execute(f'SELECT count(*) FROM {table.name} x JOIN documents d ON d.id = x.document_id '
                                  f'WHERE substr(d.text, x.start + 1, x."end" - x.start) <> x.text').fetchone()[0]
            assert broken == 0, table.name
    with sqlite3.connect(sqlite_db) as left, postgres.ReadConnection(url) as right:
        for name in VIEWS:
            rows = view_rows(left, name)
            assert rows == view_rows(right, name), name
            assert rows or name == "analogy_candidates", name
    speakers = sorted({line.split("\t")[2] for line in run("search", "--db", str(sqlite_db), "--limit", "0", "は")
                       .splitlines()})
    exports = [["claims"], ["claims", "--format", "jsonl"], ["claims", "--kind", "prediction"],
               ["claims", "--topic", "scaling-laws"], ["claims", "--speaker", speakers[0]]]
    for args in exports:
        left, right = run("export", *args, "--db", str(sqlite_db)), run("export", *args, "--db", url)
        assert left == right, args
        assert left.strip() not in ("", "[]") or args[1:2] == ["--kind"], args
    quotes = {engine: [run("export", "quotes", *fmt, "--db", db) for fmt in ([], ["--format", "jsonl"])]
              for engine, db in (("sqlite", str(sqlite_db)), ("postgresql", url))}
    assert quotes["sqlite"] == quotes["postgresql"]
    run("export", "package", "--db", str(sqlite_db), str(tmp_path / "pkg-sqlite"))
    run("export", "package", "--db", url, str(tmp_path / "pkg-postgres"))
    compared = filecmp.dircmp(tmp_path / "pkg-sqlite", tmp_path / "pkg-postgres")
    assert compared.left_only == compared.right_only == [] and compared.common_files
    _match, mismatch, errors = filecmp.cmpfiles(tmp_path / "pkg-sqlite", tmp_path / "pkg-postgres",
                                                compared.common_files, shallow=False)
    assert mismatch == errors == []
    shutil.rmtree(tmp_path / "pkg-sqlite")
    shutil.rmtree(tmp_path / "pkg-postgres")
    for query in SEARCHES:
        left = run("search", "--db", str(sqlite_db), "--limit", "0", query).splitlines()
        right = run("search", "--db", url, "--limit", "0", query).splitlines()
        assert sorted(left) == sorted(right), query  # ranks differ (BM25, ts_rank_cd); matches do not
    for query in SUBSTRINGS:
        left = run("search", "--substring", "--db", str(sqlite_db), "--limit", "0", query)
        assert left == run("search", "--substring", "--db", url, "--limit", "0", query), query


def test_seed_builds_the_same_rows_exports_and_search_on_both_engines(tmp_path, pg_url):
    sqlite_db = tmp_path / "quotekb.db"
    run("build", "--corpus", str(CORPUS), "--db", str(sqlite_db), "-q")
    output = run("build", "--corpus", str(CORPUS), "--db", pg_url)
    assert "(full)" in output and "sentences_fts" in output
    assert_same(sqlite_db, pg_url, tmp_path, CORPUS)
    assert "is up to date" in run("build", "--corpus", str(CORPUS), "--db", pg_url)


def test_the_readme_sql_for_postgresql_runs_and_returns_rows(pg_url):
    import re

    run("build", "--corpus", str(CORPUS), "--db", pg_url, "-q")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## PostgreSQL", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    statements = [s.strip() for s in block.split(";") if s.strip()]
    assert len(statements) == 2
    with psycopg.connect(postgres.conninfo(pg_url)) as conn:
        for statement in statements:
            assert conn.execute(statement).fetchall(), statement


def test_serve_refuses_a_postgresql_url_in_one_line():
    result = CliRunner().invoke(cli, ["serve", "--db", "postgresql://me@dbhost/research"])
    assert result.exit_code == 2
    assert result.output.startswith("error: quotekb serve publishes SQLite") and len(result.output.splitlines()) == 1


def test_search_for_electricity_finds_the_two_sentences_that_say_it(tmp_path, pg_url, seed_text):
    sqlite_db = tmp_path / "quotekb.db"
    run("build", "--corpus", str(CORPUS), "--db", str(sqlite_db), "-q")
    run("build", "--corpus", str(CORPUS), "--db", pg_url, "-q")
    lines = {engine: run("search", "--db", db, "電気").splitlines() for engine, db in
             (("sqlite", str(sqlite_db)), ("postgres", pg_url))}
    assert lines["sqlite"] == lines["postgres"]
    # read from the text: 電気 occurs three times, in two of Noah Smith's sentences
    # (発電機 and 発電 are other words)
    assert len(lines["postgres"]) == 2
    assert all(line.split("\t")[0] == SEED_ID and line.split("\t")[2] == "noah-smith" for line in lines["postgres"])
    assert "⟦電気⟧の話はご存知かと思いますが" in lines["postgres"][0] + lines["postgres"][1]
    assert "⟦電気⟧が蒸気ボイラーを直接置き換える" in lines["postgres"][0] + lines["postgres"][1]
    assert seed_text.count("電気") == 3


def test_synthetic_corpus_full_and_incremental_builds_agree(tmp_path, pg_url):
    corpus = tmp_path / "corpus"
    make_synthetic(corpus, 20, seed=4, source=CORPUS)
    shutil.copy(CORPUS / "articles" / f"{SEED_ID}.txt", corpus / "articles")
    shutil.copy(CORPUS / "articles" / f"{SEED_ID}.yaml", corpus / "articles")
    sqlite_db = tmp_path / "quotekb.db"
    run("build", "--corpus", str(corpus), "--db", str(sqlite_db), "-q", "--jobs", "2")
    run("build", "--corpus", str(corpus), "--db", pg_url, "-q", "--jobs", "2")  # forked workers, 3 shards
    assert_same(sqlite_db, pg_url, tmp_path, corpus)
    # change one article, remove another: both engines rebuild only those
    articles = sorted((corpus / "articles").glob("syn*.txt"))
    changed = articles[5]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nこの段落は再ビルドの試験のために追加されました。\n",
                       encoding="utf-8")
    articles[9].unlink()
    articles[9].with_suffix(".yaml").unlink()
    assert "(incremental)" in run("build", "--corpus", str(corpus), "--db", str(sqlite_db))
    output = run("build", "--corpus", str(corpus), "--db", pg_url)
    assert "incremental build (1 changed, 1 removed)" in output and "(incremental)" in output
    assert_same(sqlite_db, pg_url, tmp_path, corpus)


def test_news_excerpts_give_the_same_quotes_on_both_engines(tmp_path, pg_url):
    """Real news (tests/fixtures/real/news, form: news) beside the seed: quotes too."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("evaluate_quotes", REPO / "scripts" / "evaluate_quotes.py")
    evaluate_quotes = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("evaluate_quotes", evaluate_quotes)
    spec.loader.exec_module(evaluate_quotes)
    excerpts = evaluate_quotes.excerpts()[:3]
    corpus = tmp_path / "corpus"
    slug, text_path, expected = excerpts[0]
    evaluate_quotes.write_corpus(corpus, slug, text_path, expected)
    speakers = yaml.safe_load((corpus / "speakers.yaml").read_text(encoding="utf-8"))["speakers"]
    for slug, text_path, expected in excerpts[1:]:
        (corpus / "articles" / f"{slug}.yaml").write_text(yaml.safe_dump(expected["article"], allow_unicode=True),
                                                          encoding="utf-8")
        shutil.copy(text_path, corpus / "articles" / f"{slug}.txt")
        known = {s["id"] for s in speakers}
        speakers += [{k: v for k, v in s.items() if v not in (None, [])} for s in expected["speakers"]
                     if s["id"] not in known]
    (corpus / "speakers.yaml").write_text(yaml.safe_dump({"speakers": speakers}, allow_unicode=True),
                                          encoding="utf-8")
    sqlite_db = tmp_path / "quotekb.db"
    run("build", "--corpus", str(corpus), "--db", str(sqlite_db), "-q")
    run("build", "--corpus", str(corpus), "--db", pg_url, "-q")
    exported = run("export", "quotes", "--db", pg_url)
    assert exported == run("export", "quotes", "--db", str(sqlite_db))
    assert exported.count('"attribution"') >= 3  # every excerpt has quotes, read from the expected files
    assert postgres_build.dump_counts(pg_url) == sqlite_counts(sqlite_db)


def broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "broken"
    shutil.copytree(CORPUS, root)
    article = root / "articles" / f"{SEED_ID}.yaml"
    article.write_text(article.read_text(encoding="utf-8").replace("ノア・スミス: noah-smith", "ノア・スミス: nobody"),
                       encoding="utf-8")
    return root


def schemas(url: str) -> list[str]:
    with psycopg.connect(postgres.conninfo(url)) as conn:
        return sorted(r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'quotekb%'"))


def test_bad_input_exits_2_with_one_line_and_keeps_the_data(tmp_path, pg_url):
    run("build", "--corpus", str(CORPUS), "--db", pg_url, "-q")
    before = postgres_build.dump_counts(pg_url)
    result = CliRunner().invoke(cli, ["build", "--corpus", str(broken_copy(tmp_path)), "--db", pg_url, "--full"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "unknown speaker 'nobody'" in result.output
    assert postgres_build.dump_counts(pg_url) == before
    assert schemas(pg_url) == ["quotekb"]


def test_a_build_that_fails_midway_leaves_the_live_schema_and_no_leftovers(tmp_path, pg_url, monkeypatch):
    run("build", "--corpus", str(CORPUS), "--db", pg_url, "-q")
    before = run("export", "claims", "--db", pg_url)

    def failing(*_args, **_kwargs):
        raise RuntimeError("killed in the middle of the copy")

    monkeypatch.setattr(postgres_build, "copy_shard", failing)
    with pytest.raises(RuntimeError, match="killed in the middle"):
        postgres_build.build(CORPUS, pg_url, full=True)
    assert run("export", "claims", "--db", pg_url) == before
    assert schemas(pg_url) == ["quotekb"]


def test_a_killed_build_leaves_a_schema_that_the_next_build_drops(tmp_path, pg_url):
    run("build", "--corpus", str(CORPUS), "--db", pg_url, "-q")
    with psycopg.connect(postgres.conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {postgres_build.BUILD_PREFIX}deadbeef")  # what SIGKILL leaves
        conn.execute(f"CREATE TABLE {postgres_build.BUILD_PREFIX}deadbeef.sentences (id integer)")
    assert schemas(pg_url) == ["quotekb", f"{postgres_build.BUILD_PREFIX}deadbeef"]
    assert "is up to date" in run("build", "--corpus", str(CORPUS), "--db", pg_url)
    assert schemas(pg_url) == ["quotekb"]


def test_a_second_build_waits_for_the_first(pg_url):
    """Builds of one database take turns: a build finding the lock held says so and waits."""
    import threading

    key = f"quotekb build {postgres.SCHEMA}"
    with psycopg.connect(postgres.conninfo(pg_url), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))  # a build under way
        said, done = [], []
        thread = threading.Thread(target=lambda: done.append(postgres_build.build(CORPUS, pg_url, echo=said.append)))
        thread.start()
        thread.join(timeout=5)
        assert thread.is_alive() and said == ["waiting for another quotekb build of this database"]
        assert schemas(pg_url) == []  # it wrote nothing while it waited
        other.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
        thread.join(timeout=120)
    assert done and done[0].mode == "full" and schemas(pg_url) == ["quotekb"]


def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path):
    url = f"postgresql://nobody@/nothing?host={tmp_path}"  # no server listens there
    for args in (["build", "--corpus", str(CORPUS)], ["export", "claims"], ["search", "電気"]):
        result = CliRunner().invoke(cli, [*args, "--db", url])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: ") and "cannot connect to PostgreSQL" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_a_database_without_a_build_is_one_line_and_exit_2(pg_url):
    for args in (["export", "claims"], ["search", "電気"], ["export", "package", "out"]):
        result = CliRunner().invoke(cli, [*args, "--db", pg_url])
        assert result.exit_code == 2, result.output
        assert "no quotekb database in schema 'quotekb'" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_the_read_connection_refuses_writes(tmp_path, pg_url):
    run("build", "--corpus", str(CORPUS), "--db", pg_url, "-q")
    with postgres.ReadConnection(pg_url) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("DELETE FROM claims")


def test_odd_terms_survive_the_tsvector_and_tsquery_literals(server):
    """Quotes and backslashes inside terms, and phrases, through the real parser."""
    stored = "it's a\\b 'x' 電気 の 法則"
    with psycopg.connect(postgres.conninfo(server)) as conn:
        def matches(query: str | None) -> bool:
            return conn.execute("SELECT CAST(%s AS tsvector) @@ CAST(%s AS tsquery)",
                                (tsvector_text(stored), query)).fetchone()[0]

        assert matches("'it''s'") and matches("'a\\\\b'") and matches("'''x'''")
        assert matches(tsquery_text('"電気 の 法則"'))
        assert not matches(tsquery_text('"法則 の 電気"'))  # a phrase keeps its order
        assert matches(tsquery_text("法則 電気"))  # terms alone are ANDed, in any order
        assert not matches(tsquery_text("法則 磁気"))
    assert tsquery_text("！？") is None  # no searchable term: matches nothing
