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
@click.option(
    "--target-ci",
    "target_ci_pct",
    type=float,
    help="Measure until the p50 95 % interval's half-width is under PCT % of p50 (or --max-secs).",
)
@click.option(
    "--repeat", type=int, default=1, show_default=True, help="Run N trials of this configuration."
)
@click.option(
    "--cooldown",
    "cooldown_s",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to rest between --repeat trials.",
)
@click.option(
    "--cooldown-temp-delta",
    "temp_delta_c",
    type=float,
    help="After --cooldown, also wait until the SoC is within C °C of its first-trial start.",
)
@click.option(
    "--allow-busy",
    is_flag=True,
    help="Run on a busy board without an INVALID verdict (the busy guard still records it).",
)
@click.option(
    "--profile-ops",
    is_flag=True,
    help="After the run, time each op on its own and attach the per-op profile.",
)
@click.option("--broker", help="MQTT broker URL to publish the run to (sets mqtt.url).")
@click.option("--device-id", help="Device id for results and MQTT topics.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the result.")
@click.option("-q", "--quiet", is_flag=True, help="No progress; print a one-line result.")
@click.pass_context
def run(ctx: click.Context, model: str | None, **opts: Any) -> None:
    """Benchmark MODEL (a .tflite path or catalog name; default: generated MobileNetV2).

    Run control follows TFLite benchmark_model: warm up while fewer than
    --warmup-runs or --warmup-secs, then measure while fewer than --runs or
    --min-secs, stopping at --max-secs. Every figure gets a 95 % interval
    (docs/statistics.md); a busy board makes the run INVALID unless --allow-busy.
    With --repeat N, --json FILE gets the last trial (its "trials" holds them all)
    and FILE.trialK.json each trial. Exit status: 0 done, 2 bad input,
    130 interrupted (the partial result is still printed and saved).
    """
    from edgebench.agent.engine.repeat import RepeatPlan
    from edgebench.agent.engine.runner import RunOptions

    plan = RepeatPlan(opts["repeat"], opts["cooldown_s"], opts["temp_delta_c"])
    options = RunOptions(
        **run_control_kwargs(opts),
        threads=opts["threads"],
        rate_hz=opts["rate_hz"],
        seed=opts["seed"],
        images=opts["images"],
        labels=opts["labels"],
        expected=opts["expected"],
        target_ci_pct=opts["target_ci_pct"],
        allow_busy=opts["allow_busy"],
        profile_ops=opts["profile_ops"],
    )
    # Check options before the slow parts (device facts, model resolution, imports).
    options.validate()
    plan.validate()
    try:
        _run(ctx, model, options, plan, opts)
    except KeyboardInterrupt:
        # Ctrl-C while loading or resolving the model: there is no result to save.
        click.echo("edgebench: interrupted; no result to save", err=True)
        ctx.exit(EXIT_INTERRUPTED)


def trial_path(path: Path, index: int) -> Path:
    """Return where ``--json`` puts trial ``index`` (out.json -> out.trial2.json)."""
    return path.with_name(f"{path.stem}.trial{index}{path.suffix}")


def _run(
    ctx: click.Context, model: str | None, options: Any, plan: Any, opts: dict[str, Any]
) -> None:
    """Build config and listeners, run, print, save, and pick the exit status."""
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.engine.events import FanOut
    from edgebench.agent.engine.repeat import run_trials
    from edgebench.agent.engine.report import (
        TerminalProgress,
        format_oneline,
        format_summary,
        format_trials,
    )
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
    json_path = opts["json_path"]

    def show(result: Any) -> None:
        click.echo(format_oneline(result) if opts["quiet"] else format_summary(result))
        if result.op_profile is not None and not opts["quiet"]:
            from edgebench.agent.engine.opprofile_report import format_profile

            click.echo()
            click.echo(format_profile(result.op_profile, result.model.name))
        if json_path is not None and plan.count > 1 and result.trials is not None:
            write_json_atomic(trial_path(json_path, result.trials.index), result.to_dict())

    try:
        if plan.count > 1:
            results = run_trials(resolved, options, config, facts, listener, plan, show)
        else:
            results = [run_benchmark(resolved, options, config, facts, listener)]
            show(results[0])
    finally:
        listener.close()
    result = results[-1]
    if plan.count > 1:
        click.echo(format_trials(result))
    if json_path is not None:
        write_json_atomic(json_path, result.to_dict())
    if result.status == "interrupted":
        ctx.exit(EXIT_INTERRUPTED)
