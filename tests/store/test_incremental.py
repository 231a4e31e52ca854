"""Deterministic, incremental, parallel and crash-safe builds over several articles."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from datasette.app import Datasette

from conftest import CORPUS, REPO, SEED_ID
from quotekb.errors import InputError
from quotekb.store.build import build

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import make_corpus as make_synthetic  # noqa: E402


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def content(db: Path) -> dict[str, list[tuple]]:
    """What a reader sees, independent of integer ids: texts, kinds and claim ids."""
    conn = sqlite3.connect(db)
    try:
        return {
            "documents": conn.execute("SELECT id, sha256, text FROM documents ORDER BY id").fetchall(),
            "sentences": conn.execute(
                "SELECT document_id, position, speaker_id, kind, start, \"end\", text FROM sentences "
                "ORDER BY document_id, position").fetchall(),
            "claims": conn.execute(
                "SELECT id, document_id, kind, hedged, attributed_to, text FROM claims ORDER BY id").fetchall(),
            "topics": conn.execute("SELECT claim_id, topic_id FROM claim_topics ORDER BY 1, 2").fetchall(),
            "analogies": sorted(conn.execute(
                "SELECT m.document_id, m.analogy_id, m.role, coalesce(m.stance, ''), s.position, s.text "
                "FROM analogy_mentions m JOIN sentences s ON s.id = m.sentence_id").fetchall()),
            "tokens": conn.execute("SELECT count(*), sum(start), sum(length(surface)) FROM tokens").fetchall(),
            # headings and key points are indexed at the end of the build (store/units.py)
            "units": conn.execute("SELECT document_id, unit, start, \"end\", terms, spans FROM units_fts "
                                  "ORDER BY 1, 2, 3").fetchall(),
            "search": conn.execute(
                "SELECT rowid FROM sentences_trigram WHERE sentences_trigram MATCH '\"太陽光\"' ORDER BY 1").fetchall()
            and conn.execute(
                "SELECT s.document_id, s.position FROM sentences_trigram t JOIN sentences s ON s.id = t.rowid "
                "WHERE sentences_trigram MATCH '\"太陽光\"' ORDER BY 1, 2").fetchall(),
        }
    finally:
        conn.close()


def seed_plus_synthetic(root: Path, n: int, seed: int) -> Path:
    """The seed article plus n synthetic articles recombined from it."""
    make_synthetic(root, n, seed=seed, source=CORPUS)
    shutil.copy(CORPUS / "articles" / f"{SEED_ID}.txt", root / "articles")
    shutil.copy(CORPUS / "articles" / f"{SEED_ID}.yaml", root / "articles")
    return root


@pytest.fixture(scope="module")
def corpus3(tmp_path_factory) -> Path:
    return seed_plus_synthetic(tmp_path_factory.mktemp("three") / "corpus", 2, seed=7)


def copy(root: Path, tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(root, target)
    return target


def test_two_full_builds_dump_identically(corpus3, tmp_path):
    build(corpus3, tmp_path / "a.db")
    build(corpus3, tmp_path / "b.db")
    lines = dump(tmp_path / "a.db")
    assert lines == dump(tmp_path / "b.db")
    assert sum(line.startswith('INSERT INTO "documents"') for line in lines) == 3


@pytest.fixture(scope="module")
def corpus21(tmp_path_factory) -> Path:
    """Enough articles for several worker chunks."""
    return seed_plus_synthetic(tmp_path_factory.mktemp("twentyone") / "corpus", 20, seed=11)


@pytest.fixture
def merges(monkeypatch) -> list[tuple[str, int]]:
    """How each chunk reached the database, in order: ("shard", sentences) for a shard
    a pool worker wrote and the build merged, ("direct", sentences) for a serial
    build's chunk written straight in."""
    import quotekb.store.build as build_module

    merged = []
    merge_shard, write_chunk = build_module.merge_shard, build_module.write_chunk

    def counting_merge(conn, path, rebaser, used, counts):
        merged.append(("shard", used["sentences"]))
        return merge_shard(conn, path, rebaser, used, counts)

    def counting_write(conn, batches, lexemes, counts):
        merged.append(("direct", sum(len(batch.get("sentences", ())) for batch in batches)))
        return write_chunk(conn, batches, lexemes, counts)

    monkeypatch.setattr(build_module, "merge_shard", counting_merge)
    monkeypatch.setattr(build_module, "write_chunk", counting_write)
    return merged


