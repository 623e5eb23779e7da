"""The authenticated caller of a request or command: a person (user) or a machine (API key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from raqib.auth.roles import Permission, allows


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "key", "system"]
    id: int
    name: str
    role: str
    rate_limit: float | None = None  # requests/s for a key with its own limit
    partner: str | None = None  # the partner a `partner` key belongs to

    @property
    def actor(self) -> str:
        """How the audit trail and decisions name the caller: `user:alice`, `key:12`."""
        if self.kind == "key":
            return f"key:{self.id}"
        return f"{self.kind}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)


def system_principal(name: str = "cli") -> Principal:
    """The operator at the command line (who owns the machine, and so every right)."""
    return Principal(kind="system", id=0, name=name, role="admin")
