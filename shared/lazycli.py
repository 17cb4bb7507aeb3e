"""A click group whose subcommands are imported only when used.

Importing numpy and LiteRT costs seconds on a Pi Zero 2 W, so ``edgebench --help``
and the collector's commands must not pay for the agent's imports (and vice versa).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from edgebench.shared.errors import EdgebenchError

# The third-party packages of the extras, and which extra provides each.
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
# What each top-level command needs, which decides the hint for a package two extras share
# (paho, numpy, flatbuffers, tflite): `edgebench collector serve` without paho needs the
# collector extra, not the agent's.
_EXTRA_FOR_COMMAND = {
    "agent": "agent",
    "model": "agent",
    "collector": "collector",
    "fleet": "agent,collector",
}


def missing_extra(exc: ModuleNotFoundError, command_path: str) -> EdgebenchError | None:
    """Turn a missing optional package into the one-line install hint, or None if not ours.

    ``command_path`` is what the user ran (``edgebench collector serve``).
    """
    top = (exc.name or "").split(".")[0]
    if top not in _EXTRA_FOR_MODULE:
        return None
    words = command_path.split()
    extra = _EXTRA_FOR_COMMAND.get(words[1] if len(words) > 1 else "", _EXTRA_FOR_MODULE[top])
    return EdgebenchError(
        f"'{command_path}' needs the Python package {top!r}, which is not installed; "
        f"install it with: pip install 'edgebench[{extra}]'"
    )


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
            return self._load(cmd_name, ctx)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a missing optional package becomes the install hint.

        Commands import their heavy packages inside their bodies, so the import fails
        here, while the command runs, not when it is looked up.
        """
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            error = missing_extra(exc, f"{ctx.command_path} {ctx.invoked_subcommand or ''}".strip())
            if error is None:
                raise
            raise error from None

    def _load(self, cmd_name: str, ctx: click.Context) -> click.Command:
        module_name, attr = self.lazy_subcommands[cmd_name][0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            error = missing_extra(exc, f"{ctx.command_path} {cmd_name}")
            if error is None:
                raise
            raise error from None
        command = getattr(module, attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attr} is not a click command")
        _add_params(command, self.shared_params)
        return command


def _add_params(command: click.Command, params: list[click.Parameter]) -> None:
    """Give ``command`` and every command below it ``params`` (once; by option name)."""
    for param in params:
        if param.name not in {p.name for p in command.params}:
            command.params.append(param)
    if isinstance(command, LazyGroup):  # its own lazy commands get them when loaded
        known = {p.name for p in command.shared_params}
        command.shared_params += [p for p in params if p.name not in known]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_params(sub, params)
