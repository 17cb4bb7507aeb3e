"""The checked-in JSON Schemas match the code, and accept/reject what the codec does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from edgebench.shared.messages import MESSAGE_TYPES, StatusMessage
from edgebench.shared.schema_export import all_schemas, main, render
from tests.shared.samples import one_of_each, run_result

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def test_checked_in_schemas_are_up_to_date(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    fresh = {p.name: p.read_text() for p in tmp_path.iterdir()}
    stored = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert sorted(fresh) == sorted(stored), (
        "run: python -m edgebench.shared.schema_export docs/schemas"
    )
    for name, text in fresh.items():
        assert stored[name] == text, f"{name} is stale; regenerate docs/schemas"


def test_there_is_a_schema_per_message_type_and_the_result() -> None:
    names = set(all_schemas())
    assert names == {f"{t}.schema.json" for t in MESSAGE_TYPES} | {"run_result.schema.json"}


@pytest.mark.parametrize("msg", one_of_each(), ids=lambda m: m.type)
def test_real_messages_validate_against_their_schema(msg) -> None:
    schema = json.loads((SCHEMA_DIR / f"{msg.type}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(json.dumps(msg.to_dict())), schema)


def test_run_result_validates_against_its_schema() -> None:
    schema = json.loads(render(all_schemas()["run_result.schema.json"]))
    jsonschema.validate(run_result().to_dict(), schema)


@pytest.mark.parametrize(
    "change",
    [
        {"state": "dead"},
        {"ts": "now"},
        {"schema_version": 2},
        {"type": "facts"},
        {"device_id": "a/b"},
        {"message_id": "short"},
    ],
)
def test_schema_rejects_what_the_codec_rejects(change: dict) -> None:
    schema = all_schemas()["status.schema.json"]
    data = StatusMessage(device_id="dev", state="online", reason="connected").to_dict() | change
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_missing_envelope_field_is_rejected_by_the_schema() -> None:
    schema = all_schemas()["status.schema.json"]
    data = StatusMessage(device_id="dev", state="online", reason="connected").to_dict()
    del data["ts"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
