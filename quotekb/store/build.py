"""Corpus -> a temporary SQLite file, written shard by shard -> atomic rename over the DB.

Every article to be processed is read, validated and parsed (with the shared corpus
files) before anything is printed or merged, so bad input never touches the database. The
temporary file lives beside the target so the final os.replace is atomic, and it is
fsynced first so a crash (even SIGKILL) leaves either the old database or the new
one, never a torn file.

Builds are incremental: documents store the content hashes of their text and YAML,
and only articles whose hashes changed are loaded and reprocessed, on a copy of the
database made in a thread meanwhile; a corpus whose hashes all match is not even
parsed; a change to a shared file (speakers, topics, analogies, entities, cues), to the
schema, or `--full` rebuilds everything. Articles are processed in chunks
(workers.py): in one process each chunk is written straight in; with several jobs, by
one worker process per job into shard files merged in corpus order. The database does
not depend on the number of jobs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import sqlalchemy.exc

from quotekb.errors import InputError
from quotekb.ingest.corpus import Fingerprint, fingerprint, load_corpus
from quotekb.ingest.knowledge import load_knowledge
from quotekb.knowledge.pipeline import Extractor
from quotekb.store import workers
from quotekb.store.rows import Lexicon
from quotekb.store.schema import (
    apply_extras,
    check_foreign_keys,
    create_indexes,
    create_schema,
    make_engine,
    schema_sql,
)
from quotekb.store.writer import (
    Rebaser,
    commit,
    delete_document,
    drop_unused_lexemes,
    lexeme_lookup,
    merge_shard,
    pack,
    write_chunk,
    write_rows,
)


@dataclass
class BuildStats:
    counts: Counter = field(default_factory=Counter)
    articles: int = 0
    chars: int = 0
    seconds: float = 0.0
    mode: str = "full"  # full | incremental | unchanged
    reason: str = ""
    removed: int = 0
    # Wall seconds of a SQLite build's steps, in order: load (plan, read and validate the
    # corpus), parse, then per task tokenize and extract (workers.Processed) and write
    # (into the database; with a pool, merging shards), and finish (indexes, key check,
    # extras, fsync, rename). With a pool, tokenize, extract and shard are summed over
    # the workers and overlap the parent's steps; `articles` is the parent's wall time
    # from the first task to the last. What `make bench` splits the build into.
    phases: Counter = field(default_factory=Counter)


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
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_info(shared_hashes: dict[str, str], with_tokens: bool) -> dict[str, str]:
    info = {"schema_version": schema_version(), "code_version": code_version(), "with_tokens": str(int(with_tokens))}
    info.update({f"sha256:{name}": digest for name, digest in sorted(shared_hashes.items())})
    return info


def plan_build(db_path: Path, corpus: Fingerprint, with_tokens: bool, full: bool) -> Plan:
    everything = list(corpus.articles)
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
    wanted = build_info(corpus.shared_hashes, with_tokens)
    if stored != wanted:
        differing = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        names = ", ".join(k.removeprefix("sha256:") for k in differing)
        return Plan("full", f"changed: {names}", everything)
    changed = [article_id for article_id, hashes in corpus.articles.items() if existing.get(article_id) != hashes]
    removed = sorted(set(existing) - set(everything))
    if not changed and not removed:
        return Plan("unchanged", "nothing changed")
    return Plan("incremental", f"{len(changed)} changed, {len(removed)} removed", changed, removed)


class _Copier:
    """Copies the database to the temporary file in a thread: the copy runs in the
    kernel, without the GIL, while the build goes on (for a rebuild of one chunk it
    starts before the changed articles are even loaded). Discarding waits for the copy
    to end, so that no file can appear after it was removed."""

    def __init__(self, source: Path, target: Path) -> None:
        self.target = target
        self.error: OSError | None = None
        self.thread = threading.Thread(target=self._copy, args=(source, target), daemon=True)
        self.thread.start()

    def _copy(self, source: Path, target: Path) -> None:
        try:
            shutil.copyfile(source, target)
        except OSError as error:
            self.error = error

    def wait(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error

    def discard(self) -> None:
        self.thread.join()
        self.target.unlink(missing_ok=True)


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


def _first_plan(corpus_dir: Path, db_path: Path, with_tokens: bool,
                full: bool) -> tuple[Fingerprint | None, Plan | None]:
    """A plan from file hashes alone, before anything is parsed: when nothing changed
    there is nothing to validate (the corpus passed when it was built, by the same
    code); when some articles changed, only they will be loaded. (None, None) when the
    corpus cannot be fingerprinted: loading it reports why."""
    quick = fingerprint(corpus_dir)
    if quick is None:
        return None, None
    return quick, plan_build(db_path, quick, with_tokens, full)


def _load(corpus_dir: Path, db_path: Path, with_tokens: bool, full: bool, quick: Fingerprint | None,
          plan: Plan | None) -> tuple[Plan, object, Extractor]:
    """Load and validate what the build needs: (plan, corpus, extractor). The plan is
    made again from the loaded files when they differ from the first fingerprint."""
    corpus = None
    if quick is not None and plan is not None and plan.mode == "incremental":
        corpus = load_corpus(corpus_dir, only=set(plan.changed))
        loaded = corpus.fingerprint()
        if loaded.shared_hashes != quick.shared_hashes or loaded.articles != {
                article_id: quick.articles[article_id] for article_id in plan.changed}:
            corpus = None  # files changed (or went) meanwhile: load everything, plan again
    if corpus is None:
        corpus = load_corpus(corpus_dir)
        plan = plan_build(db_path, corpus.fingerprint(), with_tokens, full)
        partial = False
    else:
        partial = True
    extractor = Extractor(load_knowledge(corpus_dir, corpus.speakers), corpus.speakers)
    if partial:
        # curated quotes may be looked for in any article: the unchanged ones are read
        # from the database they were built into
        extractor.precheck(corpus.articles, set(quick.articles),
                          _StoredTexts(db_path, set(plan.changed) | set(plan.removed)))
    else:
        extractor.precheck(corpus.articles)
    if plan.mode != "unchanged":
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(db_path.parent, f"cannot create the directory ({error.strerror})",
                             "choose a writable --db path") from None
    return plan, corpus, extractor


class _StoredTexts(Mapping):
    """Texts of the unchanged articles, read from the database only when a curated
    quote is looked for in them: reading every text took 15-25 ms of a rebuild of
    1,000 articles, most of which name their stance's document."""

    def __init__(self, db_path: Path, leave_out: set[str]) -> None:
        self.db_path, self.cache = db_path, {}
        with closing(self._connect()) as conn:
            self.ids = [doc_id for (doc_id,) in conn.execute("SELECT id FROM documents ORDER BY id")
                        if doc_id not in leave_out]
        self.known = set(self.ids)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)

    def __getitem__(self, doc_id: str) -> str:
        if doc_id not in self.known:
            raise KeyError(doc_id)
        if doc_id not in self.cache:
            with closing(self._connect()) as conn:
                self.cache[doc_id] = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        return self.cache[doc_id]

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.known

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class _Resources:
    """What a build holds that must not outlive a failure."""

    tmp: Path
    shards: Path
    runner: workers.InProcess | workers.Pool | None = None
    copier: _Copier | None = None
    engine: object | None = None

    def clean_up(self) -> None:
        if self.runner is not None:
            self.runner.close(abort=True)
        if self.copier is not None:
            self.copier.discard()
        if self.engine is not None:
            self.engine.dispose()
        self.tmp.unlink(missing_ok=True)
        _remove(self.shards)


