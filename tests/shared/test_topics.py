"""Topic layout: builders and parser agree, and anything foreign is rejected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgebench.shared.errors import ConfigError, SchemaError
from edgebench.shared.topics import ParsedTopic, TopicLayout

ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
ids = st.text(ID_CHARS, min_size=1, max_size=64).filter(lambda s: s not in (".", ".."))


@pytest.mark.parametrize("prefix", ["edgebench", "lab/bench", "a"])
def test_builders_and_parser_round_trip(prefix: str) -> None:
    layout = TopicLayout(prefix)
    dev, run = "pi5-01", "run_2025.01"
    assert layout.status(dev) == f"{prefix}/v1/pi5-01/status"
    assert layout.run_result(dev, run) == f"{prefix}/v1/pi5-01/runs/run_2025.01/result"
    cases = {
        layout.status(dev): ParsedTopic("status", dev),
        layout.facts(dev): ParsedTopic("facts", dev),
        layout.command(dev): ParsedTopic("cmd", dev),
        layout.run_events(dev, run): ParsedTopic("events", dev, run),
        layout.run_samples(dev, run): ParsedTopic("samples", dev, run),
        layout.run_result(dev, run): ParsedTopic("result", dev, run),
    }
    for topic, expected in cases.items():
        assert layout.parse(topic) == expected


@given(device_id=ids, run_id=ids)
def test_any_valid_ids_round_trip(device_id: str, run_id: str) -> None:
    layout = TopicLayout()
    assert layout.parse(layout.run_samples(device_id, run_id)) == ParsedTopic(
        "samples", device_id, run_id
    )
    assert layout.parse(layout.status(device_id)).device_id == device_id


@pytest.mark.parametrize(
    "topic",
    [
        "other/v1/dev/status",
        "edgebench/v2/dev/status",
        "edgebench/v1/dev",
        "edgebench/v1/dev/unknown",
        "edgebench/v1/dev/status/extra",
        "edgebench/v1/dev/runs/r1",
        "edgebench/v1/dev/runs/r1/other",
        "edgebench/v1/dev/runs/r1/result/x",
        "edgebench/v1/+/status",
        "edgebench/v1/#",
        "edgebench/v1//status",
        "edgebench/v1/dev/runs//result",
        "edgebench/v1/dev/runs/r+1/result",
        "edgebench/v1/../status",
        "edgebench/v1/dév/status",
        "edgebench/v1/" + "x" * 65 + "/status",
        "/edgebench/v1/dev/status",
        "",
    ],
)
def test_foreign_topics_are_rejected(topic: str) -> None:
    with pytest.raises(SchemaError):
        TopicLayout().parse(topic)


def test_prefix_must_match_exactly() -> None:
    with pytest.raises(SchemaError):
        TopicLayout("lab/bench").parse("lab/v1/dev/status")
    with pytest.raises(SchemaError):
        TopicLayout("lab").parse("lab/bench/v1/dev/status")


@pytest.mark.parametrize("bad_id", ["", "a/b", "a+b", "a#", "a b", ".", "..", "ü", "a\x00"])
def test_builders_reject_bad_ids(bad_id: str) -> None:
    with pytest.raises(SchemaError):
        TopicLayout().status(bad_id)
    with pytest.raises(SchemaError):
        TopicLayout().run_events("dev", bad_id)


def test_id_length_limits() -> None:
    layout = TopicLayout()
    layout.status("x" * 64)
    layout.run_events("dev", "r" * 128)
    with pytest.raises(SchemaError):
        layout.status("x" * 65)
    with pytest.raises(SchemaError):
        layout.run_events("dev", "r" * 129)


@pytest.mark.parametrize("prefix", ["", "/a", "a/", "a//b", "a/+", "#", "$SYS", "a\x00"])
def test_bad_prefix_is_a_config_error(prefix: str) -> None:
    with pytest.raises(ConfigError):
        TopicLayout(prefix)


def test_subscriptions_cover_device_topics_but_not_commands() -> None:
    layout = TopicLayout("lab")
    subs = layout.subscriptions()
    assert subs == [
        "lab/v1/+/status",
        "lab/v1/+/facts",
        "lab/v1/+/runs/+/events",
        "lab/v1/+/runs/+/samples",
        "lab/v1/+/runs/+/result",
    ]
    assert all(s.startswith("$share/col/lab/v1/") for s in layout.subscriptions("col"))
    with pytest.raises(ConfigError):
        layout.subscriptions("a/b")


@given(topic=st.text(max_size=80))
def test_parse_of_arbitrary_text_raises_only_schema_error(topic: str) -> None:
    layout = TopicLayout()
    try:
        parsed = layout.parse(topic)
    except SchemaError:
        return
    # Anything accepted must be exactly what the builders produce.
    if parsed.run_id is None:
        rebuilt = {"status": layout.status, "facts": layout.facts, "cmd": layout.command}[
            parsed.kind
        ](parsed.device_id)
    else:
        rebuilt = f"{layout.root}/{parsed.device_id}/runs/{parsed.run_id}/{parsed.kind}"
    assert rebuilt == topic
