"""Turn a ``run`` command received over MQTT into engine ``RunOptions``.

The command's ``options`` object uses ``RunOptions`` field names (``threads``, ``runs``,
``warmup_runs``, ``min_secs``, ``max_secs``, ``rate_hz``, ``seed``, ``xnnpack``,
``backend``, ``sample_hz``). msgspec converts it against ``RunOptions``' own field types,
the same way messages are checked. The names are ``edgebench.shared.run_options``, which
the collector also checks campaigns against. Anything unknown or of the wrong type is
refused with one line, which the daemon reports as ``run_failed``; an expired command's
line starts with ``expired:``. A command never names a file: the options that read files
on the board (``images``, ``labels``, ``expected``) are refused.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from edgebench.shared.errors import EdgebenchError
from edgebench.shared.messages import CommandMessage
from edgebench.shared.run_options import COMMAND_OPTIONS, FILE_OPTIONS
from edgebench.shared.wire import schema_error


def run_options_from_command(cmd: CommandMessage, now: float | None = None) -> Any:
    """Return the RunOptions a ``run`` command asks for, or raise EdgebenchError."""
    from edgebench.agent.engine.options import RunOptions

    if cmd.command != "run":
        raise EdgebenchError(f"unknown command {cmd.command!r}")
    now = time.time() if now is None else now
    if cmd.expires_at is not None and cmd.expires_at < now:
        # "expired:" first: the collector tells an expired job from a failed one by it.
        raise EdgebenchError(
            f"expired: command {cmd.message_id} expired {now - cmd.expires_at:.0f} s ago; "
            "not running it"
        )
    for key in cmd.options:
        if key in FILE_OPTIONS:
            raise EdgebenchError(
                f"command option {key!r} names a file on the board; commands may not do that"
            )
        if key not in COMMAND_OPTIONS:
            raise EdgebenchError(
                f"command option {key!r} is unknown; use RunOptions names: "
                + ", ".join(sorted(COMMAND_OPTIONS))
            )
    try:
        options = msgspec.convert(cmd.options, type=RunOptions)
    except msgspec.ValidationError as exc:
        raise EdgebenchError(f"command {schema_error(exc, 'options')}") from None
    options.validate()
    return options
