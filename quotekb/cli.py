"""Command line: a thin layer that parses options and calls one function per command."""

from __future__ import annotations

from pathlib import Path

import click

from quotekb.errors import InputError
from quotekb.vocabulary import CLAIM_KINDS, QUOTE_KINDS

DEFAULT_CORPUS = Path("corpus")
DEFAULT_DB = Path("db/quotekb.db")


class QuotekbGroup(click.Group):
    """Bad input becomes one line on stderr and exit status 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(2)


@click.group(cls=QuotekbGroup)
@click.version_option(package_name="quotekb")
def cli() -> None:
    """Turn Japanese interview articles into a citable SQLite knowledge base.

    \b
    Example:
        quotekb build && quotekb serve
    """


corpus_option = click.option(
    "--corpus", "corpus_dir", type=click.Path(path_type=Path), default=DEFAULT_CORPUS,
    show_default=True, help="Corpus directory (speakers.yaml, articles/).",
)
db_option = click.option(
    "--db", "db_path", type=click.Path(path_type=Path), default=DEFAULT_DB,
    show_default=True, help="SQLite database to write.",
)


class DatabaseType(click.ParamType):
    """A SQLite path, or a postgresql:// URL kept as it is (a Path would fold its //)."""

    name = "PATH|URL"

    def convert(self, value, param, ctx):
        from quotekb.store.database import parse

        return parse(value)


build_db_option = click.option(
    "--db", "db_path", type=DatabaseType(), default=DEFAULT_DB, show_default=True,
    help="SQLite database to write, or a postgresql://user@host/dbname URL.",
)
read_db_option = click.option(
    "--db", "db_path", type=DatabaseType(), default=DEFAULT_DB, show_default=True,
    help="SQLite database (or postgresql:// URL) to read, built by quotekb build.",
)


@cli.command()
@corpus_option
@build_db_option
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes for parsing, tokenizing and extraction (0: one per CPU, 1: none).")
@click.option("--full", is_flag=True, help="Rebuild every article, not only the changed ones.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--allow-warnings", is_flag=True,
              help="Build articles that quotekb check warns about (by default they are refused).")
def build(corpus_dir: Path, db_path: Path | str, jobs: int, full: bool, quiet: bool, allow_warnings: bool) -> None:
    """Build the SQLite database from the corpus, atomically and incrementally.

    Only articles whose text or YAML changed are reprocessed; a change to a shared
    file (speakers, topics, analogies, entities, cues) rebuilds everything. A failed
    or killed build leaves the previous database untouched. An article that
    `quotekb check` warns about is refused unless --allow-warnings.

    \b
    Example:
        quotekb build --corpus corpus --db db/quotekb.db --jobs 1
    """
    from quotekb.store.database import is_url

    if is_url(db_path):
        from quotekb.store.postgres import display
        from quotekb.store.postgres_build import build as run_build

        shown = display(db_path)
    else:
        from quotekb.store.build import build as run_build

        shown = db_path
    echo = (lambda _msg: None) if quiet else click.echo
    stats = run_build(corpus_dir, db_path, echo=echo, jobs=jobs, full=full, allow_warnings=allow_warnings)
    if quiet:
        return
    if stats.mode == "unchanged":
        click.echo(f"{shown} is up to date ({stats.seconds:.2f}s)")
        return
    counts = ", ".join(f"{name} {n:,}" for name, n in sorted(stats.counts.items()))
    click.echo(f"built {shown} ({stats.mode}) in {stats.seconds:.2f}s: {counts}")


@cli.command()
@corpus_option
@click.option("--strict", is_flag=True, help="Exit with status 2 when anything looks wrong (warnings).")
def check(corpus_dir: Path, strict: bool) -> None:
    """Validate the corpus files without building anything.

    Prints each article's turns (speaker and first words), the lines that belong to
    no turn, what rules decided, and warnings.

    \b
    Example:
        quotekb check --corpus corpus --strict
    """
    from quotekb.check import check_corpus, refuse_warnings

    # collect first: on bad input the only output is the one error line
    lines = list(check_corpus(corpus_dir))
    for line in lines:
        click.echo(line)
    if strict:
        refuse_warnings(lines, corpus_dir)


