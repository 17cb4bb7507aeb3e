"""``edgebench agent sweep``: benchmark a grid of model families, widths, resolutions, threads."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from edgebench.agent.cli.run_control import run_control_kwargs, run_control_options
from edgebench.shared.errors import EdgebenchError

# Exit status after Ctrl-C, as shells report SIGINT (128 + 2), like ``agent run``.
EXIT_INTERRUPTED = 130


def _floats(flag: str, text: str) -> list[float]:
    try:
        return [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise EdgebenchError(f"{flag} {text!r}: give comma-separated numbers") from None


def _ints(flag: str, text: str) -> list[int]:
    try:
        values = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise EdgebenchError(f"{flag} {text!r}: give comma-separated whole numbers") from None
    if not values:
        raise EdgebenchError(f"{flag}: give at least one value")
    return values


@click.command()
@click.option(
    "--family",
    help="Model families, e.g. mobilenet_v2,mobilenet_v3,efficientnet_lite "
    "[default: mobilenet_v2]; mobilenet_v3 is Large and Small.",
)
@click.option("--arch", hidden=True, help="One family or architecture (older spelling).")
@click.option("--alpha", help="MobileNet width multipliers, e.g. 0.5,1.0 [default: 1.0].")
@click.option(
    "--variant", help="EfficientNet-Lite variants (its width axis), e.g. 0,2,4 [default: 0]."
)
@click.option(
    "--resolution",
    help="Input sizes, e.g. 96,224 [default: 224; EfficientNet-Lite: each variant's own].",
)
@click.option("--threads", help="Thread counts, e.g. 1,2,4 [default: all usable cores].")
@click.option("--quant", default="int8", show_default=True, help="int8, uint8 or float32.")
@run_control_options
@click.option("--sample-hz", type=float, help="Telemetry sampling rate; 0 turns it off.")
@click.option(
    "--cooldown-max-secs",
    type=float,
    default=120.0,
    show_default=True,
    help="Longest wait between runs for the temperature to return near its start (0: off).",
)
@click.option(
    "--cooldown-tolerance-c",
    type=float,
    default=2.0,
    show_default=True,
    help="Cool enough: within this many °C of the starting temperature.",
)
@click.option("--broker", help="MQTT broker URL to publish every run to (sets mqtt.url).")
@click.option("--device-id", help="Device id for results and MQTT topics.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for <run_id>.json results [default: ./sweep-<sweep id>].",
)
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), help="Write a PNG.")
@click.pass_context
def sweep(ctx: click.Context, **opts: Any) -> None:
    """Benchmark every family × width × resolution × thread count of generated models.

    Width is α for the MobileNets and the variant for EfficientNet-Lite, which runs at each
    variant's own resolution unless --resolution is given.

    Each configuration is one run (as agent run) saved at once to --out; all share one
    sweep id. Between runs the sweep waits for the board to cool back near its starting
    temperature. Exit status: 0 done, 2 bad input, 130 interrupted (finished results kept).
    """
    from edgebench.agent.engine.options import RunOptions, usable_cores
    from edgebench.agent.engine.sweep import expand_grid

    threads = _ints("--threads", opts["threads"]) if opts["threads"] else [usable_cores()]
    families = _families(opts)
    alphas = _floats("--alpha", opts["alpha"]) if opts["alpha"] is not None else None
    if alphas is not None and not alphas:
        raise EdgebenchError("--alpha: give at least one width multiplier")
    variants = _ints("--variant", opts["variant"]) if opts["variant"] is not None else None
    points = expand_grid(
        families,
        alphas,
        _ints("--resolution", opts["resolution"]) if opts["resolution"] is not None else None,
        threads,
        opts["quant"],
        variants=variants,
    )
    options = RunOptions(**run_control_kwargs(opts), sample_hz=opts["sample_hz"])
    for count in threads:
        dataclasses.replace(options, threads=count).validate()
    options.validate()
    if opts["plot"] is not None:
        _require_matplotlib()
    try:
        _sweep(ctx, points, options, opts)
    except KeyboardInterrupt:
        click.echo("edgebench: interrupted before the first run; no result to save", err=True)
        ctx.exit(EXIT_INTERRUPTED)


def _families(opts: dict[str, Any]) -> list[str]:
    """Read the --family list; refuse width options that no chosen family has."""
    if opts["family"] and opts["arch"]:
        raise EdgebenchError("give --family or --arch, not both")
    text = opts["family"] or opts["arch"] or "mobilenet_v2"
    families = [item.strip() for item in text.split(",") if item.strip()]
    lite = [f for f in families if f.startswith("efficientnet_lite")]
    if opts["variant"] is not None and "efficientnet_lite" not in families:
        raise EdgebenchError(
            "--variant is EfficientNet-Lite's width; add efficientnet_lite to --family"
        )
    if opts["alpha"] is not None and families and len(lite) == len(families):
        raise EdgebenchError(
            "--alpha: efficientnet_lite has no width multiplier; choose its variants with --variant"
        )
    return families


def _require_matplotlib() -> None:
    """Fail before hours of runs, not after, when the plot cannot be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise EdgebenchError(
            "--plot needs matplotlib, which is not installed: pip install matplotlib"
        ) from None


