"""Reading corpus/: speakers.yaml and articles/<id>.txt + <id>.yaml, validated.

Everything here raises InputError (one line: file, line, problem, fix) for bad input,
so `quotekb check` and `quotekb build` fail the same way before touching any database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from quotekb import vocabulary
from quotekb.errors import InputError, brief
from quotekb.ingest.files import check_id, list_dir, read_bounded
from quotekb.ingest.textfile import MAX_ARTICLE_BYTES, decode_article
from quotekb.ingest.yamlio import MAX_YAML_BYTES, line_of, load_yaml

# Files every article depends on: a change to any of them reprocesses every article.
SHARED_FILES = ("speakers.yaml", "topics.yaml", "analogies.yaml", "entities.yaml", "cues.yaml")


@cache
def _schemas() -> dict[str, Any]:
    import yaml

    from quotekb.ingest.yamlio import FAST_SAFE_LOADER

    text = resources.files("quotekb.ingest").joinpath("corpus_schemas.yaml").read_text()
    return _with_vocabulary(yaml.load(text, Loader=FAST_SAFE_LOADER))


def _with_vocabulary(node: Any) -> Any:
    """{$vocabulary: name} -> {enum: [...]} from quotekb/vocabulary.py, so the YAML
    schema cannot drift from the CHECK constraints."""
    if isinstance(node, list):
        return [_with_vocabulary(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _with_vocabulary(value) for key, value in node.items() if key != "$vocabulary"}
    if "$vocabulary" in node:
        out["enum"] = list(vocabulary.BY_NAME[node["$vocabulary"]])
    return out


def _inline(node: Any, defs: dict[str, Any], expanding: tuple[str, ...] = ()) -> Any:
    """The schema with every local $ref replaced by its definition (kept where a
    definition refers to itself): resolving references cost half of validating."""
    if isinstance(node, list):
        return [_inline(item, defs, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    name = ref.removeprefix("#/$defs/")
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    # inlined only when no sibling keyword would replace one of the definition's own
    # (both must apply); annotations may
    if (ref.startswith("#/$defs/") and name in defs and name not in expanding
            and not (set(siblings) - ANNOTATIONS) & set(defs[name])):
        return {**_inline(defs[name], defs, (*expanding, name)), **_inline(siblings, defs, expanding)}
    return {key: _inline(value, defs, expanding) for key, value in node.items()}


ANNOTATIONS = frozenset({"description", "title", "$comment", "examples"})


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    # built once per schema: a thousand article files share it
    schemas = _schemas()
    schema = _inline(schemas[schema_name], schemas["$defs"])
    schema["$defs"] = schemas["$defs"]  # for any reference left (a recursive definition)
    return jsonschema.Draft202012Validator(schema)


def validate(data: Any, schema_name: str, path: Path) -> None:
    """Validate YAML data against a named schema; the first error becomes an InputError."""
    errors = sorted(_validator(schema_name).iter_errors(data), key=lambda e: (len(e.absolute_path), e.message))
    if not errors:
        return
    error = errors[0]
    where = "/".join(str(p) for p in error.absolute_path) or "top level"
    line = line_of(data, tuple(error.absolute_path))
    if error.validator == "additionalProperties":
        # name the offending key and point at its own line
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if extra and isinstance(error.instance, dict):
            line = getattr(error.instance, "key_lines", {}).get(extra[0], line)
        problem = f"unknown field {brief(extra[0])} at {where}" if extra else _message(error)
        fix = "remove it or correct its spelling (see the schema in quotekb/ingest/corpus_schemas.yaml)"
    else:
        problem = f"{where}: {_message(error)}"
        fix = "correct the value (see the schema in quotekb/ingest/corpus_schemas.yaml)"
        lists = [key for key, spec in error.schema.get("properties", {}).items()
                 if spec.get("type") == "array" and key in error.schema.get("required", ())]
        if error.validator == "type" and isinstance(error.instance, list) and len(lists) == 1:
            # a bare list where the file holds a mapping: `- id: …` without `speakers:` above it
            fix = f"put the list under a '{lists[0]}:' key (the first line '{lists[0]}:', each item indented below it)"
    raise InputError(path, problem, fix, line=line)


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message with the offending value quoted briefly (its message
    repr()s the whole value, which may be a file's worth of text)."""
    message, value = error.message, error.instance
    if isinstance(value, (str, dict, list)):
        whole = repr(value)
        if len(whole) > 40 and whole in message:
            message = message.replace(whole, brief(value))
    return message


