"""Banks, entries and the index change log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tlp", sa.String(20), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("allow_list", sa.Boolean, nullable=False),
        sa.Column("match_rotations", sa.Boolean, nullable=False),
        sa.Column("thresholds", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("signal_type", sa.String(40), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("value_key", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("behaviours", sa.String(500), nullable=False),
        sa.Column("tier", sa.Integer, nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("bank_id", "signal_type", "value_key", name="uq_entry_signal"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_entries_bank_id", "entries", ["bank_id"])
    op.create_index("ix_entries_lookup", "entries", ["signal_type", "value_key"])
    op.create_table(
        "index_changes",
        sa.Column("seq", BigId, primary_key=True),
        sa.Column("signal_type", sa.String(40), nullable=False),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
    )
    op.create_index("ix_index_changes_type_seq", "index_changes", ["signal_type", "seq"])


def downgrade() -> None:
    op.drop_table("index_changes")
    op.drop_index("ix_entries_lookup", "entries")
    op.drop_index("ix_entries_bank_id", "entries")
    op.drop_table("entries")
    op.drop_table("banks")
