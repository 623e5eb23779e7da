"""SQLAlchemy models of the service: users, sessions and API keys; queues, routing rules, cases,
decisions, appeals, authors and strikes; the action outbox; the audit chain; batch jobs.

Schema changes go through Alembic migrations (0003 creates these tables).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from raqib.store.models import Base, BigId, utcnow

# --- people and machines -----------------------------------------------------------------------


class User(Base):
    """A person who signs in to the console: an argon2 password hash and one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserSession(Base):
    """A server-side console session; the cookie holds a random token, the table its sha256."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A machine credential. The key is shown once; the table keeps its sha256 (the key is 256
    random bits, so a fast hash is as safe as a slow one and keeps each request cheap)."""

    __tablename__ = "api_keys"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(
        String(16)
    )  # the key's first characters, to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[float | None] = mapped_column(
        Float, nullable=True
    )  # requests/s; None=default
    partner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# --- queues and cases --------------------------------------------------------------------------


class Queue(Base):
    """A named review queue."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoutingRule(Base):
    """An ordered rule: a case whose fields meet every condition goes to the queue. The first
    rule that matches wins; a case no rule takes goes to the default queue."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Author(Base):
    """An account on a platform whose content Raqib has seen in a case."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_author"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(100), default="")
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Case(Base):
    """A finding that asks for a person's decision, in one queue.

    state: open -> (claimed: claimed_by set, claim_expires_at in the future) -> decided;
    an appeal moves a decided case back to open (appealed=True), for a different reviewer.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue_state_priority", "queue_id", "state", "priority"),
        Index("ix_cases_item", "platform", "external_id"),
        Index("ix_cases_queue_state_deadline", "queue_id", "state", "deadline_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    origin: Mapped[str] = mapped_column(String(20), default="detection")  # detection | report
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    tier: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[str | None] = mapped_column(String(60), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    entity: Mapped[str | None] = mapped_column(String(200), nullable=True)
    bank: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str | None] = mapped_column(String(40), nullable=True)
    platform: Mapped[str | None] = mapped_column(String(100), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id"), nullable=True, index=True
    )
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # a report's reason
    reporter: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    assigned_to: Mapped[str | None] = mapped_column(String(120), nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    appealed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # schema 0004 (the console): similar cases, quality checks, removal orders
    cluster: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    golden_outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    second_review: Mapped[str] = mapped_column(
        String(20), default="none", index=True
    )  # none | wanted | done
    removal_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("removal_orders.id"), nullable=True, index=True
    )
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # last, on purpose: SQLite keeps a large value in overflow pages, and reading any column
    # stored after it means walking them (schema 0005 moved it here)
    finding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Decision(Base):
    """A reviewer's decision on a case: outcome, reason code (mapped to a TCO category), note."""

    __tablename__ = "decisions"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(40))
    reason_code: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")
    on_appeal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    # schema 0004: "primary" (acts on the item), "second" (a quality check), "golden"
    review_kind: Mapped[str] = mapped_column(String(20), default="primary")


