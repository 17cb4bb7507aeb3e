"""Campaign views of the JSON API: create, preview, list, detail, cancel (docs/campaigns.md).

Creating, previewing and cancelling need the operator role (a token with ``operate``
scope, or an operator's browser session with a CSRF token); reading needs any login or
token. The request body is JSON (``campaigns.spec.CampaignSpec``); a bad one is refused
with 400 and one line naming the field. Starting and cancelling go through
``collector.webactions.campaigns`` (as the dashboard's form does), which audits them in the same
transaction. The views only store decisions: ingest's scheduler sends the commands.
"""

from __future__ import annotations

import time
from typing import Any

from flask import abort, request

from edgebench.collector.api import bp
from edgebench.collector.auth.access import requires
from edgebench.collector.campaigns import detail, store
from edgebench.collector.campaigns.spec import CampaignSpec, parse_spec
from edgebench.collector.campaigns.states import CAMPAIGN_STATES
from edgebench.collector.db import get_session
from edgebench.collector.runfilter import BadQuery
from edgebench.collector.webactions import campaigns as campaign_actions
from edgebench.collector.webargs import int_arg
from edgebench.shared.errors import SchemaError


def _spec() -> CampaignSpec:
    """Return the request body as a checked spec, or answer 400 with the reason."""
    try:
        return parse_spec(request.get_data())
    except SchemaError as exc:
        abort(400, str(exc))


@bp.post("/campaigns")
@requires("operator", action="campaign.create")
def create_campaign() -> tuple[dict[str, Any], int]:
    """Create a campaign (started at once, or at its first daily time); return its id."""
    spec = _spec()
    try:
        return campaign_actions.start(spec), 201
    except SchemaError as exc:
        abort(400, str(exc))


@bp.post("/campaigns/preview")
@requires("operator", action="campaign.preview")
def preview_campaign() -> dict[str, Any]:
    """Return the job count and duration estimate a campaign would have if started now."""
    spec = _spec()
    try:
        return store.preview(get_session(), spec).to_dict()
    except SchemaError as exc:
        abort(400, str(exc))


@bp.get("/campaigns")
def campaigns() -> dict[str, Any]:
    """List campaigns, newest first, with job counts by state (``limit``, ``state``)."""
    state = request.args.get("state") or None
    if state is not None and state not in CAMPAIGN_STATES:
        raise BadQuery(f"state: choose one of {', '.join(CAMPAIGN_STATES)}")
    limit = int_arg("limit", detail.DEFAULT_LIMIT, 1, detail.MAX_LIMIT)
    items = detail.list_campaigns(get_session(), limit=limit, state=state)
    return {"items": items, "total": len(items)}


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> dict[str, Any]:
    """One campaign: state, counts, ETA, every job, and each configuration's p50 history."""
    found = detail.campaign_detail(get_session(), campaign_id, time.time())
    if found is None:
        abort(404, f"no campaign {campaign_id}")
    return found


@bp.post("/campaigns/<int:campaign_id>/cancel")
@requires("operator", action="campaign.cancel")
def cancel_campaign(campaign_id: int) -> dict[str, Any]:
    """Cancel a campaign: queued jobs are cancelled, the running one finishes and reports."""
    changed = campaign_actions.cancel(campaign_id)
    if changed is None:
        abort(404, f"no campaign {campaign_id}")
    return {"campaign_id": campaign_id, **changed}
