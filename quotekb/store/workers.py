"""Processing articles into shards, in this process or in worker processes.

Articles are processed in tasks of CHUNK_ARTICLES consecutive articles; each task
parses, tokenizes and extracts its articles into one shard file (writer.write_shard)
that the build then merges, in corpus order.

With several jobs, `Workers` forks that many processes, and each takes a fixed share
of the tasks (worker k: tasks k, k + n, k + 2n, ...). A worker first parses all of
its articles and reports; only when every worker has parsed without error does the
parent let them process, so bad input still fails before any output, and no parsed
article is sent between processes (for 1,000 articles, pickling and unpickling them
took about half as long as parsing them) or parsed twice. Because worker
k's results come in the order of its tasks, the parent reads task i from worker
i mod n and gets every shard in corpus order without a reordering buffer.
"""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from quotekb import nlp
from quotekb.errors import InputError
from quotekb.ingest.corpus import Article
from quotekb.knowledge.pipeline import Extractor
from quotekb.parse.document import ParsedDocument, parse_article
from quotekb.store.rows import IdAllocator, Lexicon, analyse, document_rows
from quotekb.store.writer import pack, write_shard

# Articles per task: large enough that a shard's fixed costs (a file, its tables)
# vanish, small enough that the last task does not leave a core idle.
CHUNK_ARTICLES = 8
# How long the parent waits on a silent worker before checking that it still lives.
POLL_SECONDS = 1.0
# A build allocates millions of tuples and lists that live until their shard is written,
# and makes almost no reference cycles: at the default thresholds (700, 10, 10) the
# cyclic collector walks them again and again. With these, and the freeze before the
# fork (Workers), a build of 1,000 synthetic articles on 2 cores took 8% less CPU
# (23.8 s -> 21.8 s, three runs each) and the same peak memory.
# (Measured with the generational collector of Python 3.11-3.13; 3.14's incremental
# collector reads the thresholds differently.)
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
    """One task's result: its shard, how many ids of each table it used, the curated
    stances it applied, and one progress line per article."""

    shard: Path
    used_ids: Counter
    used_stances: set
    progress: list[tuple[str, int, str]]


@dataclass(frozen=True)
class Task:
    start: int  # first article (index into the articles being built)
    stop: int
    shard: Path


def tasks_for(n_articles: int, shards: Path) -> list[Task]:
    return [Task(i, min(i + CHUNK_ARTICLES, n_articles), shards / f"shard-{i:06d}.db")
            for i in range(0, n_articles, CHUNK_ARTICLES)]


def process(task: Task, docs: list[ParsedDocument], extractor: Extractor, with_tokens: bool) -> Processed:
    """Tokenize and extract parsed articles, with ids local to the task, into its shard."""
    ids, lexicon = IdAllocator(), Lexicon()
    stances_before = set(extractor.used_stances)
    batches, progress = [], []
    analysed = analyse(docs) if with_tokens else [None] * len(docs)
    analysed.reverse()  # popped from the end: each article's morphemes go once its rows are made
    for doc in docs:
        rows, views = document_rows(doc, ids, lexicon, with_tokens, analysed.pop())
        if with_tokens:
            extractor.run(doc.article, rows, views, ids.assign)
        batches.append(pack(rows))
        progress.append((doc.article.id, len(doc.article.text),
                         f"{len(doc.sections)} sections, {len(doc.turns)} turns, {len(doc.sentences)} sentences"))
    write_shard(task.shard, batches, lexicon.rows())
    return Processed(task.shard, ids.counts, extractor.used_stances - stances_before, progress)


class InProcess:
    """The serial build: parse everything, then process task after task."""

    def __init__(self, articles: list[Article], speakers: dict, extractor: Extractor, with_tokens: bool,
                 tasks: list[Task]) -> None:
        self.articles, self.speakers, self.extractor = articles, speakers, extractor
        self.with_tokens, self.tasks = with_tokens, tasks
        self.parsed: list[ParsedDocument] = []

    def parse(self) -> None:
        self.parsed = [parse_article(a, self.speakers) for a in self.articles]

    def results(self) -> Iterator[Processed]:
        for task in self.tasks:
            yield process(task, self.parsed[task.start : task.stop], self.extractor, self.with_tokens)

    def close(self, abort: bool = False) -> None:
        pass


# What forked workers inherit instead of receiving it through a pipe.
_INHERITED: dict = {}


