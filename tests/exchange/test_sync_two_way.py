"""Two Raqib instances on loopback syncing over TAXII 2.1 both ways with `raqib sync` (the CLI,
as a subprocess): one bank kept in common, removals carried across, runs SIGKILLed mid-pull and
mid-push then resumed, feedback sent back, and the service's scheduled sync."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import Cli
from raqib.config import Settings
from raqib.errors import InputError
from raqib.exchange import feedback, partners
from raqib.exchange.sync_runs import (
    PartnerSync,
    SyncOptions,
    SyncScheduler,
    sync_lock,
    sync_partner,
)
from raqib.records import Labels, NewEntry
from raqib.review import audit
from raqib.signals import SignalRegistry, default_registry
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from raqib.store.models_service import FeedbackOutbox
from service_helpers import free_port, own_database_url
from two_instances import (
    Instance,
    connect,
    connect_quickly,
    running,
    share,
)

BANK = "shared"


def _pdq(rng: random.Random, count: int) -> list[NewEntry]:
    return [NewEntry("pdq", f"{rng.getrandbits(256):064x}") for _ in range(count)]


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[tuple[Instance, Instance]]:
    """Instances a and b, each a partner of the other (set up through the library: the CLI's
    way is tested by the first test)."""
    with (
        own_database_url(tmp_path, "b") as url_b,
        running(tmp_path, "a", database_url) as a,
        running(tmp_path, "b", url_b) as b,
    ):
        connect_quickly(a, b)
        yield a, b


def _sync(instance: Instance, *args: str) -> list[dict[str, object]]:
    out = instance.ok("sync", *args, "--json")
    return [json.loads(line) for line in out.splitlines()]


def _in_process(instance: Instance, partner: Instance, pull: bool = True) -> PartnerSync:
    """`raqib sync PARTNER [--no-pull]` through the library (no CLI start-up time)."""
    return sync_partner(
        instance.database,
        instance.settings,
        default_registry(),
        partner.partner_name,
        SyncOptions(pull=pull),
    )


def test_one_bank_kept_in_common_both_ways(tmp_path: Path, database_url: str) -> None:
    with (
        own_database_url(tmp_path, "b") as url_b,
        running(tmp_path, "a", database_url) as a,
        running(tmp_path, "b", url_b) as b,
    ):
        connect(a, b)  # with the CLI, as docs/sharing.md says
        _one_bank_kept_in_common(a, b)


def _one_bank_kept_in_common(a: Instance, b: Instance) -> None:
    rng = random.Random(61)
    common = NewEntry("md5", f"{rng.getrandbits(128):032x}")
    labelled = NewEntry("md5", f"{rng.getrandbits(128):032x}", Labels(entity="Placeholder Group"))
    a_only = _pdq(rng, 120)
    a.fill(BANK, [*a_only, common, labelled])
    b.fill(BANK, [*_pdq(rng, 80), common])
    union = sorted(set(a.signals(BANK)) | set(b.signals(BANK)))
    assert len(union) == 120 + 80 + 2
    share(a, BANK, b, write=True)
    share(b, BANK, a, write=True)

    (row,) = _sync(a)
    assert (row["bank"], row["collection"], row["added"], row["already_present"]) == (
        BANK,
        BANK,
        80,
        1,
    )
    assert int(str(row["pushed"])) >= 122 and row["push_refused"] == 0
    _sync(b)
    assert a.signals(BANK) == union
    assert b.signals(BANK) == union  # one entry per signal: nothing twice
    assert a.bank_names() == b.bank_names() == {BANK}  # mirrored into the bank, no copy made
    with b.database.session() as session:  # the label travelled with the indicator
        found = [e for e in BankRepository(session).entries(BANK) if e.value == labelled.value]
        assert found[0].labels.entity == "Placeholder Group"

    pushed_gone, pulled_gone = (("pdq", e.value) for e in a_only[:2])
    a.remove(BANK, *pushed_gone)
    (row,) = _sync(a)  # A pulls B's copy first: it must not bring the signal back
    assert pushed_gone not in a.signals(BANK)
    assert pushed_gone not in b.signals(BANK)  # the revocation pushed to B removed it there

    a.remove(BANK, *pulled_gone)
    (row,) = _sync(b)  # B pulls A's revocation
    assert row["revoked"] == 1
    assert pulled_gone not in b.signals(BANK)
    _in_process(a, b)
    _in_process(b, a)
    left = [s for s in union if s not in (pushed_gone, pulled_gone)]
    assert a.signals(BANK) == b.signals(BANK) == left

    again = _in_process(a, b).rows() + _in_process(b, a).rows()  # nothing new either way
    assert [(r["added"], r["revoked"], r["pushed"]) for r in again] == [(0, 0, 0), (0, 0, 0)]


def _kill_after_first_checkpoint(process: subprocess.Popen[str], checkpoint: Path) -> None:
    """SIGKILL the process as soon as the checkpoint file appears (it is written atomically
    after the first page is committed)."""
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert process.poll() is None, f"sync ended before its first checkpoint: {process.stderr}"
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_pull_killed_mid_sync_resumes(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    a.fill(BANK, _pdq(random.Random(7), 2500))
    share(a, BANK, b)  # read only: b mirrors it into org-a-shared
    mirror = f"{a.partner_name}-{BANK}"
    checkpoint = b.settings.home / "sync" / f"{a.partner_name}.json"

    killed = b.popen("sync", a.partner_name, "--no-push", "--page-size", "20")
    _kill_after_first_checkpoint(killed, checkpoint)
    state = json.loads(checkpoint.read_text())[partners.collection_id(BANK)]
    assert state["next"]  # stopped mid-collection
    assert 0 < len(b.signals(mirror)) < 2500

    (row,) = _sync(b, a.partner_name, "--page-size", "200")
    assert row["complete"] is True and row["pushed"] == 0
    assert b.signals(mirror) == a.signals(BANK)
    with b.database.session() as session:  # feedback on these entries goes back to a
        info = BankRepository(session).get(mirror)
    assert (info.partner, info.remote_collection) == (a.partner_name, partners.collection_id(BANK))
    (row,) = _in_process(b, a).rows()
    assert (row["objects_seen"], row["added"]) == (0, 0)


def test_push_killed_mid_sync_resumes(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    a.fill(BANK, _pdq(random.Random(8), 2500))
    b.fill(BANK, [])
    share(a, BANK, b, write=True)
    share(b, BANK, a, write=True)
    checkpoint = a.settings.home / "sync" / f"{b.partner_name}.push.json"

    killed = a.popen("sync", b.partner_name, "--no-pull", "--page-size", "20")
    _kill_after_first_checkpoint(killed, checkpoint)
    assert json.loads(checkpoint.read_text())[BANK]["next"]
    assert 0 < len(b.signals(BANK)) < 2500

    (row,) = _sync(a, b.partner_name, "--no-pull", "--page-size", "300")
    assert row["complete"] is True and row["objects_seen"] == 0
    assert b.signals(BANK) == a.signals(BANK)
    (row,) = _in_process(a, b, pull=False).rows()
    assert row["pushed"] == 0


def test_feedback_goes_back_to_the_partner(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    a.fill(BANK, _pdq(random.Random(9), 5))
    share(a, BANK, b)  # b may only read: feedback is still welcome
    _in_process(b, a)
    mirror = f"{a.partner_name}-{BANK}"
    with b.database.session() as session:
        (entry,) = BankRepository(session).entries_page(mirror, limit=1)
    known = _opinion(entry.stix_id)
    unknown = _opinion("indicator--" + str(uuid.uuid4()))
    collection = partners.collection_id(BANK)
    with b.database.session(write=True) as session:
        feedback.enqueue(session, a.partner_name, collection, known)
        feedback.enqueue(session, a.partner_name, collection, unknown)

    done = b.run("sync", a.partner_name, "--no-pull")
    assert done.returncode == 0, done.stderr
    assert f"feedback to {a.partner_name}: 1 sent, 1 failed" in done.stderr
    with a.database.session() as session:
        assert feedback.counts(session, [entry.stix_id])[entry.stix_id].confirmed == 1
    with b.database.session() as session:
        rows = {r.stix_object["id"]: r for r in session.scalars(select(FeedbackOutbox))}
        assert rows[known["id"]].sent_at is not None
        assert rows[unknown["id"]].sent_at is None and rows[unknown["id"]].last_error


def _opinion(indicator: str) -> dict[str, object]:
    """A synthetic STIX opinion agreeing with an indicator."""
    return {
        "type": "opinion",
        "spec_version": "2.1",
        "id": f"opinion--{uuid.uuid4()}",
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
        "opinion": "agree",
        "explanation": "synthetic test opinion",
        "object_refs": [indicator],
    }


def test_the_service_syncs_on_schedule(tmp_path: Path, database_url: str) -> None:
    with (
        own_database_url(tmp_path, "b") as url_b,
        running(tmp_path, "b", url_b) as b,
        running(tmp_path, "a", database_url, sync_interval_seconds=1) as a,
    ):
        b.fill(BANK, _pdq(random.Random(10), 40))
        # a partner that is down is recorded as failed and does not stop the others
        ghost = f"http://127.0.0.1:{free_port()}/taxii2/"
        with a.database.session(write=True) as session:
            partners.add_partner(session, "ghost", "system:test", ghost, "rqb_synthetic")
        connect_quickly(a, b)
        share(b, BANK, a)
        mirror = f"{b.partner_name}-{BANK}"
        deadline = time.monotonic() + 60
        while mirror not in a.bank_names() or len(a.signals(mirror)) < 40:
            assert time.monotonic() < deadline, "the scheduled sync brought nothing in 60 s"
            time.sleep(0.2)
        assert a.signals(mirror) == b.signals(BANK)
        with a.database.session() as session:
            failed = audit.events(session, verb="sync.run", object_id="ghost")
            synced = audit.events(session, verb="sync.run", object_id=b.partner_name)
        assert failed and not failed[0].details["ok"] and ghost in failed[0].details["error"]
        assert any(r.details["ok"] and r.details["complete"] for r in synced)


def test_a_bank_of_ours_takes_nothing_marked_stricter(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    a.fill(BANK, _pdq(random.Random(12), 3), tlp="amber")
    b.fill(BANK, _pdq(random.Random(13), 3), tlp="green")
    share(a, BANK, b, write=True)
    share(b, BANK, a, write=True)
    with pytest.raises(InputError, match="raqib bank update shared --tlp amber"):
        _in_process(b, a)
    assert len(b.signals(BANK)) == 3  # A's amber indicators did not go into B's green bank


def test_the_scheduler_skips_while_another_sync_runs(
    database: Database, settings: Settings, registry: SignalRegistry, cli: Cli
) -> None:
    with database.session(write=True) as session:
        partners.add_partner(session, "ghost", "system:test", "http://127.0.0.1:9/t/", "k")
    scheduler = SyncScheduler(database, settings, registry)
    with sync_lock(settings):  # as `raqib sync` or another worker holds it
        assert scheduler.run_once() is None
    (recorded,) = scheduler.run_once() or []
    assert recorded["ok"] is False and "http://127.0.0.1:9/t/" in recorded["error"]
    assert scheduler.run_once() is None  # a round ended less than half an interval ago

    nothing = cli("sync", "--no-pull", "--no-push")
    assert nothing.code == 2 and "drop one of them" in nothing.stderr
