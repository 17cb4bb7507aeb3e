"""``edgebench model inspect``: tensors, op histogram, parameters, MACs and FLOPs of a model."""

from __future__ import annotations

import json
from collections import defaultdict

import click

from edgebench.shared.result import TensorInfo
from edgebench.shared.tflite.inspect import ModelReport


@click.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--ops", "show_ops", is_flag=True, help="Also print the per-op table.")
@click.pass_context
def inspect(ctx: click.Context, model: str, as_json: bool, show_ops: bool) -> None:
    """Analyse MODEL (a .tflite path or a catalog name) without running it."""
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.modeltools.resolve import resolve_model

    config = load_agent_config((ctx.obj or {}).get("config_file"))
    resolved = resolve_model(model, config)
    report = resolved.model.checked_report()
    if as_json:
        document = {"name": resolved.name, "source": resolved.source, **report.to_dict()}
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(format_summary(report, resolved.name))
    if show_ops:
        click.echo()
        click.echo(format_ops(report))


def format_summary(report: ModelReport, name: str) -> str:
    """Render the compact human summary of a ``ModelReport``."""
    lines = [
        f"model    {name}",
        f"file     {report.path}",
        f"size     {report.size_bytes:,} bytes   sha256 {report.sha256}",
        f"schema   v{report.schema_version}, {report.subgraphs} subgraph(s), {report.op_count} ops",
    ]
    lines += [f"input    {_tensor(t)}" for t in report.inputs]
    lines += [f"output   {_tensor(t)}" for t in report.outputs]
    if report.custom_ops:
        lines.append(f"custom   {', '.join(report.custom_ops)} (no MACs counted)")
    macs_by_op: dict[str, int] = defaultdict(int)
    params_by_op: dict[str, int] = defaultdict(int)
    for row in report.ops:
        macs_by_op[row.op] += row.macs
        params_by_op[row.op] += row.params
    width = max([len(op) for op in report.op_histogram] + [8])
    lines += ["", f"{'op':<{width}}  {'count':>5}  {'MACs':>13}  {'params':>11}"]
    for op, count in report.op_histogram.items():
        lines.append(f"{op:<{width}}  {count:>5}  {macs_by_op[op]:>13,}  {params_by_op[op]:>11,}")
    lines += [
        "",
        f"params   {report.params:,} ({report.params / 1e6:.3f} M): "
        f"weights {report.weight_params:,} + biases {report.bias_params:,}",
        f"MACs     {report.conv_fc_macs:,} ({report.conv_fc_macs / 1e6:.1f} M) "
        "in conv/depthwise/FC, the figure published tables count",
        f"         {report.elementwise_macs:,} in element-wise ops; "
        f"total {report.macs:,} ({report.macs / 1e6:.1f} M)",
        f"FLOPs    {report.flops:,} ({report.flops / 1e9:.3f} G) = 2 x total MACs",
    ]
    return "\n".join(lines)


def format_ops(report: ModelReport) -> str:
    """Render the per-op table of a ``ModelReport``."""
    width = max([len(r.op) for r in report.ops] + [2])
    many = report.subgraphs > 1
    head = f"{'sg':>2}  " if many else ""
    lines = [f"{head}{'#':>4}  {'op':<{width}}  {'output':<18}  {'MACs':>12}  {'params':>10}"]
    for r in report.ops:
        shape = "x".join(str(d) for d in r.output_shape) or "scalar"
        prefix = f"{r.subgraph:>2}  " if many else ""
        lines.append(
            f"{prefix}{r.index:>4}  {r.op:<{width}}  {shape:<18}  {r.macs:>12,}  {r.params:>10,}"
        )
    return "\n".join(lines)


def _tensor(t: TensorInfo) -> str:
    """Render a tensor as ``name  dtype[1,224,224,3]  scale s zero_point z``."""
    text = f"{t.name}  {t.dtype}[{','.join(str(d) for d in t.shape)}]"
    if t.scale is not None:
        text += f"  scale {t.scale:.8g} zero_point {t.zero_point}"
    return text
