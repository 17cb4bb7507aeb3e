"""The model catalog, its agreement with the published tables, and the list/fetch commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgebench.agent.modeltools.catalog import (
    V1_ALPHAS,
    V1_RESOLUTIONS,
    V2_ALPHAS,
    V2_RESOLUTIONS,
    catalog,
    find_entry,
    generated_equivalent,
    get_entry,
)
from edgebench.agent.modeltools.generator.families import ARCHS
from edgebench.agent.modeltools.modelfile import inspect_model
from edgebench.shared.cli import cli
from tests.agent.modeltools.conftest import SMALL_FILE, ModelServer

SMALL = SMALL_FILE.removesuffix(".tflite")


def _published(shared_dir: Path) -> dict[tuple[str, float, int], tuple[float, float, float]]:
    """Parse the MobileNet tables of hardware.md section 5 into (arch, alpha, res) rows."""
    text = (shared_dir / "reference" / "hardware.md").read_text()
    rows = {}
    for match in re.finditer(
        r"^\| mobilenet_v2_([\d.]+)_(\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|", text, re.M
    ):
        alpha, res, macs, params, top1 = match.groups()
        rows[("mobilenet_v2", float(alpha), int(res))] = (float(macs), float(params), float(top1))
    for match in re.finditer(
        r"^\| MobileNet_v1_([\d.]+)_(\d+) \| (\d+) \| ([\d.]+) \| [\d.]+ \| [\d.]+ \| ([\d.]+)",
        text,
        re.M,
    ):
        alpha, res, macs, params, top1 = match.groups()
        rows[("mobilenet_v1", float(alpha), int(res))] = (float(macs), float(params), float(top1))
    return rows


def test_names_and_generated_configurations() -> None:
    entries = catalog()
    names = [e.name for e in entries]
    assert len(names) == len(set(names))
    generated = {(e.arch, e.alpha, e.resolution, e.quant) for e in entries if e.kind == "generated"}
    expected = {
        ("mobilenet_v2", a, r, q)
        for a in V2_ALPHAS
        for r in V2_RESOLUTIONS
        for q in ("int8", "uint8")
    } | {
        ("mobilenet_v1", a, r, q)
        for a in V1_ALPHAS
        for r in V1_RESOLUTIONS
        for q in ("int8", "uint8")
    }
    assert len(expected) == 92
    # Every other family the generator builds is listed too, every width and resolution.
    others = {
        (arch, a, r, q)
        for arch, spec in ARCHS.items()
        if spec.family not in ("mobilenet_v1", "mobilenet_v2")
        for a in spec.alphas
        for r in spec.resolutions
        for q in ("int8", "uint8")
    }
    assert generated == expected | others
    assert len(others) == 4 * 5 * 5 * 2 + 5 * 9 * 2
    assert find_entry("gen-mobilenet_v3_small_minimalistic_0.75_160_uint8") is not None
    assert find_entry("gen-efficientnet_lite3_280_int8") is not None
    assert find_entry("gen-mobilenet_v2_1.0_224_int8") is not None
    assert find_entry("gen-mobilenet_v2_0.35_96_uint8") is not None
    assert find_entry("mobilenet_v2_1.0_224_quant") is not None
    assert find_entry("efficientnet_lite0_int8") is not None


def test_checksums_only_where_verified(models_dir: Path) -> None:
    sums = dict(
        reversed(line.split()) for line in (models_dir / "SHA256SUMS").read_text().splitlines()
    )
    for entry in catalog():
        if entry.kind != "hosted":
            assert entry.sha256 is None and entry.url is None
            continue
        assert entry.url and entry.url.startswith("https://")
        assert entry.filename
        if entry.filename in sums:
            assert entry.sha256 == sums[entry.filename]
            assert entry.size_bytes == (models_dir / entry.filename).stat().st_size
        else:
            # Never invent a checksum for a file we could not hash here.
            assert entry.sha256 is None and entry.size_bytes is None


def test_published_figures_are_copied_exactly(shared_dir: Path) -> None:
    table = _published(shared_dir)
    assert len(table) == 22 + 16
    for entry in catalog():
        if entry.kind != "generated" or entry.arch not in ("mobilenet_v1", "mobilenet_v2"):
            continue
        row = table.get((entry.arch, entry.alpha, entry.resolution))  # type: ignore[arg-type]
        if row is None:
            assert entry.published_macs_m is None
        else:
            # The architecture's published top-1, labelled as such, with its source.
            figures = (entry.published_macs_m, entry.published_params_m, entry.published_top1)
            assert figures == row
            assert "published, not measured" in entry.description
            assert entry.published_source and "tensorflow/models" in entry.published_source
    reference = get_entry("mobilenet_v2_1.0_224_quant")
    assert (
        reference.published_macs_m,
        reference.published_params_m,
        reference.published_top1,
    ) == table[("mobilenet_v2", 1.0, 224)]
    small = get_entry(SMALL)
    assert small.published_top1 == table[("mobilenet_v1", 0.25, 128)][2]


def test_generated_models_agree_with_published_tables(
    shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Count every generated configuration and compare with the published MACs and params."""
    from edgebench.agent.modeltools.generator.cache import cached_build

    cache = tmp_path_factory.mktemp("gen")
    off: dict[str, tuple[float, float]] = {}
    for (arch, alpha, res), (macs_m, params_m, _) in _published(shared_dir).items():
        report = inspect_model(cached_build(cache, arch, alpha, res, "int8", 0))
        counted = report.conv_fc_macs / 1e6
        if arch == "mobilenet_v2":
            # The V2 table truncates; it counts weights only.
            assert int(counted) == macs_m, (alpha, res, counted)
            assert round(report.weight_params / 1e6, 2) == params_m
        else:
            # The V1 table counts slim's variables: + 2 per folded batch-norm channel.
            bn_channels = report.bias_params - 1001
            assert round((report.params + 2 * bn_channels) / 1e6, 2) == params_m
            if round(counted) != macs_m:
                off[f"{alpha}_{res}"] = (round(counted, 1), macs_m)
        assert abs(report.params / 1e6 - params_m) / params_m <= 0.01
    # The V1 rows that the architecture does not reproduce (docs/models.md explains them).
    assert off == {
        "0.25_192": (30.2, 34),
        "0.5_224": (149.5, 150),
        "0.75_128": (106.8, 104),
        "0.75_160": (166.4, 162),
        "0.75_192": (239.3, 233),
        "0.75_224": (325.4, 317),
    }


