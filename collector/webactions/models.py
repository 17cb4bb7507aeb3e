"""Uploading and deleting a stored model for a web request, with its audit event.

``upload`` reads the request's multipart upload (``webargs.uploaded_model``), stores it
(``modelstore.add_model``), audits and commits; ``delete`` refuses a model a campaign
holds. The API and the Models page call the same two functions and differ only in how
they answer.
"""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from edgebench.collector import modelstore
from edgebench.collector.auth.identity import record_event
from edgebench.collector.db import get_session
from edgebench.collector.models import StoredModel
from edgebench.collector.webargs import uploaded_model
from edgebench.shared.errors import EdgebenchError


class ModelInUse(EdgebenchError):
    """A scheduled or running campaign names the model: it cannot be deleted now."""


def upload() -> tuple[StoredModel, bool]:
    """Store the uploaded model, audit it and commit; return it and whether it is new.

    Raises ``modelstore.ModelTooLarge`` (over ``max_model_mb``), ``modelstore.ModelRejected``
    (not a TFLite model, with the inspector's reason) or ``EdgebenchError`` (the store's
    folder cannot be written); nothing is stored then.
    """
    session = get_session()
    data, name = uploaded_model(current_app.config["MAX_MODEL_MB"])
    model, created = modelstore.add_model(
        session, current_app.config["MODEL_DIR"], data, name, current_user.actor
    )
    record_event(
        session,
        action="model.upload",
        target=model.sha256,
        detail={"name": model.name, "size_bytes": model.size_bytes, "created": created},
    )
    session.commit()
    return model, created


def delete(model: StoredModel) -> str:
    """Delete the model's row (audited, committed), then its file; return its name.

    Raises ``ModelInUse`` while a scheduled or running campaign names it.
    """
    session = get_session()
    sha256, name, size = model.sha256, model.name, model.size_bytes
    if modelstore.model_in_use(session, sha256):
        raise ModelInUse(
            f"model {sha256} is used by a scheduled or running campaign;"
            " cancel it or let it finish first"
        )
    modelstore.delete_model(session, sha256)
    record_event(
        session,
        action="model.delete",
        target=sha256,
        detail={"name": name, "size_bytes": size},
    )
    session.commit()
    modelstore.remove_file(current_app.config["MODEL_DIR"], sha256)
    return name
