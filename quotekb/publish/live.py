"""The served Datasette, switched to each new build while it runs.

`quotekb build` replaces db/quotekb.db by renaming a new file over it. Datasette opens
an immutable file lazily, once per SQL thread, by its path: threads that connected
before the rename keep reading the old inode, the others the new one. Here instead:

- a Version holds one build: a hard link to that inode beside the path (a name no
  build renames over) and a Datasette Database reading it through that link, so every
  connection it ever opens reads the same file, whatever is renamed over the path
  meanwhile. Not /proc/self/fd/N: SQLite resolves that symlink to the path it names,
  and once a build was renamed over it, to "quotekb.db (deleted)", an empty file it
  creates; an SQL thread connecting to a build late read no tables at all;
- a watcher (a Datasette background task, one per server process) stats the path
  every POLL_SECONDS; on a new inode it opens a Version for it, counts its tables,
  and swaps the databases dict in one assignment on the event loop;
- a middleware pins each request to the dict current when it arrived (a context
  variable read by LiveDatasette.databases), so a request never mixes two builds;
  a retired Version is closed, and its link removed, when its last request ends;
- anonymous permission checks are answered once per Version (see LiveDatasette):
  Datasette 1.0a41 resolves them with SQL on its internal database on every request,
  even those whose page does not use the answer;
- the same middleware adds ETag (build hash + server hash) to anonymous GET answers
  and answers If-None-Match with 304 before Datasette does any work; it keeps those
  answers in a bounded in-memory cache of the Version (a page of an immutable build
  never changes; Datasette spends 25-70 ms of CPU rendering one), dropped with it;
  a POST to a query page is answered 405.

Where no link can be made (a read-only directory) the path itself is opened: a
switch is still atomic per request, but a thread connecting between a rename and the
next poll reads the new file early. Links a killed worker left behind are removed by
the next server that opens the path.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import hashlib
import itertools
import json
import logging
import os
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import datasette.handle_exception
from datasette.app import Datasette
from datasette.database import Database
from datasette.permissions import _skip_permission_checks
from datasette.utils import parse_metadata

POLL_SECONDS = 0.5
READ_ONLY_PAGES = ("/-/query", "/-/query.json", "/-/query.csv")
DEFAULT_CACHE_MB = 64  # per worker process
ENV = "QUOTEKB_SERVE"  # JSON {db, config, metadata, cache_mb}: how uvicorn's worker processes find their setup
log = logging.getLogger("quotekb.serve")

_pinned: contextvars.ContextVar[Version | None] = contextvars.ContextVar("quotekb_pinned_version", default=None)


class LiveDatasette(Datasette):
    """Datasette whose databases are read from the request's pinned Version, and whose
    anonymous permission checks are answered once per Version.

    Datasette 1.0a41 answers every check with SQL on its internal database, anew for
    each request (its cache is per request): a stored query's JSON costs five such
    queries (the tables the actor may see, for a list only the HTML page shows; the
    query's own visibility), 10-20 ms of a search request. For the anonymous actor the
    answer depends only on the configuration and the plugins, both fixed for the
    server's life, and the tables of the build, fixed for a Version (the server is
    read-only: nothing can store queries or change rules), so the Version keeps the
    verdicts. Signed-in actors and SkipPermissions blocks go through Datasette as
    before; so does anything outside a pinned request (startup)."""

    @property
    def databases(self):
        pinned = _pinned.get()
        return pinned.databases if pinned is not None else self._live_databases

    @databases.setter
    def databases(self, value) -> None:
        # Datasette replaces the dict (never mutates it): a snapshot stays whole
        self._live_databases = value

    async def allowed_resources(self, action: str, actor: dict | None = None, **options):
        verdicts = _anonymous_verdicts(actor)
        if verdicts is None:
            return await super().allowed_resources(action, actor, **options)
        key = ("resources", action, tuple(sorted(options.items())))
        page = verdicts.get(key)
        if page is None:
            page = verdicts.put(key, await super().allowed_resources(action, actor, **options))
        return dataclasses.replace(page, resources=list(page.resources))

    async def allowed_many(self, *, actions, resource=None, actor: dict | None = None) -> dict[str, bool]:
        verdicts = _anonymous_verdicts(actor)
        if verdicts is None:
            return await super().allowed_many(actions=actions, resource=resource, actor=actor)
        key = ("many", tuple(actions), type(resource).__name__,
               getattr(resource, "parent", None), getattr(resource, "child", None))
        found = verdicts.get(key)
        if found is None:
            found = verdicts.put(key, await super().allowed_many(actions=actions, resource=resource, actor=actor))
        return dict(found)


class Verdicts:
    """Permission answers for the anonymous actor within one Version; bounded, since
    a URL can name any table (past MAX_ENTRIES it starts again empty)."""

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self.entries: dict = {}

    def get(self, key: tuple):
        return self.entries.get(key)

    def put(self, key: tuple, value):
        if len(self.entries) >= self.MAX_ENTRIES:
            self.entries.clear()
        self.entries[key] = value
        return value


def _anonymous_verdicts(actor: dict | None) -> Verdicts | None:
    """The pinned Version's verdicts when a check may be answered from them."""
    version = _pinned.get()
    if actor is not None or version is None or _skip_permission_checks.get():
        return None
    return version.verdicts


