"""Campaign pages: the list, the New campaign form with its preview, one campaign, cancel.

Pages read through ``campaigns.detail`` (what ``GET /api/campaigns...`` returns) and
change campaigns through ``collector.webactions.campaigns`` (what the API's POSTs call), so the
page and the API cannot disagree. The form and Cancel are POSTs with a CSRF token for
operators and admins; anyone else gets 403, audited. A campaign page shows the server's
matrix at once, and ``campaign.js`` keeps it current by polling the JSON detail.
"""

from __future__ import annotations

import time
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edgebench.collector import listing, modelstore
from edgebench.collector.auth.access import requires
from edgebench.collector.campaigns import detail, store
from edgebench.collector.campaigns.states import ACTIVE
from edgebench.collector.dashboard import bp
from edgebench.collector.dashboard.campaignform import DEFAULT_WORKLOAD, form_spec
from edgebench.collector.db import get_session
from edgebench.collector.modelcatalog import generated_models
from edgebench.collector.webactions import campaigns as campaign_actions
from edgebench.shared.errors import SchemaError
from edgebench.shared.run_options import BACKENDS


def model_names() -> dict[str | None, str]:
    """Return how the pages name models: store models by their upload name."""
    names: dict[str | None, str] = {None: "default workload"}
    for m in modelstore.list_models(get_session()):
        names[f"sha256:{m.sha256}"] = m.name
    return names


@bp.get("/campaigns")
def campaigns() -> str:
    """List campaigns, newest first, with their job counts by state."""
    return render_template(
        "dashboard/campaigns.html", campaigns=detail.list_campaigns(get_session())
    )


def _form_page(code: int = 200, **extra: Any) -> tuple[str, int]:
    """Render the New campaign form with the fleet's devices and models to choose from."""
    session = get_session()
    page = render_template(
        "dashboard/campaign_new.html",
        devices=listing.fleet(session),
        stored=[modelstore.model_dict(m) for m in modelstore.list_models(session)],
        generated=[g["name"] for g in generated_models()],
        backends=BACKENDS,
        default_workload=DEFAULT_WORKLOAD,
        form=request.form,
        **extra,
    )
    return page, code


@bp.get("/campaigns/new")
@requires("operator")  # a refused look at the form is a read ("GET /campaigns/new"), not a create
def new_campaign() -> tuple[str, int]:
    """Show the New campaign form."""
    return _form_page()


@bp.post("/campaigns/new")
@requires("operator", action="campaign.create")
def create_campaign() -> Any:
    """Preview the form's campaign (``action=preview``) or start it and show its page."""
    try:
        spec = form_spec(request.form)
        if request.form.get("action") == "preview":
            return _form_page(preview=store.preview(get_session(), spec).to_dict())
        started = campaign_actions.start(spec)
    except SchemaError as exc:
        return _form_page(400, error=str(exc))
    flash(f"Campaign {spec.name} started with {started['jobs']} jobs.")
    return redirect(url_for(".campaign", campaign_id=started["campaign_id"]), 303)


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    """One campaign: state, ETA, the device × job matrix (live), p50 over repetitions."""
    shown = detail.campaign_detail(get_session(), campaign_id, time.time())
    if shown is None:
        abort(404, f"no campaign {campaign_id}")
    matrix: dict[str, list[dict[str, Any]]] = {}
    for job in shown["jobs"]:  # ordered by device, then position
        matrix.setdefault(job["device_id"], []).append(job)
    first = next(iter(matrix.values()), [])
    # This campaign's column is always there (last: repetitions have rising ids), so a
    # running campaign's p50s can fill in.
    history = {h["campaign_id"] for c in shown["configurations"] for h in c["history"]}
    chain = sorted(history | {campaign_id})
    return render_template(
        "dashboard/campaign.html",
        c=shown,
        matrix=matrix,
        columns=first,
        chain=chain,
        names=model_names(),
        active=shown["state"] in ("scheduled", "running")
        or any(j["state"] in ACTIVE for j in shown["jobs"]),
    )


@bp.get("/campaigns/<int:campaign_id>/compare")
def compare_campaign(campaign_id: int) -> Response:
    """Open the compare page on the campaign's results, one column per configuration.

    Grouped by device and model (and backend and threads where the campaign has several):
    a configuration's repetitions pool into one column, as the grouped comparison pools
    repeated runs.
    """
    shown = detail.campaign_detail(get_session(), campaign_id, time.time())
    if shown is None:
        abort(404, f"no campaign {campaign_id}")
    if not any(j["state"] == "done" and j["run_id"] for j in shown["jobs"]):
        abort(404, f"campaign {campaign_id} has no results yet")
    group = ["device", "model"]
    for axis in ("backend", "threads"):
        if len({j[axis] for j in shown["jobs"]}) > 1:
            group.append(axis)
    return redirect(  # type: ignore[return-value]
        url_for(".compare", campaign=campaign_id, group=",".join(group)), 303
    )


@bp.post("/campaigns/<int:campaign_id>/cancel")
@requires("operator", action="campaign.cancel")
def cancel_campaign(campaign_id: int) -> Response:
    """Cancel the campaign (queued jobs end cancelled), then show its page."""
    changed = campaign_actions.cancel(campaign_id)
    if changed is None:
        abort(404, f"no campaign {campaign_id}")
    flash(f"Campaign cancelled: {changed['jobs_cancelled']} queued jobs will not run.")
    return redirect(url_for(".campaign", campaign_id=campaign_id), 303)  # type: ignore[return-value]
