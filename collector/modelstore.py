"""The model store: uploaded ``.tflite`` files, content-addressed by sha256, with inspections.

An upload is checked with the same inspector as ``edgebench model inspect``
(``shared.tflite.modelbytes.inspect_bytes``): anything that is not a loadable TFLite
flatbuffer is refused with the inspector's reason. The bytes go to
``<model_dir>/<sha256>.tflite`` (written to a temporary file in the same folder, synced,
then renamed, so a reader never sees half a model) and a ``stored_models`` row keeps the
inspection. The same bytes uploaded twice, even at once, are one model: the later upload
finds the row. Boards download the file by its sha256 and verify it (docs/security.md).

Storage layer: functions take a session first and leave the commit to the caller, so a
change and its audit event commit together; a file is removed only after its row's
deletion has committed.
"""

from __future__ import annotations

import os
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa

from edgebench.collector.db import insert_or_ignore
from edgebench.collector.models import Campaign, StoredModel
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.storemodel import is_sha256, store_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from edgebench.shared.tflite.inspect import ModelReport

MIB = 1024 * 1024
# Room for the multipart envelope (boundaries, headers, the name field) around the file.
UPLOAD_SLACK_BYTES = 64 * 1024
CHUNK_BYTES = MIB
MAX_NAME = 255
UPLOAD_ADVICE = "upload a .tflite model (a TFLite flatbuffer)"
# Left out of a ModelReport's dict: the path, what the row has, the full per-op table.
_NOT_KEPT = ("path", "sha256", "size_bytes", "ops")


class ModelRejected(EdgebenchError):
    """An upload that is not a loadable TFLite model (answered with 400 and the reason)."""


class ModelTooLarge(EdgebenchError):
    """An upload over ``collector.max_model_mb`` (answered with 413)."""


def limit_bytes(max_model_mb: float) -> int:
    """Return the upload limit in bytes for ``collector.max_model_mb``."""
    return int(max_model_mb * MIB)


def too_large_message(max_model_mb: float) -> str:
    """Return the one line that refuses an oversized upload."""
    return f"the model is larger than the limit of {max_model_mb:g} MB (collector.max_model_mb)"


def read_limited(stream: BinaryIO, max_model_mb: float) -> bytes:
    """Read an upload in chunks; raise ModelTooLarge as soon as it passes the limit."""
    limit = limit_bytes(max_model_mb)
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            raise ModelTooLarge(too_large_message(max_model_mb))
        chunks.append(chunk)
    return b"".join(chunks)


def clean_name(name: str | None, fallback: str) -> str:
    """Return an upload's name as stored: control characters dropped, trimmed, cut to 255.

    The name is shown (escaped) and never used as a path; ``fallback`` replaces an
    empty one.
    """
    text = "".join(c for c in name or "" if unicodedata.category(c)[0] != "C").strip()
    return text[:MAX_NAME] or fallback


def model_path(folder: Path, sha256: str) -> Path:
    """Return where the store keeps the model ``sha256`` (checked: never a path from input)."""
    if not is_sha256(sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return folder / f"{sha256}.tflite"


def inspection_summary(report: ModelReport) -> dict[str, Any]:
    """Return what the store keeps of a report: ops histogram, inputs, MACs, parameters.

    Plus the main graph's op list (type, MACs, bytes): what the latency prediction
    needs to predict the model on a board that never ran it (``collector/modelops.py``).
    """
    summary = {k: v for k, v in report.to_dict().items() if k not in _NOT_KEPT}
    summary["ops"] = [
        {"index": row.index, "op": row.op, "macs": row.macs, "io_bytes": row.io_bytes}
        for row in report.ops
        if row.subgraph == 0
    ]
    return summary


def add_model(
    session: Session, folder: Path, data: bytes, name: str | None, uploaded_by: str
) -> tuple[StoredModel, bool]:
    """Inspect and store ``data``; return the model and whether it is new (written).

    Raises ModelRejected with the inspector's reason for anything that is not a
    loadable TFLite flatbuffer.
    """
    from edgebench.shared.tflite.modelbytes import inspect_bytes

    shown = clean_name(name, "upload")
    try:
        report = inspect_bytes(data, shown, UPLOAD_ADVICE)
    except EdgebenchError as exc:
        raise ModelRejected(str(exc)) from None
    existing = session.get(StoredModel, report.sha256)
    path = model_path(folder, report.sha256)
    if existing is not None and path.is_file():
        return existing, False
    write_atomic(path, data)  # also restores the file of a row whose file went missing
    if existing is not None:
        return existing, False
    row = {
        "sha256": report.sha256,
        "name": clean_name(name, report.sha256[:12]),
        "size_bytes": len(data),
        "inspection": inspection_summary(report),
        "uploaded_by": uploaded_by[:160],
        "uploaded_at": time.time(),
    }
    # Insert-or-ignore: of concurrent uploads of the same bytes, one inserts the row and
    # the others find it committed (PostgreSQL makes them wait for that commit; SQLite
    # has one writer at a time), so they answer as a duplicate instead of failing.
    insert = insert_or_ignore(session.get_bind())
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
    statement = insert(StoredModel.__table__).values(row).returning(StoredModel.sha256)
    created = session.execute(statement).first() is not None
    model = session.get(StoredModel, report.sha256, populate_existing=True)
    if model is None:  # inserted by another upload, deleted again before this read
        raise EdgebenchError(f"model {report.sha256} was deleted while it was uploaded; retry")
    return model, created


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and a rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise EdgebenchError(
            f"cannot store the model in {path.parent} ({exc.strerror or exc});"
            " check its permissions or set collector.model_dir"
        ) from None


def get_model(session: Session, sha256: str) -> StoredModel | None:
    """Return the stored model ``sha256``, or None."""
    return session.get(StoredModel, sha256) if is_sha256(sha256) else None


def list_models(session: Session) -> Sequence[StoredModel]:
    """Return every stored model, newest upload first."""
    return session.scalars(sa.select(StoredModel).order_by(StoredModel.uploaded_at.desc())).all()


def model_in_use(session: Session, sha256: str) -> bool:
    """Return whether a scheduled or running campaign names the model ``sha256``.

    Finished and cancelled campaigns keep their runs (which carry the model's hash), so
    they do not hold the file; a daily campaign's next repetition is a scheduled campaign,
    so it does.
    """
    name = store_name(sha256)
    specs = session.scalars(
        sa.select(Campaign.spec).where(Campaign.state.in_(("scheduled", "running")))
    )
    return any(name in (spec.get("models") or []) for spec in specs)


def delete_model(session: Session, sha256: str) -> StoredModel | None:
    """Delete the model's row (caller commits, then calls :func:`remove_file`); None if none."""
    model = get_model(session, sha256)
    if model is not None:
        session.delete(model)
    return model


def remove_file(folder: Path, sha256: str) -> None:
    """Remove a deleted model's file (after the row's deletion has committed)."""
    model_path(folder, sha256).unlink(missing_ok=True)


def model_dict(model: StoredModel) -> dict[str, Any]:
    """Return a stored model as the JSON API and the models page show it."""
    return {
        "sha256": model.sha256,
        "name": model.name,
        "kind": "uploaded",
        "model": store_name(model.sha256),
        "size_bytes": model.size_bytes,
        "uploaded_by": model.uploaded_by,
        "uploaded_at": model.uploaded_at,
        "inspection": model.inspection,
    }
