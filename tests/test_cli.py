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


def test_serve_refuses_a_port_out_of_range_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--port", "80000", "--db", str(tmp_path / "quotekb.db"),
                                      "--corpus", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --port 80000 is not a TCP port; pass a number from 1 to 65535, e.g. --port 8001"]
    assert not (tmp_path / "quotekb.db").exists()  # nothing built


def test_serve_refuses_a_busy_port_in_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--db", str(tmp_path / "quotekb.db"),
                                          "--corpus", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "serving" not in result.output and not (tmp_path / "quotekb.db").exists()
