"""The JSON API blueprint (mounted at ``/api``); routes live in ``routes.py``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)

from edgebench.collector.api import errors, routes  # noqa: E402, F401 - registers on bp
