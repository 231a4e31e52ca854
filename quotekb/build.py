"""Corpus -> one transaction into a temporary SQLite file -> atomic rename over the DB.

The corpus is read and validated, and every article to be processed is parsed, before
any file is opened for writing, so bad input never touches the database. The temporary file lives beside the target so
the final os.replace is atomic, and it is fsynced first so a crash (even SIGKILL)
leaves either the old database or the new one, never a torn file.

Builds are incremental: documents store the content hashes of their text and YAML,
and only articles whose hashes changed are reprocessed (on a copy of the database);
a change to a shared file (speakers, topics, analogies, entities, cues), to the
schema, or `--full` rebuilds everything. With `jobs` > 1, worker processes parse,
tokenize and extract chunks of consecutive articles into shard files, which the parent
merges in corpus order, so ids do not depend on the number of workers.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import sqlalchemy.exc

from . import nlp
from .corpus import Corpus, load_corpus
from .db import apply_extras, create_indexes, create_schema, make_engine, schema_sql
from .errors import InputError
from .extract import Extractor
from .knowledge_files import load_knowledge
from .parse import ParsedDocument, parse_article
from .rows import IdAllocator, Lexicon, document_rows
from .writer import Rebaser, commit, delete_document, drop_unused_lexemes, merge_shard, pack, write_rows, write_shard


@dataclass
class BuildStats:
    counts: Counter = field(default_factory=Counter)
    articles: int = 0
    chars: int = 0
    seconds: float = 0.0
    mode: str = "full"  # full | incremental | unchanged
    reason: str = ""
    removed: int = 0


@dataclass
class Plan:
    mode: str
    reason: str
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@cache
def schema_version() -> str:
    return hashlib.sha256(schema_sql().encode("utf-8")).hexdigest()[:16]


@cache
def code_version() -> str:
    """Hash of the package's sources: a fixed parser or rule reprocesses everything."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_info(corpus: Corpus, with_tokens: bool) -> dict[str, str]:
    info = {"schema_version": schema_version(), "code_version": code_version(), "with_tokens": str(int(with_tokens))}
    info.update({f"sha256:{name}": digest for name, digest in sorted(corpus.shared_hashes.items())})
    return info


def plan_build(db_path: Path, corpus: Corpus, with_tokens: bool, full: bool) -> Plan:
    everything = [a.id for a in corpus.articles]
    if full:
        return Plan("full", "--full", everything)
    if not db_path.exists():
        return Plan("full", "no database yet", everything)
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            stored = dict(conn.execute("SELECT key, value FROM build_info").fetchall())
            existing = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, sha256, yaml_sha256 FROM documents")}
        finally:
            conn.close()
    except sqlite3.Error:
        return Plan("full", "existing database unreadable or of an older schema", everything)
    wanted = build_info(corpus, with_tokens)
    if stored != wanted:
        differing = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        names = ", ".join(k.removeprefix("sha256:") for k in differing)
        return Plan("full", f"changed: {names}", everything)
    changed = [a.id for a in corpus.articles if existing.get(a.id) != (a.sha256, a.yaml_sha256)]
    removed = sorted(set(existing) - set(everything))
    if not changed and not removed:
        return Plan("unchanged", "nothing changed")
    return Plan("incremental", f"{len(changed)} changed, {len(removed)} removed", changed, removed)


# -- processing (in this process or in workers) ---------------------------------------

_WORK: dict = {}
# Articles per worker task: large enough that a shard's fixed costs (a file, its
# tables) vanish, small enough that the last task does not leave a core idle.
CHUNK_ARTICLES = 8


@dataclass
class Processed:
    """What processing some articles gives the parent: their rows (or the shard file
    holding them), how many ids of each table they used, curated stances applied, and
    one progress line per article."""

    shard: Path
    used_ids: Counter
    used_stances: set
    progress: list[tuple[str, int, str]]


def _process(task: tuple[int, int, str]) -> Processed:
    """Tokenize and extract articles start..stop-1, with ids local to the task, into
    the shard file named by the task."""
    start, stop, shard = task
    extractor: Extractor = _WORK["extractor"]
    with_tokens = _WORK["with_tokens"]
    ids, lexicon = IdAllocator(), Lexicon()
    stances_before = set(extractor.used_stances)
    batches, progress = [], []
    for doc in _WORK["parsed"][start:stop]:
        article = doc.article
        rows, views = document_rows(doc, ids, lexicon, with_tokens)
        if with_tokens:
            extractor.document_rows(article, rows, views, ids)
        batches.append(pack(rows))
        progress.append((article.id, len(article.text),
                         f"{len(doc.sections)} sections, {len(doc.turns)} turns, {len(doc.sentences)} sentences"))
    write_shard(Path(shard), batches, lexicon.rows())
    return Processed(Path(shard), ids.counts, extractor.used_stances - stances_before, progress)


def _worker_init() -> None:
    # a forked child must not share the parent's Sudachi tokenizer
    nlp.reset_thread_state()


def _parse_chunk(bounds: tuple[int, int]) -> list[ParsedDocument]:
    return [parse_article(a, _WORK["speakers"]) for a in _WORK["articles"][bounds[0] : bounds[1]]]


def _chunks(n: int) -> list[tuple[int, int]]:
    return [(i, min(i + CHUNK_ARTICLES, n)) for i in range(0, n, CHUNK_ARTICLES)]


