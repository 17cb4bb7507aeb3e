"""``agent sweep --family``: several model families in one grid, and what width means in each."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edgebench.agent.engine.sweep import SweepPoint, expand_grid
from edgebench.agent.modeltools.catalog import find_entry
from edgebench.shared.cli import cli
from edgebench.shared.errors import EdgebenchError
from tests.agent.test_sweep import FAST, _results


def _models(points: list[SweepPoint]) -> list[tuple[str, float, int]]:
    return list(dict.fromkeys((p.arch, p.alpha, p.resolution) for p in points))


def test_width_is_alpha_for_mobilenets_and_variant_for_efficientnet_lite() -> None:
    families = ["mobilenet_v2", "mobilenet_v3", "efficientnet_lite"]
    points = expand_grid(families, [0.5, 1.0], None, [1, 2], "int8", variants=[0, 2])
    assert _models(points) == [
        ("mobilenet_v2", 0.5, 224),
        ("mobilenet_v2", 1.0, 224),
        ("mobilenet_v3_large", 0.5, 224),
        ("mobilenet_v3_large", 1.0, 224),
        ("mobilenet_v3_small", 0.5, 224),
        ("mobilenet_v3_small", 1.0, 224),
        # Each variant at its own resolution; α does not apply to it.
        ("efficientnet_lite0", 1.0, 224),
        ("efficientnet_lite2", 1.0, 260),
    ]
    assert len(points) == 2 * 8
    # An explicit resolution applies to every family; defaults: α 1.0, variant 0.
    points = expand_grid(families, None, [96], [1], "uint8")
    assert _models(points) == [
        ("mobilenet_v2", 1.0, 96),
        ("mobilenet_v3_large", 1.0, 96),
        ("mobilenet_v3_small", 1.0, 96),
        ("efficientnet_lite0", 1.0, 96),
    ]
    assert points[-1].label == "efficientnet_lite0_96_uint8 x1"


def test_nonsense_combinations_fail_in_one_line(agent_env: dict[str, str]) -> None:
    cases = {
        ("--family", "efficientnet_lite", "--alpha", "0.5"): "efficientnet_lite has no width",
        ("--variant", "1"): "add efficientnet_lite to --family",
        ("--family", "efficientnet_lite", "--variant", "5"): "no variant 5",
        ("--family", "mobilenet_v3", "--alpha", "1.4"): "mobilenet_v3_large does not support",
        ("--family", "mobilenet_v2", "--arch", "mobilenet_v1"): "not both",
        ("--family", "resnet"): "unknown architecture 'resnet'",
        ("--family", "mobilenet_v2,efficientnet_lite", "--resolution", "100"): "resolution 100",
    }
    for args, fragment in cases.items():
        result = CliRunner().invoke(cli, ["agent", "sweep", *args], env=agent_env)
        assert result.exit_code == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], (args, result.stderr)
    with pytest.raises(EdgebenchError, match="at least one model family"):
        expand_grid([], None, None, [1], "int8")


def test_three_families_run_and_map_back_to_the_catalog(
    tmp_path: Path,
    agent_env: dict[str, str],
) -> None:
    out = tmp_path / "out"
    args = ["agent", "sweep", "--family", "mobilenet_v2,mobilenet_v3,efficientnet_lite"]
    args += ["--alpha", "0.35", "--resolution", "96", "--threads", "1", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, *FAST], env=agent_env)
    assert result.exit_code == 0, result.stderr
    results = _results(out)
    names = {r.model.name for r in results}
    assert names == {
        "gen-mobilenet_v2_0.35_96_int8",
        "gen-mobilenet_v3_large_0.35_96_int8",
        "gen-mobilenet_v3_small_0.35_96_int8",
        "gen-efficientnet_lite0_96_int8",
    }
    assert len({r.sweep_id for r in results}) == 1
    for r in results:
        assert r.status == "complete" and r.latency_ms.count >= 3
        entry = find_entry(r.model.name)
        assert entry is not None and entry.kind == "generated"
        assert entry.resolution == 96
