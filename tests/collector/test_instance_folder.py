"""The collector must not need its instance folder when a database URL is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.collector import create_app, db


def test_configured_database_does_not_create_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A path below a regular file cannot be created, even by root: like a root-owned venv.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setattr(db, "instance_path", lambda: blocker / "instance")
    app = create_app({"DATABASE": f"sqlite:///{tmp_path / 'c.sqlite'}"})
    assert app.test_client().get("/healthz").status_code == 200
    assert not (blocker / "instance").exists()


def test_default_database_lives_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "instance_path", lambda: tmp_path / "instance")
    app = create_app({})
    assert (tmp_path / "instance").is_dir()
    assert str(tmp_path / "instance") in app.config["DATABASE"]
