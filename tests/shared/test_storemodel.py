"""The model store's names: what the agent, the store and campaigns all accept."""

from __future__ import annotations

import pytest

from edgebench.shared.storemodel import is_sha256, store_digest, store_name

HEX = "0123456789abcdef" * 4


def test_a_store_name_round_trips() -> None:
    assert is_sha256(HEX) and store_name(HEX) == f"sha256:{HEX}"
    assert store_digest(store_name(HEX)) == HEX


@pytest.mark.parametrize(
    "name",
    [
        HEX,  # no prefix: a catalog-style name, not a store name
        f"sha256:{HEX.upper()}",
        f"sha256:{HEX}\n",  # a pattern with $ would let the newline through
        f"sha256:{HEX[:-1]}",
        "sha256:../../etc/passwd",
        f"SHA256:{HEX}",
    ],
)
def test_anything_else_is_not_a_store_name(name: str) -> None:
    assert store_digest(name) is None


def test_a_sha256_is_exactly_64_lowercase_hex_digits() -> None:
    assert not is_sha256(HEX + "\n") and not is_sha256(HEX[:63]) and not is_sha256(HEX.upper())