def test_parallel_build_equals_serial_build(corpus21, tmp_path, merges):
    build(corpus21, tmp_path / "serial.db")
    stats = build(corpus21, tmp_path / "parallel.db", jobs=2)
    # 21 articles in chunks of 8: three chunks, each holding sentences, written
    # straight in by the serial build and as shards by the two workers
    assert stats.articles == 21 and len(merges) == 6 and all(n for _how, n in merges)
    assert [how for how, _n in merges] == ["direct"] * 3 + ["shard"] * 3
    assert [n for _how, n in merges[:3]] == [n for _how, n in merges[3:]]
    assert dump(tmp_path / "serial.db") == dump(tmp_path / "parallel.db")
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert leftovers == []


def test_a_build_times_its_steps(corpus21, tmp_path):
    # what `make bench` splits a build into (BuildStats.phases): in one process the
    # per-task steps run inside the loop over the tasks, which runs between the parse
    # and the finish, all inside build(); a pool's workers time their shards
    serial = build(corpus21, tmp_path / "serial.db")
    steps = ("load", "parse", "articles", "finish")
    assert set(serial.phases) == {*steps, "tokenize", "extract", "write"}
    assert all(serial.phases[name] > 0 for name in serial.phases), serial.phases
    assert serial.phases["tokenize"] + serial.phases["extract"] + serial.phases["write"] <= serial.phases["articles"]
    assert sum(serial.phases[name] for name in steps) <= serial.seconds
    parallel = build(corpus21, tmp_path / "parallel.db", jobs=2)
    assert set(parallel.phases) == {*steps, "tokenize", "extract", "shard", "write"}
    assert parallel.phases["write"] <= parallel.phases["articles"]
    assert sum(parallel.phases[name] for name in steps) <= parallel.seconds
    without_tokens = build(corpus21, tmp_path / "no-tokens.db", with_tokens=False)
    assert without_tokens.phases["tokenize"] < serial.phases["tokenize"], "no Sudachi for the sentences"
    unchanged = build(corpus21, tmp_path / "serial.db")
    assert unchanged.mode == "unchanged" and set(unchanged.phases) == {"load"}


def test_a_pool_started_by_spawn_builds_the_same_database(corpus21, tmp_path, monkeypatch):
    # platforms without fork (macOS, Windows) start pool workers by spawn: fresh
    # interpreters that get everything they need through pickling
    from quotekb.store import workers

    monkeypatch.setattr(workers, "START_METHOD", "spawn")
    build(corpus21, tmp_path / "serial.db")
    stats = build(corpus21, tmp_path / "spawned.db", jobs=2)
    assert stats.articles == 21
    assert dump(tmp_path / "serial.db") == dump(tmp_path / "spawned.db")


def test_jobs_0_means_one_worker_per_cpu(corpus21, tmp_path, monkeypatch):
    # what `quotekb build` (default --jobs 0) and `quotekb serve`'s rebuild ask for
    import quotekb.store.build as build_module

    started = []
    original = build_module.workers.start

    def recording(articles, speakers, extractor, with_tokens, jobs, shards, **options):
        started.append(jobs)
        return original(articles, speakers, extractor, with_tokens, jobs, shards, **options)

    monkeypatch.setattr(build_module.workers, "start", recording)
    monkeypatch.setattr(build_module.os, "cpu_count", lambda: 3)
    build(corpus21, tmp_path / "all.db", jobs=0)
    build(corpus21, tmp_path / "one.db")
    assert started == [3, 1]
    assert dump(tmp_path / "all.db") == dump(tmp_path / "one.db")


