"""`quotekb serve` under change: staleness by build hashes, the live switch to a rebuilt
file (several worker processes, clients requesting meanwhile), cheap errors, ETags."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from conftest import REPO
from corpus_factory import make_corpus, write_article
from quotekb.publish.live import ResponseCache, create_app
from quotekb.publish.serve import stale_reason
from quotekb.store.build import build

sys.path.insert(0, str(REPO / "scripts"))
from loadtest import free_port, serve  # noqa: E402

# three articles in the label-line convention; each build adds one
TEXTS = {
    "a1": "見出しの一行\n\n山田太郎:\n\n質問です。\n\n佐藤花子:\n\n答えです。\n",
    "a2": "別の見出し\n\n山田太郎:\n\n二つ目の質問です。\n\n佐藤花子:\n\n二つ目の答えです。そうです。\n",
    "a3": "三つ目の見出し\n\n山田太郎:\n\n三つ目の質問です。\n\n佐藤花子:\n\n三つ目の答えです。\n",
}
TITLES = {"a1": "見出しの一行", "a2": "別の見出し", "a3": "三つ目の見出し"}
PROBE = "/quotekb/sentences.json?_facet=document_id&_extra=count&_size=max&_col=document_id"


def _corpus(tmp_path: Path) -> Path:
    return make_corpus(tmp_path / "corpus", TEXTS["a1"], "a1", title=TITLES["a1"])


def _add(root: Path, article_id: str) -> None:
    write_article(root, article_id, TEXTS[article_id], title=TITLES[article_id])


def _sentences_per_document(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return dict(conn.execute("SELECT document_id, count(*) FROM sentences GROUP BY document_id"))


# -- staleness --------------------------------------------------------------------

def test_staleness_is_judged_by_build_hashes_not_file_times(tmp_path):
    root, db = _corpus(tmp_path), tmp_path / "db" / "quotekb.db"
    assert stale_reason(db, root) == "no database yet"
    build(root, db)
    assert stale_reason(db, root) is None
    # a corpus file touched after the build, same bytes: nothing to rebuild
    later = db.stat().st_mtime + 100
    os.utime(root / "articles" / "a1.txt", (later, later))
    assert stale_reason(db, root) is None
    # the database looks newer than everything, but was built by other code
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE build_info SET value = 'older-code' WHERE key = 'code_version'")
        conn.commit()
    os.utime(db, (later + 100, later + 100))
    assert "code_version" in stale_reason(db, root)
    build(root, db)
    assert stale_reason(db, root) is None
    _add(root, "a2")
    assert stale_reason(db, root) == "1 changed, 0 removed"


# -- the live switch, several processes, clients requesting meanwhile ------------

async def _client(client: httpx.AsyncClient, answers: list, stop: asyncio.Event, headers: dict) -> None:
    while not stop.is_set():
        response = await client.get(PROBE, headers=headers)
        answers.append((time.monotonic(), response.status_code, response.headers.get("x-quotekb-build"),
                        response.json() if response.status_code == 200 else response.text,
                        (bool(headers), response.headers.get("x-quotekb-cache"))))


def _group(pgid: int) -> list[int]:
    """Live processes of a process group (from /proc: no extra dependency)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def test_default_workers_is_the_cpus_this_process_may_use():
    from quotekb.publish.serve import default_workers

    assert default_workers() == len(os.sched_getaffinity(0))


def _version_of(body: dict) -> tuple[tuple[str, ...], int]:
    """(documents, sentences) of one answer, after checking its parts agree: the rows,
    the count and the facet come from three separate SQL queries."""
    rows = [r["document_id"] for r in body["rows"]]
    facet = {v["value"]: v["count"] for v in body["facet_results"]["results"]["document_id"]["results"]}
    assert body["count"] == len(rows) == sum(facet.values()), body
    assert {d: rows.count(d) for d in set(rows)} == facet, body
    return tuple(sorted(facet)), body["count"]


