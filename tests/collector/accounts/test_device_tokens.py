"""``collector token create --device``: a board's token, listed, revocable, model store only."""

from __future__ import annotations

from pathlib import Path

from edgebench.collector import create_app
from tests.collector.accounts.test_user_cli import run
from tests.collector.dashboard.conftest import serve
from tests.collector.webauth import HttpClient, web_config


def test_device_token_lifecycle_over_the_cli_and_http(db_url: str, tmp_path: Path) -> None:
    code, out = run(db_url, "token", "create", "--device", "pi-lab-01")
    assert code == 0
    token = out.splitlines()[0]
    assert token.startswith("ebd_") and "device 'pi-lab-01'" in out
    prefix = token[:12]
    code, listing = run(db_url, "token", "list")
    assert prefix in listing and "device pi-lab-01" in listing and token not in listing
    app = create_app(web_config(db_url, MODEL_DIR=tmp_path / "models"))
    with serve(app) as server:
        board = HttpClient(server.url, {"Authorization": f"Bearer {token}"})
        assert board.get("/api/models").status == 200
        assert board.get("/api/runs").status == 403
        assert run(db_url, "token", "revoke", prefix)[0] == 0
        assert board.get("/api/models").status == 401
    assert "revoked" in run(db_url, "token", "list")[1]
    code, out = run(db_url, "audit")
    lines = out.splitlines()
    assert [line.split()[3] for line in lines] == ["token.create", "GET", "token.revoke"]
    # The refused read is recorded against the device's token.
    assert "denied" in lines[1] and f"device token {prefix} (pi-lab-01)" in lines[1]


def test_device_token_bad_input_is_one_line(db_url: str) -> None:
    code, out = run(db_url, "token", "create", "--device", "../etc")
    assert code == 2 and "is not a device id" in out and out.strip().count("\n") == 0
    code, out = run(db_url, "token", "create", "--device", "pi", "--scope", "read")
    assert code == 2 and "has no --scope" in out
    code, out = run(db_url, "token", "create")
    assert code == 2 and "--device DEVICE_ID" in out
    code, out = run(db_url, "token", "revoke", "ebd_00000000")
    assert code == 2 and "no token 'ebd_00000000'" in out


def test_replace_revokes_only_that_devices_older_tokens(db_url: str, tmp_path: Path) -> None:
    first = run(db_url, "token", "create", "--device", "pi-lab-01")[1].splitlines()[0]
    second = run(db_url, "token", "create", "--device", "pi-lab-01")[1].splitlines()[0]
    other = run(db_url, "token", "create", "--device", "pi-lab-02")[1].splitlines()[0]
    code, out = run(db_url, "token", "create", "--device", "pi-lab-01", "--replace")
    assert code == 0
    new = out.splitlines()[0]
    assert f"revoked device 'pi-lab-01''s older tokens: {first[:12]}, {second[:12]}" in out
    app = create_app(web_config(db_url, MODEL_DIR=tmp_path / "models"))
    with serve(app) as server:

        def status(token: str) -> int:
            client = HttpClient(server.url, {"Authorization": f"Bearer {token}"})
            return client.get("/api/models").status

        assert [status(t) for t in (first, second, other, new)] == [401, 401, 200, 200]
    actions = [line.split()[3:5] for line in run(db_url, "audit")[1].splitlines()]
    assert actions[-3:] == [
        ["token.revoke", first[:12]],
        ["token.revoke", second[:12]],
        ["token.create", new[:12]],
    ]
    # Nothing to revoke: no line about it.
    code, out = run(db_url, "token", "create", "--device", "pi-lab-03", "--replace")
    assert code == 0 and "revoked" not in out
    code, out = run(db_url, "token", "create", "--user", "ops", "--scope", "read", "--replace")
    assert code == 2 and "--replace is for device tokens" in out


def test_the_fleet_replaces_a_lost_device_token_file(db_url: str, tmp_path: Path) -> None:
    from edgebench.collector.fleetdevice import ensure_device_token

    path = tmp_path / "fleet-device-token"
    assert ensure_device_token(db_url, path, "fleet-board") is True
    old = path.read_text().strip()
    assert ensure_device_token(db_url, path, "fleet-board") is False  # reused while it works
    assert path.read_text().strip() == old
    path.unlink()
    assert ensure_device_token(db_url, path, "fleet-board") is True
    new = path.read_text().strip()
    assert new != old
    _, listing = run(db_url, "token", "list")
    states = {line.split()[0]: line.split()[4] for line in listing.splitlines()}
    assert states[old[:12]] == "revoked" and states[new[:12]] == "active"
