"""User-facing input errors: one line saying where, what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input. The CLI prints `str(error)` on one line and exits with status 2."""

    def __init__(self, path: str | Path | None, problem: str, fix: str, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = problem
        self.fix = fix
        super().__init__(str(self))

    def __reduce__(self):
        # rebuilt from its parts when a worker process sends it to the parent
        return (InputError, (self.path, self.problem, self.fix, self.line))

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        # newlines would break the one-line contract, so fold anything that slipped in
        text = f"{where}: {self.problem}; {self.fix}" if where else f"{self.problem}; {self.fix}"
        return " ".join(text.split())
