"""Shared fixtures: the real corpus built once per session into a temporary directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from datasette.app import Datasette

from quotekb.store.build import build

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SEED_ID = "000_4ec62380fbf01393"
SEED_TEXT_PATH = CORPUS / "articles" / f"{SEED_ID}.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_TEXT_PATH.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "quotekb.db"
    build(CORPUS, path)
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