def parse_all(articles: list, speakers: dict, jobs: int) -> list[ParsedDocument]:
    """Every article parsed, in order; the first bad one raises its InputError. In
    workers when there are several jobs: a parsed article pickles in a twentieth of
    the time parsing it takes."""
    chunks = _chunks(len(articles))
    _WORK.update(articles=articles, speakers=speakers)
    try:
        if jobs <= 1 or len(chunks) < 2:
            return _parse_chunk((0, len(articles)))
        with multiprocessing.get_context("fork").Pool(min(jobs, len(chunks))) as pool:
            return [doc for docs in pool.imap(_parse_chunk, chunks) for doc in docs]
    finally:
        _WORK.clear()


def _results(parsed: list[ParsedDocument], extractor: Extractor, with_tokens: bool, jobs: int,
             shards: Path) -> Iterator[Processed]:
    """Shards of consecutive articles, in corpus order, for the parent to merge in that
    order. Serial and parallel builds write the same shards and merge them the same
    way, so their databases are identical down to the full-text index pages."""
    _WORK.update(parsed=parsed, extractor=extractor, with_tokens=with_tokens)
    try:
        tasks = [(start, stop, str(shards / f"shard-{start:06d}.db")) for start, stop in _chunks(len(parsed))]
        shards.mkdir()
        if jobs <= 1 or len(tasks) < 2:
            yield from map(_process, tasks)
            return
        context = multiprocessing.get_context("fork")  # workers inherit the parsed corpus
        with context.Pool(min(jobs, len(tasks)), initializer=_worker_init) as pool:
            yield from pool.imap(_process, tasks)
    finally:
        _WORK.clear()


def remove_stale_temporaries(db_path: Path) -> None:
    """Delete temporary files (and shard directories) left by builds that were killed
    (their process is gone)."""
    for leftover in db_path.parent.glob(f".{db_path.name}.tmp-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            _remove(leftover)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build(
    corpus_dir: Path,
    db_path: Path,
    echo: Callable[[str], None] = lambda _msg: None,
    with_tokens: bool = True,
    jobs: int = 1,
    full: bool = False,
) -> BuildStats:
    started = time.perf_counter()
    corpus_dir, db_path = Path(corpus_dir), Path(db_path)
    if db_path.is_dir():
        raise InputError(db_path, "is a directory", "pass the database file, e.g. --db db/quotekb.db")
    corpus = load_corpus(corpus_dir)
    extractor = Extractor(load_knowledge(corpus_dir, corpus.speakers), corpus.speakers)
    extractor.precheck(corpus.articles)
    if db_path.parent.exists():
        remove_stale_temporaries(db_path)
    plan = plan_build(db_path, corpus, with_tokens, full)
    # parse what will be processed, before any output: an unchanged article was parsed
    # by the same code (build_info holds the code version) when it was built
    by_id = {a.id: a for a in corpus.articles}
    todo = parse_all([by_id[article_id] for article_id in plan.changed], corpus.speakers, jobs)

    stats = BuildStats(mode=plan.mode, reason=plan.reason)
    if plan.mode == "unchanged":
        # mark it current, so `serve` (which compares times) does not rebuild again
        os.utime(db_path)
        stats.seconds = time.perf_counter() - started
        return stats
    echo(f"{plan.mode} build ({plan.reason})")

    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(db_path.parent, f"cannot create the directory ({error.strerror})",
                         "choose a writable --db path") from None
    tmp = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
    shards = db_path.with_name(f".{db_path.name}.tmp-shards-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _remove(shards)
    try:
        if plan.mode == "incremental":
            shutil.copyfile(db_path, tmp)
        engine = make_engine(tmp)
        if plan.mode == "full":
            create_schema(engine, deferred_indexes=True)
        # merge_shard commits after each shard: commits inside the temporary file do
        # not touch the database it replaces
        with engine.connect() as conn:
            if plan.mode == "full":
                write_rows(conn, pack(extractor.global_rows(corpus)), stats.counts)
                rebaser = Rebaser()
            else:
                for article_id in plan.removed + plan.changed:
                    delete_document(conn, article_id)
                stats.removed = len(plan.removed)
                extractor.mark_used_from_db(conn)
                rebaser = Rebaser(conn)
            for done in _results(todo, extractor, with_tokens, jobs, shards):
                merge_shard(conn, done.shard, rebaser, done.used_ids, stats.counts)
                done.shard.unlink()
                extractor.used_stances |= done.used_stances
                for article_id, chars, summary in done.progress:
                    stats.articles += 1
                    stats.chars += chars
                    echo(f"[{stats.articles}/{len(todo)}] {article_id}: {chars:,} chars, {summary}")
            if plan.mode == "incremental":
                drop_unused_lexemes(conn)
            if with_tokens:
                extractor.finish()
            conn.exec_driver_sql("DELETE FROM build_info")
            conn.exec_driver_sql(
                "INSERT INTO build_info (key, value) VALUES (?, ?)",
                sorted(build_info(corpus, with_tokens).items()),
            )
            create_indexes(conn)  # no-ops on an incremental build, which has them
            apply_extras(conn)
            commit(conn)
        engine.dispose()
        _remove(shards)
        _fsync(tmp)
        os.replace(tmp, db_path)
        _fsync(db_path.parent)
    except (sqlite3.IntegrityError, sqlalchemy.exc.IntegrityError) as error:
        # input that slipped past validation: still one line, and the old file stays
        tmp.unlink(missing_ok=True)
        _remove(shards)
        raise InputError(corpus_dir, f"the corpus breaks a database constraint ({error})",
                         "run quotekb check and report this input as a quotekb bug") from None
    except OSError as error:
        tmp.unlink(missing_ok=True)
        _remove(shards)
        raise InputError(db_path, f"cannot write the database ({error.strerror})",
                         "check the path, free disk space and permissions") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        _remove(shards)
        raise
    stats.seconds = time.perf_counter() - started
    return stats

