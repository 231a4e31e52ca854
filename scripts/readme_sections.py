"""Rewrite generated sections of README.md between <!-- name:start --> and <!-- name:end -->.

    python scripts/readme_sections.py cli-help     # current --help of every command
Other scripts (bench.py) import replace_section to write their tables.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replace_section(name: str, body: str, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme}: no <!-- {name}:start --> ... <!-- {name}:end --> markers")
    readme.write_text(pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text), encoding="utf-8")


def cli_help() -> str:
    import click
    from click.testing import CliRunner

    from quotekb.cli import cli

    def walk(group, prefix=()):
        yield prefix
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                yield from walk(command, prefix + (name,))
            else:
                yield prefix + (name,)

    parts = []
    for path in walk(cli):
        output = CliRunner().invoke(cli, [*path, "--help"], prog_name="quotekb").output
        parts.append(f"```\n$ quotekb {' '.join(path + ('--help',))}\n{output.rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    if sys.argv[1:] == ["cli-help"]:
        replace_section("cli-help", cli_help())
    else:
        raise SystemExit(__doc__)
