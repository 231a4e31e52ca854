"""The two lock files: serving installs the runtime one only, without the test extras."""

from __future__ import annotations

import re

from conftest import REPO

# frictionless pulls typer, which pulls rich: with rich importable Datasette renders
# every 4xx/5xx as a traceback with locals, about 2 s of the event loop each
TEST_ONLY = {"rich", "typer", "frictionless", "pytest", "pytest-asyncio", "hypothesis", "ruff", "httpx"}


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (REPO / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "-r ")):
            package, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", package).lower()] = version
    return found


def test_the_runtime_lock_holds_no_test_extra_and_the_dev_lock_adds_them_on_top():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {"datasette", "uvicorn", "sudachipy", "sudachidict-core", "sqlalchemy", "pyyaml"} <= set(runtime)
    assert not TEST_ONLY & set(runtime)
    assert TEST_ONLY <= set(dev)
    assert not set(runtime) & set(dev)  # each package pinned once
    assert "-r requirements.lock" in (REPO / "requirements-dev.lock").read_text(encoding="utf-8").splitlines()


def test_make_serve_installs_the_runtime_lock_and_make_test_both():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    target = {m.group(1): m.group(2).split() for m in re.finditer(r"^([\w$()-]+):(.*)$", makefile, re.M)}
    assert target["serve"] == ["install"] and target["build"] == ["install"]
    assert target["test"] == ["install-dev"]
    assert "requirements-dev.lock" in target["$(DEV_STAMP)"]
    assert "requirements-dev.lock" not in target["$(STAMP)"]
