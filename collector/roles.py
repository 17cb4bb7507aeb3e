"""Roles of users and scopes of API tokens: what each may do (no database needed).

Kept apart from ``accounts`` and ``tokens`` so the command line can offer the choices
without importing SQLAlchemy (a missing extra must name the subcommand that needs it).
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["viewer", "operator", "admin"]
# Lowest to highest: each role may do everything the roles before it may.
ROLES: tuple[Role, ...] = get_args(Role)

Scope = Literal["read", "operate"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
# The role each token scope stands for.
SCOPE_ROLE: dict[str, Role] = {"read": "viewer", "operate": "operator"}


def role_allows(role: str, needed: Role) -> bool:
    """Return whether ``role`` includes the rights of ``needed``."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)  # type: ignore[arg-type]
