"""Read queries behind the dashboard: the fleet, filtered run lists, facets and trends.

Every function takes a session first and returns plain dicts, so the pages, the JSON API
and the CSV export share one implementation. List queries select summary columns only,
never ``runs.result``: that JSON document is large (latencies and samples) and loading it
for a list would cost more than the rest of the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector.models import CampaignJob, Device, Run
from edgebench.collector.serialize import DEVICE_FIELDS, RUN_FIELDS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edgebench.collector.runfilter import RunFilter

# What the fleet table shows about each device's most recent run.
LAST_RESULT_FIELDS = (
    "run_id",
    "started_at",
    "status",
    "model_name",
    "threads",
    "verdict",
    "latency_p50_ms",
    "throughput_ips",
    "mj_per_inference",
)
DEVICE_SORTS = ("device_id", "board", "cpu_model", "os_release", "status", "last_seen")
_RUN_COLUMNS = [Run.__table__.c[name] for name in RUN_FIELDS]


def run_summary(row: Any) -> dict[str, Any]:
    """Return a run row (selected with :data:`RUN_FIELDS` columns) as the API's run dict."""
    out = dict(row._mapping)
    out["has_result"] = out.pop("has_result", None)
    return out


def fleet(
    session: Session,
    *,
    status: str | None = None,
    board: str | None = None,
    q: str | None = None,
    sort: str = "device_id",
    order: str = "asc",
    device_ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Return every device (filtered) with its online state and most recent run."""
    stmt = sa.select(*[Device.__table__.c[name] for name in DEVICE_FIELDS], Device.facts)
    if device_ids is not None:
        stmt = stmt.where(Device.device_id.in_(device_ids))
    if status == "online":
        stmt = stmt.where(Device.status == "online")
    elif status == "offline":
        stmt = stmt.where(sa.or_(Device.status.is_(None), Device.status != "online"))
    if board:
        stmt = stmt.where(Device.board == board)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            sa.or_(Device.device_id.like(like), Device.hostname.like(like), Device.board.like(like))
        )
    column = Device.__table__.c[sort if sort in DEVICE_SORTS else "device_id"]
    stmt = stmt.order_by(column.desc() if order == "desc" else column.asc(), Device.device_id)
    devices = []
    for row in session.execute(stmt):
        item = dict(row._mapping)
        facts = item.pop("facts") or {}
        item["online"] = item["status"] == "online"
        item["runtimes"] = facts.get("runtimes") if isinstance(facts, dict) else None
        item["last_result"] = None
        devices.append(item)
    last = last_runs(session, [d["device_id"] for d in devices])
    for item in devices:
        item["last_result"] = last.get(item["device_id"])
    return devices


def last_runs(session: Session, device_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return ``device_id -> summary of its most recently started run``.

    ``max(started_at) GROUP BY device_id`` is answered from the (device_id, started_at)
    index alone; the join then reads one row per device.
    """
    if not device_ids:
        return {}
    latest_q = sa.select(Run.device_id, sa.func.max(Run.started_at).label("started_at"))
    if len(device_ids) <= 500:
        latest_q = latest_q.where(Run.device_id.in_(device_ids))
    latest = latest_q.group_by(Run.device_id).subquery()
    cols = [Run.__table__.c[name] for name in LAST_RESULT_FIELDS]
    stmt = sa.select(Run.device_id, *cols[1:], cols[0]).join(
        latest,
        sa.and_(Run.device_id == latest.c.device_id, Run.started_at == latest.c.started_at),
    )
    wanted = set(device_ids)
    out: dict[str, dict[str, Any]] = {}
    for row in session.execute(stmt):
        item = dict(row._mapping)
        device_id = item.pop("device_id")
        if device_id in wanted and device_id not in out:
            out[device_id] = item
    return out


def _filtered(stmt: Any, flt: RunFilter) -> Any:
    """Apply a RunFilter's conditions (not order or paging) to a select over runs."""
    if flt.device:
        stmt = stmt.where(Run.device_id == flt.device)
    if flt.board:
        boards = sa.select(Device.device_id).where(Device.board == flt.board)
        stmt = stmt.where(Run.device_id.in_(boards))
    if flt.model:
        stmt = stmt.where(sa.or_(Run.model_name == flt.model, Run.model_sha256 == flt.model))
    if flt.backend:
        stmt = stmt.where(Run.backend == flt.backend)
    if flt.threads is not None:
        stmt = stmt.where(Run.threads == flt.threads)
    if flt.verdict:
        stmt = stmt.where(Run.verdict == flt.verdict)
    if flt.status:
        stmt = stmt.where(Run.status == flt.status)
    if flt.sweep:
        stmt = stmt.where(Run.sweep_id == flt.sweep)
    if flt.campaign is not None:
        jobs = sa.select(CampaignJob.run_id).where(
            CampaignJob.campaign_id == flt.campaign, CampaignJob.run_id.is_not(None)
        )
        stmt = stmt.where(Run.run_id.in_(jobs))
    if flt.since is not None:
        stmt = stmt.where(Run.started_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(Run.started_at <= flt.until)
    return stmt


def run_columns() -> list[Any]:
    """Columns of a run summary, plus ``has_result`` (computed without loading the JSON)."""
    # The JSON column's length check is answered from the record header, not the document.
    has_result = Run.__table__.c.result.isnot(None).label("has_result")
    return [*_RUN_COLUMNS, has_result]


def list_runs(session: Session, flt: RunFilter) -> list[dict[str, Any]]:
    """Return one page of runs matching ``flt``, in its order."""
    column = Run.__table__.c[flt.sort]
    primary = column.desc() if flt.order == "desc" else column.asc()
    tie = Run.run_id.desc() if flt.order == "desc" else Run.run_id.asc()
    # The started_at index serves the default order directly (SQLite puts NULLs last in a
    # descending order); other columns put runs without a value last in either direction.
    order = [primary, tie] if flt.sort == "started_at" else [column.is_(None), primary, tie]
    stmt = (
        _filtered(sa.select(*run_columns()), flt)
        .order_by(*order)
        .limit(flt.limit)
        .offset(flt.offset)
    )
    return [run_summary(row) for row in session.execute(stmt)]


def count_runs(session: Session, flt: RunFilter) -> int:
    """Return how many runs match ``flt`` (ignoring its paging)."""
    stmt = _filtered(sa.select(sa.func.count()).select_from(Run), flt)
    return int(session.execute(stmt).scalar_one())


def runs_by_id(session: Session, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return ``run_id -> summary`` for the given runs (missing ids are left out)."""
    if not run_ids:
        return {}
    stmt = sa.select(*run_columns()).where(Run.run_id.in_(run_ids))
    return {row.run_id: run_summary(row) for row in session.execute(stmt)}


def facets(session: Session) -> dict[str, list[Any]]:
    """Return the distinct values the run filters offer (boards, models, backends, threads)."""

    def distinct(column: Any) -> list[Any]:
        stmt = sa.select(column).where(column.isnot(None)).distinct().order_by(column)
        return list(session.scalars(stmt.limit(500)))

    return {
        "devices": distinct(Device.device_id),
        "boards": distinct(Device.board),
        "models": distinct(Run.model_name),
        "backends": distinct(Run.backend),
        "threads": distinct(Run.threads),
    }


def device_trends(session: Session, device_id: str, limit: int = 500) -> dict[str, list[dict]]:
    """Return ``model_name -> [run points in time order]`` for one device's finished runs.

    Each point holds the run id, start time, threads, backend, p50 latency and mJ per
    inference: what the device page plots per model.
    """
    stmt = (
        sa.select(
            Run.run_id,
            Run.started_at,
            Run.model_name,
            Run.threads,
            Run.backend,
            Run.latency_p50_ms,
            Run.mj_per_inference,
            Run.energy_measured,
            Run.verdict,
        )
        .where(Run.device_id == device_id, Run.started_at.isnot(None))
        .where(Run.latency_p50_ms.isnot(None))
        .order_by(Run.started_at.desc())
        .limit(limit)
    )
    trends: dict[str, list[dict[str, Any]]] = {}
    for row in reversed(session.execute(stmt).all()):
        item = dict(row._mapping)
        trends.setdefault(item.pop("model_name") or "?", []).append(item)
    return trends


def fleet_counts(session: Session) -> dict[str, int]:
    """Return totals for the fleet header: devices, devices online, runs."""
    devices = session.execute(sa.select(sa.func.count()).select_from(Device)).scalar_one()
    online = session.execute(
        sa.select(sa.func.count()).select_from(Device).where(Device.status == "online")
    ).scalar_one()
    runs = session.execute(sa.select(sa.func.count()).select_from(Run)).scalar_one()
    return {"devices": int(devices), "online": int(online), "runs": int(runs)}


def run_exists(session: Session, run_id: str) -> bool:
    """Return whether a run exists (without loading its result document)."""
    return session.execute(sa.select(Run.run_id).where(Run.run_id == run_id)).first() is not None
