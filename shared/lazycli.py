"""A click group whose subcommands are imported only when used.

Importing numpy and LiteRT costs seconds on a Pi Zero 2 W, so ``edgebench --help``
and the collector's commands must not pay for the agent's imports (and vice versa).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from edgebench.shared.errors import EdgebenchError

# Which extra provides the third-party packages a subcommand imports.
_EXTRA_FOR_MODULE = {
    "numpy": "agent",
    "ai_edge_litert": "agent",
    "PIL": "agent",
    "psutil": "agent",
    "paho": "agent",
    "flatbuffers": "agent",
    "tflite": "agent",
    "flask": "collector",
    "sqlalchemy": "collector",
    "alembic": "collector",
    "amqtt": "collector",
}


class LazyGroup(click.Group):
    """A group of subcommands imported on demand.

    ``lazy_subcommands`` maps a name to ``("module:attribute", "one-line help")``; the
    help text is given here so that ``--help`` lists commands without importing them.
    ``shared_params`` are added to every command and group below this one when it is
    loaded (an option such as ``--config`` then works wherever a user puts it).
    """

    def __init__(
        self,
        *args: Any,
        lazy_subcommands: dict[str, tuple[str, str]] | None = None,
        shared_params: list[click.Parameter] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}
        self.shared_params = shared_params or []

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List subcommands with their declared help, without importing them."""
        rows = [(name, help_text) for name, (_, help_text) in self.lazy_subcommands.items()]
        for name in super().list_commands(ctx):
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str()))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))

    def list_commands(self, ctx: click.Context) -> list[str]:
        """List eager and lazy subcommands together, sorted."""
        return sorted([*super().list_commands(ctx), *self.lazy_subcommands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the named command, importing its module the first time."""
        if cmd_name in self.lazy_subcommands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        module_name, attr = self.lazy_subcommands[cmd_name][0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            top = (exc.name or "").split(".")[0]
            extra = _EXTRA_FOR_MODULE.get(top)
            if extra is None:
                raise
            raise EdgebenchError(
                f"'{cmd_name}' needs the Python package {top!r}, which is not installed; "
                f"install it with: pip install 'edgebench[{extra}]'"
            ) from None
        command = getattr(module, attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attr} is not a click command")
        _add_params(command, self.shared_params)
        return command


def _add_params(command: click.Command, params: list[click.Parameter]) -> None:
    """Give ``command`` and every command below it ``params`` (once; by option name)."""
    names = {p.name for p in command.params}
    command.params.extend(p for p in params if p.name not in names)
    if isinstance(command, LazyGroup):  # its own lazy commands get them when loaded
        command.shared_params = [*command.shared_params, *params]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_params(sub, params)
