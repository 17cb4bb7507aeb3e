"""The console command: one-line usage errors, exit codes, help without side effects."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT

EDGEBENCH = str(ROOT / ".venv" / "bin" / "edgebench")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EDGEBENCH, *args], check=False, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["agent", "run", "--backend", "foo"], "Invalid value for '--backend'"),
        (["agent", "run", "--threads", "abc"], "Invalid value for '--threads'"),
        (["agent", "run", "--bogus"], "No such option '--bogus'"),
        (["collector", "serve", "--port", "x"], "Invalid value for '--port'"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_usage_errors_are_one_line_with_a_help_pointer(args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("edgebench: error: ")
    assert expected in lines[0]
    assert "--help')" in lines[0]
    assert "Traceback" not in result.stderr


def test_version_and_help_exit_zero() -> None:
    assert run("--version").returncode == 0
    result = run("--help")
    assert result.returncode == 0
    assert "agent" in result.stdout and "collector" in result.stdout


def test_bare_group_shows_its_help() -> None:
    result = run("agent")
    assert result.returncode == 2
    assert "Commands:" in result.stdout + result.stderr


def _leaf_paths(group, ctx, path: tuple[str, ...] = ()):
    import click

    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _leaf_paths(command, click.Context(command, parent=ctx), (*path, name))
        else:
            yield (*path, name), command


def test_every_subcommand_takes_config() -> None:
    import click

    from edgebench.shared.cli import cli

    leaves = dict(_leaf_paths(cli, click.Context(cli)))
    assert len(leaves) >= 10  # agent, model and collector commands were all loaded
    missing = [
        " ".join(p) for p, c in leaves.items() if "config_file" not in {x.name for x in c.params}
    ]
    assert not missing, f"no --config on: {missing}"


def test_config_after_a_subcommand_is_read(tmp_path) -> None:
    file = tmp_path / "edgebench.toml"
    file.write_text('[agent]\ndevice_id = "from-the-file"\n')
    result = run("agent", "facts", "--json", "--config", str(file))
    assert result.returncode == 0, result.stderr
    assert '"device_id": "from-the-file"' in result.stdout
    missing = run("collector", "db", "upgrade", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"edgebench: error: config file {tmp_path / 'nope.toml'} does not exist; check --config"
    )
