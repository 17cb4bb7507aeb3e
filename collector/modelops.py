"""A model's op list (type, MACs, bytes of each op) from what the collector stores.

The latency prediction (``collector.prediction``) needs the structure of the model to
predict, not a run of it on the board asked about: the op list does not depend on the
board, so any stored per-op profile of the model (``op_profile`` of a run result, on any
device) gives it, and so does the static inspection of a model uploaded to the model
store (``modelstore.inspection_summary``), which knows a model that was never run.
``model_ops`` asks each source in ``SOURCES`` in turn: a profile first (it lists the ops
the profiler could time), then the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from edgebench.collector.models import Run
from edgebench.collector.modelstore import get_model
from edgebench.shared.latency_model import OpFeatures, profile_features
from edgebench.shared.op_profile import OpProfile
from edgebench.shared.storemodel import STORE_PREFIX

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PROFILE_HINT = "run it once with the agent's --profile-ops"
STORE_HINT = "upload it to the model store, or run it once with the agent's --profile-ops"


@dataclass(frozen=True)
class ModelOps:
    """The ops of one model and where they were read."""

    name: str | None
    sha256: str | None
    ops: list[OpFeatures]
    # Where the op list comes from: {"kind": "profile", "run_id": ..., "device_id": ...}.
    source: dict[str, Any]
    # Ops the source lacks (a profile skips ops it cannot run alone: "index op: reason").
    skipped: list[str] = field(default_factory=list)


def has_profile() -> sa.ColumnElement[bool]:
    """Return the SQL condition that a run's result carries a per-op profile (SQLite and PG)."""
    # The whole model's p50 is in every profile; a JSON null or a missing key reads as NULL.
    return Run.result["op_profile"]["whole_p50_ms"].as_float().is_not(None)


def decode_profile(document: dict[str, Any]) -> OpProfile:
    """Return a stored ``op_profile`` document as the shared struct the cost model reads."""
    return msgspec.convert(document, OpProfile)


def from_profiles(session: Session, model: str) -> ModelOps | None:
    """Return the op list of the newest stored profile of ``model`` (by sha256, else name)."""
    base = sa.select(
        Run.run_id,
        Run.device_id,
        Run.model_name,
        Run.model_sha256,
        Run.result["op_profile"].label("profile"),
    ).where(has_profile())
    newest = (Run.started_at.desc(), Run.run_id.desc())
    for match in (Run.model_sha256 == model.lower(), Run.model_name == model):
        row = session.execute(base.where(match).order_by(*newest).limit(1)).first()
        if row is not None:
            profile = decode_profile(row.profile)
            return ModelOps(
                name=row.model_name,
                sha256=row.model_sha256 or profile.model_sha256,
                ops=[features for features, _ in profile_features(profile)],
                source={"kind": "profile", "run_id": row.run_id, "device_id": row.device_id},
                skipped=list(profile.skipped),
            )
    return None


def from_store(session: Session, model: str) -> ModelOps | None:
    """Return the op list of the stored model ``model`` (sha256, or ``sha256:<hex>``)."""
    stored = get_model(session, model.lower().removeprefix(STORE_PREFIX))
    if stored is None or "ops" not in stored.inspection:
        return None
    return ModelOps(
        name=stored.name,
        sha256=stored.sha256,
        ops=[OpFeatures(o["op"], o["macs"], o["io_bytes"]) for o in stored.inspection["ops"]],
        source={"kind": "store", "sha256": stored.sha256},
    )


# Tried in order; the first that knows the model answers.
SOURCES: tuple[Callable[[Session, str], ModelOps | None], ...] = (from_profiles, from_store)


def model_ops(session: Session, model: str) -> ModelOps | None:
    """Return the op list of ``model`` (a sha256 or a model name), or None when unknown."""
    for source in SOURCES:
        found = source(session, model)
        if found is not None and found.ops:
            return found
    return None