def test_two_rebuilds_land_while_eight_clients_request_from_two_workers(tmp_path):
    root, db = _corpus(tmp_path), tmp_path / "db" / "quotekb.db"
    build(root, db)
    versions = {}  # build hash -> (documents, sentences), read from each built file

    def record() -> None:
        from quotekb.publish.live import _identity
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            build_hash, _ = _identity(conn)
        counts = _sentences_per_document(db)
        versions[build_hash] = (tuple(sorted(counts)), sum(counts.values()))

    record()
    with serve(db, root, workers=2, startup_timeout=120) as server:
        # uvicorn's supervisor and its two workers, in the server's own process group
        assert len(_group(server.process.pid)) >= 3
        async def scenario():
            answers: list = []
            stop = asyncio.Event()
            limits = httpx.Limits(max_connections=8)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as client:
                # half the clients send a cookie: the server's answer cache and ETags
                # skip them, so each of their requests runs Datasette's three queries
                tasks = [asyncio.create_task(_client(client, answers, stop, {"cookie": "probe=1"} if n % 2 else {}))
                         for n in range(8)]
                landed = []
                for article_id in ("a2", "a3"):
                    await asyncio.sleep(1.0)
                    _add(root, article_id)
                    await asyncio.to_thread(build, root, db)  # incremental: one article changed
                    landed.append(time.monotonic())
                    record()
                await asyncio.sleep(3.0)
                stop.set()
                await asyncio.gather(*tasks)
            return answers, landed

        answers, landed = asyncio.run(scenario())

    assert len(versions) == 3
    newest = versions[list(versions)[-1]]
    assert newest == (("a1", "a2", "a3"), sum(_sentences_per_document(db).values()))
    failed = [(status, build_hash, str(body)[:300]) for _at, status, build_hash, body, _c in answers if status != 200]
    assert not failed and len(answers) > 50, failed[:3]
    seen = []
    for at, _status, build_hash, body, _cache in answers:
        # every answer is one whole build, and the one its header names
        assert _version_of(body) == versions[build_hash]
        seen.append((at, versions[build_hash]))
    assert {v for _, v in seen} == set(versions.values())  # the clients saw all three builds
    caching = {a[4] for a in answers}
    assert (False, "hit") in caching and (True, "hit") not in caching and (True, None) in caching
    # noticed within 2 s: every answer that started 2 s after the last build is the new one
    assert all(v == newest for at, v in seen if at > landed[-1] + 2.5)
    assert seen[-1][1] == newest


# -- cheap errors, 405, ETag --------------------------------------------------------

@pytest.fixture()
def live_app(seed_db):
    return create_app(seed_db, REPO / "datasette.yaml", REPO / "metadata.yaml")


def over_asgi(app, scenario):
    """Run scenario(client) against the ASGI app in-process, with lifespan startup."""
    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            await client.get("/quotekb")  # the first request runs Datasette's startup
            return await scenario(client)
    return asyncio.run(main())


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/quotekb/no_such_table", 404),
    ("GET", "/quotekb/sentences/999999999", 404),
    ("GET", "/quotekb/-/query.json?sql=select+no_such_column", 400),
    ("GET", "/quotekb/sentences?_sort=no_such_column", 400),
    ("POST", "/quotekb/-/query", 405),
])
def test_errors_cost_under_50_ms_even_with_rich_installed(live_app, method, path, status):
    import importlib.util

    assert importlib.util.find_spec("rich") is not None  # the test venv has it: the case that cost 2 s

    async def scenario(client):
        statuses, times = set(), []
        for _ in range(7):
            started = time.perf_counter()
            response = await client.request(method, path, data={"sql": "select 1"} if method == "POST" else None)
            times.append((time.perf_counter() - started) * 1000)
            statuses.add(response.status_code)
        return statuses, statistics.median(times)

    statuses, ms = over_asgi(live_app, scenario)
    assert statuses == {status}
    assert ms < 50, f"{method} {path}: {ms:.0f} ms"


def test_etag_by_build_hash_answers_304_without_work(live_app):
    page = "/quotekb/sentences?_facet=speaker_id"

    async def scenario(client):
        first = await client.get(page)
        etag = first.headers["etag"]
        again = await client.get(page, headers={"if-none-match": etag})
        other = await client.get(page, headers={"if-none-match": 'W/"other"'})
        cookie = await client.get(page, headers={"cookie": "ds_actor=x"})
        return first, etag, again, other, cookie

    first, etag, again, other, cookie = over_asgi(live_app, scenario)
    assert first.status_code == 200 and first.headers["x-quotekb-build"] in etag
    assert again.status_code == 304 and again.content == b""
    assert other.status_code == 200
    # an actor's cookie may change the page: no ETag then
    assert cookie.status_code == 200 and "etag" not in cookie.headers