def test_parallel_incremental_build_equals_serial(corpus21, tmp_path, merges):
    # shards merged on top of existing rows: their ids must be shifted past them
    serial, parallel = copy(corpus21, tmp_path / "s"), copy(corpus21, tmp_path / "p")
    build(serial, tmp_path / "s.db")
    build(parallel, tmp_path / "p.db")
    for root in (serial, parallel):
        for path in sorted((root / "articles").glob("*.txt"))[::2]:  # 11 of 21 articles
            text = path.read_text(encoding="utf-8")
            path.write_text(text.rstrip("\n") + "\n\nこの段落は再ビルドの試験のために追加された。\n", encoding="utf-8")
    first = build(serial, tmp_path / "s.db")
    second = build(parallel, tmp_path / "p.db", jobs=2)
    assert (first.mode, first.articles) == (second.mode, second.articles) == ("incremental", 11)
    # 3 chunks per full build, then 2 per incremental build (11 articles): the
    # parallel one merges shards on top of the existing rows
    assert [how for how, _n in merges] == ["direct"] * 3 * 2 + ["direct"] * 2 + ["shard"] * 2
    assert dump(tmp_path / "s.db") == dump(tmp_path / "p.db")


def test_only_the_changed_article_is_reprocessed(corpus3, tmp_path):
    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    assert build(root, db).articles == 3
    unchanged = build(root, db)
    assert (unchanged.mode, unchanged.articles) == ("unchanged", 0)

    text_path = root / "articles" / f"{SEED_ID}.txt"
    text_path.write_text(text_path.read_text(encoding="utf-8").replace(
        "はい、少しです。", "はい、少しだけです。"), encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.articles) == ("incremental", 1)
    build(root, tmp_path / "fresh.db", full=True)
    assert content(db) == content(tmp_path / "fresh.db")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM claims WHERE text = 'はい、少しだけです。'").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_a_yaml_change_reprocesses_its_article(corpus3, tmp_path):
    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    yaml_path = sorted((root / "articles").glob("syn_*.yaml"))[0]
    data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    data["description"] = "edited"
    yaml_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.articles) == ("incremental", 1)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT description FROM documents WHERE id = ?", (yaml_path.stem,)).fetchone()[0] == "edited"


def test_a_shared_file_change_reprocesses_every_article(corpus3, tmp_path):
    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    topics = root / "topics.yaml"
    topics.write_text(topics.read_text(encoding="utf-8").replace(
        "label_en: Hype cycle", "label_en: Hype cycles"), encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.articles) == ("full", 3)
    assert "topics.yaml" in stats.reason
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT label_en FROM topics WHERE id = 'hype-cycle'").fetchone()[0] == "Hype cycles"


# written out, not taken from corpus.SHARED_FILES: a file dropped from that list must fail here
@pytest.mark.parametrize("name", ["speakers.yaml", "topics.yaml", "analogies.yaml", "entities.yaml", "cues.yaml"])
def test_any_shared_file_change_rebuilds_everything(corpus3, tmp_path, name):
    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    shared = root / name
    shared.write_text(shared.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.articles) == ("full", 3)
    assert stats.reason == f"changed: {name}"


def test_a_removed_article_leaves_no_rows(corpus3, tmp_path):
    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    victim = sorted((root / "articles").glob("syn_*.yaml"))[0]
    victim.unlink()
    victim.with_suffix(".txt").unlink()
    stats = build(root, db)
    assert (stats.mode, stats.removed, stats.articles) == ("incremental", 1, 0)
    conn = sqlite3.connect(db)
    for table in ("documents", "sentences", "claims", "turns", "segments", "mentions", "analogy_mentions"):
        column = "id" if table == "documents" else "document_id"
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (victim.stem,)).fetchone()[0] == 0
    orphans = conn.execute("SELECT count(*) FROM tokens WHERE sentence_id NOT IN (SELECT id FROM sentences)").fetchone()
    assert orphans[0] == 0
    fts = conn.execute("SELECT count(*) FROM sentences_fts WHERE rowid NOT IN (SELECT id FROM sentences)").fetchone()
    assert fts[0] == 0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ds3(corpus3, tmp_path_factory, datasette_config, datasette_metadata):
    db = tmp_path_factory.mktemp("ds3") / "quotekb.db"
    build(corpus3, db)
    datasette = Datasette(immutables=[str(db)], config=datasette_config, metadata=datasette_metadata)
    await datasette.invoke_startup()
    return datasette


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("table", ["claims", "turns", "sentences"])
async def test_several_articles_facet_by_document(ds3, corpus3, table):
    data = (await ds3.client.get(f"/quotekb/{table}.json?_extra=facet_results&_size=0")).json()
    facet = data["facet_results"]["results"]["document_id"]["results"]
    documents = {item["value"] for item in facet}
    assert documents == {p.stem for p in (corpus3 / "articles").glob("*.yaml")}
    assert all(item["count"] > 0 for item in facet)


