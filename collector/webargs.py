"""Query-parameter parsing and response helpers of the web views (the API and the pages).

Both blueprints read these, so they live here, below both: ``api`` and ``dashboard`` never
import each other's modules (see the import contracts in ``pyproject.toml``). Every bad
value raises :class:`~edgebench.collector.runfilter.BadQuery` with a sentence naming the
parameter and what it accepts; API views answer it with a JSON 400, pages with a 400 page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request

from edgebench.collector import compare, listing
from edgebench.collector.db import get_session
from edgebench.collector.modelstore import ModelTooLarge, read_limited, too_large_message
from edgebench.collector.runfilter import BadQuery, int_param, parse_run_filter
from edgebench.collector.significance import THRESHOLD_PCT


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """Read a bounded integer query parameter of this request (BadQuery otherwise)."""
    return int_param(request.args, name, default, minimum=minimum, maximum=maximum)


def audit_args() -> dict[str, Any]:
    """Read the audit log's paging and filters (``limit``, ``before_id``, ``action``, ``actor``)."""
    from edgebench.collector.audit import DEFAULT_LIMIT, MAX_LIMIT

    before_id = int_arg("before_id", 0, 0, 2**62)
    return {
        "limit": int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        "before_id": before_id or None,
        "action": (request.args.get("action") or "").strip()[:64] or None,
        "actor": (request.args.get("actor") or "").strip()[:160] or None,
    }


def split_list(raw: str | None) -> list[str]:
    """Split a comma list (``a,b,c``), dropping empty items and surrounding spaces."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def fleet_args() -> dict[str, Any]:
    """Read the fleet's filter and sort parameters (shared with the fleet page)."""
    status = request.args.get("status") or None
    if status not in (None, "online", "offline"):
        raise BadQuery("query parameter 'status' must be 'online' or 'offline'")
    sort = request.args.get("sort") or "device_id"
    if sort not in listing.DEVICE_SORTS:
        raise BadQuery(f"query parameter 'sort' must be one of {', '.join(listing.DEVICE_SORTS)}")
    order = request.args.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise BadQuery("query parameter 'order' must be 'asc' or 'desc'")
    board = request.args.get("board") or None
    q = (request.args.get("q") or "").strip()[:100] or None
    return {"status": status, "board": board, "q": q, "sort": sort, "order": order}


def threshold_arg(args: Any) -> float:
    """Read ``threshold``: the practical threshold in percent (0-50, default 3)."""
    raw = (args.get("threshold") or "").strip()
    if not raw:
        return THRESHOLD_PCT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 50:
        raise BadQuery("query parameter 'threshold' must be a percentage from 0 to 50")
    return value


def predict_arg(args: Any) -> bool:
    """Read ``predict`` (``1``: add predicted columns to a comparison; ``0`` or empty: not)."""
    raw = (args.get("predict") or "").strip()
    if raw not in ("", "0", "1"):
        raise BadQuery("query parameter 'predict' must be 0 or 1")
    return raw == "1"


def comparison_from_args(args: Any) -> dict[str, Any]:
    """Build the comparison a request's parameters ask for (404 for an unknown run)."""
    run_ids = split_list(args.get("runs")) + [r for r in args.getlist("run") if r.strip()]
    group = split_list(args.get("group"))
    baseline = (args.get("baseline") or "").strip() or None
    threshold = threshold_arg(args)
    predict = predict_arg(args)
    session = get_session()
    if group:
        flt = parse_run_filter(args)
        return compare.compare_groups(session, flt, group, baseline, threshold, predict=predict)
    try:
        return compare.compare_runs(session, run_ids, baseline, threshold, predict=predict)
    except KeyError as exc:
        abort(404, f"no run {exc.args[0]}")


def wants_csv() -> bool:
    """Read ``format`` (``json``, the default, or ``csv``)."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadQuery("query parameter 'format' must be 'json' or 'csv'")
    return fmt == "csv"


def csv_response(text: str, filename: str) -> Response:
    """Return ``text`` as a CSV download named ``filename``."""
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def frontier_args() -> dict[str, Any]:
    """Read the frontier's ``metric`` (p50 or energy) and ``budget`` (ms or mJ; empty: none)."""
    from edgebench.collector.frontier import METRICS

    metric = request.args.get("metric") or "p50"
    if metric not in METRICS:
        raise BadQuery(f"query parameter 'metric' must be one of {', '.join(METRICS)}")
    raw = (request.args.get("budget") or "").strip()
    budget = None
    if raw:
        try:
            budget = float(raw)
        except ValueError:
            budget = None
        if budget is None or not 0 < budget < 1e9:
            raise BadQuery("query parameter 'budget' must be a positive number (ms, or mJ)")
    return {"metric": metric, "budget": budget}


def uploaded_model(max_model_mb: float) -> tuple[bytes, str | None]:
    """Read a model upload (multipart ``file``, optional ``name``): its bytes and name.

    Raises ModelTooLarge past ``max_model_mb`` (the body's Content-Length is checked
    before it is read, the file's own size while it is read) and BadQuery without a file.
    The name defaults to the uploaded file's name; either is untrusted text.
    """
    from werkzeug.exceptions import RequestEntityTooLarge

    try:
        upload = request.files.get("file")
        name = (request.form.get("name") or "").strip()
    except RequestEntityTooLarge:
        raise ModelTooLarge(too_large_message(max_model_mb)) from None
    if upload is None:
        raise BadQuery("file: send the model as the multipart/form-data field 'file'")
    data = read_limited(upload.stream, max_model_mb)
    return data, name or upload.filename