def test_serve_passes_workers_to_uvicorn(tmp_path):
    root, db = _corpus(tmp_path), tmp_path / "db" / "quotekb.db"
    port = free_port()
    argv = [sys.executable, "-c", "import sys; from quotekb.cli import cli; sys.exit(cli())", "serve",
            "--corpus", str(root), "--db", str(db), "--port", str(port), "--workers", "0"]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--workers" in result.stderr


def test_the_answer_cache_replays_a_whole_answer_and_keeps_to_its_budget(live_app):
    page = "/quotekb/claims?_facet=speaker_id"

    async def scenario(client):
        return [await client.get(page) for _ in range(2)] + [await client.get(page, headers={"cookie": "a=b"})]

    miss, hit, with_cookie = over_asgi(live_app, scenario)
    assert "x-quotekb-cache" not in miss.headers and hit.headers["x-quotekb-cache"] == "hit"
    assert hit.content == miss.content and hit.headers["etag"] == miss.headers["etag"]
    assert "x-quotekb-cache" not in with_cookie.headers

    cache = ResponseCache(budget_bytes=3 * 1000 + 3 * 200)  # room for three 1,000-byte answers
    start = {"type": "http.response.start", "status": 200, "headers": []}
    for n in range(4):
        cache.put(("page", n), start, b"x" * 1000)
    assert cache.get(("page", 0)) is None  # the oldest went first
    assert [k[1] for k in cache.entries] == [1, 2, 3] and cache.used <= cache.budget
    cache.get(("page", 1))  # used again: now the newest
    cache.put(("page", 4), start, b"x" * 1000)
    assert [k[1] for k in cache.entries] == [3, 1, 4]
    cache.put(("big", 0), start, b"x" * 10_000)  # over the budget: never kept
    assert cache.get(("big", 0)) is None


# -- anonymous permission verdicts, answered once per Version -----------------------

# pages whose answers depend on permission checks: a stored query, the database page
# (the list of tables the actor may see), a table, an FTS shadow table (derived: its
# verdict follows its source's), arbitrary SQL, and two pages denied to anonymous
PERMISSION_PAGES = [
    "/quotekb/search.json?q=%E8%B3%AA%E5%95%8F",  # 質問
    "/quotekb.json",
    "/quotekb/sentences.json?_size=2",
    "/quotekb/sentences_fts_docsize.json?_size=2",
    "/quotekb/-/query.json?sql=select+1",
    "/-/permissions",
    "/-/create-token",
]


def _counting_permission_sql(monkeypatch) -> list[str]:
    """Record each permission resolution Datasette runs as SQL (its two builders,
    imported by name at each call, so patching the module reaches every caller)."""
    from datasette.utils import actions_sql

    calls: list[str] = []
    for name in ("check_permissions_for_actions", "build_allowed_resources_sql"):
        original = getattr(actions_sql, name)

        async def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return await _original(*args, **kwargs)

        monkeypatch.setattr(actions_sql, name, counted)
    return calls


def test_anonymous_permission_verdicts_are_datasettes_and_kept_per_version(seed_db, datasette_config,
                                                                            datasette_metadata, monkeypatch):
    from datasette.app import Datasette

    from quotekb.publish.live import PinningMiddleware, make_datasette

    plain = Datasette(immutables=[str(seed_db)], config=datasette_config, metadata=datasette_metadata)
    live_ds, live = make_datasette(seed_db, REPO / "datasette.yaml", REPO / "metadata.yaml")
    calls = _counting_permission_sql(monkeypatch)

    async def answers(ds, app):
        signed = ds.sign({"a": {"id": "someone"}}, "actor")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client, \
                httpx.AsyncClient(transport=transport, base_url="http://localhost",
                                  cookies={"ds_actor": signed}) as signed_in:
            await client.get("/quotekb")  # startup
            first = [await client.get(page) for page in PERMISSION_PAGES]
            again, checks = [], []
            for page in PERMISSION_PAGES:
                before = len(calls)
                again.append(await client.get(page))
                checks.append(calls[before:])
            before = len(calls)
            actor = await signed_in.get(PERMISSION_PAGES[0])
            return first, again, checks, actor, calls[before:]

    plain_first, plain_again, plain_checks, _, _ = asyncio.run(answers(plain, plain.app()))
    live_first, live_again, live_checks, actor, actor_checks = asyncio.run(
        answers(live_ds, PinningMiddleware(live_ds.app(), live, "test")))
    # the same answers as Datasette's own, the second time too
    assert [r.status_code for r in live_first] == [r.status_code for r in plain_first] \
        == [200, 200, 200, 200, 200, 403, 403]
    for live, plain_answer in zip(live_first + live_again, plain_first + plain_again, strict=True):
        assert live.content == plain_answer.content
    # Datasette resolves the checks anew on every request; the live server the first
    # time only, but for the database page's list of stored queries, which it leaves
    # to Datasette (the internal queries table, not a verdict)
    assert all(plain_checks)
    db_page = PERMISSION_PAGES.index("/quotekb.json")
    assert [c for i, c in enumerate(live_checks) if i != db_page] == [[]] * (len(PERMISSION_PAGES) - 1)
    assert set(live_checks[db_page]) == {"build_allowed_resources_sql"}
    # a signed-in actor's checks go through Datasette, with the same stored query answer
    assert actor.status_code == 200 and actor.json()["rows"] == live_first[0].json()["rows"]
    assert "check_permissions_for_actions" in actor_checks


