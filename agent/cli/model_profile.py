"""``edgebench model profile``: per-op latency of a model on this board (docs/profiling.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from edgebench.agent.engine.options import BACKENDS


@click.command()
@click.argument("model")
@click.option("--threads", type=int, help="Interpreter threads [default: all usable cores].")
@click.option("--backend", type=click.Choice(BACKENDS), default="litert", show_default=True)
@click.option("--no-xnnpack", is_flag=True, help="Build without the XNNPACK delegate.")
@click.option(
    "--min-secs",
    type=float,
    default=0.3,
    show_default=True,
    help="Time each one-op model at least this long (and 50 runs).",
)
@click.option(
    "--cross-check", is_flag=True, help="Also time prefix models (first k ops) and difference."
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the profile.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
def profile(
    ctx: click.Context,
    *,
    model: str,
    threads: int | None,
    backend: str,
    no_xnnpack: bool,
    min_secs: float,
    cross_check: bool,
    json_path: Path | None,
    quiet: bool,
) -> None:
    """Time each op of MODEL on its own, with the same backend, threads and XNNPACK as agent run.

    Each op is cut into a one-op model with its real weights, shapes and quantization
    and timed with the agent's loop; the whole model is timed in the same run, and the
    gap between the sum of the ops and the whole is printed.
    """
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.engine.opprofile import ProfileSettings, profile_model
    from edgebench.agent.engine.opprofile_report import format_profile
    from edgebench.agent.engine.options import usable_cores
    from edgebench.agent.fileout import json_bytes, write_atomic
    from edgebench.agent.modeltools.resolve import resolve_model
    from edgebench.shared.errors import EdgebenchError

    if threads is not None and threads < 1:
        raise EdgebenchError(f"--threads {threads}: must be at least 1")
    if not 0 < min_secs < 600:
        raise EdgebenchError(f"--min-secs {min_secs}: must be between 0 and 600 seconds")
    config = load_agent_config((ctx.obj or {}).get("config_file"))
    resolved = resolve_model(model, config)
    settings = ProfileSettings(
        backend=backend,
        threads=threads or usable_cores(),
        xnnpack=not no_xnnpack,
        min_secs=min_secs,
        cross_check=cross_check,
    )

    def progress(index: int, count: int, op: str) -> None:
        if not quiet:
            sys.stderr.write(f"\rprofiling op {index + 1}/{count} {op:<24}")
            sys.stderr.flush()

    result = profile_model(resolved.model, settings, progress)
    if not quiet:
        sys.stderr.write("\n")
    click.echo(format_profile(result, resolved.name))
    if json_path is not None:
        document = {"name": resolved.name, "path": str(resolved.path), **result.to_dict()}
        write_atomic(json_path, json_bytes(document), what="--json", make_parents=False)