_link_numbers = itertools.count()  # per process: several Live objects may share a path


def _link_prefix(path: Path) -> str:
    return f".{path.name}.serving-"


def _hold(path: Path) -> Path | None:
    """A new hard link to the file the path names now, or None when none can be made."""
    link = path.with_name(f"{_link_prefix(path)}{os.getpid()}-{next(_link_numbers)}")
    try:
        os.link(path, link)  # atomic: whatever inode the path names at this instant
    except OSError as error:
        log.warning("quotekb: cannot link %s (%s); a late SQL connection may read a newer build", path, error)
        return None
    return link


def _remove_orphan_links(path: Path) -> None:
    """Links of worker processes that no longer run (killed before their cleanup)."""
    for link in path.parent.glob(f"{_link_prefix(path)}*"):
        pid = link.name[len(_link_prefix(path)):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            link.unlink(missing_ok=True)
        except OSError:
            pass  # alive, another user's


class ResponseCache:
    """Whole answers (status 200, anonymous GET) by request, least recently used
    first out, within a byte budget; an answer over MAX_ENTRY_BYTES is not kept."""

    MAX_ENTRY_BYTES = 2 * 1024 * 1024

    def __init__(self, budget_bytes: int) -> None:
        self.budget, self.used = budget_bytes, 0
        self.entries: OrderedDict[tuple, tuple[dict, bytes]] = OrderedDict()

    def get(self, key: tuple) -> tuple[dict, bytes] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple, start: dict, body: bytes) -> None:
        size = len(body) + sum(len(k) + len(v) for k, v in start["headers"]) + 200
        if self.budget <= 0 or size > min(self.MAX_ENTRY_BYTES, self.budget) or key in self.entries:
            return
        while self.used + size > self.budget:
            _, (old_start, old_body) = self.entries.popitem(last=False)
            self.used -= len(old_body) + sum(len(k) + len(v) for k, v in old_start["headers"]) + 200
        self.entries[key] = (start, body)
        self.used += size


@dataclass(eq=False)
class Version:
    """One build's file, open for as long as requests use it."""

    db: Database
    inode: tuple[int, int]
    build_hash: str
    schema_hash: str
    link: Path | None
    active: int = 0
    retired: bool = False
    databases: dict = field(default_factory=dict)
    cache: ResponseCache = field(default_factory=lambda: ResponseCache(0))
    verdicts: Verdicts = field(default_factory=lambda: Verdicts())

    def release(self) -> None:
        if self.retired and self.active == 0:
            self.cache = ResponseCache(0)
            self.verdicts = Verdicts()
            self.db.close()
            if self.link is not None:
                self.link.unlink(missing_ok=True)
                self.link = None


def _identity(conn: sqlite3.Connection) -> tuple[str, str]:
    """(build hash, schema hash) of an open database: what the build wrote about its
    inputs and code, and the document hashes; any change gives another hash."""
    digest = hashlib.sha256()
    try:
        for row in conn.execute("SELECT key, value FROM build_info ORDER BY key"):
            digest.update(json.dumps(row).encode())
        for row in conn.execute("SELECT id, sha256, yaml_sha256 FROM documents ORDER BY id"):
            digest.update(json.dumps(row).encode())
    except sqlite3.Error:
        digest.update(b"not a quotekb build")
    schema = "\n".join(sql or "" for (sql,) in conn.execute("SELECT sql FROM sqlite_master ORDER BY name"))
    return digest.hexdigest()[:16], hashlib.sha256(schema.encode()).hexdigest()[:16]


