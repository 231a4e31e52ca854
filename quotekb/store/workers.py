"""Processing articles into shards, in this process or in a standard process pool.

Articles are processed in tasks of CHUNK_ARTICLES consecutive articles; each task
runs pipeline.process_document on its articles. A pool worker writes a task's rows
into one shard file (writer.write_shard) that the build then merges, in corpus order,
so the database does not depend on the number of jobs. The serial runner, when the
build asks for it (`direct`), numbers rows with the database's own ids and hands
them over as they are, to be written straight in (writer.write_chunk): in one
process, a shard only meant writing every row twice.

Bad input must fail before any output: the parent parses every article first (about
4% of a build), then the pool's workers process the tasks. Forked workers read the
parent's parsed articles from the memory they inherit; spawned ones parse their
articles again, which is cheaper than sending parsed articles between processes
(pickling them took about half as long as parsing). The pool uses the platform's
default start method (fork on Linux, spawn on macOS and Windows); START_METHOD
overrides it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from quotekb import nlp
from quotekb.errors import InputError
from quotekb.ingest.corpus import Article
from quotekb.knowledge.pipeline import Extractor
from quotekb.parse.document import ParsedDocument, parse_article
from quotekb.pipeline import process_document
from quotekb.store.rows import IdAllocator, Lexicon, analyse
from quotekb.store.units import terms_and_spans, unit_texts
from quotekb.store.writer import pack, write_shard

# Articles per task: large enough that a shard's fixed costs (a file, its tables)
# vanish, small enough that the last task does not leave a core idle.
CHUNK_ARTICLES = 8
# None: the platform's default start method; tests force "spawn" to prove builds
# work where fork does not exist.
START_METHOD: str | None = None
# How often a pool worker checks that the build that started it still runs.
PARENT_POLL_SECONDS = 0.5
# A build allocates millions of tuples and lists that live until their shard is written,
# and makes almost no reference cycles: at the default thresholds (700, 10, 10) the
# cyclic collector walks them again and again. With these, a one-process build of
# 1,000 synthetic articles took 19.9 s and 27.6 s of CPU against 26.0 s and 31.3 s
# without (two alternating pairs of runs on a loaded machine; an earlier measurement
# on a quiet one: 8% less CPU). Measured with Python 3.11's generational collector.
BULK_GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def bulk_gc() -> Iterator[None]:
    """Collect cycles rarely while a build runs; the previous thresholds after it."""
    previous = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@dataclass
class Processed:
    """One task's result: its shard (None when its rows are handed over as they are:
    `batches`, one per article, and the `lexemes` first used by them, ids included),
    how many ids of each table it used, the curated stances it applied, one
    progress line per article, and the seconds its steps took."""

    shard: Path | None
    used_ids: Counter
    used_stances: set
    progress: list[tuple[str, int, str]]
    batches: list | None = None
    lexemes: list | None = None
    unit_terms: dict = field(default_factory=dict)  # units.terms_and_spans per unit text, when asked
    # seconds of its steps: tokenize (Sudachi, the morpheme rows, the units' terms),
    # extract (structure and knowledge rows, packed) and, in a pool worker, shard
    seconds: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Task:
    start: int  # first article (index into the articles being built)
    stop: int
    shard: Path


def tasks_for(n_articles: int, shards: Path) -> list[Task]:
    return [Task(i, min(i + CHUNK_ARTICLES, n_articles), shards / f"shard-{i:06d}.db")
            for i in range(0, n_articles, CHUNK_ARTICLES)]


def process(task: Task, docs: list[ParsedDocument], speakers: dict, extractor: Extractor,
            with_tokens: bool, ids: IdAllocator | None = None, lexicon: Lexicon | None = None,
            unit_terms: bool = False) -> Processed:
    """Tokenize and extract parsed articles. Without `ids` and `lexicon`: with ids
    local to the task, into its shard. With them (the database's ids, the serial
    build): rows handed over as they are. `unit_terms`: also tokenize the units
    (headings, key points) that the SQLite build indexes at its end (units.py), so
    that a pool's workers do it, not the parent when the other cores are idle."""
    direct = ids is not None
    if not direct:
        ids, lexicon = IdAllocator(), Lexicon()
    ids_before = Counter(ids.counts)
    stances_before = set(extractor.used_stances)
    batches, progress, unit_texts_of = [], [], []
    seconds, started = Counter(), time.perf_counter()
    analysed = analyse(docs) if with_tokens else [None] * len(docs)
    seconds["tokenize"], started = time.perf_counter() - started, time.perf_counter()
    for doc, morphemes in zip(docs, analysed, strict=True):
        done = process_document(doc.article, speakers, extractor, ids, lexicon, with_tokens, morphemes, doc)
        batches.append(pack(done.rows))
        unit_texts_of.extend(unit_texts(done.rows))
        progress.append((doc.article.id, len(doc.article.text),
                         f"{len(doc.sections)} sections, {len(doc.turns)} turns, {len(doc.sentences)} sentences"))
    used = ids.counts - ids_before
    seconds["extract"], started = time.perf_counter() - started, time.perf_counter()
    terms = {text: terms_and_spans(text) for text in unit_texts_of} if unit_terms else {}
    seconds["tokenize"] += time.perf_counter() - started
    stances = extractor.used_stances - stances_before
    if direct:
        return Processed(None, used, stances, progress, batches, lexicon.new_rows(), terms, seconds)
    started = time.perf_counter()
    write_shard(task.shard, batches, lexicon.rows())
    seconds["shard"] = time.perf_counter() - started
    return Processed(task.shard, used, stances, progress, unit_terms=terms, seconds=seconds)