def _sweep(ctx: click.Context, points: list[Any], options: Any, opts: dict[str, Any]) -> None:
    """Set up config, facts, cool-down and publishing; run; report; pick the exit status."""
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.engine.sweep import Cooldown, format_table, run_sweep, thermal_reader
    from edgebench.agent.facts import collect_device_facts
    from edgebench.agent.fileout import json_bytes, write_atomic
    from edgebench.agent.transport.session import make_run_listener

    flags = {"sample_hz": opts["sample_hz"], "mqtt.url": opts["broker"]}
    flags["device_id"] = opts["device_id"]
    config = load_agent_config((ctx.obj or {}).get("config_file"), flags)
    facts = collect_device_facts(config)
    reader = thermal_reader(config, facts)
    cooldown = Cooldown(
        reader, tolerance_c=opts["cooldown_tolerance_c"], max_secs=opts["cooldown_max_secs"]
    )
    if not cooldown.available and opts["cooldown_max_secs"] > 0:
        click.echo("edgebench: no temperature sensor: cool-down skipped", err=True)
    out_dir: Path | None = opts["out"]
    if out_dir is not None:
        _make_dir(out_dir)
    saved: list[Path] = []

    def save(result: Any) -> None:
        nonlocal out_dir
        if out_dir is None:
            out_dir = Path(f"sweep-{result.sweep_id[:12]}")
            _make_dir(out_dir)
        path = out_dir / f"{result.run_id}.json"
        write_atomic(path, json_bytes(result.to_dict()), what="--out")
        saved.append(path)
        bar.update(1)

    listener = make_run_listener(config, facts)
    with click.progressbar(
        length=len(points),
        label="sweep",
        file=sys.stderr,
        item_show_func=lambda p: p.label if p is not None else "",
    ) as bar:

        def announce(point: Any) -> None:
            bar.update(0, current_item=point)

        try:
            outcome = run_sweep(
                points,
                options,
                config,
                facts,
                cooldown=cooldown,
                on_result=save,
                listener=listener,
                on_point=announce,
            )
        finally:
            if listener is not None:
                listener.close()
    if outcome.results:
        click.echo(format_table(outcome.results))
    where = f" in {out_dir}" if out_dir is not None else ""
    click.echo(
        f"edgebench: sweep {outcome.sweep_id}: {len(saved)} of {len(points)} results{where}",
        err=True,
    )
    if opts["plot"] is not None and outcome.results:
        from edgebench.agent.engine.plot import plot_latency_vs_macs

        plot_latency_vs_macs(outcome.results, opts["plot"], f"sweep {outcome.sweep_id[:12]}")
        click.echo(f"edgebench: plot written to {opts['plot']}", err=True)
    if outcome.interrupted:
        click.echo("edgebench: sweep interrupted; finished results were kept", err=True)
        ctx.exit(EXIT_INTERRUPTED)


def _make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EdgebenchError(
            f"cannot create --out {path}: {exc.strerror or exc}; choose a writable folder"
        ) from None