class Live:
    """The current Version of one database file, and the switch to the next."""

    def __init__(self, ds: LiveDatasette, path: Path, name: str, cache_bytes: int = 0) -> None:
        self.ds, self.path, self.name, self.cache_bytes = ds, Path(path), name, cache_bytes
        self.current: Version | None = None
        self.failed_inode: tuple[int, int] | None = None
        self.switches = 0

    def open_version(self) -> Version:
        link = _hold(self.path)
        target = str(link or self.path)
        try:
            st = os.stat(target)
            with contextlib.closing(sqlite3.connect(f"file:{target}?mode=ro&immutable=1", uri=True)) as conn:
                build_hash, schema_hash = _identity(conn)
            db = Database(self.ds, path=target, is_mutable=False)
            db.name, db.route = self.name, self.name
        except BaseException:
            if link is not None:
                link.unlink(missing_ok=True)
            raise
        return Version(db, (st.st_dev, st.st_ino), build_hash, schema_hash, link,
                       cache=ResponseCache(self.cache_bytes))

    def install_first(self) -> None:
        _remove_orphan_links(self.path)
        version = self.open_version()
        self.ds.databases = {**self.ds.databases, self.name: version.db}
        version.databases = self.ds.databases
        self.current = version

    async def poll_once(self) -> bool:
        """Switch when the path names another file; True when it did."""
        try:
            st = os.stat(self.path)
        except OSError:
            return False  # mid-rename or removed: keep serving what we have
        inode = (st.st_dev, st.st_ino)
        if inode == self.current.inode or inode == self.failed_inode:
            return False
        version = None
        try:
            version = await asyncio.get_running_loop().run_in_executor(None, self.open_version)
            await version.db.table_counts(limit=60 * 60 * 1000)  # as Datasette does at startup
        except (OSError, sqlite3.Error) as error:
            if version is not None:  # opened, then failed: let go of its link
                version.retired = True
                version.release()
            self.failed_inode = inode
            log.error("quotekb: cannot open the new %s (%s); still serving the previous build", self.path, error)
            return False
        old = self.current
        # one assignment on the event loop: requests that arrive later see only the new build
        databases = {**self.ds._live_databases, self.name: version.db}
        self.ds.databases = databases
        version.databases = databases
        self.current = version
        self.switches += 1
        old.retired = True
        old.release()
        if version.schema_hash != old.schema_hash:
            # Datasette's table catalog is keyed by name and schema_version: refill it
            internal = self.ds.get_internal_database()
            await internal.execute_write("DELETE FROM catalog_databases WHERE database_name = ?", [self.name])
            await self.ds.refresh_schemas(force=True)
        log.warning("quotekb: now serving build %s of %s", version.build_hash, self.path)
        return True

    def let_go(self) -> None:
        """At shutdown: the current build's link (one left behind would keep a
        replaced build's disk space until the next server starts)."""
        if self.current is not None and self.current.link is not None:
            self.current.link.unlink(missing_ok=True)

    async def watch(self, _ds=None) -> None:
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                try:
                    await self.poll_once()
                except Exception:  # noqa: BLE001 - the watcher must outlive any one failure
                    log.exception("quotekb: watching %s failed; retrying", self.path)
        finally:  # cancelled by Datasette's shutdown (uvicorn's lifespan), after the last request
            self.let_go()


def _cacheable(scope: dict) -> bool:
    if scope["method"] not in ("GET", "HEAD"):
        return False
    path = scope["path"]
    if path.startswith("/-/") and not path.startswith("/-/static"):
        return False  # introspection pages (actor, threads, tasks) change by themselves
    names = {name.lower() for name, _ in scope.get("headers", ())}
    return b"cookie" not in names and b"authorization" not in names