KILL_AFTER = [0.3, 0.8, 1.5, 2.5, 4.0]


def test_sigkill_at_any_moment_leaves_the_previous_database(tmp_path):
    root = tmp_path / "corpus"
    make_synthetic(root, 120, seed=3, source=CORPUS)
    db = tmp_path / "db" / "quotekb.db"
    build(CORPUS, db)  # the previous database: the seed alone
    before = db.read_bytes()
    quotekb = Path(sys.executable).parent / "quotekb"
    killed_mid_build, previous_documents = 0, 1
    for delay in KILL_AFTER:
        process = subprocess.Popen([str(quotekb), "build", "--corpus", str(root), "--db", str(db), "-q", "--full"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        if process.poll() is None:
            killed_mid_build += 1
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        conn.close()
        if db.read_bytes() != before:
            # the rename happened (the kill, if any, came after it): the whole new corpus
            assert documents == 120
            before, previous_documents = db.read_bytes(), documents
        else:
            assert documents == previous_documents  # the previous database, untouched
    assert killed_mid_build >= 3, "the corpus built too fast to be killed mid-build"
    # the next build cleans up what the killed ones left and succeeds
    stats = build(root, db, full=True)
    assert stats.articles == 120
    assert [p.name for p in db.parent.iterdir()] == ["quotekb.db"]


def test_an_incremental_build_drops_lexemes_no_article_uses(corpus3, tmp_path):
    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    text_path = root / "articles" / f"{SEED_ID}.txt"
    original = text_path.read_text(encoding="utf-8")
    text_path.write_text(original.replace("はい、少しです。", "はい、少しです。ズワイガニも。"), encoding="utf-8")
    build(root, db)

    def crab_lexemes() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM lexemes WHERE surface = 'ズワイガニ'").fetchone()[0]

    assert crab_lexemes() == 1
    text_path.write_text(original, encoding="utf-8")
    assert build(root, db).mode == "incremental"
    assert crab_lexemes() == 0
    with sqlite3.connect(db) as conn:
        unused = conn.execute("SELECT count(*) FROM lexemes WHERE id NOT IN (SELECT lexeme_id FROM morphemes)")
        assert unused.fetchone()[0] == 0


def test_a_parallel_build_reports_the_first_bad_article_like_a_serial_one(corpus21, tmp_path):
    from click.testing import CliRunner

    from quotekb.cli import cli

    root = copy(corpus21, tmp_path)
    texts = sorted((root / "articles").glob("*.txt"))
    # articles 10 and 18 (0-based 9 and 17) sit in the 2nd and 3rd chunks of 8, which
    # two workers parse at the same time; the first in corpus order must be reported
    for path in (texts[9], texts[17]):
        path.write_text("見出しだけの記事\n\n話者のいない本文です。\n", encoding="utf-8")
    db = tmp_path / "db" / "quotekb.db"
    build(CORPUS, db)
    before = db.read_bytes()
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db), "--jobs", jobs])
        assert result.exit_code == 2, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 1 and f"{texts[9].stem}." in outputs[0], outputs[0]
    assert "no speaker turns recognised" in outputs[0]  # a parse error: found by the workers
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir()] == ["quotekb.db"]


def test_a_worker_that_dies_fails_the_build_instead_of_hanging(corpus21, tmp_path, monkeypatch):
    import quotekb.store.workers as workers

    db = tmp_path / "db" / "quotekb.db"
    build(CORPUS, db)
    before = db.read_bytes()
    monkeypatch.setattr(workers, "process", lambda *args, **kwargs: os._exit(3))  # in the forked workers
    with pytest.raises(RuntimeError, match=r"a build worker died"):
        build(corpus21, db, jobs=2)
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir()] == ["quotekb.db"]


