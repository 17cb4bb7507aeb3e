"""Generate JSON Schema (draft 2020-12) files for every MQTT message and the run result.

The schemas are msgspec's own (``msgspec.json.schema``) for the message and result
structs, so they cannot drift from the code; this module only adds what the wire requires
beyond the classes: a title, the one supported ``schema_version``, and the envelope fields
that senders may leave to defaults in code but that every payload carries.
``docs/schemas/*.json`` is checked in and a test fails when it is out of date.
Regenerate with::

    python -m edgebench.shared.schema_export docs/schemas
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from edgebench.shared.messages import ENVELOPE_FIELDS, MESSAGE_SCHEMA_VERSION, MESSAGE_TYPES
from edgebench.shared.result import RunResult

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _ref_name(cls: type) -> str:
    return cls.__name__


def schema_for(cls: type, title: str) -> dict[str, Any]:
    """Return a standalone JSON Schema document for the struct ``cls``."""
    (root_ref,), defs = msgspec.json.schema_components([cls], ref_template="#/$defs/{name}")
    root = defs.pop(_ref_name(cls)) if "$ref" in root_ref else root_ref
    root.pop("title", None)
    doc: dict[str, Any] = {"$schema": DIALECT, "title": title, **root}
    if cls is not RunResult:
        doc["properties"]["schema_version"] = {"const": MESSAGE_SCHEMA_VERSION}
        doc["properties"]["type"] = {"const": cls.__struct_config__.tag}  # type: ignore[attr-defined]
        doc["required"] = [
            *ENVELOPE_FIELDS,
            *(r for r in doc.get("required", []) if r not in ENVELOPE_FIELDS),
        ]
    if defs:
        doc["$defs"] = dict(sorted(defs.items()))
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
