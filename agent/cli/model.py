"""The ``edgebench model`` command group: inspect, profile, predict, build, list, fetch."""

from __future__ import annotations

import click

from edgebench.shared.lazycli import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy_subcommands={
        "inspect": (
            "edgebench.agent.cli.model_inspect:inspect",
            "Static analysis: tensors, ops, parameters, MACs.",
        ),
        "build": (
            "edgebench.agent.cli.model_build:build",
            "Generate a MobileNet TFLite model offline.",
        ),
        "profile": (
            "edgebench.agent.cli.model_profile:profile",
            "Per-op latency on this board (each op timed on its own).",
        ),
        "predict": (
            "edgebench.agent.cli.model_predict:predict",
            "Predict a model's p50 from per-op profiles of this board.",
        ),
        "list": ("edgebench.agent.cli.model_catalog:list_models", "List the model catalog."),
        "fetch": (
            "edgebench.agent.cli.model_catalog:fetch",
            "Download a catalog model and verify it.",
        ),
    },
)
def model() -> None:
    """Inspect, generate and fetch TFLite models."""
