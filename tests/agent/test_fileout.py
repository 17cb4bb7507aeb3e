"""Output files: atomic, JSON-safe, and readable as the umask allows (not mkstemp's 0600)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from edgebench.agent.fileout import json_bytes, write_atomic
from edgebench.shared.errors import EdgebenchError


@pytest.fixture()
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_written_file_has_the_umask_mode_and_no_leftovers(tmp_path, umask_022):
    target = tmp_path / "sub" / "model.tflite"
    write_atomic(target, b"TFL3")
    assert target.read_bytes() == b"TFL3"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["model.tflite"]
    os.umask(0o077)
    write_atomic(target, b"again")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failure_is_one_line_naming_the_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EdgebenchError, match=r"cannot write --out .*file/r\.json"):
        write_atomic(blocker / "r.json", b"{}", what="--out")
    with pytest.raises(EdgebenchError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "r.json", b"{}", make_parents=False)
    assert not (tmp_path / "missing").exists()


def test_json_bytes_turns_non_finite_numbers_into_null():
    doc = json.loads(json_bytes({"a": float("nan"), "b": [1.5, float("-inf")], "c": {"d": 2}}))
    assert doc == {"a": None, "b": [1.5, None], "c": {"d": 2}}