def test_a_key_that_points_nowhere_in_a_workers_shard_fails_the_full_build(corpus21, tmp_path, monkeypatch):
    # full builds check foreign keys once after the load (schema.check_foreign_keys):
    # a turn of the second task's shard names a speaker nobody declared
    import quotekb.store.workers as workers
    from quotekb.store.writer import COLUMNS

    db = tmp_path / "db" / "quotekb.db"
    build(CORPUS, db)
    before = db.read_bytes()
    write_shard = workers.write_shard
    speaker = COLUMNS["turns"].index("speaker_id")

    def unknown_speaker(path, batches, lexemes):
        if path.name == f"shard-{workers.CHUNK_ARTICLES:06d}.db":
            batches[0]["turns"][0][speaker] = "nobody"
        return write_shard(path, batches, lexemes)

    monkeypatch.setattr(workers, "write_shard", unknown_speaker)  # inherited by the forked workers
    monkeypatch.setattr(workers, "START_METHOD", "fork")
    with pytest.raises(InputError, match="breaks a database constraint .FOREIGN KEY constraint failed: "
                                         "turns.speaker_id = 'nobody' matches no speakers.id"):
        build(corpus21, db, jobs=2, full=True)  # an incremental build checks row by row, keys on
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir()] == ["quotekb.db"]


def _stale(articles: dict) -> dict:
    first = sorted(articles)[0]
    return {**articles, first: (None, "stale")}


def _ghost(articles: dict) -> dict:
    return {**articles, "ghost": ("0" * 64, "0" * 64)}


@pytest.mark.parametrize("first_reading", [_stale, _ghost], ids=["changed", "vanished"])
def test_the_plan_is_made_again_from_what_was_loaded(corpus3, tmp_path, monkeypatch, first_reading):
    # the first plan comes from hashes read before loading; if the files change in
    # between (an article changed back, or one that vanished), the loaded corpus
    # decides, and nothing is left behind
    import dataclasses

    import quotekb.store.build as build_module
    from quotekb.ingest.corpus import fingerprint

    db = tmp_path / "q.db"
    build(corpus3, db)
    before = db.read_bytes()

    def first(root):
        real = fingerprint(root)
        return dataclasses.replace(real, articles=first_reading(real.articles))

    monkeypatch.setattr(build_module, "fingerprint", first)
    assert build(corpus3, db).mode == "unchanged"
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_incremental_build_loads_only_the_changed_articles(corpus3, tmp_path, monkeypatch):
    import quotekb.ingest.corpus as corpus_module

    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    loaded = []
    original = corpus_module.load_article

    def counting(yaml_path, speakers, *rest):
        loaded.append(yaml_path.stem)
        return original(yaml_path, speakers, *rest)

    monkeypatch.setattr(corpus_module, "load_article", counting)
    text_path = root / "articles" / f"{SEED_ID}.txt"
    text_path.write_text(text_path.read_text(encoding="utf-8") + "\n追加の段落です。\n", encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.articles, loaded) == ("incremental", 1, [SEED_ID])
    assert build(root, db).mode == "unchanged" and loaded == [SEED_ID]  # nothing loaded at all


def test_a_curated_stance_without_a_document_survives_an_incremental_build(tmp_path):
    # `document` is optional for a curated stance: its quote may be in any article.
    # An incremental build loads only the changed articles, and must still find the
    # quote in the unchanged ones (read from the database).
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    analogies = root / "analogies.yaml"
    scoped = f"      - document: {SEED_ID}\n        speaker"
    assert scoped in analogies.read_text(encoding="utf-8")
    analogies.write_text(analogies.read_text(encoding="utf-8").replace(scoped, "      - speaker", 1), encoding="utf-8")
    db = tmp_path / "q.db"
    build(root, db)
    (root / "articles" / "b1.yaml").write_text(
        'title: 短い記事\npublished_on: "2024-09-01"\nlanguage: ja\nauthor: huang-wenwen\n'
        "transcript:\n  convention: label-line\n  labels:\n    ノア・スミス: noah-smith\n"
        "    ダリオ・アモデイ: dario-amodei\n", encoding="utf-8")
    (root / "articles" / "b1.txt").write_text(
        "短い記事\n\nノア・スミス\n\n今日は天気の話です。\n\nダリオ・アモデイ\n\nそうですね。\n", encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.articles) == ("incremental", 1)


