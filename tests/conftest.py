"""Shared fixtures: the seed article, alone, built once per session in a temporary directory.

No test reads the repository's corpus/articles/: CORPUS is a copy of corpus/'s shared
files with the seed article only, so adding an article to corpus/ changes no test.
`seed_db` is built twice, from the seed alone and from the seed with two more articles
beside it, and every test of the seed runs against both: a test that counts a whole
table instead of the seed's rows fails.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from datasette.app import Datasette

from quotekb.store.build import build

REPO = Path(__file__).resolve().parent.parent
REPO_CORPUS = REPO / "corpus"
SEED_ID = "000_4ec62380fbf01393"


def _seed_corpus() -> Path:
    root = Path(tempfile.mkdtemp(prefix="quotekb-seed-corpus-"))
    atexit.register(shutil.rmtree, root, True)
    for path in REPO_CORPUS.glob("*.yaml"):
        shutil.copy(path, root / path.name)
    (root / "articles").mkdir()
    for suffix in (".txt", ".yaml"):
        shutil.copy(REPO_CORPUS / "articles" / f"{SEED_ID}{suffix}", root / "articles")
    return root


CORPUS = _seed_corpus()
SEED_TEXT_PATH = CORPUS / "articles" / f"{SEED_ID}.txt"


def with_two_more_articles(root: Path) -> Path:
    """A copy of the seed corpus with two synthetic articles beside the seed (their
    turns are the seed's, so they also test that seed queries are scoped to it)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from synth_corpus import make_corpus as make_synthetic

    make_synthetic(root, 2, seed=5, source=CORPUS)
    for suffix in (".txt", ".yaml"):
        shutil.copy(CORPUS / "articles" / f"{SEED_ID}{suffix}", root / "articles")
    return root


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_TEXT_PATH.read_bytes().decode("utf-8")


@pytest.fixture(scope="session", params=["seed", "seed+2"])
def seed_db(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "quotekb.db"
    corpus = CORPUS
    if request.param == "seed+2":
        corpus = with_two_more_articles(tmp_path_factory.mktemp("seed-plus-two") / "corpus")
    build(corpus, path)
    # the corpus it was built from, beside it: `quotekb serve` judges staleness by the
    # build's hashes, and would rebuild this file from any other corpus
    (path.parent / "corpus").symlink_to(corpus, target_is_directory=True)
    return path


@pytest.fixture()
def db(seed_db):
    conn = sqlite3.connect(f"file:{seed_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def datasette_config() -> dict:
    return yaml.safe_load((REPO / "datasette.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def datasette_metadata() -> dict:
    return yaml.safe_load((REPO / "metadata.yaml").read_text(encoding="utf-8"))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ds(seed_db, datasette_config, datasette_metadata):
    """Datasette's own test client over the seed database, with the repo's config."""
    datasette = Datasette(immutables=[str(seed_db)], config=datasette_config, metadata=datasette_metadata)
    await datasette.invoke_startup()
    return datasette
