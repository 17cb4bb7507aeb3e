"""Generate JSON Schema (draft 2020-12) files for every MQTT message and the run result.

The schemas are derived from the dataclasses, so they cannot drift from the code;
``docs/schemas/*.json`` is checked in and a test fails when it is out of date.
Regenerate with::

    python -m edgebench.shared.schema_export docs/schemas
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from edgebench.shared.messages import (
    ENVELOPE_FIELDS,
    MAX_STRING_LENGTH,
    MESSAGE_SCHEMA_VERSION,
    MESSAGE_TYPES,
)
from edgebench.shared.result import RunResult
from edgebench.shared.validation import WIRE

DIALECT = "https://json-schema.org/draft/2020-12/schema"
INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}
# The id rules of shared/topics.py and shared/messages.py, for schema-only consumers.
ID_PATTERNS = {
    "message_id": "^[0-9A-Za-z_-]{8,64}$",
    "device_id": "^[0-9A-Za-z._-]{1,64}$",
    "run_id": "^[0-9A-Za-z._-]{1,128}$",
}


class _Builder:
    """Collects nested dataclasses into ``$defs`` while translating annotations."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def type_schema(self, tp: Any) -> dict[str, Any]:
        """Return the schema of one annotation."""
        origin = typing.get_origin(tp)
        if tp is Any:
            return {}
        if tp is type(None):
            return {"type": "null"}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.type_schema(arg) for arg in typing.get_args(tp)]}
        if origin is typing.Literal:
            return {"enum": list(typing.get_args(tp))}
        simple = {
            bool: {"type": "boolean"},
            int: {"type": "integer", **INT64},
            float: {"type": "number"},
            str: {"type": "string", "maxLength": MAX_STRING_LENGTH},
        }
        if tp in simple:
            return dict(simple[tp])
        if origin is list:
            return {"type": "array", "items": self.type_schema(typing.get_args(tp)[0])}
        if origin is dict:
            return {
                "type": "object",
                "additionalProperties": self.type_schema(typing.get_args(tp)[1]),
            }
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            if tp.__name__ not in self.defs:
                self.defs[tp.__name__] = {}  # placeholder first: guards recursion
                self.defs[tp.__name__] = self.object_schema(tp)
            return {"$ref": f"#/$defs/{tp.__name__}"}
        raise TypeError(f"no JSON Schema for {tp!r}")

    def object_schema(self, cls: type) -> dict[str, Any]:
        """Return the schema of a dataclass: its wire fields, required ones listed."""
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in dataclasses.fields(cls):
            if not f.metadata.get(WIRE, True):
                continue
            schema = self.type_schema(hints[f.name])
            if not f.init:
                # A fixed discriminator such as ``type``: always present, one value.
                schema = {"const": f.default}
            has_default = not (
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            )
            if f.init and f.default is not dataclasses.MISSING:
                schema["default"] = f.default
            if not has_default or not f.init:
                required.append(f.name)
            properties[f.name] = schema
        return {
            "type": "object",
            "description": (cls.__doc__ or "").strip().splitlines()[0],
            "properties": properties,
            "required": required,
            # Newer minor versions may add optional fields; receivers ignore them.
            "additionalProperties": True,
        }


def _add_pattern(schema: dict[str, Any] | None, pattern: str) -> None:
    """Constrain the string alternative of ``schema`` (if any) to ``pattern``."""
    if schema is None:
        return
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "string":
            option["pattern"] = pattern


def schema_for(cls: type, title: str) -> dict[str, Any]:
    """Return a standalone JSON Schema document for dataclass ``cls``."""
    builder = _Builder()
    root = builder.object_schema(cls)
    doc: dict[str, Any] = {"$schema": DIALECT, "title": title, **root}
    if cls is not RunResult:
        doc["properties"]["schema_version"] = {"const": MESSAGE_SCHEMA_VERSION}
        for name, pattern in ID_PATTERNS.items():
            _add_pattern(doc["properties"].get(name), pattern)
        doc["required"] = [
            *ENVELOPE_FIELDS,
            *(r for r in doc["required"] if r not in ENVELOPE_FIELDS),
        ]
    if builder.defs:
        doc["$defs"] = dict(sorted(builder.defs.items()))
    return doc


def all_schemas() -> dict[str, dict[str, Any]]:
    """Return every schema by file name."""
    out = {f"{kind}.schema.json": schema_for(cls, kind) for kind, cls in MESSAGE_TYPES.items()}
    out["run_result.schema.json"] = schema_for(RunResult, "run_result")
    return dict(sorted(out.items()))


def render(schema: dict[str, Any]) -> str:
    """Return the exact text written to a schema file."""
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder`` and return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the schemas into the folder named on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m edgebench.shared.schema_export FOLDER\n")
        return 2
    for path in write_schemas(Path(args[0])):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
