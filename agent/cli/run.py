"""``edgebench agent run``: benchmark one model on this board."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from edgebench.agent.cli.run_control import run_control_kwargs, run_control_options
from edgebench.shared.errors import EdgebenchError

# Exit status after Ctrl-C, as shells report SIGINT (128 + 2).
EXIT_INTERRUPTED = 130


def write_json_atomic(path: Path, document: dict[str, Any]) -> None:
    """Write the result to ``--json`` atomically; the summary is already on the terminal."""
    from edgebench.agent.fileout import json_bytes, write_atomic

    try:
        write_atomic(path, json_bytes(document), what="--json", make_parents=False)
    except EdgebenchError as exc:
        raise EdgebenchError(f"{exc.format_message()} (the result was printed above)") from None


@click.command()
@click.argument("model", required=False)
@click.option("--threads", type=int, help="Interpreter threads [default: all usable cores].")
@run_control_options
@click.option("--rate", "rate_hz", type=float, help="Pace inferences at this many per second.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random-input seed.")
@click.option(
    "--images",
    type=click.Path(path_type=Path),
    help="Folder of images to feed (decoded, resized, converted to the input dtype).",
)
@click.option(
    "--labels",
    type=click.Path(path_type=Path),
    help="Labels file, one per class: turns on accuracy mode (needs --images).",
)
@click.option(
    "--expected",
    type=click.Path(path_type=Path),
    help="CSV with columns image and label (or top1_label), optional model.",
)
@click.option("--sample-hz", type=float, help="Telemetry sampling rate; 0 turns it off.")
@click.option("--broker", help="MQTT broker URL to publish the run to (sets mqtt.url).")
@click.option("--device-id", help="Device id for results and MQTT topics.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the result.")
@click.option("-q", "--quiet", is_flag=True, help="No progress; print a one-line result.")
@click.pass_context
def run(ctx: click.Context, model: str | None, **opts: Any) -> None:
    """Benchmark MODEL (a .tflite path or catalog name; default: generated MobileNetV2).

    Run control follows TFLite benchmark_model: warm up while fewer than
    --warmup-runs or --warmup-secs, then measure while fewer than --runs or
    --min-secs, stopping at --max-secs. Exit status: 0 done, 2 bad input,
    130 interrupted (the partial result is still printed and saved).
    """
    from edgebench.agent.engine.runner import RunOptions

    options = RunOptions(
        **run_control_kwargs(opts),
        threads=opts["threads"],
        rate_hz=opts["rate_hz"],
        seed=opts["seed"],
        images=opts["images"],
        labels=opts["labels"],
        expected=opts["expected"],
    )
    # Check options before the slow parts (device facts, model resolution, imports).
    options.validate()
    try:
        _run(ctx, model, options, opts)
    except KeyboardInterrupt:
        # Ctrl-C while loading or resolving the model: there is no result to save.
        click.echo("edgebench: interrupted; no result to save", err=True)
        ctx.exit(EXIT_INTERRUPTED)


def _run(ctx: click.Context, model: str | None, options: Any, opts: dict[str, Any]) -> None:
    """Build config and listeners, run, print, save, and pick the exit status."""
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.engine.events import FanOut
    from edgebench.agent.engine.report import TerminalProgress, format_oneline, format_summary
    from edgebench.agent.engine.runner import run_benchmark
    from edgebench.agent.facts import collect_device_facts
    from edgebench.agent.modeltools.resolve import resolve_model
    from edgebench.agent.transport.session import make_run_listener

    flags = {"sample_hz": opts["sample_hz"], "mqtt.url": opts["broker"]}
    flags["device_id"] = opts["device_id"]
    config = load_agent_config((ctx.obj or {}).get("config_file"), flags)
    facts = collect_device_facts(config)
    resolved = resolve_model(model, config)
    listeners = [] if opts["quiet"] else [TerminalProgress(sys.stderr)]
    listeners.append(make_run_listener(config, facts))
    listener = FanOut(listeners)
    try:
        result = run_benchmark(resolved, options, config, facts, listener)
    finally:
        listener.close()
    click.echo(format_oneline(result) if opts["quiet"] else format_summary(result))
    if opts["json_path"] is not None:
        write_json_atomic(opts["json_path"], result.to_dict())
    if result.status == "interrupted":
        ctx.exit(EXIT_INTERRUPTED)
