"""The New campaign form's fields, read into the same ``CampaignSpec`` the API takes.

The form is turned into the API's JSON body and checked by ``campaigns.spec.parse_spec``,
so a campaign from the page is refused for exactly the reasons (and with the same one
line) as one sent to ``POST /api/campaigns``. Only what HTML forms cannot type is
converted here: numbers typed as text, comma lists, empty fields meaning "default".
"""

from __future__ import annotations

from typing import Any

import msgspec

from edgebench.collector.campaigns.spec import CampaignSpec, parse_spec
from edgebench.shared.errors import SchemaError

# Run options offered on the form (all are RunOptions names the spec accepts); integers
# are counts, the others seconds or hertz.
INT_OPTIONS = ("runs", "warmup_runs")
FLOAT_OPTIONS = ("warmup_secs", "min_secs", "max_secs", "rate_hz")
# Campaign settings typed as numbers; an empty field keeps the spec's default.
SETTINGS = (
    ("repetitions", int),
    ("cooldown_s", float),
    ("seed", int),
    ("retries", int),
    ("deadline_s", float),
)
# The form's value for the agent's default workload (a model name never starts with "-").
DEFAULT_WORKLOAD = "-default"


def _text(form: Any, key: str) -> str:
    return (form.get(key) or "").strip()


def _number(form: Any, key: str, kind: type) -> int | float | None:
    """Read an optional number field; SchemaError naming the field if it is not one."""
    raw = _text(form, key)
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SchemaError(f"{key}: {raw[:40]!r} is not {what}") from None


def _threads(raw: str) -> list[int | None]:
    """Read "1, 4" as [1, 4]; empty means every core of the board ([None])."""
    values: list[int | None] = []
    for part in raw.replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit():
            raise SchemaError(f"threads: {part[:20]!r} is not a whole number (e.g. 1, 4)")
        values.append(int(part))
    return values or [None]


def form_body(form: Any) -> dict[str, Any]:
    """Return the API's JSON body for the submitted form (numbers checked, rest as given)."""
    body: dict[str, Any] = {"name": _text(form, "name")}
    if form.get("target") == "filter":
        tags = [t for t in _text(form, "tags").replace(",", " ").split() if t]
        flt = {"board": _text(form, "board") or None, "architecture": _text(form, "arch") or None}
        body["device_filter"] = {k: v for k, v in flt.items() if v} | {"tags": tags}
    else:
        body["devices"] = [d for d in form.getlist("device") if d]
        if not body["devices"]:
            raise SchemaError("devices: tick at least one device, or choose a filter")
    models = form.getlist("model")
    if not models:
        raise SchemaError("models: pick at least one model")
    body["models"] = [None if m == DEFAULT_WORKLOAD else m for m in models]
    body["backends"] = form.getlist("backend") or ["litert"]
    body["threads"] = _threads(_text(form, "threads"))
    options = {k: _number(form, k, int) for k in INT_OPTIONS}
    options |= {k: _number(form, k, float) for k in FLOAT_OPTIONS}
    body["options"] = {k: v for k, v in options.items() if v is not None}
    for key, kind in SETTINGS:
        value = _number(form, key, kind)
        if value is not None:
            body[key] = value
    body["order"] = _text(form, "order") or "shuffled"
    if _text(form, "daily_at"):
        body["schedule"] = {"daily_at": _text(form, "daily_at")}
    return body


def form_spec(form: Any) -> CampaignSpec:
    """Return the checked spec of the submitted form, or raise SchemaError with one line."""
    return parse_spec(msgspec.json.encode(form_body(form)))
