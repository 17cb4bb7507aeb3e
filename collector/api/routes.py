"""API views: thin wrappers over ``collector.queries`` returning JSON."""

from __future__ import annotations

from typing import Any

from flask import abort, request

from edgebench.collector import queries
from edgebench.collector.api import bp
from edgebench.collector.api.serialize import device_dict, rejected_dict, run_dict, sample_dict
from edgebench.collector.db import get_session


def _int_arg(name: str, default: int) -> int:
    """Read an integer query parameter or answer 400."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        abort(400, f"query parameter {name!r} must be an integer")


@bp.get("/devices")
def devices() -> dict[str, Any]:
    """List devices with their facts summary and online state."""
    rows = queries.list_devices(get_session())
    return {"items": [device_dict(d) for d in rows]}


@bp.get("/devices/<device_id>")
def device(device_id: str) -> dict[str, Any]:
    """One device with its full facts and recent runs."""
    session = get_session()
    row = queries.get_device(session, device_id)
    if row is None:
        abort(404, f"no device {device_id!r}")
    runs = queries.list_runs(session, device_id=device_id, limit=20)
    return device_dict(row, facts=True) | {"runs": [run_dict(r) for r in runs]}


@bp.get("/runs")
def runs() -> dict[str, Any]:
    """List runs, newest first; filters: device, model (name or sha256), verdict."""
    limit = _int_arg("limit", 100)
    offset = _int_arg("offset", 0)
    rows = queries.list_runs(
        get_session(),
        device_id=request.args.get("device"),
        model=request.args.get("model"),
        verdict=request.args.get("verdict"),
        limit=limit,
        offset=offset,
    )
    return {"items": [run_dict(r) for r in rows], "limit": limit, "offset": offset}


@bp.get("/runs/<run_id>")
def run(run_id: str) -> dict[str, Any]:
    """One run: summary columns plus the full result document."""
    row = queries.get_run(get_session(), run_id)
    if row is None:
        abort(404, f"no run {run_id!r}")
    return run_dict(row, result=True)


@bp.get("/runs/<run_id>/samples")
def run_samples(run_id: str) -> dict[str, Any]:
    """Return a run's telemetry samples in time order."""
    session = get_session()
    if queries.get_run(session, run_id) is None:
        abort(404, f"no run {run_id!r}")
    rows = queries.run_samples(session, run_id)
    return {"run_id": run_id, "items": [sample_dict(s) for s in rows]}


@bp.get("/rejected")
def rejected() -> dict[str, Any]:
    """Recently rejected messages with their reasons and counts."""
    session = get_session()
    rows = queries.list_rejected(session, limit=_int_arg("limit", 100))
    return {"total": queries.rejected_total(session), "items": [rejected_dict(r) for r in rows]}
