"""Queues and routing rules: ordered rules, first match wins, the default queue otherwise; every
change audited."""

from __future__ import annotations

from typing import Any

import pytest

from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.review.cases import CaseFields, open_case
from raqib.review.queues import (
    create_queue,
    create_rule,
    delete_queue,
    delete_rule,
    ensure_default_queue,
    list_queues,
    list_rules,
    reorder_rules,
    route,
    update_rule,
)
from raqib.store.db import Database

LEAD = "user:lena"


def _queues(database: Database, *names: str) -> None:
    with database.session(write=True) as session:
        for name in names:
            create_queue(session, name, LEAD, description=f"synthetic queue {name}")


def _route(database: Database, **fields: Any) -> str:
    with database.session(write=True) as session:
        return route(session, CaseFields(**fields)).name


def test_default_queue_is_created_once_and_audited(database: Database) -> None:
    for _ in range(2):
        with database.session(write=True) as session:
            ensure_default_queue(session)
    with database.session() as session:
        created = audit.events(session, verb="queue.create")
        names = [q.name for q in list_queues(session)]
    assert names == ["default"] and [e.object_id for e in created] == ["default"]


def test_queues_are_created_listed_and_deleted(database: Database) -> None:
    _queues(database, "urgent", "arabic")
    with database.session(write=True) as session:
        with pytest.raises(ConflictError, match="already exists"):
            create_queue(session, "urgent", LEAD)
        with pytest.raises(InputError):
            create_queue(session, "  ", LEAD)
    with database.session(write=True) as session:
        delete_queue(session, "arabic", LEAD)
        with pytest.raises(ConflictError, match="default queue"):
            delete_queue(session, "default", LEAD)
        with pytest.raises(NotFoundError):
            delete_queue(session, "nope", LEAD)
    with database.session() as session:
        listed = [q.as_dict() for q in list_queues(session)]
        verbs = [(e.verb, e.object_id, e.actor) for e in audit.events(session)]
    assert [q["name"] for q in listed] == ["default", "urgent"]
    assert listed[1]["description"] == "synthetic queue urgent"
    assert listed[1]["created_at"].endswith("+00:00")
    assert ("queue.create", "urgent", LEAD) in verbs and ("queue.delete", "arabic", LEAD) in verbs


def test_a_queue_in_use_cannot_be_deleted(database: Database) -> None:
    _queues(database, "urgent", "spare")
    with database.session(write=True) as session:
        rule = create_rule(session, "urgent", {"tier": 1}, LEAD)
        open_case(session, {"verdict": {"tier": 1}}, {}, LEAD)
    with database.session(write=True) as session:
        with pytest.raises(ConflictError, match="holds 1 case"):
            delete_queue(session, "urgent", LEAD)
        update_rule(session, rule.id, LEAD, queue="spare")
    refused = pytest.raises(ConflictError, match=f"rule\\(s\\) {rule.id} send cases")
    with database.session(write=True) as session, refused:
        delete_queue(session, "spare", LEAD)
    with database.session() as session:
        counts = {q.name: q.open_cases for q in list_queues(session)}
    assert counts == {"default": 0, "spare": 0, "urgent": 1}


def test_first_matching_rule_wins_else_default(database: Database) -> None:
    _queues(database, "tier1", "arabic", "catchall")
    with database.session(write=True) as session:
        create_rule(session, "tier1", {"tier": [1, 2], "bank": "known"}, LEAD)
        create_rule(session, "arabic", {"language": "AR"}, LEAD)
        create_rule(session, "catchall", {"platform": ["forum", "video"]}, LEAD)
    assert _route(database, tier=1, bank="known", language="ar") == "tier1"
    assert _route(database, tier=3, bank="known", language="ar") == "arabic"
    assert _route(database, tier=2, bank="other", platform="forum") == "catchall"
    assert _route(database, tier=2, bank="other", platform="chat") == "default"
    assert _route(database, tier=None, bank="known") == "default"


def test_every_condition_key_routes(database: Database) -> None:
    keys = {
        "category": "threat",
        "entity": "Group A",
        "source": "post",
        "platform": "forum",
        "bank": "known",
        "language": "fr",
        "tier": 2,
    }
    _queues(database, *keys)
    with database.session(write=True) as session:
        for key, value in keys.items():
            create_rule(session, key, {key: value}, LEAD)
    for key, value in keys.items():
        wanted = value.upper() if isinstance(value, str) else value  # strings: any case
        assert _route(database, **{key: wanted}) == key
    assert _route(database, category="instruction", entity="Group B") == "default"


def test_disabled_rules_are_skipped_and_reorder_changes_the_winner(database: Database) -> None:
    _queues(database, "a", "b")
    with database.session(write=True) as session:
        first = create_rule(session, "a", {"tier": 1}, LEAD)
        second = create_rule(session, "b", {"tier": 1}, LEAD)
    assert _route(database, tier=1) == "a"
    with database.session(write=True) as session:
        reordered = reorder_rules(session, [second.id, first.id], LEAD)
    assert [(r.id, r.position) for r in reordered] == [(second.id, 1), (first.id, 2)]
    assert _route(database, tier=1) == "b"
    with database.session(write=True) as session:
        update_rule(session, second.id, LEAD, enabled=False)
    assert _route(database, tier=1) == "a"
    with database.session(write=True) as session:
        with pytest.raises(InputError, match="exactly once"):
            reorder_rules(session, [first.id], LEAD)
        with pytest.raises(InputError, match="exactly once"):
            reorder_rules(session, [first.id, first.id], LEAD)


def test_positions_insert_move_and_close_gaps(database: Database) -> None:
    _queues(database, "a")
    with database.session(write=True) as session:
        ids = [create_rule(session, "a", {"tier": t}, LEAD).id for t in (1, 2, 3)]
        front = create_rule(session, "a", {"tier": 4}, LEAD, position=1)
        update_rule(session, ids[2], LEAD, position=2)
        delete_rule(session, ids[0], LEAD)
    with database.session() as session:
        rules = list_rules(session)
        verbs = [e.verb for e in audit.events(session, object_type="rule")]
    assert [(r.id, r.position) for r in rules] == [(front.id, 1), (ids[2], 2), (ids[1], 3)]
    assert rules[0].as_dict()["conditions"] == {"tier": 4}
    assert verbs == ["rule.create"] * 4 + ["rule.update", "rule.delete"]


@pytest.mark.parametrize(
    "conditions",
    [{"colour": "red"}, {"tier": 9}, {"tier": "1"}, {"language": ""}, {"bank": []}, ["tier"]],
)
def test_bad_conditions_are_refused(database: Database, conditions: Any) -> None:
    _queues(database, "a")
    with database.session(write=True) as session, pytest.raises(InputError):
        create_rule(session, "a", conditions, LEAD)


def test_rules_need_an_existing_queue(database: Database) -> None:
    with database.session(write=True) as session, pytest.raises(NotFoundError, match="nope"):
        create_rule(session, "nope", {}, LEAD)
    with database.session(write=True) as session, pytest.raises(NotFoundError):
        update_rule(session, 999, LEAD, enabled=False)
