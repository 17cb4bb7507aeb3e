"""The ``edgebench`` console command: one entry point, subcommands per role."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from edgebench.shared.lazycli import LazyGroup
from edgebench.shared.version import __version__


def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """Record ``--config`` given after a subcommand where every command looks for it."""
    if value is not None:
        ctx.ensure_object(dict)["config_file"] = value


CONFIG_HELP = "TOML config file (also EDGEBENCH_CONFIG)."
# ``--config`` on every subcommand too (``edgebench agent run --config FILE``); the
# root's option below also reads EDGEBENCH_CONFIG.
SUBCOMMAND_CONFIG = click.Option(
    ["--config", "config_file"],
    type=click.Path(path_type=Path, dir_okay=False),
    expose_value=False,
    callback=_remember_config,
    help=CONFIG_HELP,
)


@click.group(
    cls=LazyGroup,
    shared_params=[SUBCOMMAND_CONFIG],
    lazy_subcommands={
        "agent": ("edgebench.agent.cli:agent", "Run benchmarks on this board and publish them."),
        "model": ("edgebench.agent.cli.model:model", "Inspect, generate and fetch TFLite models."),
        "collector": (
            "edgebench.collector.cli:collector",
            "Receive results over MQTT, store them, serve the dashboard.",
        ),
        "fleet": (
            "edgebench.collector.fleet:fleet",
            "Start a fleet of one on this machine: broker, collector, agent.",
        ),
    },
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="edgebench")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="EDGEBENCH_CONFIG",
    help=CONFIG_HELP,
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, verbose: int) -> None:
    """Benchmark quantized TFLite models across a fleet of edge boards."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file
    ctx.obj["verbose"] = verbose


def main() -> None:
    """Run the CLI (the console-script entry point).

    Usage errors (a bad option value, an unknown option) become the same one-line
    ``edgebench: error: ...`` as every other user error, with a pointer to ``--help``.
    """
    try:
        result = cli.main(prog_name="edgebench", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # a bare group: its help is the useful answer
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"edgebench: error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("edgebench: aborted", err=True)
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)
