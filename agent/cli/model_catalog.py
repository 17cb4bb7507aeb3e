"""``edgebench model list`` and ``edgebench model fetch``: the catalog of named workloads."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from edgebench.agent.modeltools.catalog import CatalogEntry, cached_path, catalog, get_entry


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
@click.option(
    "--kind",
    type=click.Choice(["all", "hosted", "generated"]),
    default="all",
    show_default=True,
    help="Which entries to show.",
)
@click.option(
    "--count",
    is_flag=True,
    help="Also count MACs/params of each available model (builds generated ones, no download).",
)
@click.pass_context
def list_models(ctx: click.Context, as_json: bool, kind: str, count: bool) -> None:
    """List the catalog: hosted (downloaded) and generated (built offline) models."""
    from edgebench.agent.config import load_agent_config

    config = load_agent_config((ctx.obj or {}).get("config_file"))
    rows = [
        _row(entry, config.cache_dir, count) for entry in catalog() if kind in ("all", entry.kind)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(_table(rows, count))
    if any(r["kind"] == "hosted" and r["sha256"] is None for r in rows):
        click.echo(
            "\n* no verified sha256 in the catalog: edgebench model fetch needs --sha256 HEX "
            "(from a source you trust) or --no-verify for these."
        )
    click.echo(
        "Published MACs/params/top-1: papers and READMEs (each row's source is in --json). "
        "Generated models have random weights: their top-1 is the architecture's, published, "
        "not measured. Use a name wherever a model is expected."
    )


@click.command()
@click.argument("name")
@click.option("--url", help="Download from this URL instead (a mirror).")
@click.option("--sha256", "sha256", metavar="HEX", help="Expected sha256 of the file.")
@click.option(
    "--no-verify",
    is_flag=True,
    help="Accept a file without a known checksum; it is marked unverified.",
)
@click.pass_context
def fetch(
    ctx: click.Context, name: str, url: str | None, sha256: str | None, no_verify: bool
) -> None:
    """Download catalog model NAME into the cache, verify it, and print its path."""
    from edgebench.agent.config import load_agent_config
    from edgebench.agent.modeltools.fetch import fetch_model
    from edgebench.agent.modeltools.resolve import resolve_model

    config = load_agent_config((ctx.obj or {}).get("config_file"))
    entry = get_entry(name)
    if entry.kind == "generated":
        # Nothing to download: build it (or reuse the cached build).
        click.echo(resolve_model(name, config).path)
        return
    path = fetch_model(
        entry,
        config.cache_dir,
        url=url,
        sha256=sha256,
        verify=not no_verify,
        progress=_progress(name) if sys.stderr.isatty() else None,
    )
    if sys.stderr.isatty():
        click.echo("", err=True)
    if no_verify and sha256 is None and entry.sha256 is None:
        click.echo(f"edgebench: warning: {path.name} is unverified (no checksum)", err=True)
    click.echo(path)


def _progress(name: str) -> Any:
    """Return a progress callback that redraws one line on a terminal."""

    def show(done: int, total: int | None) -> None:
        size = f"{done / 1e6:.1f}" + (f"/{total / 1e6:.1f} MB" if total else " MB")
        click.echo(f"\rfetching {name}: {size}", err=True, nl=False)

    return show


def _row(entry: CatalogEntry, cache_dir: Path, count: bool) -> dict[str, Any]:
    """One catalog entry as a plain dict, with its cache state and optional counts."""
    from edgebench.agent.modeltools.fetch import is_unverified

    counts = _counts(entry, cache_dir, _local_path(entry, cache_dir)) if count else {}
    path = _local_path(entry, cache_dir)
    state = "no"
    if path is not None:
        state = "unverified" if entry.kind == "hosted" and is_unverified(path) else "yes"
    row: dict[str, Any] = {
        "name": entry.name,
        "kind": entry.kind,
        "description": entry.description,
        "size_bytes": path.stat().st_size if path is not None else entry.size_bytes,
        "url": entry.url,
        "sha256": entry.sha256,
        "published_macs_m": entry.published_macs_m,
        "published_params_m": entry.published_params_m,
        "published_top1": entry.published_top1,
        "published_source": entry.published_source,
        "cached": state,
        "path": str(path) if path is not None else None,
    }
    row.update(counts)
    return row


def _local_path(entry: CatalogEntry, cache_dir: Path) -> Path | None:
    """Return the model's file in the cache, if it is there."""
    if entry.kind == "hosted":
        return cached_path(entry, cache_dir)
    from edgebench.agent.modeltools.generator.build import model_config

    assert entry.arch and entry.alpha and entry.resolution and entry.quant
    config = model_config(entry.arch, entry.alpha, entry.resolution, entry.quant, 0)
    path = cache_dir / "generated" / config.file_name
    return path if path.is_file() else None


def _counts(entry: CatalogEntry, cache_dir: Path, path: Path | None) -> dict[str, Any]:
    """Count MACs and params: build a generated model, never download a hosted one."""
    from edgebench.agent.modeltools.modelfile import inspect_model

    if entry.kind == "generated":
        from edgebench.agent.modeltools.generator.cache import cached_build

        assert entry.arch and entry.alpha and entry.resolution and entry.quant
        path = cached_build(cache_dir, entry.arch, entry.alpha, entry.resolution, entry.quant, 0)
    if path is None:
        return {"counted_macs_m": None, "counted_params_m": None, "counted_weights_m": None}
    report = inspect_model(path)
    return {
        "counted_macs_m": round(report.conv_fc_macs / 1e6, 3),
        "counted_params_m": round(report.params / 1e6, 4),
        "counted_weights_m": round(report.weight_params / 1e6, 4),
    }


def _table(rows: list[dict[str, Any]], count: bool) -> str:
    """Render catalog rows as an aligned text table."""

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    header = ["name", "kind", "size", "MACs M", "params M", "top-1", "cached"]
    if count:
        header[5:5] = ["counted MACs M", "counted params M"]
    table = [header]
    for r in rows:
        name = r["name"] + ("*" if r["kind"] == "hosted" and r["sha256"] is None else "")
        size = "-" if r["size_bytes"] is None else f"{r['size_bytes'] / 1e6:.1f} MB"
        line = [
            name,
            r["kind"],
            size,
            num(r["published_macs_m"], "g"),
            num(r["published_params_m"], "g"),
            num(r["published_top1"], ".1f"),
            r["cached"],
        ]
        if count:
            line[5:5] = [num(r["counted_macs_m"], ".2f"), num(r["counted_params_m"], ".3f")]
        table.append(line)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    )
