"""Sharing, second part: where a pulled bank comes from, indicator ids on entries, revocations,
partner feedback, the feedback outbox, per-minute match counts and the signal quarantine.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from raqib.stixids import indicator_id

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BACKFILL_CHUNK = 5000
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("banks") as batch:
        batch.add_column(sa.Column("partner", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("remote_collection", sa.String(length=200), nullable=True))
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("stix_id", sa.String(length=80), nullable=True))
    _backfill_stix_ids()
    op.create_index("ix_entries_stix_id", "entries", ["stix_id"], unique=False)
    op.create_table(
        "entry_revocations",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stix_id", sa.String(length=80), nullable=False),
        sa.Column("signal_type", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("added_at", _WHEN, nullable=False),
        sa.Column("revoked_at", _WHEN, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_entry_revocations_bank_revoked", "entry_revocations", ["bank_id", "revoked_at", "id"]
    )
    op.create_index("ix_entry_revocations_stix_id", "entry_revocations", ["stix_id"])
    _create_feedback_tables()


def _create_feedback_tables() -> None:
    op.create_table(
        "entry_feedback",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("stix_id", sa.String(length=80), nullable=False),
        sa.Column("partner", sa.String(length=100), nullable=False),
        sa.Column("opinion", sa.String(length=20), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("sightings", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.UniqueConstraint("stix_id", "partner", name="uq_entry_feedback"),
    )
    op.create_index("ix_entry_feedback_stix_id", "entry_feedback", ["stix_id"])
    op.create_table(
        "feedback_outbox",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("partner", sa.String(length=100), nullable=False),
        sa.Column("collection", sa.String(length=200), nullable=False),
        sa.Column("stix_object", sa.JSON(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
    )
    op.create_index("ix_feedback_outbox_pending", "feedback_outbox", ["partner", "sent_at", "id"])
    op.create_table(
        "entry_match_counts",
        sa.Column("entry_id", sa.BigInteger(), primary_key=True),
        sa.Column("minute", _WHEN, primary_key=True),
        sa.Column("matches", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "signal_quarantine",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("signal_type", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("matches", sa.BigInteger(), nullable=False),
        sa.Column("quarantined_at", _WHEN, nullable=False),
        sa.Column("released_at", _WHEN, nullable=True),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_signal_quarantine_entry", "signal_quarantine", ["entry_id", "released_at"])


def _backfill_stix_ids() -> None:
    """Mint the indicator id of every existing entry, in chunks of ids."""
    bind = op.get_bind()
    entries = sa.table(
        "entries",
        sa.column("id", sa.BigInteger()),
        sa.column("bank_id", sa.BigInteger()),
        sa.column("signal_type", sa.String()),
        sa.column("value", sa.Text()),
        sa.column("stix_id", sa.String()),
    )
    banks = sa.table("banks", sa.column("id", sa.BigInteger()), sa.column("name", sa.String()))
    after = 0
    while True:
        rows = bind.execute(
            sa.select(entries.c.id, banks.c.name, entries.c.signal_type, entries.c.value)
            .join(banks, banks.c.id == entries.c.bank_id)
            .where(entries.c.id > after)
            .order_by(entries.c.id)
            .limit(_BACKFILL_CHUNK)
        ).all()
        if not rows:
            return
        bind.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values(stix_id=sa.bindparam("minted")),
            [{"entry_id": row[0], "minted": indicator_id(row[1], row[2], row[3])} for row in rows],
        )
        after = int(rows[-1][0])


def downgrade() -> None:
    op.drop_table("signal_quarantine")
    op.drop_table("entry_match_counts")
    op.drop_table("feedback_outbox")
    op.drop_table("entry_feedback")
    op.drop_table("entry_revocations")
    op.drop_index("ix_entries_stix_id", table_name="entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("stix_id")
    with op.batch_alter_table("banks") as batch:
        batch.drop_column("remote_collection")
        batch.drop_column("partner")
