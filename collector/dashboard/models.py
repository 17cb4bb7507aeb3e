"""The Models page: uploaded models with their inspection, the generated ones, upload, delete.

Reading needs a login (like every page); uploading is a multipart POST from a form with a
CSRF token for operators and admins, deleting a POST for admins (refused with 403 and
audited for anyone else). Upload names are untrusted: Jinja escapes them, and the store
never uses them as paths.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from edgebench.collector import modelstore
from edgebench.collector.auth.access import requires
from edgebench.collector.dashboard import bp
from edgebench.collector.db import get_session
from edgebench.collector.modelcatalog import generated_models
from edgebench.collector.webactions import models as model_actions
from edgebench.shared.errors import EdgebenchError


@bp.get("/models")
def models() -> str:
    """Show uploaded models (inspection summary) and the generated models beside them."""
    stored = [modelstore.model_dict(m) for m in modelstore.list_models(get_session())]
    return render_template(
        "dashboard/models.html",
        stored=stored,
        generated=generated_models(),
        max_model_mb=current_app.config["MAX_MODEL_MB"],
    )


@bp.post("/models")
@requires("operator", action="model.upload")
def upload_model() -> Any:
    """Store the uploaded .tflite, then show the Models page with what happened."""
    try:
        model, created = model_actions.upload()
    except modelstore.ModelTooLarge as exc:
        return _refused(413, str(exc))
    except (modelstore.ModelRejected, EdgebenchError) as exc:
        return _refused(400, str(exc))
    if created:
        flash(f"Model {model.name} stored as sha256:{model.sha256}.")
    else:
        flash(f"Those bytes are already stored as {model.name} (sha256:{model.sha256}).")
    return redirect(url_for(".models"), 303)


@bp.errorhandler(413)
def too_large(exc: Any) -> tuple[str, int]:
    """Show a body over the request limit on the error page, as the upload view would.

    For a login session the CSRF check reads the form before the view runs, so Werkzeug
    refuses a body over ``MAX_CONTENT_LENGTH`` there; the only large body a page sends is
    a model, so an upload gets the model limit's line, anything else Werkzeug's reason.
    """
    if request.endpoint == "dashboard.upload_model":
        return _refused(413, modelstore.too_large_message(current_app.config["MAX_MODEL_MB"]))
    return _refused(413, exc.description)


def _refused(code: int, message: str) -> tuple[str, int]:
    """Show why an upload was refused on the error page, with the status code."""
    return render_template("dashboard/error.html", code=code, message=message), code


@bp.post("/models/<sha256>/delete")
@requires("admin", action="model.delete")
def delete_model(sha256: str) -> Any:
    """Delete a stored model and its file (not while a campaign uses it)."""
    model = modelstore.get_model(get_session(), sha256)
    if model is None:
        abort(404, f"no stored model {sha256[:64]!r}")
    try:
        name = model_actions.delete(model)
    except model_actions.ModelInUse as exc:
        return _refused(409, str(exc))
    flash(f"Model {name} deleted.")
    return redirect(url_for(".models"), 303)