@cli.command()
@corpus_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=Path("datasette.yaml"),
              show_default=True, help="Datasette configuration file.")
@click.option("--metadata", "metadata_path", type=click.Path(path_type=Path), default=Path("metadata.yaml"),
              show_default=True, help="Datasette metadata file.")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Server processes (default: one per CPU).")
@click.option("--cache-mb", type=click.FloatRange(min=0), default=64, show_default=True,
              help="Memory per worker for whole answers of the current build (0: none).")
def serve(corpus_dir: Path, db_path: Path, host: str, port: int, config_path: Path, metadata_path: Path,
          workers: int | None, cache_mb: float) -> None:
    """Serve the database read-only with Datasette, rebuilding it first when stale.

    The database is rebuilt when it is missing or when its build hashes differ from
    the corpus's files or the installed code. While serving, a rebuilt file (quotekb
    build in another shell) is picked up within a second, by every worker process.
    Anonymous GET answers carry an ETag of the build and are kept in memory until the
    next build.

    \b
    Example:
        quotekb serve --port 8001 --workers 2
    """
    from quotekb.publish.serve import default_workers, run, stale_reason
    from quotekb.store.build import build as run_build

    if str(db_path).startswith(("postgresql:", "postgresql+psycopg:", "postgres:")):
        raise InputError(None, "quotekb serve publishes SQLite, not a PostgreSQL URL",
                         "build a SQLite snapshot of the same corpus (quotekb build --db db/quotekb.db) and serve that")
    _check_port(host, port)  # before anything is printed or built
    if db_path.suffix != ".db" or db_path.stem != "quotekb":
        # Datasette names the database after the file, and datasette.yaml configures "quotekb"
        raise InputError(db_path, "the served database must be named quotekb.db",
                         "build into a directory of its own, e.g. --db out/quotekb.db")
    for path in (config_path, metadata_path):
        if not path.exists():
            raise InputError(path, "file not found", "run from the repository root or pass its path")
    reason = stale_reason(db_path, corpus_dir)
    if reason is not None:
        click.echo(f"{db_path} must be rebuilt ({reason}): building")
        run_build(corpus_dir, db_path, echo=click.echo, jobs=0)  # all cores, as `quotekb build`
    workers = workers or default_workers()
    click.echo(f"serving http://{host}:{port}/quotekb ({workers} worker{'s' if workers > 1 else ''})")
    run(db_path, host, port, config_path, metadata_path, workers, cache_mb)


def _check_port(host: str, port: int) -> None:
    """A port out of range or already taken is one error line, not Datasette's traceback."""
    import socket

    if not 1 <= port <= 65535:
        raise InputError(None, f"--port {port} is not a TCP port", "pass a number from 1 to 65535, e.g. --port 8001")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # as uvicorn does: a port left in TIME_WAIT by a stopped server is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise InputError(None, f"cannot listen on {host}:{port} ({error.strerror or error})",
                             "stop the program using it or pass another --port") from None


