"""Predict a model's p50 on a device from the per-op profiles stored for that device.

The collector's side of ``edgebench model predict``: the same cost model
(``shared.latency_model``: per op type, p50 = a + b·MACs + c·bytes, scaled by the
profiles' whole/sum ratio) fitted on the ``op_profile`` of the device's stored runs with
one backend, thread count and XNNPACK setting, and summed over the model's ops, which
come from any stored profile of the model (``modelops``). ``/api/predict`` answers with
``predict``; the compare page's predicted columns come from ``predicted_columns``.
Method and accuracy: ``docs/profiling.md``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector import queries
from edgebench.collector.modelops import (
    PROFILE_HINT,
    STORE_HINT,
    ModelOps,
    decode_profile,
    model_ops,
)
from edgebench.collector.modelops import has_profile as profiled
from edgebench.collector.models import Device, Run
from edgebench.shared.latency_model import CostModel, fit
from edgebench.shared.latency_model import predict as predict_ops

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from edgebench.shared.op_profile import OpProfile

# The newest profiles of one setting a fit uses: enough for every op type many times
# over, and a bound on what one request reads.
MAX_PROFILES = 100
# Devices the compare page predicts for at most (one fit each).
MAX_PREDICTED_DEVICES = 20


class Missing(LookupError):
    """Something the prediction needs is not stored (unknown device, model or profiles)."""


class Unpredictable(ValueError):
    """The profiles cannot predict this model (its op types were never profiled there)."""


@dataclass(frozen=True)
class Setting:
    """The interpreter setting a fit is made for: profiles of other settings are not mixed."""

    backend: str | None
    threads: int | None
    xnnpack: bool | None

    def describe(self) -> str:
        """One-line description: ``litert, 1 thread(s), XNNPACK on``."""
        xnn = {True: "on", False: "off", None: "?"}[self.xnnpack]
        return f"{self.backend or '?'}, {self.threads or '?'} thread(s), XNNPACK {xnn}"


def settings(session: Session, device_id: str) -> Counter[Setting]:
    """Return how many profiled runs the device has of each setting."""
    stmt = (
        sa.select(Run.backend, Run.threads, Run.xnnpack, sa.func.count())
        .where(Run.device_id == device_id, profiled())
        .group_by(Run.backend, Run.threads, Run.xnnpack)
    )
    return Counter({Setting(b, t, x): n for b, t, x, n in session.execute(stmt)})


def choose_setting(
    counts: Counter[Setting], device_id: str, threads: int | None, backend: str | None
) -> Setting:
    """Pick the asked threads/backend (each defaulting to the most common) or say what exists."""
    if not counts:
        raise Missing(f"device {device_id!r} has no per-op profiles: {PROFILE_HINT}")
    fitting = Counter(
        {
            s: n
            for s, n in counts.items()
            if (threads is None or s.threads == threads)
            and (backend is None or s.backend == backend)
        }
    )
    if not fitting:
        have = "; ".join(sorted(s.describe() for s in counts))
        asked = ", ".join(
            part
            for part in (backend and f"backend {backend}", threads and f"{threads} thread(s)")
            if part
        )
        raise Missing(f"device {device_id!r} has no per-op profiles at {asked} (it has: {have})")
    # Most profiles first; ties go to fewer threads, the backend's name, XNNPACK on (stable).
    return min(fitting, key=lambda s: (-fitting[s], s.threads or 0, s.backend or "", not s.xnnpack))


def device_profiles(
    session: Session, device_id: str, setting: Setting
) -> list[tuple[str, OpProfile]]:
    """Return ``(run_id, OpProfile)`` of the device's newest profiled runs of ``setting``."""
    stmt = (
        sa.select(Run.run_id, Run.result["op_profile"].label("profile"))
        .where(
            Run.device_id == device_id,
            profiled(),
            Run.backend.is_(None) if setting.backend is None else Run.backend == setting.backend,
            Run.threads.is_(None) if setting.threads is None else Run.threads == setting.threads,
            Run.xnnpack.is_(None) if setting.xnnpack is None else Run.xnnpack == setting.xnnpack,
        )
        .order_by(Run.started_at.desc(), Run.run_id.desc())
        .limit(MAX_PROFILES)
    )
    return [(row.run_id, decode_profile(row.profile)) for row in session.execute(stmt)]


def estimate(
    profiles: list[tuple[str, OpProfile]], ops: ModelOps, device_id: str, setting: Setting
) -> dict[str, Any]:
    """Fit the cost model on ``profiles`` and predict the model's p50, as ``model predict``."""
    cost: CostModel = fit([p for _, p in profiles])
    result = predict_ops(cost, ops.ops)
    if result.unseen_types:
        raise Unpredictable(
            f"the profiles of device {device_id!r} ({setting.describe()}) have no"
            f" {', '.join(result.unseen_types)} op: cannot predict {ops.name or ops.sha256}"
        )
    notes = []
    if ops.skipped:
        notes.append(
            f"the model's op list (run {ops.source.get('run_id')}) lacks {len(ops.skipped)}"
            " op(s) its profile skipped: " + "; ".join(ops.skipped)
        )
    return {
        "prediction": True,
        "model": ops.name,
        "sha256": ops.sha256,
        "device_id": device_id,
        "predicted_p50_ms": result.p50_ms,
        "sum_ops_ms": result.sum_ops_ms,
        "whole_over_sum": cost.whole_over_sum,
        "by_type_ms": result.by_type_ms,
        "per_op_ms": result.per_op_ms,
        "profiles": [run_id for run_id, _ in profiles],
        "profile_count": len(profiles),
        "backend": setting.backend,
        "threads": setting.threads,
        "xnnpack": setting.xnnpack,
        "op_source": ops.source,
        "notes": notes,
    }