@dataclass(frozen=True)
class Speaker:
    id: str
    name: str
    role: str
    name_en: str | None = None
    reading: str | None = None
    affiliation: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class Article:
    id: str
    text_path: Path
    yaml_path: Path
    meta: dict[str, Any]
    text: str
    encoding: str
    sha256: str  # of the stored bytes of the text file
    yaml_sha256: str
    labels: dict[str, str] = field(default_factory=dict)

    def line_of_key(self, *path: Any) -> int | None:
        return line_of(self.meta, path)


@dataclass
class Corpus:
    speakers: dict[str, Speaker]
    articles: list[Article]
    # sha256 of every shared file, so incremental builds know what changed
    shared_hashes: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> Fingerprint:
        return Fingerprint({a.id: (a.sha256, a.yaml_sha256) for a in self.articles}, self.shared_hashes)


@dataclass(frozen=True)
class Fingerprint:
    """What a build compares with the database: the content hashes of every article
    (text, YAML) and shared file."""

    articles: dict[str, tuple[str | None, str | None]]
    shared_hashes: dict[str, str]


def fingerprint(root: Path) -> Fingerprint | None:
    """The corpus's hashes from its bytes alone, without parsing or validating, so a
    build can tell that nothing changed (or start copying the database) first; None
    when the layout is unusable or a file is bad (load_corpus then says why)."""
    root = Path(root)
    articles_dir = root / "articles"
    if not articles_dir.is_dir():
        return None
    articles: dict[str, tuple[str | None, str | None]] = {}
    try:
        yaml_paths, text_paths = list_dir(articles_dir, ".yaml"), list_dir(articles_dir, ".txt")
        texts = set(text_paths)  # a list would make this loop quadratic (1,000 articles: 0.6 s)
        for yaml_path in yaml_paths:
            text_path = yaml_path.with_suffix(".txt")
            text_sha = file_sha256(text_path, root, MAX_ARTICLE_BYTES, "text file") if text_path in texts else None
            articles[check_id(yaml_path)] = (text_sha, file_sha256(yaml_path, root))
        for text_path in text_paths:
            # a text without YAML counts as a change, so loading reports it
            if check_id(text_path) not in articles:
                articles[text_path.stem] = (file_sha256(text_path, root, MAX_ARTICLE_BYTES, "text file"), None)
        shared = {name: file_sha256(root / name, root) for name in SHARED_FILES if (root / name).exists()}
    except InputError:
        return None  # unreadable, not a file, or misnamed: loading will name the file and the problem
    return Fingerprint(articles, shared)


def load_speakers(path: Path, root: Path | None = None) -> dict[str, Speaker]:
    data = load_yaml(path, root)
    validate(data, "speakers", path)
    speakers: dict[str, Speaker] = {}
    for entry in data["speakers"]:
        if entry["id"] in speakers:
            raise InputError(
                path, f"duplicate speaker id {brief(entry['id'])}", "give each speaker a unique id",
                line=entry.line,
            )
        speakers[entry["id"]] = Speaker(
            id=entry["id"],
            name=entry["name"],
            role=entry["role"],
            name_en=entry.get("name_en"),
            reading=entry.get("reading"),
            affiliation=entry.get("affiliation"),
            aliases=tuple(entry.get("aliases", ())),
        )
    return speakers


