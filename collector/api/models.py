"""The model store's API: upload, list, read, download and delete models (``/api/models``).

Uploads need an operator (a token with ``operate`` scope), deletion an admin; reading
needs any login or token, and the three reads also accept a board's device token, which
is how agents fetch a ``sha256:<hex>`` model a command names (docs/security.md). Changes
are audited in the same transaction; a deleted model's file goes after the commit.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, send_file
from werkzeug.wrappers import Response

from edgebench.collector import modelstore
from edgebench.collector.api import bp
from edgebench.collector.auth.access import requires
from edgebench.collector.db import get_session
from edgebench.collector.modelcatalog import generated_models
from edgebench.collector.webactions import models as model_actions
from edgebench.shared.errors import EdgebenchError


def _found(sha256: str) -> Any:
    """Return the stored model ``sha256`` or answer 404."""
    model = modelstore.get_model(get_session(), sha256)
    if model is None:
        abort(404, f"no stored model {sha256[:64]!r}")
    return model


@bp.post("/models")
@requires("operator", action="model.upload")
def upload_model() -> tuple[dict[str, Any], int]:
    """Store an uploaded .tflite (201), or find the same bytes already stored (200)."""
    try:
        model, created = model_actions.upload()
    except modelstore.ModelTooLarge as exc:
        abort(413, str(exc))
    except modelstore.ModelRejected as exc:
        abort(400, str(exc))
    except EdgebenchError as exc:  # the store's folder cannot be written
        abort(500, str(exc))
    return modelstore.model_dict(model) | {"created": created}, 201 if created else 200


@bp.get("/models")
@requires("viewer", devices=True)
def list_models() -> dict[str, Any]:
    """List uploaded models (newest first) and the generated models every board can build."""
    items = [modelstore.model_dict(m) for m in modelstore.list_models(get_session())]
    return {"items": items, "total": len(items), "generated": generated_models()}


@bp.get("/models/<sha256>")
@requires("viewer", devices=True)
def get_model(sha256: str) -> dict[str, Any]:
    """Return one stored model with its inspection."""
    return modelstore.model_dict(_found(sha256))


@bp.get("/models/<sha256>/file")
@requires("viewer", devices=True)
def model_file(sha256: str) -> Response:
    """Send the stored model's bytes (``application/octet-stream``) for boards to fetch."""
    model = _found(sha256)
    path = modelstore.model_path(current_app.config["MODEL_DIR"], model.sha256)
    if not path.is_file():
        abort(404, f"the file of model {model.sha256} is missing from the store")
    return send_file(
        path,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=f"{model.sha256}.tflite",
        etag=model.sha256,
        max_age=0,
    )


@bp.delete("/models/<sha256>")
@requires("admin", action="model.delete")
def delete_model(sha256: str) -> dict[str, Any]:
    """Delete a stored model and its file; 409 while a campaign uses it."""
    model = _found(sha256)
    stored = model.sha256
    try:
        model_actions.delete(model)
    except model_actions.ModelInUse as exc:
        abort(409, str(exc))
    return {"sha256": stored, "deleted": True}
