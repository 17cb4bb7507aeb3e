"""The collector must not need its instance folder when a database URL is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.collector import create_app, db
from edgebench.shared.errors import EdgebenchError


def test_configured_database_does_not_create_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A path below a regular file cannot be created, even by root: like a root-owned venv.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setattr(db, "instance_path", lambda: blocker / "instance")
    key_file = tmp_path / "keys" / "secret_key"
    app = create_app(
        {"DATABASE": f"sqlite:///{tmp_path / 'c.sqlite'}", "SECRET_KEY_FILE": str(key_file)}
    )
    assert app.test_client().get("/healthz").status_code == 200
    assert not (blocker / "instance").exists()
    # The signing key was made where the setting says, readable by its owner only.
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip()) == 64
    again = create_app(
        {"DATABASE": f"sqlite:///{tmp_path / 'c.sqlite'}", "SECRET_KEY_FILE": str(key_file)}
    )
    assert again.secret_key == app.secret_key  # sessions survive a restart


def test_unwritable_key_location_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setattr(db, "instance_path", lambda: blocker / "instance")
    with pytest.raises(EdgebenchError, match=r"set collector\.secret_key_file") as caught:
        create_app({"DATABASE": f"sqlite:///{tmp_path / 'c.sqlite'}"})
    assert "\n" not in str(caught.value)


def test_default_database_lives_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "instance_path", lambda: tmp_path / "instance")
    app = create_app({})
    assert (tmp_path / "instance").is_dir()
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert str(tmp_path / "instance") in app.config["DATABASE"]