def test_workers_end_when_the_parent_is_killed_alone(tmp_path):
    # SIGKILL to the build process only (not its group) while one worker waits for
    # the go signal and the other still parses: both must notice the closed pipe and
    # exit, not wait for the dead parent forever
    root = tmp_path / "corpus"
    make_synthetic(root, 16, seed=5, source=CORPUS)
    # the 9th article (the first of worker 1's chunk) gets long: ~2 s to parse, while
    # worker 0 is done with its chunk in a fraction of that
    texts = sorted((root / "articles").glob("*.txt"))
    paragraph = "この段落は構文解析に時間をかけるために何度も繰り返される文です。"
    with texts[8].open("a", encoding="utf-8") as out:
        out.write(("\n\n" + paragraph) * 120_000)
    quotekb = Path(sys.executable).parent / "quotekb"
    process = subprocess.Popen([str(quotekb), "build", "--corpus", str(root), "--db", str(tmp_path / "q.db"),
                                "-q", "--jobs", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # workers exist once the parent has forked: wait for them, then kill the parent
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(_group_members(process.pid)) < 3:
        time.sleep(0.05)
    assert len(_group_members(process.pid)) == 3, "the build did not start its two workers"
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _group_members(process.pid):
        time.sleep(0.2)
    left = _group_members(process.pid)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
    assert left == [], "workers still running 20 s after the parent was killed"


def _group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_a_text_without_yaml_added_to_a_built_corpus_is_reported(corpus3, tmp_path):
    from click.testing import CliRunner

    from quotekb.cli import cli

    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    (root / "articles" / "stray.txt").write_text("迷子の本文。\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db)])
    assert result.exit_code == 2
    assert "stray.txt: article text has no YAML beside it" in result.output


def test_a_one_chunk_rebuild_copies_the_database_while_it_loads(corpus3, tmp_path, monkeypatch):
    # no worker is forked for a few changed articles, so the copy starts before the
    # changed files are loaded; when they turn out bad, the copy is removed
    from quotekb.store import build as build_module

    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    events = []
    copier, load_corpus = build_module._Copier, build_module.load_corpus

    class Recording(copier):
        def __init__(self, source, target):
            events.append("copy")
            super().__init__(source, target)

    def loading(*args, **kwargs):
        events.append("load")
        return load_corpus(*args, **kwargs)

    monkeypatch.setattr(build_module, "_Copier", Recording)
    monkeypatch.setattr(build_module, "load_corpus", loading)
    text_path = root / "articles" / f"{SEED_ID}.txt"
    original = text_path.read_text(encoding="utf-8")
    text_path.write_text(original.replace("はい、少しです。", "はい、少しだけです。"), encoding="utf-8")
    assert build(root, db, jobs=2).mode == "incremental"
    assert events == ["copy", "load"]

    events.clear()
    before = db.read_bytes()
    text_path.write_bytes(b"\x00" * 10)
    with pytest.raises(InputError, match="NUL"):
        build(root, db, jobs=2)
    assert events == ["copy", "load"]
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "q.db"]


def test_an_interrupt_after_loading_leaves_no_copy_behind(corpus3, tmp_path, monkeypatch):
    # the early copy of a one-chunk rebuild runs from before loading to the rename;
    # Ctrl-C anywhere in between must still remove it
    from quotekb.store import workers

    root = copy(corpus3, tmp_path)
    db = tmp_path / "q.db"
    build(root, db)
    before = db.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workers, "start", interrupted)
    text_path = root / "articles" / f"{SEED_ID}.txt"
    text_path.write_text(text_path.read_text(encoding="utf-8").replace(
        "はい、少しです。", "はい、少しだけです。"), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build(root, db, jobs=2)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "q.db"]


def test_a_deleted_article_is_not_searched_for_curated_quotes(tmp_path, monkeypatch):
    # an incremental build reads unchanged articles' texts from the database for the
    # curated-quote check; an article deleted from the corpus is still in that
    # database, but must not count as one of them
    import quotekb.store.build as build_module

    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    for suffix in (".txt", ".yaml"):
        shutil.copy(root / "articles" / f"{SEED_ID}{suffix}", root / "articles" / f"zz_copy{suffix}")
    db = tmp_path / "q.db"
    build(root, db)
    seen = []
    original = build_module._StoredTexts

    def recording(db_path, leave_out):
        texts = original(db_path, leave_out)
        seen.append(set(texts))
        return texts

    monkeypatch.setattr(build_module, "_StoredTexts", recording)
    for suffix in (".txt", ".yaml"):
        (root / "articles" / f"zz_copy{suffix}").unlink()
    text_path = root / "articles" / f"{SEED_ID}.txt"
    text_path.write_text(text_path.read_text(encoding="utf-8") + "\n追加の段落です。\n", encoding="utf-8")
    stats = build(root, db)
    assert (stats.mode, stats.removed) == ("incremental", 1)
    assert seen == [set()]  # neither the changed seed nor the deleted copy


def _tokens(db: Path) -> list[tuple]:
    """Each morpheme as a reader sees it: document, offsets, its lexeme's fields, and
    the characters of the text it covers."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT s.document_id, m.start, m.\"end\", l.surface, l.normalized_form, l.pos_detail, "
            "substr(d.text, m.start + 1, m.\"end\" - m.start) FROM morphemes m "
            "JOIN sentences s ON s.id = m.sentence_id JOIN lexemes l ON l.id = m.lexeme_id "
            "JOIN documents d ON d.id = s.document_id ORDER BY s.document_id, m.start").fetchall()


def test_a_serial_rebuild_numbers_new_lexemes_after_a_gap_left_by_dropped_ones(corpus3, tmp_path):
    # a serial build writes lexemes with ids it chose itself (rows.Lexicon): after a
    # rebuild dropped lexemes from the middle of the id range, new ones must follow
    # the largest id, not the count, or they would collide with a kept one
    root, db = copy(corpus3, tmp_path), tmp_path / "q.db"
    middle, last = sorted((root / "articles").glob("*.txt"))[1:]

    def append(path: Path, paragraph: str) -> None:
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{paragraph}\n", encoding="utf-8")

    # the synthetic articles reuse the seed's words: new words are written into two
    # of them, so that the last one's get ids above the middle one's
    original = middle.read_text(encoding="utf-8")
    append(middle, "ヴォイニッチ写本とロゼッタストーンの話をした。")
    append(last, "ピラミッドとスフィンクスの話もした。")
    build(root, db)
    middle.write_text(original, encoding="utf-8")
    assert build(root, db).mode == "incremental"
    with closing(sqlite3.connect(db)) as conn:
        largest, number = conn.execute("SELECT max(id), count(*) FROM lexemes").fetchone()
        assert largest > number  # the gap this test is about
    append(middle, "ツタンカーメンの黄金のマスクを見た。")
    assert build(root, db).mode == "incremental"
    with closing(sqlite3.connect(db)) as conn:
        new = dict(conn.execute("SELECT surface, id FROM lexemes WHERE surface IN ('ツタンカーメン', 'マスク')"))
    assert set(new) == {"ツタンカーメン", "マスク"} and min(new.values()) > largest
    tokens = _tokens(db)
    assert tokens and all(surface == covered for *_where, surface, _form, _pos, covered in tokens)
    build(root, tmp_path / "full.db")
    assert tokens == _tokens(tmp_path / "full.db")


def _parsing_recorder(log: Path):
    """A parse_article that appends the parsing process's pid to `log`."""
    from quotekb.parse.document import parse_article

    def recording(article, speakers):
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return parse_article(article, speakers)

    return recording


def test_forked_workers_take_the_parents_parsed_articles_instead_of_parsing_again(corpus21, tmp_path, monkeypatch):
    # the parent parses every article before the pool starts; a forked worker
    # inherits what it parsed (and the recorder below, so it would log its own pid)
    from quotekb.store import workers

    log = tmp_path / "parses.txt"
    monkeypatch.setattr(workers, "START_METHOD", "fork")
    monkeypatch.setattr(workers, "parse_article", _parsing_recorder(log))
    build(corpus21, tmp_path / "serial.db")
    log.unlink()
    stats = build(corpus21, tmp_path / "pool.db", jobs=2)
    assert stats.articles == 21
    assert log.read_text().split() == [str(os.getpid())] * 21  # the parent's validation only
    assert workers._INHERITED == []  # the parent keeps nothing once the pool runs
    assert dump(tmp_path / "serial.db") == dump(tmp_path / "pool.db")
