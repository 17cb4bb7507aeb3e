"""The OpenAPI paths and schemas of the campaign endpoints (``api/campaigns.py``).

The request body's schema is generated from ``CampaignSpec`` itself by msgspec, so the
document and the validation cannot disagree; the responses are written out here and
checked against real answers by ``tests/collector/dashboard/test_openapi.py``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from edgebench.collector.api.opdoc import get_op, json_body, operation, param
from edgebench.collector.api.schemas import INT, NUM, STR, obj, ref
from edgebench.collector.campaigns.detail import MAX_LIMIT
from edgebench.collector.campaigns.spec import CampaignSpec
from edgebench.collector.campaigns.states import CAMPAIGN_STATES, JOB_STATES

_, SPEC_SCHEMAS = msgspec.json.schema_components(
    [CampaignSpec], ref_template="#/components/schemas/{name}"
)
COUNTS = obj({state: {"type": "integer"} for state in JOB_STATES})
SUMMARY = {
    "campaign_id": {"type": "integer"},
    "name": {"type": "string"},
    "state": {"enum": list(CAMPAIGN_STATES)},
    "created_by": {"type": "string"},
    "created_at": {"type": "number"},
    **{k: NUM for k in ("start_at", "started_at", "finished_at", "deadline")},
    "schedule": STR,
    "previous_campaign_id": INT,
    "job_count": {"type": "integer"},
    "counts": COUNTS,
}
JOB = obj(
    {
        "job_id": {"type": "integer"},
        "device_id": {"type": "string"},
        "model": STR,
        "backend": {"type": "string"},
        "threads": INT,
        "repetition": {"type": "integer"},
        "position": {"type": "integer"},
        "state": {"enum": list(JOB_STATES)},
        "attempts": {"type": "integer"},
        **{k: STR for k in ("command_id", "run_id", "error")},
        **{k: NUM for k in ("sent_at", "started_at", "finished_at")},
        "progress": {"type": ["object", "null"]},
    }
)
POINT = obj(
    {
        "campaign_id": {"type": "integer"},
        "started_at": NUM,
        "p50_ms": {"type": "number"},
        "runs": {"type": "integer"},
    }
)
CONFIGURATION = obj(
    {
        "device_id": {"type": "string"},
        "model": STR,
        "backend": {"type": "string"},
        "threads": INT,
        "p50_ms": NUM,
        "history": {"type": "array", "items": POINT},
    }
)
SCHEMAS: dict[str, Any] = {
    **SPEC_SCHEMAS,
    "CampaignSummary": obj(SUMMARY),
    "CampaignJob": JOB,
    "CampaignDetail": obj(
        {
            **SUMMARY,
            "spec": ref("CampaignSpec"),
            "seed": {"type": "integer"},
            "order": {"type": "string"},
            "retries": {"type": "integer"},
            "cooldown_s": {"type": "number"},
            "cancelled_at": NUM,
            "eta_s": NUM,
            "eta_at": NUM,
            "jobs": {"type": "array", "items": ref("CampaignJob")},
            "run_ids": {"type": "array", "items": {"type": "string"}},
            "configurations": {"type": "array", "items": CONFIGURATION},
        }
    ),
    "CampaignPreview": obj(
        {
            "devices": {"type": "array", "items": {"type": "string"}},
            "jobs": {"type": "integer"},
            "configurations": {"type": "integer"},
            "estimated_s": {"type": "number"},
            "job_s": {"type": "number"},
            "per_device_s": {"type": "object", "additionalProperties": {"type": "number"}},
        }
    ),
}


def paths() -> dict[str, Any]:
    """Return the campaign paths."""
    campaign_id = param("campaign_id", {"type": "integer"}, "Campaign id.", "path")
    body = {
        "required": True,
        "content": {"application/json": {"schema": ref("CampaignSpec")}},
    }

    def post(summary: str, params: list, ok: dict, *codes: int, status: str = "200") -> dict:
        """Return a POST needing ``operate``; without path parameters it takes the spec."""
        found = operation(summary, params, ok, codes, "operate")
        found["responses"] = {
            (status if code == "200" else code): value for code, value in found["responses"].items()
        }
        if not params:
            found["requestBody"] = body
        return {"post": found}

    created = obj(
        {
            "campaign_id": {"type": "integer"},
            "state": {"enum": list(CAMPAIGN_STATES)},
            "jobs": {"type": "integer"},
            "start_at": NUM,
        }
    )
    cancelled = obj(
        {
            "campaign_id": {"type": "integer"},
            "state_before": {"type": "string"},
            "state": {"type": "string"},
            "jobs_cancelled": {"type": "integer"},
        }
    )
    listing = obj(
        {
            "items": {"type": "array", "items": ref("CampaignSummary")},
            "total": {"type": "integer"},
        }
    )
    list_params = [
        param("state", {"enum": list(CAMPAIGN_STATES)}, "Only campaigns in this state."),
        param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Rows."),
    ]
    return {
        "/campaigns": get_op(
            "Campaigns, newest first", list_params, json_body(listing, "List"), 400
        )
        | post(
            "Start a campaign (JSON body; see docs/campaigns.md)",
            [],
            json_body(created, "Created"),
            400,
            status="201",
        ),
        "/campaigns/preview": post(
            "Job count and estimated duration of a campaign, without starting it",
            [],
            json_body(ref("CampaignPreview"), "Preview"),
            400,
        ),
        "/campaigns/{campaign_id}": get_op(
            "One campaign: state, counts, ETA, jobs, p50 over repetitions",
            [campaign_id],
            json_body(ref("CampaignDetail"), "Campaign"),
            404,
        ),
        "/campaigns/{campaign_id}/cancel": post(
            "Cancel: queued jobs end cancelled, the running one finishes (audited)",
            [campaign_id],
            json_body(cancelled, "Cancelled"),
            404,
        ),
    }