def build(
    corpus_dir: Path,
    db_path: Path,
    echo: Callable[[str], None] = lambda _msg: None,
    with_tokens: bool = True,
    jobs: int = 1,
    full: bool = False,
    allow_warnings: bool = False,
) -> BuildStats:
    """Build db_path from corpus_dir, atomically. jobs: worker processes; 0 means one per
    CPU (what `quotekb build` and `quotekb serve` ask for). Library callers get one
    process unless they ask, so that a build never forks behind their back.
    An article whose parse warns (what `quotekb check` lists as warnings: a speaker who
    never speaks, a label that reads as someone else's ...) is refused unless
    allow_warnings: a quote must never go to the wrong person silently."""
    started = time.perf_counter()
    corpus_dir, db_path = Path(corpus_dir), Path(db_path)
    jobs = jobs or os.cpu_count() or 1
    if db_path.is_dir():
        raise InputError(db_path, "is a directory", "pass the database file, e.g. --db db/quotekb.db")
    if db_path.parent.exists():
        remove_stale_temporaries(db_path)
    held = _Resources(tmp=db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}"),
                      shards=db_path.with_name(f".{db_path.name}.tmp-shards-{os.getpid()}"))
    held.tmp.unlink(missing_ok=True)
    # one handler from the first thing a build starts (the copy, maybe) to the rename:
    # whatever fails, even Ctrl-C, nothing stays behind and the database is untouched
    try:
        stats = _build(corpus_dir, db_path, echo, with_tokens, jobs, full, held, allow_warnings)
    except BaseException:
        held.clean_up()
        raise
    stats.seconds = time.perf_counter() - started
    return stats