@cli.command()
@read_db_option
@click.option("--substring", is_flag=True, help="Match the characters exactly as written, no normalization.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="At most this many sentences (0: all).")
@click.argument("query")
def search(db_path: Path | str, substring: bool, limit: int, query: str) -> None:
    """Find sentences by Sudachi-normalized terms, best first, on either engine.

    Terms are ANDed, a "quoted phrase" must occur in order, and inflected forms
    match their lemma (思う finds 思います). Prints one line per sentence:
    document id, sentence position, speaker id and the text with matches in ⟦…⟧.

    \b
    Example:
        quotekb search --db db/quotekb.db "電気"
        quotekb search --db postgresql://localhost/quotekb --substring 太陽光
    """
    from quotekb.publish.export import connect_readonly
    from quotekb.store.search import highlighted
    from quotekb.store.search import search as run_search

    conn = connect_readonly(db_path)
    try:
        hits = run_search(conn, query, limit=limit, substring=substring)
    finally:
        conn.close()
    for hit in hits:
        text = " ".join(highlighted(hit, query, substring).split())
        click.echo(f"{hit.document_id}\t{hit.position}\t{hit.speaker_id or '-'}\t{text}")


@cli.command()
def schema() -> None:
    """Print the database schema as SQL (the content of db/schema.sql).

    \b
    Example:
        quotekb schema > db/schema.sql
    """
    from quotekb.store.schema import schema_sql

    click.echo(schema_sql(), nl=False)


@cli.group()
def export() -> None:
    """Export claims or quotes as JSON, their JSON Schemas, or the whole database as a data package.

    \b
    Example:
        quotekb export claims --speaker dario-amodei --topic scaling-laws
    """


@export.command("claims")
@read_db_option
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default="json", show_default=True,
              help="A JSON array, or one JSON object per line.")
@click.option("--speaker", help="Only claims said by this speaker id.")
@click.option("--topic", help="Only claims on this topic id.")
@click.option("--kind", type=click.Choice(CLAIM_KINDS),
              help="Only claims of this kind.")
@click.option("--document", help="Only claims of this document id.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
def export_claims(db_path: Path, fmt: str, speaker, topic, kind, document, output: Path | None) -> None:
    """Export claims with speaker, source span, quote selectors, kind, cues and topics.

    Output is sorted and byte-identical across runs of the same database.

    \b
    Example:
        quotekb export claims --format jsonl --topic scaling-laws -o claims.jsonl
    """
    from quotekb.publish.export import claims, connect_readonly, serialize, write_atomic

    conn = connect_readonly(db_path)
    try:
        text = serialize(list(claims(conn, speaker=speaker, topic=topic, kind=kind, document=document)), fmt)
    finally:
        conn.close()
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


@export.command("quotes")
@read_db_option
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default="json", show_default=True,
              help="A JSON array, or one JSON object per line.")
@click.option("--speaker", help="Only quotes said by this speaker id.")
@click.option("--kind", type=click.Choice(QUOTE_KINDS), help="Only quotes of this kind.")
@click.option("--document", help="Only quotes of this document id.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
def export_quotes(db_path: Path, fmt: str, speaker, kind, document, output: Path | None) -> None:
    """Export quotes with speaker (null when unnamed), cue, attribution and selectors.

    Output is sorted and byte-identical across runs of the same database.

    \b
    Example:
        quotekb export quotes --format jsonl --kind direct -o quotes.jsonl
    """
    from quotekb.publish.export import connect_readonly, serialize, write_atomic
    from quotekb.publish.quotes_export import quotes

    conn = connect_readonly(db_path)
    try:
        text = serialize(list(quotes(conn, speaker=speaker, kind=kind, document=document)), fmt)
    finally:
        conn.close()
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


@export.command("schema")
@click.argument("of", type=click.Choice(["claims", "quotes"]), default="claims")
def export_schema(of: str) -> None:
    """Print the JSON Schema (draft 2020-12) of an exported claim (or quote).

    \b
    Example:
        quotekb export schema quotes > quote.schema.json
    """
    from quotekb.publish import export, quotes_export

    click.echo((quotes_export if of == "quotes" else export).schema_text(), nl=False)


@export.command("package")
@read_db_option
@click.option("--metadata", "metadata_path", type=click.Path(path_type=Path), default=Path("metadata.yaml"),
              show_default=True, help="Datasette metadata with the table and column descriptions.")
@click.argument("directory", type=click.Path(path_type=Path))
def export_package(db_path: Path, metadata_path: Path, directory: Path) -> None:
    """Write a Frictionless data package: one CSV per table and datapackage.json.

    \b
    Example:
        quotekb export package dist/quotekb-package
    """
    from quotekb.publish.package import export_package as run_export

    names = run_export(db_path, directory, metadata_path)
    click.echo(f"wrote {len(names)} tables and datapackage.json to {directory}")
