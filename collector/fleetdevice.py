"""The fleet of one's board credential: a device token for its local agent, in a 0600 file.

A board fetches a ``sha256:<hex>`` model from the collector's store with its own device
token (docs/security.md). ``edgebench fleet`` runs the agent itself, so it makes that
token too: it asks the agent for its device id (``edgebench agent facts --json``: the
collector cannot import the agent), creates a token for it unless the saved one still
works for that device, keeps it in ``fleet-device-token`` beside the fleet's login, and
hands the agent the collector's URL and the file through ``EDGEBENCH_COLLECTOR_URL`` and
``EDGEBENCH_COLLECTOR_TOKEN_FILE`` (the agent's ``collector_url`` and
``collector_token_file`` settings). The file is written before the token is committed:
a crash in between leaves a token that does not work, and the next start makes another.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from edgebench.collector import db
from edgebench.collector.privatefile import write_private
from edgebench.shared.errors import EdgebenchError

TOKEN_FILENAME = "fleet-device-token"  # noqa: S105 - a file name, not a secret
FACTS_TIMEOUT_S = 120.0


def agent_device_id(base_argv: list[str]) -> str:
    """Return the local agent's device id, as ``edgebench agent facts --json`` reports it."""
    done = subprocess.run(
        [*base_argv, "agent", "facts", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=FACTS_TIMEOUT_S,
    )
    try:
        return str(json.loads(done.stdout)["device"]["device_id"])
    except (ValueError, KeyError, TypeError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EdgebenchError(f"cannot read the agent's device id ({last})") from None


def ensure_device_token(database: str, path: Path, device_id: str) -> bool:
    """Keep a working device token for ``device_id`` in ``path``; return whether it is new."""
    from sqlalchemy.orm import Session

    from edgebench.collector.devicetokens import issue_device_token, resolve_device_token

    engine = db.make_engine(database)
    try:
        db.upgrade(engine)
        with Session(engine) as session, session.begin():
            saved = _read(path)
            token = resolve_device_token(session, saved) if saved else None
            if token is not None and token.device_id == device_id:
                return False
            # The file is the only copy the fleet hands out: older tokens of this device
            # (a lost or replaced file) stop working, as with ``token create --replace``.
            text, _, _ = issue_device_token(session, device_id, replace=True, by="edgebench fleet")
            write_private(path, text + "\n")
        return True
    finally:
        engine.dispose()


def agent_environment(collector_url: str, token_file: Path) -> dict[str, str]:
    """Return the variables that point the agent at the collector's model store."""
    return {
        "EDGEBENCH_COLLECTOR_URL": collector_url.rstrip("/"),
        "EDGEBENCH_COLLECTOR_TOKEN_FILE": str(token_file),
    }


def _read(path: Path) -> str | None:
    """Return the saved token, or None when there is no readable file."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
