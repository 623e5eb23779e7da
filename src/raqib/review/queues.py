"""Review queues and the ordered routing rules that send each new case to one of them.

A rule's conditions are keys of the case (tier, category, language, entity, bank, source,
platform), each with one value or a list of values; a case meets a rule when it meets every
condition (a rule without conditions takes every case). The first enabled rule by position
wins; a case no rule takes goes to the default queue. String values compare case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import Case, Queue, RoutingRule

if TYPE_CHECKING:
    from raqib.review.cases import CaseFields

DEFAULT_QUEUE = "default"
SYSTEM_ACTOR = "system:raqib"
CONDITION_KEYS = ("tier", "category", "language", "entity", "bank", "source", "platform")
NAME_MAX = 100


@dataclass(frozen=True)
class QueueView:
    id: int
    name: str
    description: str
    created_at: datetime
    open_cases: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_at": iso(self.created_at),
            "open_cases": self.open_cases,
        }


@dataclass(frozen=True)
class RuleView:
    id: int
    position: int
    queue: str
    conditions: dict[str, Any]
    enabled: bool
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "position": self.position,
            "queue": self.queue,
            "conditions": self.conditions,
            "enabled": self.enabled,
            "created_at": iso(self.created_at),
        }


# --- queues ------------------------------------------------------------------------------------


def ensure_default_queue(session: Session, actor: str = SYSTEM_ACTOR) -> Queue:
    """The default queue, created (and audited) on first use; safe against a concurrent creator."""
    found = session.scalar(select(Queue).where(Queue.name == DEFAULT_QUEUE))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            queue = Queue(
                name=DEFAULT_QUEUE, description="cases no rule routes", created_at=utcnow()
            )
            session.add(queue)
    except IntegrityError:  # another transaction created it first
        return session.scalars(select(Queue).where(Queue.name == DEFAULT_QUEUE)).one()
    audit.append(session, actor, "queue.create", "queue", queue.name, {"id": queue.id})
    return queue


def queue_row(session: Session, name: str) -> Queue:
    """The queue of that name (the default queue is created on first use)."""
    if name == DEFAULT_QUEUE:
        return ensure_default_queue(session)
    queue = session.scalar(select(Queue).where(Queue.name == name))
    if queue is None:
        raise NotFoundError(f"no queue named {name!r}; `GET /queues` lists them")
    return queue


def create_queue(session: Session, name: str, actor: str, description: str = "") -> QueueView:
    clean = _check_name(name)
    ensure_default_queue(session)
    if session.scalar(select(Queue.id).where(Queue.name == clean)) is not None:
        raise ConflictError(f"queue {clean!r} already exists")
    queue = Queue(name=clean, description=description.strip(), created_at=utcnow())
    session.add(queue)
    session.flush()
    audit.append(session, actor, "queue.create", "queue", clean, {"id": queue.id})
    return _queue_view(queue, 0)


def list_queues(session: Session) -> list[QueueView]:
    """Every queue (the default first, then by name) with its count of open cases. Read-only:
    the default queue shows once something created it (`ensure_default_queue`)."""
    counts = dict(
        session.execute(
            select(Case.queue_id, func.count()).where(Case.state == "open").group_by(Case.queue_id)
        ).all()
    )
    queues = session.scalars(select(Queue).order_by(Queue.name != DEFAULT_QUEUE, Queue.name))
    return [_queue_view(q, int(counts.get(q.id, 0))) for q in queues]


def delete_queue(session: Session, name: str, actor: str) -> None:
    """Delete an empty queue that no rule routes to (never the default queue)."""
    if name == DEFAULT_QUEUE:
        raise ConflictError("the default queue cannot be deleted")
    queue = queue_row(session, name)
    cases = session.scalar(select(func.count()).where(Case.queue_id == queue.id)) or 0
    if cases:
        raise ConflictError(f"queue {name!r} holds {cases} case(s); it cannot be deleted")
    rules = list(session.scalars(select(RoutingRule.id).where(RoutingRule.queue_id == queue.id)))
    if rules:
        listed = ", ".join(str(r) for r in rules)
        raise ConflictError(f"routing rule(s) {listed} send cases to {name!r}; delete them first")
    session.delete(queue)
    session.flush()
    audit.append(session, actor, "queue.delete", "queue", name, {"id": queue.id})


def _check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > NAME_MAX:
        raise InputError(f"a queue name needs 1 to {NAME_MAX} characters")
    return clean


def _queue_view(queue: Queue, open_cases: int) -> QueueView:
    return QueueView(
        int(queue.id), queue.name, queue.description, as_utc(queue.created_at), open_cases
    )


# --- routing rules -----------------------------------------------------------------------------


def check_conditions(conditions: Any) -> dict[str, Any]:
    """Conditions with known keys and well-typed values, or an InputError naming the fault."""
    if not isinstance(conditions, dict):
        raise InputError("conditions must be an object of key -> value or list of values")
    clean: dict[str, Any] = {}
    for key, value in conditions.items():
        if key not in CONDITION_KEYS:
            raise InputError(f"unknown condition {key!r}; use: {', '.join(CONDITION_KEYS)}")
        clean[key] = _check_value(key, value)
    return clean


def _check_value(key: str, value: Any) -> Any:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise InputError(f"condition {key!r} needs at least one value")
    for item in values:
        wanted_int = key == "tier"
        good = (
            isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 4
            if wanted_int
            else isinstance(item, str) and item.strip() != ""
        )
        if not good:
            kind = "a tier from 1 to 4" if wanted_int else "a non-empty string"
            raise InputError(f"condition {key!r}: {item!r} is not {kind}")
    return value


def list_rules(session: Session) -> list[RuleView]:
    query = (
        select(RoutingRule, Queue.name)
        .join(Queue, Queue.id == RoutingRule.queue_id)
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    return [_rule_view(rule, name) for rule, name in session.execute(query)]


def create_rule(
    session: Session,
    queue: str,
    conditions: dict[str, Any],
    actor: str,
    position: int | None = None,
    enabled: bool = True,
) -> RuleView:
    """Add a rule at `position` (1 = first; default: last), moving later rules down."""
    target = queue_row(session, queue)
    rule = RoutingRule(
        queue_id=target.id,
        conditions=check_conditions(conditions),
        enabled=enabled,
        position=0,
        created_at=utcnow(),
    )
    session.add(rule)
    session.flush()
    _place(session, rule, position)
    details = {"queue": target.name, "conditions": rule.conditions, "position": rule.position}
    audit.append(session, actor, "rule.create", "rule", rule.id, details | {"enabled": enabled})
    return _rule_view(rule, target.name)


def update_rule(
    session: Session,
    rule_id: int,
    actor: str,
    queue: str | None = None,
    conditions: dict[str, Any] | None = None,
    enabled: bool | None = None,
    position: int | None = None,
) -> RuleView:
    """Change what is given; `position` moves the rule (1 = first)."""
    rule = _rule_row(session, rule_id)
    changes: dict[str, Any] = {}
    if queue is not None:
        rule.queue_id = queue_row(session, queue).id
        changes["queue"] = queue
    if conditions is not None:
        rule.conditions = changes["conditions"] = check_conditions(conditions)
    if enabled is not None:
        rule.enabled = changes["enabled"] = enabled
    if position is not None:
        _place(session, rule, position)
        changes["position"] = rule.position
    if not changes:
        raise InputError("give at least one of queue, conditions, enabled, position")
    session.flush()
    audit.append(session, actor, "rule.update", "rule", rule.id, changes)
    return _rule_view(rule, session.get_one(Queue, rule.queue_id).name)


def delete_rule(session: Session, rule_id: int, actor: str) -> None:
    rule = _rule_row(session, rule_id)
    details = {"conditions": rule.conditions, "position": rule.position}
    session.delete(rule)
    session.flush()
    _renumber(_ordered_rules(session))
    audit.append(session, actor, "rule.delete", "rule", rule_id, details)


def reorder_rules(session: Session, rule_ids: Sequence[int], actor: str) -> list[RuleView]:
    """Set the order of all rules at once: `rule_ids` lists every rule exactly once."""
    rules = {int(rule.id): rule for rule in _ordered_rules(session)}
    if sorted(rule_ids) != sorted(rules) or len(set(rule_ids)) != len(rule_ids):
        raise InputError(f"list every rule exactly once; the rules are {sorted(rules)}")
    _renumber([rules[rule_id] for rule_id in rule_ids])
    session.flush()
    audit.append(session, actor, "rule.reorder", "rule", "*", {"order": list(rule_ids)})
    return list_rules(session)


def _rule_row(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no routing rule {rule_id}")
    return rule


def _ordered_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def _place(session: Session, rule: RoutingRule, position: int | None) -> None:
    others = [r for r in _ordered_rules(session) if r.id != rule.id]
    if position is None:
        position = len(others) + 1
    if position < 1:
        raise InputError("a rule's position starts at 1")
    others.insert(min(position, len(others) + 1) - 1, rule)
    _renumber(others)


def _renumber(rules: Sequence[RoutingRule]) -> None:
    for number, rule in enumerate(rules, start=1):
        rule.position = number


def _rule_view(rule: RoutingRule, queue: str) -> RuleView:
    return RuleView(
        int(rule.id),
        rule.position,
        queue,
        dict(rule.conditions),
        rule.enabled,
        as_utc(rule.created_at),
    )


# --- routing -----------------------------------------------------------------------------------


def route(session: Session, fields: CaseFields) -> Queue:
    """The queue of the first enabled rule (by position) the case meets; else the default."""
    query = (
        select(RoutingRule)
        .where(RoutingRule.enabled.is_(True))
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    for rule in session.scalars(query):
        if matches(rule.conditions, fields):
            return session.get_one(Queue, rule.queue_id)
    return ensure_default_queue(session)


def matches(conditions: dict[str, Any], fields: CaseFields) -> bool:
    """Whether the case's fields meet every condition."""
    return all(_holds(key, value, getattr(fields, key)) for key, value in conditions.items())


def _holds(key: str, wanted: Any, actual: Any) -> bool:
    if actual is None:
        return False
    options = wanted if isinstance(wanted, list) else [wanted]
    if key == "tier":
        return actual in options
    return str(actual).casefold() in {str(option).casefold() for option in options}
