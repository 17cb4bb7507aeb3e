"""``edgebench agent facts``: what this board is, and which samplers and power sources work."""

from __future__ import annotations

import json
from typing import Any

import click

from edgebench.agent.config import AgentConfig, load_agent_config


def gather(config: AgentConfig) -> dict[str, Any]:
    """Facts, sampler availability, power-source availability and the power method used."""
    from edgebench.agent.facts import collect_device_facts
    from edgebench.agent.power.estimate import make_estimator
    from edgebench.agent.power.select import select_power_source
    from edgebench.agent.probe.context import SamplerContext
    from edgebench.agent.samplers.session import setup_samplers

    facts = collect_device_facts(config)
    ctx = SamplerContext(config, facts)
    samplers, sampler_status = setup_samplers(ctx)
    for sampler in samplers:
        sampler.close()
    selection = select_power_source(ctx, probe_all=True)
    if selection.source is not None:
        power = {
            "method": selection.source.method,
            "measured": True,
            "source": selection.source.source,
            "note": selection.source.note,
        }
    else:
        estimator = make_estimator(config, facts)
        power = {
            "method": "estimate",
            "measured": False,
            "source": estimator.source,
            "profile": estimator.profile,
            "idle_w": estimator.idle_w,
            "load_w": estimator.load_w,
            "note": estimator.note,
        }
    return {
        "device": facts.to_dict(),
        "samplers": sampler_status,
        "power_sources": selection.availability,
        "power": power,
    }


def render(info: dict[str, Any]) -> str:
    """Format the gathered info as aligned key/value lines in four sections."""
    lines = ["Device"]
    for key, value in info["device"].items():
        text = value
        if isinstance(value, dict):
            text = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            text = ", ".join(value)
        lines.append(f"  {key:<18} {'-' if text in (None, '') else text}")
    lines.append("Samplers")
    lines += [f"  {name:<18} {status}" for name, status in info["samplers"].items()]
    lines.append("Power sources (best first)")
    lines += [f"  {name:<18} {status}" for name, status in info["power_sources"].items()]
    power = info["power"]
    measured = "measured" if power["measured"] else "ESTIMATE"
    lines.append(f"Power used: {power['method']} ({measured}) - {power['source']}")
    if power.get("note"):
        lines.append(f"  note: {power['note']}")
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--profiles", is_flag=True, help="Print the board power profile table (Markdown) and exit."
)
@click.pass_context
def facts(ctx: click.Context, as_json: bool, profiles: bool) -> None:
    """Show what this board is and which samplers and power sources work here."""
    if profiles:
        from edgebench.agent.power.profiles import profile_table_markdown

        click.echo(profile_table_markdown())
        return
    obj = ctx.find_root().obj or {}
    config = load_agent_config(obj.get("config_file"))
    info = gather(config)
    click.echo(json.dumps(info, indent=2) if as_json else render(info))