def _worker_main(index: int, count: int, pipe: Connection, parent_ends: list[Connection]) -> None:
    # The parent's ends of this and earlier workers' pipes came with the fork: closed
    # here, so that when the parent dies (even by SIGKILL) the pipe reports it and
    # the worker ends instead of waiting forever.
    for end in parent_ends:
        end.close()
    nlp.reset_thread_state()  # a forked child must not share the parent's tokenizer
    try:
        _work(index, count, pipe)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone (or gave up): nothing to report to
    finally:
        pipe.close()


def _work(index: int, count: int, pipe: Connection) -> None:
    articles, speakers = _INHERITED["articles"], _INHERITED["speakers"]
    mine = _INHERITED["tasks"][index::count]
    try:
        parsed = {}
        for task in mine:
            docs = []
            for i in range(task.start, task.stop):
                try:
                    docs.append(parse_article(articles[i], speakers))
                except InputError as error:
                    pipe.send(("parsed", (i, error)))
                    return
            parsed[task] = docs
        pipe.send(("parsed", None))
        if not pipe.recv():  # another worker found bad input
            return
        for task in mine:
            pipe.send(("done", process(task, parsed.pop(task), _INHERITED["extractor"], _INHERITED["with_tokens"])))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        raise
    except BaseException as error:  # a bug, not bad input: hand the parent the traceback
        pipe.send(("crash", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))


class Workers:
    """The parallel build: forked workers, each with a fixed share of the tasks."""

    def __init__(self, articles: list[Article], speakers: dict, extractor: Extractor, with_tokens: bool,
                 tasks: list[Task], jobs: int) -> None:
        self.tasks = tasks
        _INHERITED.update(articles=articles, speakers=speakers, extractor=extractor,
                          with_tokens=with_tokens, tasks=tasks)
        context = multiprocessing.get_context("fork")
        self.count = min(jobs, len(tasks))
        self.pipes: list[Connection] = []
        self.processes = []
        # frozen objects are never walked by the collector: the workers then do not
        # copy every page of the parent's heap that the collector would have touched.
        # gc.unfreeze() would also thaw what a caller had frozen itself: then leave it.
        freezing = gc.get_freeze_count() == 0
        if freezing:
            gc.freeze()
        try:
            for index in range(self.count):
                parent_end, child_end = context.Pipe()
                process = context.Process(target=_worker_main, daemon=True,
                                          args=(index, self.count, child_end, [*self.pipes, parent_end]))
                process.start()
                child_end.close()
                self.pipes.append(parent_end)
                self.processes.append(process)
        except BaseException:
            self.close(abort=True)  # the workers already started (fork can fail)
            raise
        finally:
            if freezing:
                gc.unfreeze()
            _INHERITED.clear()

    def parse(self) -> None:
        """Wait until every worker has parsed its articles; raise the InputError of the
        first bad article in corpus order, as a serial build would."""
        reports = [self._receive(index, "parsed") for index in range(self.count)]
        failures = [report for report in reports if report]
        for pipe, report in zip(self.pipes, reports, strict=True):
            if report is None:  # a worker that failed has already exited
                pipe.send(not failures)
        if failures:
            raise min(failures, key=lambda failure: failure[0])[1]

    def results(self) -> Iterator[Processed]:
        for i in range(len(self.tasks)):
            yield self._receive(i % self.count, "done")

    def _receive(self, index: int, expected: str):
        pipe, process = self.pipes[index], self.processes[index]
        while not pipe.poll(POLL_SECONDS):
            if not process.is_alive():
                raise RuntimeError(f"build worker {index} died (exit code {process.exitcode})")
        try:
            kind, payload = pipe.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"build worker {index} died (exit code {process.exitcode})") from None
        if kind == "crash":
            raise RuntimeError(f"build worker {index} failed: {payload}")
        assert kind == expected, (kind, expected)
        return payload

    def close(self, abort: bool = False) -> None:
        """Wait for the workers to exit; with abort (the build failed), stop them."""
        for pipe in self.pipes:
            pipe.close()
        for process in self.processes:
            if abort:
                process.kill()
            process.join()


def forks(n_articles: int, jobs: int) -> bool:
    """Whether start() forks workers for this many articles: only with several jobs
    and more than one task for them."""
    return jobs > 1 and n_articles > CHUNK_ARTICLES


def start(articles: list[Article], speakers: dict, extractor: Extractor, with_tokens: bool, jobs: int,
          shards: Path) -> InProcess | Workers:
    """The serial runner, or the parallel one when there are jobs and tasks for it."""
    tasks = tasks_for(len(articles), shards)
    if not forks(len(articles), jobs):
        return InProcess(articles, speakers, extractor, with_tokens, tasks)
    return Workers(articles, speakers, extractor, with_tokens, tasks, jobs)
