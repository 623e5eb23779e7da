"""Roles and what each may do. Every API route names the one permission it needs; a principal
without it is refused (denied by default: a role grants only what is listed here)."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    SUBMIT = "submit"  # hash, match, items, reports, batch jobs (a platform's integration)
    BANKS_READ = "banks.read"
    BANKS_WRITE = "banks.write"  # banks, entries, imports
    INDICATORS_WRITE = "indicators.write"
    CASES_READ = "cases.read"
    CASES_DECIDE = "cases.decide"  # claim, decide, comment
    CASES_MANAGE = "cases.manage"  # reassign, escalate to a person; queues and routing rules
    APPEALS = "appeals"  # lodge an appeal (the platform relays its user's)
    AUDIT_READ = "audit.read"
    DECISIONS_EXPORT = "decisions.export"
    DELIVERIES = "deliveries"  # see and retry failed webhook deliveries
    USERS_MANAGE = "users.manage"  # users and API keys
    METRICS = "metrics"
    SHARING = "sharing"  # TAXII collections shared with a partner
    EVIDENCE = "evidence"  # preserved evidence: list, read, download, hold (admin only)


ROLES = ("admin", "curator", "reviewer", "lead", "submitter", "partner")

_REVIEW = {Permission.CASES_READ, Permission.CASES_DECIDE, Permission.BANKS_READ}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "curator": frozenset(
        {Permission.BANKS_READ, Permission.BANKS_WRITE, Permission.INDICATORS_WRITE}
    ),
    "reviewer": frozenset(_REVIEW),
    "lead": frozenset(
        _REVIEW
        | {
            Permission.CASES_MANAGE,
            Permission.APPEALS,
            Permission.AUDIT_READ,
            Permission.DECISIONS_EXPORT,
            Permission.DELIVERIES,
            Permission.METRICS,
        }
    ),
    "submitter": frozenset({Permission.SUBMIT, Permission.APPEALS}),
    "partner": frozenset({Permission.SHARING}),
}


def check_role(role: str) -> str:
    """The role, or a ValueError naming the valid ones."""
    clean = role.strip().lower()
    if clean not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return clean


def allows(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