def parse_all(articles: list[Article], speakers: dict, allow_warnings: bool = True) -> list[ParsedDocument]:
    """Every article parsed, in corpus order: the first bad one raises its InputError;
    without allow_warnings, so does the first one whose parse warns."""
    docs = []
    for article in articles:
        doc = parse_article(article, speakers)
        if doc.warnings and not allow_warnings:
            raise InputError(
                article.text_path, f"{len(doc.warnings)} warning(s), the first: {doc.warnings[0]}",
                "run quotekb check to see them all and fix the article YAML or corpus/speakers.yaml; "
                "quotekb build --allow-warnings builds anyway")
        docs.append(doc)
    return docs


class InProcess:
    """The serial build: parse everything, then process task after task. With
    `direct`, rows carry the ids that start() is given (the database's) and no shard
    is written."""

    def __init__(self, articles: list[Article], speakers: dict, extractor: Extractor, with_tokens: bool,
                 tasks: list[Task], allow_warnings: bool = False, direct: bool = False,
                 unit_terms: bool = False) -> None:
        self.articles, self.speakers, self.extractor = articles, speakers, extractor
        self.with_tokens, self.tasks, self.allow_warnings = with_tokens, tasks, allow_warnings
        self.direct, self.unit_terms = direct, unit_terms
        self.parsed: list[ParsedDocument] = []
        self.ids: IdAllocator | None = None
        self.lexicon: Lexicon | None = None

    def parse(self) -> None:
        self.parsed = parse_all(self.articles, self.speakers, self.allow_warnings)

    def start_ids(self, last_ids: Counter, lexicon: Lexicon) -> None:
        """For `direct`: the largest id of each table in the database, and a lexicon
        that numbers lexemes as the database does (rows.Lexicon)."""
        self.ids, self.lexicon = IdAllocator(), lexicon
        self.ids.counts.update(last_ids)

    def results(self) -> Iterator[Processed]:
        if self.direct and self.ids is None:
            raise RuntimeError("a direct serial build needs start_ids() before results()")
        for task in self.tasks:
            yield process(task, self.parsed[task.start : task.stop], self.speakers, self.extractor,
                          self.with_tokens, self.ids, self.lexicon, self.unit_terms)

    def close(self, abort: bool = False) -> None:
        pass


# What each pool worker keeps from its initializer: the speakers, the extractor and
# whether tokens are written, sent once per worker rather than once per task.
_WORKER: dict = {}


def _init_worker(speakers: dict, extractor: Extractor, with_tokens: bool, unit_terms: bool) -> None:
    nlp.reset_thread_state()  # a forked worker must not share the parent's tokenizer
    gc.set_threshold(*BULK_GC_THRESHOLDS)  # the worker's whole life is a build
    _WORKER.update(speakers=speakers, extractor=extractor, with_tokens=with_tokens, unit_terms=unit_terms)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()


