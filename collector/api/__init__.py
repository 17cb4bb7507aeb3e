"""The JSON API blueprint (mounted at ``/api``); views live in the modules imported below."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)

# Imported for their side effect: each module registers its views on ``bp``.
from edgebench.collector.api import (  # noqa: E402, F401
    actions,
    auditlog,
    campaigns,
    compare,
    errors,
    events,
    fleet,
    frontier,
    models,
    openapi,
    predict,
    routes,
)
