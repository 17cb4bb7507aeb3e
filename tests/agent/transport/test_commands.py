"""The command option names in edgebench.shared are exactly the agent's RunOptions fields."""

from __future__ import annotations

import dataclasses

import pytest

from edgebench.agent.engine.options import RunOptions
from edgebench.agent.transport.commands import run_options_from_command
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.messages import CommandMessage
from edgebench.shared.run_options import COMMAND_OPTIONS, FILE_OPTIONS


def test_shared_names_are_the_run_options_fields() -> None:
    fields = {f.name for f in dataclasses.fields(RunOptions)}
    assert fields == COMMAND_OPTIONS | FILE_OPTIONS
    assert not COMMAND_OPTIONS & FILE_OPTIONS


def test_every_command_option_converts() -> None:
    cmd = CommandMessage(device_id="pi", command="run", options={"runs": 5, "min_secs": 0.0})
    options = run_options_from_command(cmd)
    assert options.runs == 5 and options.min_secs == 0.0


@pytest.mark.parametrize(("key", "word"), [("images", "names a file"), ("nope", "unknown")])
def test_file_and_unknown_options_are_refused(key: str, word: str) -> None:
    cmd = CommandMessage(device_id="pi", command="run", options={key: "x"})
    with pytest.raises(EdgebenchError, match=word):
        run_options_from_command(cmd)


def test_tags_are_checked_and_reported_with_the_facts(tmp_path) -> None:
    from edgebench.agent.config import AgentConfig
    from edgebench.agent.facts import collect_device_facts

    assert AgentConfig(tags=("lab", "fan")).validate() == []
    (problem,) = AgentConfig(tags=("no spaces",)).validate()
    assert problem.startswith("tags: 'no spaces'")
    facts = collect_device_facts(AgentConfig(tags=("lab",), state_dir=tmp_path))
    assert facts.tags == ["lab"]
