"""Starting and cancelling a campaign for a web request, with its audit event.

The JSON API (``api/campaigns.py``) and the dashboard's form (``dashboard/campaigns.py``)
both change campaigns through these two functions, so a campaign started from a page is
stored, audited and committed exactly as one started with a token. They sit between the
blueprints and ``auth`` (they record the requester), and call ``campaigns.store``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_login import current_user

from edgebench.collector.auth.identity import record_event
from edgebench.collector.campaigns import store
from edgebench.collector.campaigns.schedule import zone
from edgebench.collector.db import get_session
from edgebench.shared.errors import SchemaError

if TYPE_CHECKING:
    from edgebench.collector.campaigns.spec import CampaignSpec


def start(spec: CampaignSpec) -> dict[str, Any]:
    """Create the campaign, audit it and commit; SchemaError (nothing stored) if it is refused.

    Returns ``{"campaign_id", "state", "jobs", "start_at"}`` (the API's answer).
    """
    session = get_session()
    tz = zone(current_app.config.get("CAMPAIGN_TIMEZONE") or "")
    try:
        campaign, jobs = store.create_campaign(session, spec, current_user.actor, time.time(), tz)
    except SchemaError:
        session.rollback()
        raise
    record_event(
        session,
        action="campaign.create",
        target=str(campaign.id),
        detail={"name": campaign.name, "jobs": jobs, "schedule": campaign.schedule},
    )
    session.commit()
    return {
        "campaign_id": campaign.id,
        "state": campaign.state,
        "jobs": jobs,
        "start_at": campaign.start_at,
    }


def cancel(campaign_id: int) -> dict[str, Any] | None:
    """Cancel the campaign, audit it and commit; return what changed (None: no such campaign)."""
    session = get_session()
    changed = store.cancel_campaign(session, campaign_id, time.time())
    if changed is None:
        return None
    record_event(session, action="campaign.cancel", target=str(campaign_id), detail=changed)
    session.commit()
    return changed
