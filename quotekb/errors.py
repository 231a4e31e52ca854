"""User-facing input errors: one line saying where, what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

# An error line quotes input briefly: a YAML value can be megabytes (or an alias bomb),
# and a file linked from elsewhere must not be printed.
BRIEF_CHARS = 30
MAX_PROBLEM_CHARS = 300


def brief(value: object, limit: int = BRIEF_CHARS) -> str:
    """value quoted for an error line: repr() of at most limit characters of a string;
    a mapping or list only by its size (its repr could be exponentially large)."""
    if isinstance(value, dict):
        return f"a mapping of {len(value):,} keys"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value):,} items"
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[:limit] + "…"
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + f"… ({len(value):,} characters)"


class InputError(Exception):
    """Bad input. The CLI prints `str(error)` on one line and exits with status 2."""

    def __init__(self, path: str | Path | None, problem: str, fix: str, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        if len(problem) > MAX_PROBLEM_CHARS:  # a safety net: quoting sites use brief()
            problem = problem[:MAX_PROBLEM_CHARS] + "…"
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
