"""File and vcgencmd readers: device-tree strings, failures as None, the fake vcgencmd."""

from __future__ import annotations

from edgebench.agent.probe.readers import (
    Vcgencmd,
    find_hwmon,
    read_dt_string,
    read_dt_strings,
    read_int,
)
from tests.fixtures.boards import BOARDS_DIR, FAKE_VCGENCMD


def test_device_tree_model_has_its_trailing_nul_stripped() -> None:
    path = BOARDS_DIR / "pi4" / "proc" / "device-tree" / "model"
    assert path.read_bytes().endswith(b"\0")
    assert read_dt_string(path) == "Raspberry Pi 4 Model B Rev 1.1"


def test_compatible_is_a_nul_separated_list() -> None:
    path = BOARDS_DIR / "pi5" / "proc" / "device-tree" / "compatible"
    assert read_dt_strings(path) == ["raspberrypi,5-model-b", "brcm,bcm2712"]


def test_missing_files_read_as_none(tmp_path) -> None:
    assert read_int(tmp_path / "nope") is None
    assert read_dt_string(tmp_path / "nope") is None
    assert read_dt_strings(tmp_path / "nope") == []
    (tmp_path / "bad").write_text("abc\n")
    assert read_int(tmp_path / "bad") is None


def test_find_hwmon_by_name_not_number() -> None:
    sys_root = BOARDS_DIR / "pi5" / "sys"
    assert find_hwmon(sys_root, "rpi_volt") == sys_root / "class" / "hwmon" / "hwmon3"
    assert find_hwmon(sys_root, "ina219") is None


def test_missing_vcgencmd_is_none_not_an_error() -> None:
    vc = Vcgencmd("edgebench-no-such-vcgencmd")
    assert not vc.present
    assert vc.run("get_throttled") is None


def test_fake_vcgencmd_plays_recordings_and_fails_on_unknown(monkeypatch) -> None:
    monkeypatch.setenv("EDGEBENCH_FAKE_VCGENCMD_DIR", str(BOARDS_DIR / "pi5" / "vcgencmd"))
    vc = Vcgencmd(str(FAKE_VCGENCMD))
    assert vc.run("measure_clock", "arm") == "frequency(0)=2400004352\n"
    assert vc.run("pmic_read_adc", "EXT5V_V").strip() == "EXT5V_V volt(24)=5.06788000V"
    assert vc.run("no_such_command") is None  # non-zero exit
    assert vc.probe("get_throttled") == "throttled=0x0\n"
