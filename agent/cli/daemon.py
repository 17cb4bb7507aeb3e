"""``edgebench agent daemon``: keep this board online on the broker and flush its outbox."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import click

from edgebench.shared.errors import ConfigError


@click.command()
@click.option("--broker", help="MQTT broker URL (sets mqtt.url), e.g. mqtt://server:1883.")
@click.option("--device-id", help="Device id for topics and results (default: from facts).")
@click.pass_context
def daemon(ctx: click.Context, broker: str | None, device_id: str | None) -> None:
    """Publish status and device facts, deliver queued results, run benchmark commands.

    Runs until SIGTERM or Ctrl-C, then publishes a retained "offline" status and exits 0.
    Results that cannot be delivered stay in the outbox under state_dir for next time.
    """
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.facts import collect_device_facts
    from edgebench.agent.transport.daemon import AgentDaemon

    flags: dict[str, Any] = {"mqtt.url": broker, "device_id": device_id}
    config = load_agent_config((ctx.obj or {}).get("config_file"), flags)
    if not config.mqtt.url:
        raise ConfigError(
            "no broker configured: pass --broker mqtt://host:1883 or set url in [mqtt]"
        )
    stop = threading.Event()
    agent = AgentDaemon(config, collect_device_facts, stop)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        # A benchmark in progress ends as "interrupted", exactly as Ctrl-C ends `agent run`.
        if agent.running_command:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.serve()
