"""``edgebench agent status``: what this board's outbox holds and waits to have confirmed.

Read from the outbox file alone, so it works while ``agent daemon`` runs (SQLite in WAL
mode lets it read beside the flusher) and while the broker or the collector is down.
Run messages leave the outbox only when the collector's receipt says they are stored
(``docs/mqtt-contract.md``, "Receipts"), so what it lists is exactly what is not yet safe.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

from edgebench.agent.config import AgentConfig, load_agent_config
from edgebench.agent.transport.outbox import OUTBOX_FILE, RECEIPTED_KINDS, Outbox


def gather(config: AgentConfig, now: float | None = None) -> dict[str, Any]:
    """Return the outbox's contents by kind, what waits for a receipt, and the drop counter."""
    now = time.time() if now is None else now
    path = config.state_dir / OUTBOX_FILE
    kinds: dict[str, dict[str, Any]] = {}
    dropped = 0
    if path.exists():
        outbox = Outbox(path, config.outbox_max_messages)
        try:
            for kind, (rows, oldest) in outbox.summary().items():
                kinds[kind] = {"messages": rows, "oldest_age_s": round(max(0.0, now - oldest), 1)}
            dropped = outbox.dropped_samples()
        finally:
            outbox.close()
    receipted = config.receipt_timeout is not None
    waiting = sum(v["messages"] for k, v in kinds.items() if receipted and k in RECEIPTED_KINDS)
    return {
        "outbox": str(path),
        "broker": config.mqtt.url or None,
        "receipts": receipted,
        "receipt_timeout_s": config.receipt_timeout_s,
        "outbox_max_messages": config.outbox_max_messages,
        "pending": sum(v["messages"] for v in kinds.values()),
        "awaiting_receipt": waiting,
        "by_kind": kinds,
        "outbox_dropped_samples": dropped,
    }


def render(info: dict[str, Any]) -> str:
    """Format the status as a few aligned lines."""
    confirm = (
        f"collector receipts (resend after {info['receipt_timeout_s']:g} s, with back-off)"
        if info["receipts"]
        else "broker PUBACK only (receipt_timeout_s = 0)"
    )
    lines = [
        f"Outbox            {info['outbox']}",
        f"Broker            {info['broker'] or '- (none configured)'}",
        f"Confirmed by      {confirm}",
        f"Waiting           {info['pending']} messages (bound {info['outbox_max_messages']})",
        f"  for a receipt   {info['awaiting_receipt']}",
    ]
    for kind, row in info["by_kind"].items():
        lines.append(f"  {kind:<15} {row['messages']:>6}  oldest {row['oldest_age_s']:g} s ago")
    lines.append(f"Dropped telemetry {info['outbox_dropped_samples']} messages (outbox full)")
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show what waits in the outbox, and what has no receipt from the collector yet."""
    obj = ctx.find_root().obj or {}
    info = gather(load_agent_config(obj.get("config_file")))
    click.echo(json.dumps(info, indent=2) if as_json else render(info))