def _build(corpus_dir: Path, db_path: Path, echo: Callable[[str], None], with_tokens: bool, jobs: int,
           full: bool, held: _Resources, allow_warnings: bool = False) -> BuildStats:
    started = time.perf_counter()
    quick, plan = _first_plan(corpus_dir, db_path, with_tokens, full)
    if plan is not None and plan.mode == "incremental" and not workers.uses_pool(len(plan.changed), jobs):
        # no worker will be forked (one chunk of articles): the copy can start now, in
        # a thread (sendfile, without the GIL), and overlap loading, validating, parsing
        # and processing; it was most of a one-article rebuild's time when it waited
        held.copier = _Copier(db_path, held.tmp)
    if plan is None or plan.mode != "unchanged":
        plan, corpus, extractor = _load(corpus_dir, db_path, with_tokens, full, quick, plan)
    if held.copier is not None and (plan.mode != "incremental" or workers.uses_pool(len(plan.changed), jobs)):
        # the files changed while they were loaded, and the plan with them
        held.copier.discard()
        held.copier = None
    stats = BuildStats(mode=plan.mode, reason=plan.reason)
    stats.phases["load"] = time.perf_counter() - started
    if plan.mode == "unchanged":
        os.utime(db_path)  # mark it current, so `serve` (which compares times) does not rebuild again
        return stats
    try:
        with workers.bulk_gc():  # see workers.BULK_GC_THRESHOLDS
            _write(db_path, echo, with_tokens, jobs, plan, corpus, extractor, held, stats, allow_warnings)
    except (sqlite3.IntegrityError, sqlalchemy.exc.IntegrityError) as error:
        # input that slipped past validation: still one line, and the old file stays
        raise InputError(corpus_dir, f"the corpus breaks a database constraint ({error})",
                         "run quotekb check and report this input as a quotekb bug") from None
    except OSError as error:
        raise InputError(db_path, f"cannot write the database ({error.strerror})",
                         "check the path, free disk space and permissions") from None
    return stats


def _write(db_path: Path, echo: Callable[[str], None], with_tokens: bool, jobs: int,
           plan: Plan, corpus, extractor: Extractor, held: _Resources, stats: BuildStats,
           allow_warnings: bool = False) -> None:
    """Process the planned articles and write them into the temporary file, then rename it."""
    tmp, shards = held.tmp, held.shards
    _remove(shards)
    shards.mkdir()
    by_id = {a.id: a for a in corpus.articles}
    todo = [by_id[article_id] for article_id in plan.changed]
    held.runner = runner = workers.start(todo, corpus.speakers, extractor, with_tokens, jobs, shards,
                                         allow_warnings=allow_warnings, direct=True, unit_terms=True)
    # parse what will be processed before any output, so bad input fails first; this
    # also starts the pool's workers
    started = time.perf_counter()
    runner.parse()
    stats.phases["parse"] = time.perf_counter() - started
    if plan.mode == "incremental" and held.copier is None:
        # started after the pool's workers, so that no worker is forked beside the thread
        held.copier = _Copier(db_path, tmp)
    echo(f"{plan.mode} build ({plan.reason})")
    if held.copier is not None:
        held.copier.wait()
    # a full build checks its keys once at the end (schema.make_engine); an incremental
    # one writes a few articles into a database whose keys hold, and deletes rows too
    held.engine = engine = make_engine(tmp, foreign_keys=plan.mode != "full")
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
        if runner.direct:
            runner.start_ids(rebaser.base, Lexicon(*lexeme_lookup(conn)) if plan.mode == "incremental" else Lexicon())
        unit_terms: dict[str, tuple[str, str]] = {}
        first_task = time.perf_counter()
        for done in runner.results():
            unit_terms.update(done.unit_terms)
            stats.phases.update(done.seconds)
            started = time.perf_counter()
            if done.shard is None:
                write_chunk(conn, done.batches, done.lexemes, stats.counts)
            else:
                merge_shard(conn, done.shard, rebaser, done.used_ids, stats.counts)
                done.shard.unlink()
            stats.phases["write"] += time.perf_counter() - started
            extractor.used_stances |= done.used_stances
            for article_id, chars, summary in done.progress:
                stats.articles += 1
                stats.chars += chars
                echo(f"[{stats.articles}/{len(todo)}] {article_id}: {chars:,} chars, {summary}")
        runner.close()
        stats.phases["articles"] = time.perf_counter() - first_task
        started = time.perf_counter()
        if plan.mode == "incremental":
            drop_unused_lexemes(conn)
        if with_tokens:
            extractor.finish()
        conn.exec_driver_sql("DELETE FROM build_info")
        conn.exec_driver_sql(
            "INSERT INTO build_info (key, value) VALUES (?, ?)",
            sorted(build_info(corpus.shared_hashes, with_tokens).items()),
        )
        create_indexes(conn)  # no-ops on an incremental build, which has them
        if plan.mode == "full":
            check_foreign_keys(conn)
        apply_extras(conn, unit_terms)
        commit(conn)
    engine.dispose()
    held.engine = None
    _remove(shards)
    _fsync(tmp)
    os.replace(tmp, db_path)
    _fsync(db_path.parent)
    stats.phases["finish"] = time.perf_counter() - started
