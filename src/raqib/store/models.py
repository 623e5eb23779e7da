"""SQLAlchemy 2 models of the core records. Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """A time read back from the database as aware UTC: SQLite returns the stored UTC time
    without a zone, PostgreSQL with one."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def as_utc_or_none(at: datetime | None) -> datetime | None:
    return None if at is None else as_utc(at)


def iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC, or None."""
    return None if at is None else as_utc(at).isoformat()


class Base(DeclarativeBase):
    pass


class Bank(Base):
    """A named hash list with its marking, thresholds and policy flags."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tlp: Mapped[str] = mapped_column(String(20), default="amber")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_list: Mapped[bool] = mapped_column(Boolean, default=False)
    match_rotations: Mapped[bool] = mapped_column(Boolean, default=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # schema 0007: set on a bank pulled from a partner (`raqib sync`): who, and which collection
    partner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    remote_collection: Mapped[str | None] = mapped_column(String(200), nullable=True)

    entries: Mapped[list[Entry]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", passive_deletes=True
    )


class Entry(Base):
    """One signal in a bank, with its labels."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "signal_type", "value_key", name="uq_entry_signal"),
        Index("ix_entries_lookup", "signal_type", "value_key"),
        Index("ix_entries_bank_added", "bank_id", "added_at", "id"),  # TAXII paging (0006)
        Index("ix_entries_stix_id", "stix_id"),  # TAXII object lookups, feedback (0007)
        {"sqlite_autoincrement": True},  # ids are never reused: indexes key on them
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    signal_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    # sha256 of `value`: a short, indexable key for long values such as vPDQ frame lists.
    value_key: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(200), default="")
    behaviours: Mapped[str] = mapped_column(String(500), default="")
    tier: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # schema 0007: the STIX indicator id (minted from bank, type and value, or kept from the
    # partner it was pulled from); null only in rows written before 0007 and not yet backfilled
    stix_id: Mapped[str | None] = mapped_column(String(80), nullable=True)

    bank: Mapped[Bank] = relationship(back_populates="entries")


class EntryRevocation(Base):
    """A signal removed from a bank (schema 0007): partners reading the bank over TAXII are
    told with a revoked version of its indicator, dated `revoked_at`."""

    __tablename__ = "entry_revocations"
    __table_args__ = (
        Index("ix_entry_revocations_bank_revoked", "bank_id", "revoked_at", "id"),
        Index("ix_entry_revocations_stix_id", "stix_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    stix_id: Mapped[str] = mapped_column(String(80))
    signal_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # of the removed entry
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexChange(Base):
    """Append-only log of entry additions and removals; indexes replay it incrementally."""

    __tablename__ = "index_changes"
    __table_args__ = (Index("ix_index_changes_type_seq", "signal_type", "seq"),)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    signal_type: Mapped[str] = mapped_column(String(40))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(String(8))  # "add" | "remove"


class IndicatorList(Base):
    """A named list of text indicators (an imported UN or OFAC list, or a team's own)."""

    __tablename__ = "indicator_lists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(
        String(40), default="jsonl"
    )  # un | ofac-csv | ofac-xml | jsonl
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    indicators: Mapped[list[IndicatorRow]] = relationship(
        back_populates="indicator_list", cascade="all, delete-orphan", passive_deletes=True
    )


class IndicatorRow(Base):
    """One indicator of a list (see raqib.text.indicator_records.Indicator)."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_lists.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(12), nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float, default=0.5)
    stance: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    chain: Mapped[str | None] = mapped_column(String(12), nullable=True)

    indicator_list: Mapped[IndicatorList] = relationship(back_populates="indicators")