class PinningMiddleware:
    """Pins each HTTP request to one Version; ETag and 304 by build hash."""

    def __init__(self, app, live: Live, server_hash: str) -> None:
        self.app, self.live, self.server_hash = app, live, server_hash

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] not in ("GET", "HEAD") and scope["path"].rstrip("/").endswith(READ_ONLY_PAGES):
            # Datasette 1.0a41 answers a POST here with a KeyError (500); the server is read-only
            return await _send_plain(send, 405, b"405 Method Not Allowed: this page answers GET only\n",
                                     [(b"allow", b"GET, HEAD")])
        version = self.live.current
        version.active += 1
        token = _pinned.set(version)
        try:
            await self._answer(version, scope, receive, send)
        finally:
            _pinned.reset(token)
            version.active -= 1
            version.release()

    async def _answer(self, version: Version, scope, receive, send) -> None:
        build = (b"x-quotekb-build", version.build_hash.encode())
        etag = f'W/"{version.build_hash}-{self.server_hash}"'.encode()
        cacheable = _cacheable(scope)
        if cacheable and etag in _header_values(scope, b"if-none-match"):
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", etag), build]})
            await send({"type": "http.response.body", "body": b""})
            return
        key = None
        if cacheable and scope["method"] == "GET":
            key = (scope.get("scheme"), *_header_values(scope, b"host")[:1], scope["path"], scope["query_string"])
            hit = version.cache.get(key)
            if hit is not None:
                start, body = hit
                await send({**start, "headers": [*start["headers"], (b"x-quotekb-cache", b"hit")]})
                await send({"type": "http.response.body", "body": body})
                return
        kept: dict = {}
        parts: list[bytes] = []

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), build]
                if cacheable and message["status"] == 200:
                    headers.append((b"etag", etag))
                message = {**message, "headers": headers}
                control = b" ".join(v for k, v in headers if k.lower() == b"cache-control").lower()
                if key is not None and message["status"] == 200 and b"no-store" not in control \
                        and b"private" not in control:
                    kept["start"] = message
            elif message["type"] == "http.response.body" and "start" in kept:
                parts.append(message.get("body", b""))
                if sum(map(len, parts)) > ResponseCache.MAX_ENTRY_BYTES:
                    kept.clear()  # too big to keep: stream it on, forget it
                    parts.clear()
                elif not message.get("more_body", False):
                    version.cache.put(key, kept["start"], b"".join(parts))
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_plain(send, status: int, body: bytes, headers: list) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers]})
    await send({"type": "http.response.body", "body": body})


def _header_values(scope: dict, name: bytes) -> list[bytes]:
    values = []
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            values += [v.strip() for v in value.split(b",")]
    return values


def _server_hash(config_path: Path, metadata_path: Path) -> str:
    from quotekb.store.build import code_version

    digest = hashlib.sha256(code_version().encode())
    for path in (config_path, metadata_path):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def make_datasette(db_path: Path, config_path: Path, metadata_path: Path,
                   cache_bytes: int = 0) -> tuple[LiveDatasette, Live]:
    """The Datasette `quotekb serve` runs, with the plugin's live switching."""
    config = parse_metadata(Path(config_path).read_text(encoding="utf-8")) or {}
    metadata = parse_metadata(Path(metadata_path).read_text(encoding="utf-8")) or {}
    # given the file so that Datasette adds no _memory database; its own Database for
    # the path is replaced before startup and never connects
    ds = LiveDatasette(immutables=[str(db_path)], config=config, metadata=metadata)
    live = Live(ds, Path(db_path), Path(db_path).stem, cache_bytes)
    live.install_first()
    ds.add_background_task(live.watch, name="quotekb-watch-database")
    return ds, live


def create_app(db_path: Path | None = None, config_path: Path | None = None, metadata_path: Path | None = None,
               cache_mb: float = DEFAULT_CACHE_MB):
    """ASGI app factory (uvicorn --factory): arguments, or the QUOTEKB_SERVE environment."""
    if db_path is None:
        setup = json.loads(os.environ[ENV])
        db_path, config_path, metadata_path = Path(setup["db"]), Path(setup["config"]), Path(setup["metadata"])
        cache_mb = setup.get("cache_mb", DEFAULT_CACHE_MB)
    # Datasette prints every 4xx/5xx with rich (locals included) when rich is importable:
    # about 2 s of the event loop per error. The server never wants that.
    datasette.handle_exception.rich = None
    ds, live = make_datasette(db_path, config_path, metadata_path, int(cache_mb * 1024 * 1024))
    return PinningMiddleware(ds.app(), live, _server_hash(config_path, metadata_path))