def test_generated_equivalents() -> None:
    assert generated_equivalent(get_entry("mobilenet_v2_1.0_224_quant")) == (
        "gen-mobilenet_v2_1.0_224_uint8"
    )
    assert generated_equivalent(get_entry("tf2_mobilenet_v2_1.0_224_ptq")) == (
        "gen-mobilenet_v2_1.0_224_int8"
    )
    assert generated_equivalent(get_entry("efficientnet_lite0_int8")) is None


def test_base_url_env(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = get_entry(SMALL)
    assert (
        entry.download_url() == f"https://github.com/google-coral/test_data/raw/master/{SMALL_FILE}"
    )
    monkeypatch.setenv("EDGEBENCH_MODEL_BASE_URL", "http://mirror.local/models/")
    assert entry.download_url() == f"http://mirror.local/models/{SMALL_FILE}"
    assert entry.download_url("http://x/y.tflite") == "http://x/y.tflite"


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("EDGEBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EDGEBENCH_MODEL_BASE_URL", raising=False)
    return CliRunner()


def test_list_human(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["model", "list", "--kind", "hosted"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["name", "kind", "size"]
    row = next(line for line in lines if line.startswith("mobilenet_v2_1.0_224_quant "))
    assert row.split() == [
        "mobilenet_v2_1.0_224_quant",
        "hosted",
        "3.6",
        "MB",
        "300",
        "3.47",
        "71.8",
        "no",
    ]
    assert any(line.startswith("efficientnet_lite0_int8*") for line in lines)
    assert "--sha256 HEX" in result.output and "--no-verify" in result.output
    assert "gen-" not in result.output


def test_list_json_and_fetch(
    runner: CliRunner, model_server: ModelServer, models_dir: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["model", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert len(rows) == len(catalog())
    assert rows[SMALL]["cached"] == "no"
    assert rows["gen-mobilenet_v1_0.25_128_int8"]["kind"] == "generated"
    assert rows["mobilenet_v1_1.0_224_quant"]["sha256"] is None

    url = f"{model_server.base_url}/{SMALL_FILE}"
    result = runner.invoke(cli, ["model", "fetch", SMALL, "--url", url])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path == tmp_path / "cache" / "models" / SMALL_FILE
    assert path.read_bytes() == (models_dir / SMALL_FILE).read_bytes()

    result = runner.invoke(cli, ["model", "list", "--json", "--kind", "hosted"])
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows[SMALL]["cached"] == "yes" and rows[SMALL]["path"] == str(path)

    # An entry without a checksum: refused, then accepted unverified and listed as such.
    v1 = "mobilenet_v1_1.0_224_quant"
    result = runner.invoke(cli, ["model", "fetch", v1, "--url", url])
    assert result.exit_code == 2
    assert "--sha256 HEX" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(cli, ["model", "fetch", v1, "--url", url, "--no-verify"])
    assert result.exit_code == 0, result.output
    assert "unverified" in result.stderr
    result = runner.invoke(cli, ["model", "list", "--json", "--kind", "hosted"])
    assert {r["name"]: r for r in json.loads(result.output)}[v1]["cached"] == "unverified"


def test_fetch_errors(runner: CliRunner, model_server: ModelServer) -> None:
    result = runner.invoke(cli, ["model", "fetch", "no-such-model"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "edgebench: error: unknown model 'no-such-model': not a catalog name; "
        "see the names with edgebench model list"
    )
    result = runner.invoke(
        cli, ["model", "fetch", SMALL, "--url", f"{model_server.base_url}/corrupted.tflite"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("edgebench: error: checksum mismatch")
    assert len(result.stderr.strip().splitlines()) == 1


def test_fetch_generated_builds(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["model", "fetch", "gen-mobilenet_v1_0.25_128_uint8"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.is_relative_to(tmp_path / "cache") and path.read_bytes()[4:8] == b"TFL3"
    report = inspect_model(path)
    assert round(report.conv_fc_macs / 1e6) == 14
