"""The import contracts in pyproject.toml hold for the tree, and each one really is checked.

The first test runs ``lint-imports`` the way ``scripts/test`` does and checks that it read
every source file (the editable install maps ``edgebench.*`` onto three folders, so an
empty graph would be easy to miss). The second takes each contract exactly as configured,
adds one import it forbids to the real import graph, and expects the contract to break.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter import api
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract

from tests.conftest import ROOT

PYPROJECT = ROOT / "pyproject.toml"
CONTRACT_TYPES = {
    cls.type_name: cls
    for cls in (AcyclicSiblingsContract, ForbiddenContract, IndependenceContract, LayersContract)
}
# contract id -> (importer, imported): one import each contract must refuse.
ILLEGAL = {
    "shared-base": ("edgebench.shared.errors", "edgebench.collector.db"),
    "roles-independent": ("edgebench.agent.config", "edgebench.collector.config"),
    "agent-layers": ("edgebench.agent.power.base", "edgebench.agent.samplers.base"),
    "collector-layers": ("edgebench.collector.listing", "edgebench.collector.api.fleet"),
    "no-cycles": ("edgebench.agent.transport.listener", "edgebench.agent.transport.session"),
}


def contracts() -> list[dict]:
    """The contracts as pyproject.toml declares them."""
    return tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]


def test_the_tree_keeps_every_contract() -> None:
    # A wide terminal keeps each contract's name and its verdict on one line.
    env = os.environ | {"COLUMNS": "400"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sources = [
        p for folder in ("agent", "collector", "shared") for p in (ROOT / folder).rglob("*.py")
    ]
    assert f"Analyzed {len(sources)} files" in proc.stdout, proc.stdout
    for contract in contracts():
        assert f"{contract['name']} KEPT" in proc.stdout, proc.stdout


def test_every_contract_has_an_illegal_import_to_catch() -> None:
    assert {c["id"] for c in contracts()} == set(ILLEGAL)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """The real import graph of the three root packages (no cache)."""
    roots = api.read_configuration(str(PYPROJECT))["session_options"]["root_packages"]
    return grimp.build_graph(*roots, cache_dir=None)


@pytest.mark.parametrize("contract_id", sorted(ILLEGAL))
def test_each_contract_refuses_its_illegal_import(
    graph: grimp.ImportGraph, contract_id: str
) -> None:
    config = api.read_configuration(str(PYPROJECT))
    (options,) = [dict(c) for c in config["contracts_options"] if c["id"] == contract_id]
    del options["id"]
    name, kind = options.pop("name"), options.pop("type")
    contract = CONTRACT_TYPES[kind](name, config["session_options"], options)
    assert contract.check(copy.deepcopy(graph), verbose=False).kept

    importer, imported = ILLEGAL[contract_id]
    broken = copy.deepcopy(graph)
    assert not broken.direct_import_exists(importer=importer, imported=imported)
    broken.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
    assert not contract.check(broken, verbose=False).kept
