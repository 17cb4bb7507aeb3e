"""The ``edgebench agent`` command group (one module per subcommand)."""

from __future__ import annotations

import click

from edgebench.shared.lazycli import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy_subcommands={
        "run": ("edgebench.agent.cli.run:run", "Benchmark one model on this board."),
        "sweep": (
            "edgebench.agent.cli.sweep:sweep",
            "Benchmark a grid of model sizes and threads.",
        ),
        "daemon": (
            "edgebench.agent.cli.daemon:daemon",
            "Keep this board online on the broker and flush its outbox.",
        ),
        "facts": ("edgebench.agent.cli.facts:facts", "Show what this board is (device facts)."),
        "status": (
            "edgebench.agent.cli.status:status",
            "Show what waits in the outbox for the collector's receipt.",
        ),
    },
)
def agent() -> None:
    """Run benchmarks on this board and publish them."""
