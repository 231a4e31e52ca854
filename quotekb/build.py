"""Corpus -> one transaction into a temporary SQLite file -> atomic rename over the DB.

The corpus is read and validated, and every article to be processed is parsed, before
any file is opened for writing, so bad input never touches the database. The temporary file lives beside the target so
the final os.replace is atomic, and it is fsynced first so a crash (even SIGKILL)
leaves either the old database or the new one, never a torn file.

Builds are incremental: documents store the content hashes of their text and YAML,
and only articles whose hashes changed are reprocessed (on a copy of the database);
a change to a shared file (speakers, topics, analogies, entities, cues), to the
schema, or `--full` rebuilds everything. `jobs` > 1 tokenizes and extracts articles
in worker processes while the parent writes, in a fixed order, so ids do not depend
on the number of workers.
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
from .rows import IdAllocator, document_rows
from .writer import Rebaser, delete_document, pack, write_rows


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


def _process(index: int) -> tuple[dict, Counter, set]:
    """Rows of one article, packed for the writer (and for the pipe from a worker)."""
    doc: ParsedDocument = _WORK["parsed"][index]
    extractor: Extractor = _WORK["extractor"]
    ids = IdAllocator()
    rows, views = document_rows(doc, ids, _WORK["with_tokens"])
    used_before = set(extractor.used_stances)
    if _WORK["with_tokens"]:
        extractor.document_rows(doc.article, rows, views, ids)
    return pack(rows), ids.counts, extractor.used_stances - used_before


def _worker_init() -> None:
    # a forked child must not share the parent's Sudachi tokenizer
    nlp.reset_thread_state()


def _results(parsed: list[ParsedDocument], extractor: Extractor, with_tokens: bool, jobs: int) -> Iterator:
    _WORK.update(parsed=parsed, extractor=extractor, with_tokens=with_tokens)
    try:
        if jobs <= 1 or len(parsed) < 2:
            yield from (_process(i) for i in range(len(parsed)))
            return
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs, initializer=_worker_init) as pool:
            # imap keeps article order, so ids are the same as in a serial build
            yield from pool.imap(_process, range(len(parsed)), chunksize=4)
    finally:
        _WORK.clear()


def remove_stale_temporaries(db_path: Path) -> None:
    """Delete temporary files left by builds that were killed (their process is gone)."""
    for leftover in db_path.parent.glob(f".{db_path.name}.tmp-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


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
    parsed = {article_id: parse_article(by_id[article_id], corpus.speakers) for article_id in plan.changed}

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
    tmp.unlink(missing_ok=True)
    todo = [parsed[article_id] for article_id in plan.changed]
    try:
        if plan.mode == "incremental":
            shutil.copyfile(db_path, tmp)
        engine = make_engine(tmp)
        if plan.mode == "full":
            create_schema(engine, deferred_indexes=True)
        with engine.begin() as conn:
            if plan.mode == "full":
                write_rows(conn, pack(extractor.global_rows(corpus)), stats.counts)
                rebaser = Rebaser()
            else:
                for article_id in plan.removed + plan.changed:
                    delete_document(conn, article_id)
                stats.removed = len(plan.removed)
                extractor.mark_used_from_db(conn)
                rebaser = Rebaser(conn)
            results = _results(todo, extractor, with_tokens, jobs)
            for n, (doc, (rows, used_ids, used_stances)) in enumerate(zip(todo, results, strict=True), start=1):
                rebaser.apply(rows, used_ids)
                write_rows(conn, rows, stats.counts)
                extractor.used_stances |= used_stances
                stats.articles += 1
                stats.chars += len(doc.article.text)
                echo(
                    f"[{n}/{len(todo)}] {doc.article.id}: {len(doc.article.text):,} chars, "
                    f"{len(doc.sections)} sections, {len(doc.turns)} turns, {len(doc.sentences)} sentences"
                )
            if with_tokens:
                extractor.finish()
            conn.exec_driver_sql("DELETE FROM build_info")
            conn.exec_driver_sql(
                "INSERT INTO build_info (key, value) VALUES (?, ?)",
                sorted(build_info(corpus, with_tokens).items()),
            )
            create_indexes(conn)  # no-ops on an incremental build, which has them
            apply_extras(conn)
        engine.dispose()
        _fsync(tmp)
        os.replace(tmp, db_path)
        _fsync(db_path.parent)
    except (sqlite3.IntegrityError, sqlalchemy.exc.IntegrityError) as error:
        # input that slipped past validation: still one line, and the old file stays
        tmp.unlink(missing_ok=True)
        raise InputError(corpus_dir, f"the corpus breaks a database constraint ({error})",
                         "run quotekb check and report this input as a quotekb bug") from None
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise InputError(db_path, f"cannot write the database ({error.strerror})",
                         "check the path, free disk space and permissions") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stats.seconds = time.perf_counter() - started
    return stats