class Appeal(Base):
    """A request to look at a decided case again."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Strike(Base):
    """A weighted strike against an author from a confirmed decision; it expires."""

    __tablename__ = "strikes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


# --- actions and audit -------------------------------------------------------------------------


class OutboxAction(Base):
    """An action owed to the platform (a decision's webhook), written in the decision's own
    transaction; a delivery worker leases due rows, sends them and records the outcome."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40), default="webhook")
    target: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """One change, chained: `hash` covers the event's fields and the previous event's hash."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # an object's history (evidence custody, sightings already counted): schema 0008
        Index("ix_audit_events_object", "object_type", "object_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    verb: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Job(Base):
    """An asynchronous batch (POST /items/batch): its state and, when done, its results."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done|failed
    owner: Mapped[str] = mapped_column(String(120))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    request: Mapped[list[Any]] = mapped_column(JSON, default=list)
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# --- the review console (schema 0004) ----------------------------------------------------------


class CaseMedia(Base):
    """A file submitted with an item whose case is open: kept (content-addressed, under
    RAQIB_HOME/media) so a reviewer can see it, blurred by default."""

    __tablename__ = "case_media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # image | video | text | page | file
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseComment(Base):
    """A reviewer's comment on a case (not a decision)."""

    __tablename__ = "case_comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DisplaySettings(Base):
    """Wellbeing display choices: scope "org" (the organisation's defaults) or an actor's own
    overrides ("user:alice"). `settings` holds blur, greyscale, per-category warnings, etc."""

    __tablename__ = "display_settings"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Exposure(Base):
    """One case shown to one reviewer: the daily exposure counter counts these."""

    __tablename__ = "exposures"
    __table_args__ = (Index("ix_exposures_actor_at", "actor", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(120))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    media: Mapped[int] = mapped_column(Integer, default=0)  # media revealed on the case
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RemovalOrder(Base):
    """A removal order under TCO Art. 3: its items become top-priority cases with a one-hour
    deadline; the outcome and its time are kept for the authority and the transparency report."""

    __tablename__ = "removal_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authority: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)  # item URLs or ids
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entered_by: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | complete
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- sharing (schema 0006) ---------------------------------------------------------------------


class Partner(Base):
    """An organisation Raqib shares with: its keys (role `partner`, ApiKey.partner = name) reach
    our TAXII server; `taxii_url` is its own server, pulled by `raqib sync`."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    taxii_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the key the partner gave us for its own TAXII server (what `raqib sync` presents there)
    remote_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BankShare(Base):
    """A bank shared with a partner as a TAXII collection: read, and write if `can_write`."""

    __tablename__ = "bank_shares"
    __table_args__ = (UniqueConstraint("bank_id", "partner_id", name="uq_bank_share"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- feedback and quarantine (schema 0007) -----------------------------------------------------


class EntryFeedback(Base):
    """What one partner (or "" for this instance's reviewers) said about one indicator: its
    latest opinion (STIX opinion vocabulary) and how many times it saw the signal."""

    __tablename__ = "entry_feedback"
    __table_args__ = (UniqueConstraint("stix_id", "partner", name="uq_entry_feedback"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(80), index=True)  # the indicator
    partner: Mapped[str] = mapped_column(String(100), default="")
    opinion: Mapped[str | None] = mapped_column(String(20), nullable=True)
    explanation: Mapped[str] = mapped_column(Text, default="")
    sightings: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedbackOutbox(Base):
    """A STIX opinion or sighting waiting to be sent to the partner an indicator came from."""

    __tablename__ = "feedback_outbox"
    __table_args__ = (Index("ix_feedback_outbox_pending", "partner", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner: Mapped[str] = mapped_column(String(100))
    collection: Mapped[str] = mapped_column(String(200), default="")  # the bank it came through
    stix_object: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class EntryMatchCount(Base):
    """How many items matched an entry in one minute: the flood check reads recent minutes."""

    __tablename__ = "entry_match_counts"

    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    matches: Mapped[int] = mapped_column(BigInteger, default=0)


class SignalQuarantine(Base):
    """An entry whose matches flooded in: while `released_at` is null its matches open one
    review of the signal instead of acting on each item."""

    __tablename__ = "signal_quarantine"
    __table_args__ = (Index("ix_signal_quarantine_entry", "entry_id", "released_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    bank: Mapped[str] = mapped_column(String(100))
    signal_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    matches: Mapped[int] = mapped_column(BigInteger, default=0)  # held back while quarantined
    quarantined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    release_note: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str | None] = mapped_column(String(20), nullable=True)  # release | revoke
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # its review case


# --- evidence preservation (schema 0008) -------------------------------------------------------


class EvidenceRecord(Base):
    """One preserved object: original bytes kept content-addressed under RAQIB_HOME/evidence
    (`sha256`), what it is and where it came from, when it was captured and until when it must
    be kept. Its chain of custody is the audit trail's events on ("evidence", id)."""

    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_retain", "purged_at", "retain_until"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # item | media | finding | page | file
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    platform: Mapped[str | None] = mapped_column(String(100), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source metadata
    reason: Mapped[str] = mapped_column(Text, default="")  # why it is kept (e.g. TCO Art. 6)
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    captured_by: Mapped[str] = mapped_column(String(200))
    retain_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)  # never purged while set
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
