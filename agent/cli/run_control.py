"""The run-control options shared by ``agent run`` and ``agent sweep``.

Both commands measure the way ``benchmark_model`` does (warm-up by runs and seconds, then
measured runs bounded by --runs, --min-secs and --max-secs) on the same backends, so the
options are declared once here and turned into ``RunOptions`` arguments in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option(
        "--backend",
        type=click.Choice(["litert", "tflite_runtime"]),
        default="litert",
        show_default=True,
        help="Interpreter package.",
    ),
    click.option("--no-xnnpack", is_flag=True, help="Disable the default XNNPACK delegate."),
    click.option("--warmup-runs", type=int, default=1, show_default=True, help="Min warm-up runs."),
    click.option(
        "--warmup-secs", type=float, default=0.5, show_default=True, help="Min warm-up seconds."
    ),
    click.option("--runs", type=int, default=64, show_default=True, help="Min measured runs."),
    click.option(
        "--min-secs", type=float, default=1.0, show_default=True, help="Min measured seconds."
    ),
    click.option(
        "--max-secs",
        type=float,
        default=150.0,
        show_default=True,
        help="Start no new run after this many seconds.",
    ),
]


def run_control_options(command: F) -> F:
    """Add the shared backend and run-control options to a click command."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def run_control_kwargs(opts: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``RunOptions`` arguments those options set."""
    return {
        "backend": opts["backend"],
        "xnnpack": not opts["no_xnnpack"],
        "warmup_runs": opts["warmup_runs"],
        "warmup_secs": opts["warmup_secs"],
        "runs": opts["runs"],
        "min_secs": opts["min_secs"],
        "max_secs": opts["max_secs"],
    }
