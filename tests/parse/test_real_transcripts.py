"""Real transcript excerpts (tests/fixtures/real/transcripts/): each builds, with only its
minimal YAML and its speakers, into exactly the turns written down by reading it; and
one wrong or missing piece of YAML is either still right or refused, never silently
given to the wrong speaker."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from real_fixtures import build_corpus, expected, minimal_meta, mutations, slugs, spoken

from quotekb.cli import cli
from quotekb.errors import InputError
from quotekb.ingest.corpus import load_corpus
from quotekb.parse.document import parse_article
from quotekb.store.build import build

SLUGS = slugs()


def interview_turns(root):
    corpus = load_corpus(root)
    doc = parse_article(corpus.articles[0], corpus.speakers)
    text = doc.article.text
    return doc, [(t.speaker_id, spoken(text[t.start : t.end])) for t in doc.turns if t.kind == "interview"]


def unassigned_outside_turns(doc, exp) -> bool:
    text = doc.article.text
    spans = [(t.start, t.end) for t in doc.turns if t.kind == "interview"]
    return all(not any(a <= text.find(line) < b for a, b in spans) for line in exp.get("unassigned") or [])


def matches(got, exp) -> bool:
    want = [(t["speaker"], t["starts"]) for t in exp["turns"]]
    return len(got) == len(want) and all(g[0] == w[0] and g[1].startswith(w[1]) for g, w in zip(got, want, strict=False))


def test_the_fixture_set_is_there():
    # the layouts of the issue, by the README's codes, each on at least one real page
    assert len(SLUGS) >= 10
    layouts = {code for slug in SLUGS for code in expected(slug)["layouts"]}
    assert layouts >= {f"L{n}" for n in range(1, 15)}


@pytest.mark.parametrize("slug", SLUGS)
def test_excerpt_parses_into_its_expected_turns(tmp_path, slug):
    exp = expected(slug)
    doc, got = interview_turns(build_corpus(tmp_path / "corpus", slug))
    want = [(t["speaker"], t["starts"]) for t in exp["turns"]]
    assert [speaker for speaker, _ in got] == [speaker for speaker, _ in want]
    for (speaker, words), (_, starts) in zip(got, want, strict=True):
        assert words.startswith(starts), (speaker, words[:40], starts)
    text = doc.article.text
    spans = [(t.start, t.end) for t in doc.turns if t.kind == "interview"]
    for line in exp.get("unassigned") or []:
        at = text.find(line)
        assert at >= 0 and not any(a <= at < b for a, b in spans), line
    assert "".join(text[s.start : s.end] for s in doc.segments) == text


@pytest.mark.parametrize("slug", SLUGS)
def test_excerpt_builds_and_checks(tmp_path, slug):
    # the real thing: quotekb check (strict) and a build into SQLite, turns as expected
    root = build_corpus(tmp_path / "corpus", slug)
    result = CliRunner().invoke(cli, ["check", "--corpus", str(root), "--strict"])
    assert result.exit_code == 0, result.output
    exp = expected(slug)
    assert f"{slug}:   turn {len(exp['turns'])} line" in result.output
    assert f"{slug}:   turn {len(exp['turns']) + 1} line" not in result.output
    db = tmp_path / "quotekb.db"
    build(root, db)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT speaker_id, text FROM turns WHERE kind = 'interview' ORDER BY position").fetchall()
    assert matches([(sid, spoken(text)) for sid, text in rows], exp)


CASES = [(slug, n) for slug in SLUGS for n in range(len(mutations(slug)))]


@pytest.mark.parametrize("slug, n", CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_wrong_or_missing_yaml_is_right_or_refused(tmp_path, slug, n):
    what, speakers, meta = mutations(slug)[n]
    root = build_corpus(tmp_path / "corpus", slug, speakers, meta)
    try:
        doc, got = interview_turns(root)
    except InputError as error:
        assert "\n" not in str(error)
        return  # refused with one line
    if matches(got, expected(slug)) and unassigned_outside_turns(doc, expected(slug)):
        return  # still right: the same turns, and no narration or heading inside one
    if (slug, what) in UNDETECTABLE:
        pytest.xfail(UNDETECTABLE[(slug, what)])
    # wrong turns: quotekb check --strict must refuse them (exit 2, one line)
    assert doc.warnings, f"{what}: silently wrong: {got}"
    result = CliRunner().invoke(cli, ["check", "--corpus", str(root), "--strict"])
    assert result.exit_code == 2, result.output
    assert "warning(s) under --strict" in result.output.strip().splitlines()[-1]
    # and the build refuses them too (one line, nothing written) unless told otherwise
    db = tmp_path / "db" / "quotekb.db"
    result = CliRunner().invoke(cli, ["build", "--corpus", str(root), "--db", str(db), "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "--allow-warnings" in result.output, result.output
    assert not db.exists()


# The YAML says it, and nothing in the text contradicts it: no rule can tell.
UNDETECTABLE = {
    ("dot-asahi-abe-jinin-kaiken-6", "alias ロイター通信 given to asahi-press-reporters instead of reuters-reporter"):
        "the registry makes (ロイター通信) the generic reporters, who also ask the unmarked question",
    ("dot-asahi-abe-jinin-kaiken-6", "interviewer reuters-reporter (wrong)"):
        "the YAML says unmarked questions are Reuters', who asked the one before",
}


def test_the_once_speaker_case_of_the_issue(tmp_path):
    # 鈴木 speaks once: found through the registry, not by repetition
    from corpus_factory import make_corpus

    speakers = {"speakers": [{"id": "yamada", "name": "山田", "role": "host"},
                             {"id": "suzuki", "name": "鈴木", "role": "guest"},
                             {"id": "writer", "name": "記者一郎", "role": "author"}]}
    text = "テスト記事\n\n山田: 最初の発言です。\n\n鈴木: 次の発言です。\n\n山田: 三番目の発言です。\n"
    root = make_corpus(tmp_path / "corpus", text, speakers=speakers, title="テスト記事",
                       transcript={"convention": "auto"})
    doc, got = interview_turns(root)
    assert got == [("yamada", "最初の発言です。"), ("suzuki", "次の発言です。"), ("yamada", "三番目の発言です。")]


def test_the_source_url_is_carried_into_documents_and_exports(tmp_path):
    from quotekb.publish.export import claims

    slug = "sankei-yoshimoto-kaiken-12"
    exp = expected(slug)
    root = build_corpus(tmp_path / "corpus", slug, meta={**minimal_meta(exp), "url": exp["url"]})
    db = tmp_path / "quotekb.db"
    build(root, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT url FROM documents").fetchone()[0] == exp["url"]
        conn.row_factory = sqlite3.Row
        exported = list(claims(conn))
    assert exported and {c["document"]["url"] for c in exported} == {exp["url"]}