def test_a_new_version_starts_with_no_verdicts(tmp_path):
    from quotekb.publish import live as live_module

    root, db = _corpus(tmp_path), tmp_path / "db" / "quotekb.db"
    build(root, db)
    ds, live = live_module.make_datasette(db, REPO / "datasette.yaml", REPO / "metadata.yaml")
    app = live_module.PinningMiddleware(ds.app(), live, "test")

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            first = live.current
            assert (await client.get("/quotekb.json")).status_code == 200
            kept = dict(first.verdicts.entries)
            _add(root, "a2")
            build(root, db)
            assert await live.poll_once()
            after = await client.get("/quotekb/documents.json?_col=id")
            return first, kept, live.current, after

    first, kept, current, after = asyncio.run(scenario())
    assert kept and first.verdicts.entries == {}  # the retired build let go of its verdicts
    assert current is not first and after.status_code == 200
    assert [row["id"] for row in after.json()["rows"]] == ["a1", "a2"]
    assert all(key[0] != "resources" for key in current.verdicts.entries)  # the table page lists none


def test_a_build_read_after_the_next_is_renamed_over_it_is_still_that_build(tmp_path):
    """Datasette connects each SQL thread to a build lazily, the first time that thread
    serves it. A thread that first does so after the next build was renamed over the
    path, before the watcher switched, must still read the build its request is pinned
    to. (Through /proc/self/fd/N it read an empty database: SQLite resolves that link to
    "quotekb.db (deleted)" and creates that file; "no such table" gave 400/404/500.)"""
    from quotekb.publish import live as live_module

    root, db = _corpus(tmp_path), tmp_path / "db" / "quotekb.db"
    build(root, db)
    ds, live = live_module.make_datasette(db, REPO / "datasette.yaml", REPO / "metadata.yaml")
    first = live.current

    async def scenario():
        _add(root, "a2")
        await asyncio.to_thread(build, root, db)  # renamed over the path; not polled yet
        # no thread has connected to the first build yet: this query opens a connection
        pinned = (await first.db.execute("SELECT id FROM documents ORDER BY id")).rows
        assert await live.poll_once()
        current = (await live.current.db.execute("SELECT id FROM documents ORDER BY id")).rows
        return [r[0] for r in pinned], [r[0] for r in current]

    pinned, current = asyncio.run(scenario())
    assert (pinned, current) == (["a1"], ["a1", "a2"])
    # nothing beside the database but what the serving worker holds open, and the retired
    # build's hold is let go
    assert sorted(p.name for p in db.parent.iterdir() if not p.name.startswith(".")) == ["quotekb.db"]
    held = [p for p in db.parent.iterdir() if p.name.startswith(".")]
    assert len(held) <= 1 and all(os.path.samefile(p, db) for p in held)


def test_links_of_a_worker_that_no_longer_runs_are_removed_at_start(tmp_path):
    from quotekb.publish import live as live_module

    root, db = _corpus(tmp_path), tmp_path / "db" / "quotekb.db"
    build(root, db)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    orphan = db.with_name(f".quotekb.db.serving-{gone.stdout.strip()}-0")
    os.link(db, orphan)
    mine = db.with_name(f".quotekb.db.serving-{os.getpid()}-999999")  # a live process's (this one's)
    os.link(db, mine)
    _ds, live = live_module.make_datasette(db, REPO / "datasette.yaml", REPO / "metadata.yaml")
    assert not orphan.exists() and mine.exists()
    assert live.current.link is not None and os.path.samefile(live.current.link, db)
    live.let_go()
    assert not live.current.link.exists()
