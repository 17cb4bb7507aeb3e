"""Parse what ansible-playbook printed: the exit code and the per-host PLAY RECAP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TASK_RE = re.compile(r"^TASK \[(?:[^:\]]+ : )?(.+)\] \**$")
OUTCOME_RE = re.compile(r"^(ok|changed|skipping|failed|fatal): \[([^\]\s]+)")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run, with the per-host PLAY RECAP parsed."""

    returncode: int
    output: str
    recap: dict[str, dict[str, int]] = field(default_factory=dict)

    def changed_hosts(self) -> dict[str, int]:
        """Hosts whose recap shows changed > 0, with the count."""
        return {h: r["changed"] for h, r in self.recap.items() if r["changed"]}

    def task_outcomes(self, task: str) -> dict[str, str]:
        """``{host: ok|changed|skipping|failed|fatal}`` of the task named ``task``."""
        return task_outcomes(self.output, task)


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """Parse ``PLAY RECAP`` lines into ``{host: {ok, changed, unreachable, failed}}``."""
    recap: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = RECAP_RE.match(line) if in_recap else None
        if match:
            host, ok, changed, unreachable, failed = match.groups()
            recap[host] = {
                "ok": int(ok),
                "changed": int(changed),
                "unreachable": int(unreachable),
                "failed": int(failed),
            }
    return recap


def task_outcomes(output: str, task: str) -> dict[str, str]:
    """Per-host outcome lines printed under ``TASK [role : task]`` (the default callback)."""
    outcomes: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        header = TASK_RE.match(line)
        if header:
            current = header.group(1)
            continue
        match = OUTCOME_RE.match(line) if current == task else None
        if match:
            outcomes[match.group(2)] = match.group(1)
    return outcomes
