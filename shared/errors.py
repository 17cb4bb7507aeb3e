"""Error types that end a command with one readable line instead of a traceback."""

from __future__ import annotations

from typing import IO

import click


class EdgebenchError(click.ClickException):
    """A user-facing error: the message says what is wrong and what to do.

    The CLI prints it as one line on stderr and exits with ``exit_code`` (2).
    Library code raises it too; being a ClickException only decides how the CLI shows it.
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def show(self, file: IO[str] | None = None) -> None:
        """Print the one-line error the way every edgebench command does."""
        click.echo(f"edgebench: error: {self.format_message()}", err=True, file=file)


class ConfigError(EdgebenchError):
    """The configuration (file, environment or flags) is invalid."""


class SchemaError(EdgebenchError):
    """A message or document does not match the edgebench schema."""
