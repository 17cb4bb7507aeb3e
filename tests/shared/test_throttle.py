"""The one definition of "throttled": conditions, reasons, spans, and the summary form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edgebench.agent.samplers.session import summarize
from edgebench.agent.samplers.throttle import decode_throttled
from edgebench.shared.throttle import CONDITIONS, assess, summary_rows


def rows(*masks: int) -> list[dict[str, float | None]]:
    """Readings as the agent's sampler records them, without times."""
    return [decode_throttled(m) for m in masks]


def timed(*masks: int, step: float = 1.0) -> list[dict[str, float | None]]:
    """Readings at t = 0, step, 2 * step, ..."""
    return [{"t": i * step, **decode_throttled(m)} for i, m in enumerate(masks)]


def test_live_under_voltage_and_throttling_give_reasons() -> None:
    reasons = assess(rows(0x0, 0x50005, 0x50000)).reasons()
    assert reasons == ["under-voltage detected during the run", "CPU throttled during the run"]


def test_history_from_before_the_run_gives_no_reason() -> None:
    assert assess(rows(0x50000, 0x50000, 0x50000)).reasons() == []


def test_sticky_bit_that_rose_inside_the_window_counts() -> None:
    # A short event between two readings only shows up in the sticky bits.
    reasons = assess(rows(0x0, 0x50000)).reasons()
    assert reasons == [
        "under-voltage occurred during the run (sticky bit 16)",
        "CPU throttling occurred during the run (sticky bit 18)",
    ]


def test_soft_temperature_limit_as_seen_on_a_hot_pi4() -> None:
    assert assess(rows(0x0, 0x80008)).reasons() == ["soft temperature limit active during the run"]


def test_no_data_means_no_reasons() -> None:
    assert assess([]).reasons() == []
    assert assess([{"t": 1.0, "cpu_util_pct": 50.0}]).reasons() == []


def test_throttled_is_unknown_without_data_and_false_for_old_history() -> None:
    assert assess([{"t": 1.0, "cpu_util_pct": 50.0}]).throttled is None
    report = assess(timed(0x50000, 0x50000))
    assert report.known and report.throttled is False and report.spans == ()


def test_sticky_rise_spans_the_two_readings_around_it() -> None:
    report = assess(timed(0x0, 0x0, 0x40000, 0x40000))
    assert report.throttled is True
    assert (report.live, report.rose) == ((), ("throttled_now",))
    assert report.spans == ((1.0, 2.0),)


def test_live_span_runs_over_consecutive_readings_and_merges_with_the_rise() -> None:
    # Under-voltage begins between t=0 and t=1 and is seen live at t=1 and t=2.
    report = assess(timed(0x0, 0x10001, 0x10001, 0x10000, 0x10000))
    assert report.live == ("under_voltage",) and report.rose == ("under_voltage",)
    assert report.spans == ((0.0, 2.0),)
    # Old history plus a live episode: only the readings that saw it.
    assert assess(timed(0x50000, 0x50005, 0x50005, 0x50000)).spans == ((1.0, 2.0),)


def test_rows_without_throttle_data_do_not_break_a_span() -> None:
    # get_throttled is read once a second while other samplers tick at 10 Hz.
    data = [
        {"t": 0.0, **decode_throttled(0x80008)},
        {"t": 0.5, "temp_c": 82.0},
        {"t": 1.0, **decode_throttled(0x80008)},
        {"t": 1.5, "temp_c": 80.0},
        {"t": 2.0, **decode_throttled(0x80000)},
    ]
    assert assess(data).spans == ((0.0, 1.0),)


def test_a_flag_without_a_bitmask_counts_live() -> None:
    # The rpi_volt alarm gives only the under-voltage flag.
    data = [{"t": 0.0, "under_voltage": 0.0}, {"t": 1.0, "under_voltage": 1.0}]
    report = assess(data)
    assert report.live == ("under_voltage",) and report.spans == ((1.0, 1.0),)


def test_values_that_are_not_a_bitmask_are_ignored() -> None:
    assert assess([{"t": 0.0, "throttled": 0.5}, {"t": 1.0, "throttled": -1}]).known is False


# One reading: the conditions live now (bits 0-3) and conditions that came and went since
# the previous reading (sticky only). The firmware sets a condition's sticky bit whenever it
# is live, and only a reboot clears sticky bits.
reading = st.tuples(st.integers(0, 15), st.integers(0, 15))


@given(st.lists(reading, min_size=1, max_size=8), st.integers(0, 15))
def test_the_summary_form_finds_the_same_conditions(steps, history) -> None:
    sticky, masks = history, []
    for live, passed in steps:
        sticky |= live | passed
        masks.append(sticky << 16 | live)
    from_rows = assess(rows(*masks))
    from_summary = assess(summary_rows(summarize(rows(*masks), {})))
    assert from_summary.throttled == from_rows.throttled
    assert (from_summary.live, from_summary.rose) == (from_rows.live, from_rows.rose)
    assert from_summary.reasons() == from_rows.reasons()


def test_the_bit_layout_is_hardware_md() -> None:
    # hardware.md §1.5: bits 0-3 now, 16-19 since boot, in this order.
    assert [(c.key, c.bit, c.sticky_bit) for c in CONDITIONS] == [
        ("under_voltage", 0, 16),
        ("freq_capped", 1, 17),
        ("throttled_now", 2, 18),
        ("soft_temp_limit", 3, 19),
    ]
