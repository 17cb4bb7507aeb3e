"""API view of the latency prediction: ``/api/predict`` (``collector.prediction``).

``model`` (a sha256 or a model name) and ``device`` are required; ``threads`` and
``backend`` pick the profiles' setting (each defaults to the device's most common).
Unknown device, model or profiles answer 404, op types the profiles never saw 422,
each with one line saying which.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request

from edgebench.collector import prediction
from edgebench.collector.api import bp
from edgebench.collector.db import get_session
from edgebench.collector.runfilter import MAX_THREADS, BadQuery, int_param


@bp.get("/predict", endpoint="predict")
def predict_view() -> dict[str, Any]:
    """Predict a model's p50 on a device from the device's stored per-op profiles."""
    model = (request.args.get("model") or "").strip()
    device_id = (request.args.get("device") or "").strip()
    if not model or not device_id:
        raise BadQuery("query parameters 'model' (sha256 or name) and 'device' are required")
    threads = int_param(request.args, "threads", None, minimum=1, maximum=MAX_THREADS)
    backend = (request.args.get("backend") or "").strip() or None
    try:
        return prediction.predict(get_session(), model, device_id, threads, backend)
    except prediction.Missing as exc:
        abort(404, str(exc))
    except prediction.Unpredictable as exc:
        abort(422, str(exc))