def _end_with_parent(parent: int) -> None:
    """A pool worker waits on its task queue, which stays open while any sibling
    lives: when the build is killed (even by SIGKILL), end instead of waiting forever."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


# The parent's parsed articles while it starts the pool: a forked worker inherits them
# and need not parse again. Empty in a spawned worker, and in the parent once the pool
# has forked its workers.
_INHERITED: list[ParsedDocument] = []


def _inherited(task: Task, articles: list[Article]) -> list[ParsedDocument] | None:
    """The task's parsed articles from _INHERITED, if they are these very files."""
    docs = _INHERITED[task.start : task.stop]
    same = [(d.article.id, d.article.sha256, d.article.yaml_sha256) for d in docs] == [
        (a.id, a.sha256, a.yaml_sha256) for a in articles]
    return docs if docs and same else None


def _run_task(task: Task, articles: list[Article]) -> Processed:
    speakers, extractor = _WORKER["speakers"], _WORKER["extractor"]
    docs = _inherited(task, articles) or parse_all(articles, speakers)
    return process(task, docs, speakers, extractor, _WORKER["with_tokens"], unit_terms=_WORKER["unit_terms"])


class Pool:
    """The parallel build: tasks submitted in corpus order to a ProcessPoolExecutor,
    results read back in the same order."""

    def __init__(self, articles: list[Article], speakers: dict, extractor: Extractor, with_tokens: bool,
                 tasks: list[Task], jobs: int, allow_warnings: bool = False, unit_terms: bool = False) -> None:
        self.articles, self.speakers, self.tasks = articles, speakers, tasks
        self.unit_terms = unit_terms
        self.allow_warnings = allow_warnings
        self.extractor, self.with_tokens, self.jobs = extractor, with_tokens, jobs
        self.executor: ProcessPoolExecutor | None = None
        self.futures: list[Future] = []
        self.direct = False  # workers always write shards

    def parse(self) -> None:
        global _INHERITED
        parsed = parse_all(self.articles, self.speakers, self.allow_warnings)
        context = multiprocessing.get_context(START_METHOD)
        if context.get_start_method() == "fork":
            _INHERITED = parsed
        try:
            self.executor = ProcessPoolExecutor(
                max_workers=min(self.jobs, len(self.tasks)), mp_context=context,
                initializer=_init_worker, initargs=(self.speakers, self.extractor, self.with_tokens, self.unit_terms))
            # with fork, the first submit forks every worker (Python 3.11); should a
            # worker be forked later, it finds nothing inherited and parses
            self.futures = [self.executor.submit(_run_task, task, self.articles[task.start : task.stop])
                            for task in self.tasks]
        finally:
            _INHERITED = []  # the parent keeps no parsed article for the whole build

    def results(self) -> Iterator[Processed]:
        for future in self.futures:
            try:
                yield future.result()
            except BrokenProcessPool as error:
                raise RuntimeError(f"a build worker died ({error})") from None

    def close(self, abort: bool = False) -> None:
        if self.executor is None:
            return
        # on abort, tasks not yet started are dropped; running ones (8 articles) end first
        self.executor.shutdown(wait=True, cancel_futures=abort)
        self.executor = None


def uses_pool(n_articles: int, jobs: int) -> bool:
    """Whether start() runs a process pool for this many articles: only with several
    jobs and more than one task for them."""
    return jobs > 1 and n_articles > CHUNK_ARTICLES


def start(articles: list[Article], speakers: dict, extractor: Extractor, with_tokens: bool, jobs: int,
          shards: Path, allow_warnings: bool = False, direct: bool = False,
          unit_terms: bool = False) -> InProcess | Pool:
    """The serial runner, or the pool when there are jobs and tasks for it. `direct`:
    the serial runner hands rows over with the database's ids (see InProcess).
    `unit_terms`: also tokenize the units the SQLite build indexes (process)."""
    tasks = tasks_for(len(articles), shards)
    if not uses_pool(len(articles), jobs):
        return InProcess(articles, speakers, extractor, with_tokens, tasks, allow_warnings, direct, unit_terms)
    return Pool(articles, speakers, extractor, with_tokens, tasks, jobs, allow_warnings, unit_terms)