def load_article(yaml_path: Path, speakers: dict[str, Speaker], meta: Any = None, root: Path | None = None) -> Article:
    """One article from its YAML and text; root, when given, is the corpus directory
    no file may lead out of."""
    article_id = check_id(yaml_path)
    text_path = yaml_path.with_suffix(".txt")
    yaml_bytes = read_bounded(yaml_path, MAX_YAML_BYTES, root, "YAML file")
    if meta is None:
        meta = load_yaml(yaml_path, root)
    if not isinstance(meta, dict):
        raise InputError(yaml_path, "article YAML must be a mapping", "see README, 'Add an article'")
    validate(meta, "article", yaml_path)
    if meta.get("id", article_id) != article_id:
        raise InputError(
            yaml_path, f"id {brief(meta['id'])} differs from the file name {brief(article_id)}",
            "make them equal or remove the id key", line=line_of(meta, ("id",)),
        )
    for key in ("author", "editor"):
        if key in meta and meta[key] not in speakers:
            raise InputError(
                yaml_path, f"unknown speaker {brief(meta[key])} as {key}",
                "add it to corpus/speakers.yaml or fix the id", line=line_of(meta, (key,)),
            )
    news = meta.get("form") == "news"
    meta.setdefault("language", "ja")
    try:
        if meta.get("published_on") is not None or not news:
            date.fromisoformat(meta["published_on"])
    except ValueError:
        raise InputError(yaml_path, f"published_on {brief(meta['published_on'])} is not a calendar date",
                         "write it as YYYY-MM-DD", line=line_of(meta, ("published_on",))) from None
    for alias, speaker_id in (meta.get("aliases") or {}).items():
        if speaker_id not in speakers:
            raise InputError(yaml_path, f"alias {brief(alias)} names unknown speaker {brief(speaker_id)}",
                             "use an id from corpus/speakers.yaml", line=line_of(meta, ("aliases", alias)))
    transcript = meta.get("transcript") or {}
    labels = dict(transcript.get("labels") or {})
    for label, speaker_id in labels.items():
        if speaker_id not in speakers:
            raise InputError(
                yaml_path, f"label {brief(label)} maps to unknown speaker {brief(speaker_id)}",
                "add the speaker to corpus/speakers.yaml or fix the id",
                line=line_of(meta, ("transcript", "labels", label)),
            )
    for key in ("interviewer", "interviewee"):
        speaker_id = transcript.get(key)
        if speaker_id is not None and speaker_id not in speakers:
            raise InputError(
                yaml_path, f"unknown speaker {brief(speaker_id)} as transcript {key}",
                "add it to corpus/speakers.yaml or fix the id",
                line=line_of(meta, ("transcript", key)),
            )
    if not text_path.exists() and not text_path.is_symlink():
        raise InputError(
            text_path, "text file is missing for " + yaml_path.name,
            "add the article text beside its YAML with the same name",
        )
    raw = read_bounded(text_path, MAX_ARTICLE_BYTES, root, "text file", "split it into several articles")
    text, encoding = decode_article(raw, text_path, meta.get("encoding"), yaml_path)
    for alias in meta.get("aliases") or {}:
        if alias not in text:
            raise InputError(yaml_path, f"alias {brief(alias)} does not occur in the text",
                             "copy it exactly from the text, or remove it", line=line_of(meta, ("aliases", alias)))
    return Article(
        id=article_id,
        text_path=text_path,
        yaml_path=yaml_path,
        meta=meta,
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(raw).hexdigest(),
        yaml_sha256=hashlib.sha256(yaml_bytes).hexdigest(),
        labels=labels,
    )


def file_sha256(path: Path, root: Path | None = None, limit: int = MAX_YAML_BYTES, what: str = "YAML file") -> str:
    return hashlib.sha256(read_bounded(path, limit, root, what)).hexdigest()


def load_corpus(root: Path, only: set[str] | None = None) -> Corpus:
    """Load and validate the corpus; with `only`, just those articles (an incremental
    build: the others are unchanged since they were validated by the same code)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "corpus directory not found", "pass --corpus DIR or run from the repository root")
    speakers = load_speakers(root / "speakers.yaml", root)
    articles_dir = root / "articles"
    yaml_paths = list_dir(articles_dir, ".yaml") if articles_dir.is_dir() else []
    if not yaml_paths:
        raise InputError(articles_dir, "no article YAML files", "add articles/<id>.txt with articles/<id>.yaml")
    text_paths = list_dir(articles_dir, ".txt")
    for path in yaml_paths + text_paths:
        check_id(path)
    yaml_set = set(yaml_paths)  # a list would make this loop quadratic
    for text_path in text_paths:
        if text_path.with_suffix(".yaml") not in yaml_set:
            raise InputError(
                text_path, "article text has no YAML beside it",
                f"add {text_path.with_suffix('.yaml').name} with its metadata",
            )
    stems = {p.stem: p for p in yaml_paths}
    selected = [p for p in yaml_paths if only is None or p.stem in only]
    metas = {path: load_yaml(path, root) for path in selected}  # each file parsed once
    for path, meta in metas.items():
        declared = meta.get("id") if isinstance(meta, dict) else None
        if declared is not None and declared != path.stem and declared in stems:
            raise InputError(
                path, f"duplicate article id {brief(declared)}: {stems[declared].name} has it too",
                "give each article its own id (the file name)", line=line_of(meta, ("id",)),
            )
    articles = [load_article(path, speakers, meta, root) for path, meta in metas.items()]
    shared = {name: file_sha256(root / name, root) for name in SHARED_FILES if (root / name).exists()}
    return Corpus(speakers=speakers, articles=articles, shared_hashes=shared)