def predict(
    session: Session,
    model: str,
    device_id: str,
    threads: int | None = None,
    backend: str | None = None,
) -> dict[str, Any]:
    """Predict ``model``'s p50 on ``device_id``; Missing or Unpredictable say why not."""
    if queries.get_device(session, device_id) is None:
        raise Missing(f"no device {device_id!r}")
    setting = choose_setting(settings(session, device_id), device_id, threads, backend)
    ops = model_ops(session, model)
    if ops is None:
        raise Missing(f"no stored op list of model {model!r}: {STORE_HINT} on any device")
    return estimate(device_profiles(session, device_id, setting), ops, device_id, setting)


def unavailable(reason: str) -> dict[str, Any]:
    """Return the ``predictions`` entry of a comparison that has no predicted columns."""
    return {"available": False, "reason": reason, "columns": [], "skipped": []}


def _model_of(session: Session, run_ids: list[str]) -> tuple[str | None, str | None]:
    """Return the (sha256, name) all these runs share, or (None, None) when they differ."""
    stmt = sa.select(Run.model_sha256, Run.model_name).where(Run.run_id.in_(run_ids))
    models = {(sha, name) for sha, name in session.execute(stmt)}
    shas = {sha for sha, _ in models}
    names = {name for _, name in models}
    if len(shas) == 1 and None not in shas:
        return shas.pop(), sorted(n for n in names if n)[0] if any(names) else None
    if len(names) == 1 and None not in names:
        return None, names.pop()
    return None, None


def _candidates(
    session: Session, setting: Setting, sha256: str | None, name: str | None
) -> list[tuple[str, str | None]]:
    """Return (device, board) of devices with profiles of ``setting`` and no run of the model."""
    ran = sa.select(Run.device_id).where(
        Run.model_sha256 == sha256 if sha256 else Run.model_name == name
    )
    stmt = (
        sa.select(Run.device_id, Device.board)
        .join(Device, Device.device_id == Run.device_id)
        .where(
            profiled(),
            Run.backend == setting.backend,
            Run.threads == setting.threads,
            Run.device_id.not_in(ran),
        )
        .distinct()
        .order_by(Run.device_id)
        .limit(MAX_PREDICTED_DEVICES)
    )
    return [(row.device_id, row.board) for row in session.execute(stmt)]


def predicted_columns(session: Session, table: dict[str, Any]) -> dict[str, Any]:
    """Predicted p50 columns of a runs comparison: devices with profiles but no run of its model.

    Each column is made at the baseline run's backend, threads and XNNPACK setting, and
    carries ``predicted: true``; devices whose profiles cannot predict it are listed
    in ``skipped`` with the reason.
    """
    columns = table["columns"]
    base = next(c for c in columns if c["id"] == table["baseline"])
    sha256, name = _model_of(session, [c["id"] for c in columns])
    if sha256 is None and name is None:
        return unavailable("predicted columns need runs of one model")
    ops = model_ops(session, sha256 or name)
    if ops is None:
        return unavailable(f"no stored op list of {name or sha256}: {PROFILE_HINT}")
    # Only the setting's columns: the row's result document (every latency) is not needed.
    stmt = sa.select(Run.backend, Run.threads, Run.xnnpack).where(Run.run_id == base["id"])
    setting = Setting(*session.execute(stmt).one())
    base_p50 = base["values"]["latency_p50_ms"]
    out: list[dict[str, Any]] = []
    skipped = []
    for device_id, board in _candidates(session, setting, sha256, name):
        profiles = device_profiles(session, device_id, setting)
        if not profiles:  # profiles at these threads, but another XNNPACK setting
            skipped.append(f"{device_id}: no per-op profiles at {setting.describe()}")
            continue
        try:
            guess = estimate(profiles, ops, device_id, setting)
        except Unpredictable as exc:
            skipped.append(f"{device_id}: {exc}")
            continue
        p50 = guess["predicted_p50_ms"]
        out.append(
            {
                "id": f"predicted:{device_id}",
                "label": f"{device_id} · {name or '?'} · {setting.threads}t",
                "predicted": True,
                "device_id": device_id,
                "board": board,
                "threads": setting.threads,
                "latency_p50_ms": p50,
                "ratio": p50 / base_p50 if base_p50 else None,
                "profiles": guess["profiles"],
                "profile_count": guess["profile_count"],
            }
        )
    return {
        "available": True,
        "reason": None if out else "no other device has per-op profiles at this setting",
        "model": name,
        "sha256": sha256,
        "setting": setting.describe(),
        "columns": out,
        "skipped": skipped,
    }
