"""``edgebench model predict``: a model's p50 on a board, from that board's per-op profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from edgebench.shared.errors import EdgebenchError


def load_profile(path: Path) -> Any:
    """Read a profile from ``model profile --json`` or a run result with ``op_profile``."""
    import json

    import msgspec

    from edgebench.shared.op_profile import OpProfile

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EdgebenchError(f"--profile {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EdgebenchError(f"--profile {path}: not a readable JSON file ({exc})") from None
    if isinstance(document, dict) and isinstance(document.get("op_profile"), dict):
        document = document["op_profile"]
    try:
        return msgspec.convert(document, OpProfile)
    except msgspec.ValidationError as exc:
        raise EdgebenchError(
            f"--profile {path}: not a per-op profile ({exc}); make one with"
            " edgebench model profile MODEL --json FILE or agent run --profile-ops --json FILE"
        ) from None


@click.command()
@click.argument("model")
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A profile JSON of this board (repeat the option for more; at least one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the prediction as JSON.")
@click.pass_context
def predict(ctx: click.Context, model: str, profiles: tuple[Path, ...], as_json: bool) -> None:
    """Predict MODEL's p50 where the --profile files were measured, without running it.

    A per-op-type cost model (p50 = a + b·MACs + c·bytes, non-negative least squares) is
    fitted on the profiled ops and summed over MODEL's ops, then scaled by the profiles'
    whole/sum ratio (docs/profiling.md).
    """
    import json

    from edgebench.agent.config import load_agent_config
    from edgebench.agent.modeltools.resolve import resolve_model
    from edgebench.agent.modeltools.submodel import model_features
    from edgebench.shared.latency_model import fit
    from edgebench.shared.latency_model import predict as predict_p50

    loaded = [load_profile(path) for path in profiles]
    settings = {(p.backend, p.threads, p.xnnpack_requested) for p in loaded}
    config = load_agent_config((ctx.obj or {}).get("config_file"))
    resolved = resolve_model(model, config)
    cost = fit(loaded)
    result = predict_p50(cost, model_features(resolved.model))
    backend, threads, xnnpack = sorted(settings)[0]
    notes = []
    if len(settings) > 1:
        notes.append("the profiles mix backends/threads/XNNPACK settings; the fit averages them")
    if result.unseen_types:
        notes.append(
            f"no profile has {', '.join(result.unseen_types)}: predicted from all ops together"
        )
    if as_json:
        document = {
            "model": resolved.name,
            "sha256": resolved.model.sha256,
            "predicted_p50_ms": result.p50_ms,
            "sum_ops_ms": result.sum_ops_ms,
            "whole_over_sum": cost.whole_over_sum,
            "by_type_ms": result.by_type_ms,
            "per_op_ms": result.per_op_ms,
            "profiles": [str(p) for p in profiles],
            "backend": backend,
            "threads": threads,
            "xnnpack": xnnpack,
            "notes": notes,
        }
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(f"model      {resolved.name}   sha256 {resolved.model.sha256[:16]}")
    click.echo(
        f"predicted  p50 {result.p50_ms:.3f} ms ({backend}, {threads} thread(s), XNNPACK"
        f" {'on' if xnnpack else 'off'}), from {len(loaded)} profile(s); a prediction, not"
        " a measurement"
    )
    click.echo(
        f"           sum of ops {result.sum_ops_ms:.3f} ms × whole/sum {cost.whole_over_sum:.3f}"
    )
    for op, ms in sorted(result.by_type_ms.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {op:<20} {ms:>9.3f} ms")
    for note in notes:
        click.echo(f"note: {note}")
