"""Turn a ``run`` command received over MQTT into engine ``RunOptions``.

The command's ``options`` object uses ``RunOptions`` field names (``threads``, ``runs``,
``warmup_runs``, ``min_secs``, ``max_secs``, ``rate_hz``, ``seed``, ``xnnpack``,
``backend``, ``sample_hz``, ``images``, ``labels``, ``expected``). Anything unknown or
of the wrong type is refused with one line, which the daemon reports as ``run_failed``.
"""

from __future__ import annotations

import dataclasses
import time
import typing
from pathlib import Path
from typing import Any

from edgebench.shared.errors import EdgebenchError, SchemaError
from edgebench.shared.messages import CommandMessage
from edgebench.shared.validation import check_value


def _wire_type(tp: Any) -> Any:
    """Return the JSON-side type of a RunOptions field: paths travel as text."""
    if tp is Path:
        return str
    args = typing.get_args(tp)
    if Path in args:
        return str | None
    return tp


def _coerce(value: Any, tp: Any) -> Any:
    """Convert a validated JSON value to the RunOptions field type (text to Path)."""
    if value is not None and (tp is Path or Path in typing.get_args(tp)):
        return Path(value)
    return value


def run_options_from_command(cmd: CommandMessage, now: float | None = None) -> Any:
    """Return the RunOptions a ``run`` command asks for, or raise EdgebenchError."""
    from edgebench.agent.engine.options import RunOptions

    if cmd.command != "run":
        raise EdgebenchError(f"unknown command {cmd.command!r}")
    now = time.time() if now is None else now
    if cmd.expires_at is not None and cmd.expires_at < now:
        raise EdgebenchError(
            f"command {cmd.message_id} expired {now - cmd.expires_at:.0f} s ago; not running it"
        )
    hints = typing.get_type_hints(RunOptions)
    names = {f.name for f in dataclasses.fields(RunOptions)}
    kwargs: dict[str, Any] = {}
    for key, value in cmd.options.items():
        if key not in names:
            raise EdgebenchError(
                f"command option {key!r} is unknown; use RunOptions names: "
                + ", ".join(sorted(names))
            )
        try:
            checked = check_value(value, _wire_type(hints[key]), f"options.{key}")
        except SchemaError as exc:
            raise EdgebenchError(f"command {exc.format_message()}") from None
        kwargs[key] = _coerce(checked, hints[key])
    options = RunOptions(**kwargs)
    options.validate()
    return options
