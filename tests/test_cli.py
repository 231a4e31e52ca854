"""Every command has help with an example, and the README shows the current help."""

from __future__ import annotations

import click
from click.testing import CliRunner

from conftest import REPO
from quotekb.cli import cli


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    commands = list(all_commands(cli))
    assert {c[0][0] for c in commands} >= {"build", "serve", "check"}
    for path, _command in [((), cli)] + commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example:" in result.output, path
        assert "quotekb" in result.output.split("Example:")[1], path


def test_readme_shows_the_current_help_of_each_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    for path, _command in [((), cli)] + list(all_commands(cli)):
        help_text = runner.invoke(cli, [*path, "--help"], prog_name="quotekb").output.strip()
        assert help_text in readme, f"README is missing the current help of: quotekb {' '.join(path)}"


def test_readme_sql_examples_run_and_return_rows(db):
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Query with SQL", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    statements = [s.strip() for s in block.split(";") if s.strip()]
    assert len(statements) == 3
    for statement in statements:
        assert db.execute(statement).fetchall(), statement
